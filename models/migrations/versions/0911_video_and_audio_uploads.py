"""video and audio uploads

A media attachment's duration and frame rate (social.media_av).

Revision ID: 0911
Revises: 0811
"""
from alembic import op
import sqlalchemy as sa


revision = '0911'
down_revision = '0811'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('frame_rate', sa.String(length=16), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('media_attachments', schema=None) as batch_op:
        batch_op.drop_column('frame_rate')
        batch_op.drop_column('duration')

