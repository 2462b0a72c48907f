"""Matching reads no table rows: the weekly windows packed, carried by the reach index

Matching among 1,000,000 volunteers read the hundred nearest volunteers' rows from
``volunteer_profile`` (315 MB) at random pages, for their skills, windows, open-task limit
and vetting; with PostgreSQL's buffers smaller than the table most of those reads missed.
``volunteer_profile.window_code`` holds the weekly windows as matching tests them, 4 bytes a
span (app/models/windows.py; the model keeps it from ``availability``), and the reach
index carries it with the other columns the rules read (INCLUDE, PostgreSQL only), so a
match reads index pages alone. Existing profiles get their code here, as the model
computes it.

Revision ID: a20win
Revises: a18wishb
Create Date: 2026-12-01 05:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a20win"
down_revision = "a18wishb"
branch_labels = None
depends_on = None

INDEX = "ix_volunteer_approved_reach"
COLUMNS = ["reach_cell", "home_lat", "home_lon", "radius_km", "skill_bits"]
APPROVED = "status = 'approved'"
BATCH = 5000


def _index(include):
    op.create_index(
        INDEX,
        "volunteer_profile",
        COLUMNS,
        unique=False,
        postgresql_include=include,
        postgresql_where=sa.text(APPROVED),
        sqlite_where=sa.text(APPROVED),
    )


def upgrade():
    from app.models.windows import pack

    with op.batch_alter_table("volunteer_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("window_code", sa.LargeBinary(), nullable=True))
    profile = sa.table(
        "volunteer_profile",
        sa.column("user_id", sa.Integer()),
        sa.column("availability", sa.JSON()),
        sa.column("window_code", sa.LargeBinary()),
    )
    conn = op.get_bind()
    after = None
    while True:  # in batches: a province has millions of profiles
        query = sa.select(profile.c.user_id, profile.c.availability).order_by(profile.c.user_id)
        if after is not None:
            query = query.where(profile.c.user_id > after)
        rows = conn.execute(query.limit(BATCH)).all()
        if not rows:
            break
        conn.execute(
            profile.update()
            .where(profile.c.user_id == sa.bindparam("id"))
            .values(window_code=sa.bindparam("code")),
            [{"id": user_id, "code": pack(windows)} for user_id, windows in rows],
        )
        after = rows[-1][0]
    op.drop_index(INDEX, table_name="volunteer_profile")
    _index(["user_id", "skills", "window_code", "open_task_limit", "vetted_for_children"])


def downgrade():
    op.drop_index(INDEX, table_name="volunteer_profile")
    _index(["user_id"])
    with op.batch_alter_table("volunteer_profile", schema=None) as batch_op:
        batch_op.drop_column("window_code")
