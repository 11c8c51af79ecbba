"""SCIM groups

The directory's groups and their members (SCIM Groups were the node's roles, read only).

Revision ID: 0720
Revises: 0711
Create Date: 2026-11-29 06:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0720'
down_revision = '0711'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scim_groups',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_groups')),
    sa.UniqueConstraint('name_key', name=op.f('uq_scim_groups_name_key'))
    )
    op.create_table('scim_group_members',
    sa.Column('group_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['scim_groups.id'], name=op.f('fk_scim_group_members_group_id_scim_groups'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scim_group_members_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_scim_group_members'))
    )
    op.create_index('ix_scim_group_members_user_id', 'scim_group_members', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_scim_group_members_user_id', table_name='scim_group_members')
    op.drop_table('scim_group_members')
    op.drop_table('scim_groups')
