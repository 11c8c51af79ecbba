"""remote media cache

Copies of remote files served from this node (social.media_cache).

Revision ID: 0912
Revises: 0310
"""
from alembic import op
import sqlalchemy as sa


revision = '0912'
down_revision = '0310'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media_cache',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('cached_at', sa.Float(), nullable=False),
    sa.Column('used_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_cache')),
    sa.UniqueConstraint('url', name=op.f('uq_media_cache_url'))
    )
    with op.batch_alter_table('media_cache', schema=None) as batch_op:
        batch_op.create_index('ix_media_cache_used_at', ['used_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('media_cache', schema=None) as batch_op:
        batch_op.drop_index('ix_media_cache_used_at')

    op.drop_table('media_cache')
