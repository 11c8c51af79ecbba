"""whole threads and shared lists

The queue of thread fetches (missing ancestors, replies collections to walk) and lists.public.

Revision ID: 0410
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0410'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('thread_fetches',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('uri', sa.Text(), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.Float(), nullable=False),
    sa.Column('locked_until', sa.Float(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_fetches')),
    sa.UniqueConstraint('kind', 'uri', name=op.f('uq_thread_fetches_kind_uri'))
    )
    with op.batch_alter_table('thread_fetches', schema=None) as batch_op:
        batch_op.create_index('ix_thread_fetches_state_next', ['state', 'next_attempt_at'], unique=False)
    # A plain ADD COLUMN: a batch would rebuild the table on SQLite, and dropping the old one
    # cascades to every row that refers to it.
    op.add_column('lists', sa.Column('public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('lists', schema=None) as batch_op:
        batch_op.drop_column('public')
    with op.batch_alter_table('thread_fetches', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_fetches_state_next')
    op.drop_table('thread_fetches')
