"""link preview cards

One card per URL (its own fetch job) and the statuses that show it (social.cards).

Revision ID: 0910
Revises: 0410
"""
from alembic import op
import sqlalchemy as sa


revision = '0910'
down_revision = '0410'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('preview_cards',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('entity', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.Float(), nullable=False),
    sa.Column('locked_until', sa.Float(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preview_cards')),
    sa.UniqueConstraint('url', name=op.f('uq_preview_cards_url'))
    )
    with op.batch_alter_table('preview_cards', schema=None) as batch_op:
        batch_op.create_index('ix_preview_cards_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('status_cards',
    sa.Column('status_id', sa.BigInteger(), nullable=False),
    sa.Column('card_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['preview_cards.id'], name=op.f('fk_status_cards_card_id_preview_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_status_cards_status_id_statuses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('status_id', name=op.f('pk_status_cards'))
    )


def downgrade() -> None:
    op.drop_table('status_cards')
    with op.batch_alter_table('preview_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_preview_cards_state_next')

    op.drop_table('preview_cards')
