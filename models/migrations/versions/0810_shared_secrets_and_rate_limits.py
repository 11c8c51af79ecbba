"""secrets and rate-limit counters shared by every process

node_secrets holds the VAPID key and the session-signing key (moved from the data folder on first
start); rate_limits counts requests per key and window for every process at once.

Revision ID: 0810
Revises: 0610
"""
from alembic import op
import sqlalchemy as sa


revision = '0810'
down_revision = '0610'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('node_secrets',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_node_secrets'))
    )
    op.create_table('rate_limits',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('window', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window', name=op.f('pk_rate_limits'))
    )


def downgrade() -> None:
    op.drop_table('rate_limits')
    op.drop_table('node_secrets')
