"""The month's ratings and reopenings found by an index: request_event (action, at)

The satisfaction figures (stats._satisfaction) read the timeline events 'rated' and
'reopen' of a period. Without an index that is a scan of the whole timeline, which grows by
several events per request: at the county bench's scale (benchmarks/county.py) the month's
events took 53 ms by a scan of 362,000 events and 4.8 ms by this index.

Revision ID: a15bench
Revises: a15count
Create Date: 2026-11-30 12:28:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a15bench'
down_revision = 'a15count'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index('ix_request_event_action_at', ['action', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index('ix_request_event_action_at')
