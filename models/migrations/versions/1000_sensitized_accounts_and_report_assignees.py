"""sensitized accounts and report assignees

`accounts.sensitized_at`: a moderator marked the account's posts sensitive (Mastodon's "force
sensitive"); `reports.assigned_account_id`: the moderator handling a report.

Revision ID: 1000
Revises: 0321
"""
from alembic import op
import sqlalchemy as sa


revision = '1000'
down_revision = '0321'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('accounts', sa.Column('sensitized_at', sa.Float(), nullable=True))
    op.add_column('reports', sa.Column('assigned_account_id', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('reports', 'assigned_account_id')
    op.drop_column('accounts', 'sensitized_at')
