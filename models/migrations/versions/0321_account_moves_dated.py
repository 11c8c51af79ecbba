"""account moves dated

When an account last moved, so a local account moves at most once in 30 days (as Mastodon).

Revision ID: 0321
Revises: 0320
"""
from alembic import op
import sqlalchemy as sa


revision = '0321'
down_revision = '0320'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('accounts', sa.Column('moved_at', sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column('accounts', 'moved_at')
