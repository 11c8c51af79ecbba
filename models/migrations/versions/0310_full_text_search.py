"""full-text search: accounts say whether they are indexable; the search index

The index tables are not in models.schema (an FTS5 virtual table on SQLite, tsvector + GIN on
PostgreSQL): models.search_index creates and fills them.

Revision ID: 0310
Revises: 0510
Create Date: 2026-11-29 02:50:00
"""
from alembic import op
import sqlalchemy as sa

from models import search_index

revision = '0310'
down_revision = '0510'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch would rebuild the table on SQLite, and dropping the old one
    # cascades to every row that refers to it.
    op.add_column('accounts', sa.Column('indexable', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The node's people who let themselves be discovered let their public posts be found too; each
    # can change it (update_credentials `indexable`).
    op.execute("UPDATE accounts SET indexable = discoverable WHERE domain IS NULL AND actor_type = 'Person'")
    bind = op.get_bind()
    for statement in search_index.create_statements(bind.dialect.name):
        op.execute(statement)
    search_index.rebuild_sync(bind)


def downgrade() -> None:
    for statement in search_index.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('indexable')
