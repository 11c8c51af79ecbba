"""deliveries counted by day, domain and outcome

Revision ID: 0711
Revises: 0710
"""
from alembic import op
import sqlalchemy as sa


revision = '0711'
down_revision = '0710'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'delivery_days',
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('domain', sa.String(length=255), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'domain', 'outcome', name=op.f('pk_delivery_days')),
    )


def downgrade() -> None:
    op.drop_table('delivery_days')
