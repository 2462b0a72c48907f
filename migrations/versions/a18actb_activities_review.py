"""Community activities after the outside review (issue 18, part 1)

- activity.ended_at: when it ended as counted, so an activity is held in the month its
  records count in (backfilled from its records, else its close);
- activity.code is unique among the scheduled activities only (a partial unique index on
  both databases), so codes are given back;
- activity_signup.failed_checkins (a sign-up's own check-in locks after a few wrong
  codes) and activity_signup.reminded_at (a reminder per sign-up).

Revision ID: a18actb
Revises: a17knn
Create Date: 2026-11-30 21:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a18actb'
down_revision = 'a17knn'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_activity_code'), type_='unique')
    op.create_index(
        'uq_activity_code_scheduled',
        'activity',
        ['code'],
        unique=True,
        postgresql_where=sa.text("status = 'scheduled'"),
        sqlite_where=sa.text("status = 'scheduled'"),
    )
    with op.batch_alter_table('activity_signup', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failed_checkins', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE activity SET ended_at = (SELECT MAX(service_record.ended_at) FROM service_record"
        " WHERE service_record.activity_id = activity.id) WHERE status = 'closed'"
    )
    op.execute(
        "UPDATE activity SET ended_at = closed_at WHERE status = 'closed' AND ended_at IS NULL"
    )
    op.execute(
        "UPDATE activity_signup SET reminded_at = (SELECT activity.reminded_at FROM activity"
        " WHERE activity.id = activity_signup.activity_id) WHERE status = 'signed_up'"
    )


def downgrade():
    with op.batch_alter_table('activity_signup', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('failed_checkins')
    op.drop_index('uq_activity_code_scheduled', table_name='activity')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_activity_code'), ['code'])
        batch_op.drop_column('ended_at')
