"""chat jobs name the person they are for (a remote attendee's reminder); a topic edited for one week keeps the series' text

Revision ID: 0520
Revises: 0720
"""
from alembic import op
import sqlalchemy as sa


revision = '0520'
down_revision = '0720'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('chat_jobs', sa.Column('account_id', sa.BigInteger(), nullable=True))
    op.add_column('chat_topics', sa.Column('series_text', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('chat_topics', 'series_text')
    op.drop_column('chat_jobs', 'account_id')
