import functools
import re
from pathlib import Path

import pytest

from tests.rig.databases import create_database, drop_database, postgres_available


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """Runs a test once on SQLite and once on PostgreSQL (skipped, with the reason, when absent)."""
    if request.param == "postgresql":
        reason = postgres_available()
        if reason:
            pytest.skip(reason)
    return request.param


@pytest.fixture
def database_factory(backend):
    """database_factory() -> a --database value for one node (None: SQLite in its data dir)."""
    created: list[str] = []

    def make() -> str | None:
        if backend == "sqlite":
            return None
        url = create_database()
        created.append(url)
        return url

    yield make
    for url in created:
        drop_database(url)


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for a test that only makes sense there (skipped when absent)."""
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    url = create_database()
    yield url
    drop_database(url)


@functools.cache
def _starts_processes(path: Path) -> bool:
    """Whether a test module starts real processes (nodes, the CLI, a browser): the slow ones."""
    return bool(re.search(r"rig\.nodes|subprocess|playwright|processes import", path.read_text()))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that start processes run first, in-process ones last: the parallel workers (xdist,
    whole modules each, setup.cfg) then end together on short modules instead of one worker
    finishing a long one alone. A stable sort, so each module's tests keep their order."""
    items.sort(key=lambda item: not _starts_processes(Path(item.path)))
