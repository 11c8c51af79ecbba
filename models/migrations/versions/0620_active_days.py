"""the local people who used the node each day

The admin dashboard's active people: a day and an account, written when a person's token is used
(at most once an hour per token) or they sign in.

Revision ID: 0620
Revises: 0520
"""
from alembic import op
import sqlalchemy as sa


revision = '0620'
down_revision = '0520'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'active_days',
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_active_days_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'account_id', name=op.f('pk_active_days')),
    )


def downgrade() -> None:
    op.drop_table('active_days')
