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
