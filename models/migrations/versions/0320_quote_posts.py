"""quote posts

A status's quoted post, the quote's state and authorization, who may quote it and how many have;
the QuoteAuthorizations local authors issued (FEP-044f).

Revision ID: 0320
Revises: 0620
"""
from alembic import op
import sqlalchemy as sa


revision = '0320'
down_revision = '0620'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch rebuild of statuses would cascade deletes on SQLite.
    op.add_column('statuses', sa.Column('quote_of_id', sa.BigInteger(), nullable=True))
    op.add_column('statuses', sa.Column('quote_uri', sa.Text(), nullable=True))
    op.add_column('statuses', sa.Column('quote_state', sa.String(length=16), nullable=True))
    op.add_column('statuses', sa.Column('quote_authorization_uri', sa.Text(), nullable=True))
    op.add_column('statuses', sa.Column('quote_policy', sa.String(length=16), nullable=True))
    op.add_column('statuses', sa.Column('quotes_count', sa.Integer(), nullable=False, server_default='0'))
    op.create_index('ix_statuses_quote_of_id', 'statuses', ['quote_of_id'], unique=False)
    op.create_index('ix_statuses_quote_authorization_uri', 'statuses', ['quote_authorization_uri'], unique=False)
    op.create_table(
        'quote_authorizations',
        sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('status_id', sa.BigInteger(), nullable=False),
        sa.Column('account_id', sa.BigInteger(), nullable=False),
        sa.Column('quoting_uri', sa.Text(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('revoked_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_quote_authorizations_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['status_id'], ['statuses.id'],
                                name=op.f('fk_quote_authorizations_status_id_statuses'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_authorizations')),
    )
    op.create_index('ix_quote_authorizations_quoting_uri', 'quote_authorizations', ['quoting_uri'], unique=False)
    op.add_column('account_settings', sa.Column('default_quote_policy', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('account_settings', 'default_quote_policy')
    op.drop_index('ix_quote_authorizations_quoting_uri', table_name='quote_authorizations')
    op.drop_table('quote_authorizations')
    op.drop_index('ix_statuses_quote_authorization_uri', table_name='statuses')
    op.drop_index('ix_statuses_quote_of_id', table_name='statuses')
    for column in ('quotes_count', 'quote_policy', 'quote_authorization_uri', 'quote_state', 'quote_uri',
                   'quote_of_id'):
        op.drop_column('statuses', column)
