"""In-process nodes (tests.api.conftest) for the pages."""
from tests.api.conftest import node  # noqa: F401  (the in-process node fixture)
