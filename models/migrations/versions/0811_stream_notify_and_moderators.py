"""stream events announced by NOTIFY; the moderator role

On PostgreSQL, a statement trigger on stream_events sends NOTIFY backchannel_stream, delivered when
the writing transaction commits, so streaming processes wake at once instead of polling
(api.streaming, models.notify). users.moderator: Mastodon's Moderator role (reports and account
actions, not the node's settings).

Revision ID: 0811
Revises: 0810
"""
from alembic import op
import sqlalchemy as sa


revision = '0811'
down_revision = '0810'
branch_labels = None
depends_on = None

# One NOTIFY per inserting statement (a post entering 500 home timelines is one statement); its
# payload is empty: listeners read the new rows from the table, which stays the record of events.
NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION backchannel_stream_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('backchannel_stream', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
NOTIFY_TRIGGER = """
CREATE TRIGGER stream_events_notify AFTER INSERT ON stream_events
FOR EACH STATEMENT EXECUTE FUNCTION backchannel_stream_notify()
"""


def upgrade() -> None:
    # A plain ADD COLUMN: a batch would rebuild the table on SQLite, and dropping the old one
    # cascades to every row that refers to it.
    op.add_column('users', sa.Column('moderator', sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS stream_events_notify ON stream_events')
        op.execute('DROP FUNCTION IF EXISTS backchannel_stream_notify()')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('moderator')
