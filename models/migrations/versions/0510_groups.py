"""groups: communities of practice (FEP-1b12 Group actors), their moderators and relayed posts

Revision ID: 0510
Revises: 0911
Create Date: 2026-11-29 02:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0510'
down_revision = '0911'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'groups',
        sa.Column('account_id', sa.BigInteger(), nullable=False),
        sa.Column('join_policy', sa.String(length=16), nullable=False),
        sa.Column('rules', sa.Text(), nullable=False),
        sa.Column('created_by_account_id', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_groups_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_account_id'], ['accounts.id'],
                                name=op.f('fk_groups_created_by_account_id_accounts'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_groups')))
    op.create_table(
        'group_moderators',
        sa.Column('group_id', sa.BigInteger(), nullable=False),
        sa.Column('account_id', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_group_moderators_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['accounts.id'],
                                name=op.f('fk_group_moderators_group_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'account_id', name=op.f('pk_group_moderators')))
    op.create_index('ix_group_moderators_account_id', 'group_moderators', ['account_id'], unique=False)
    op.create_table(
        'group_posts',
        sa.Column('group_id', sa.BigInteger(), nullable=False),
        sa.Column('status_id', sa.BigInteger(), nullable=False),
        sa.Column('boost_id', sa.BigInteger(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['accounts.id'], name=op.f('fk_group_posts_group_id_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], name=op.f('fk_group_posts_status_id_statuses'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'status_id', name=op.f('pk_group_posts')))
    op.create_index('ix_group_posts_group_id_state_status_id', 'group_posts', ['group_id', 'state', 'status_id'],
                    unique=False)
    op.create_index('ix_group_posts_status_id', 'group_posts', ['status_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_group_posts_status_id', table_name='group_posts')
    op.drop_index('ix_group_posts_group_id_state_status_id', table_name='group_posts')
    op.drop_table('group_posts')
    op.drop_index('ix_group_moderators_account_id', table_name='group_moderators')
    op.drop_table('group_moderators')
    op.drop_table('groups')
