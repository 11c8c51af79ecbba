"""two-factor sign-in

Revision ID: 0710
Revises: 0912
"""
from alembic import op
import sqlalchemy as sa


revision = '0710'
down_revision = '0912'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('otp_secret', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('otp_recovery', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('otp_last_step', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('otp_last_step')
        batch_op.drop_column('otp_recovery')
        batch_op.drop_column('otp_secret')
