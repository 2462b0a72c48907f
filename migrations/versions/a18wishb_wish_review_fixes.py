"""micro-wishes after the review: one unconfirmed claim per phone, overdue told once

Revision ID: a18wishb
Revises: a18actb
Create Date: 2026-11-30 21:30:00

- ``uq_wish_donor_phone_claimed``: a partial unique index, so two claims from one phone at
  the same moment cannot both be stored (the service checks first; this is the last word).
- ``wish.overdue_told_at``: when the station was told that a confirmed claim is past its
  date (the deadline job tells it once and never releases a confirmed claim).
"""

import sqlalchemy as sa
from alembic import op

revision = "a18wishb"
down_revision = "a18actb"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("wish", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdue_told_at", sa.DateTime(), nullable=True))
    op.create_index(
        "uq_wish_donor_phone_claimed",
        "wish",
        ["donor_phone"],
        unique=True,
        postgresql_where=sa.text("status = 'claimed'"),
        sqlite_where=sa.text("status = 'claimed'"),
    )


def downgrade():
    op.drop_index(
        "uq_wish_donor_phone_claimed",
        table_name="wish",
        postgresql_where=sa.text("status = 'claimed'"),
        sqlite_where=sa.text("status = 'claimed'"),
    )
    with op.batch_alter_table("wish", schema=None) as batch_op:
        batch_op.drop_column("overdue_told_at")
