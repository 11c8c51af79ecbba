import pytest

from backchannel.config import database_url
from models.db import Database
from models.migrate import upgrade


@pytest.fixture
async def db(tmp_path, database_factory):
    """A migrated, empty database: SQLite, and PostgreSQL when present."""
    database = Database(database_url(database_factory() or "", str(tmp_path)))
    await upgrade(database)
    yield database
    await database.dispose()
