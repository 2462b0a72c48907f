"""SMS that stay deliverable: when a run of temporary failures began, and when a worker
gave up on a message

Revision ID: a13g3delivery
Revises: a13g1dupflag
Create Date: 2026-11-30 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13g3delivery'
down_revision = 'a13g1dupflag'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failing_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('given_up_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('given_up_at')
        batch_op.drop_column('failing_since')
