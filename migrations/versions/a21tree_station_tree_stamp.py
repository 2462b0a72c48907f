"""The station tree's stamp: the tree is read once per process and change, not per request

Every signed-in request read the whole station tree as one text (built by the database
from every station and sent with the user's row), whose cost grew with the number of
stations: at a province's 3,150 about half a millisecond of server time and 28 KB a
request. ``station_tree_stamp`` holds one value, drawn anew by triggers on ``station``
whenever a station is added or removed or its parent changes; the user's row carries the
stamp instead, and a process reads the tree again only when the stamp is new
(app/services/access.py).

Revision ID: a21tree
Revises: a20win
Create Date: 2026-12-01 08:30:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "a21tree"
down_revision = "a20win"
branch_labels = None
depends_on = None


def upgrade():
    from app.models.geography import STAMP_TRIGGERS

    op.create_table(
        "station_tree_stamp",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_tree_stamp")),
    )
    bind = op.get_bind()
    for statement in STAMP_TRIGGERS.get(bind.dialect.name, []):
        op.execute(statement)
    bind.execute(
        sa.text("INSERT INTO station_tree_stamp (id, stamp) VALUES (1, :stamp)"),
        {"stamp": secrets.randbits(53)},
    )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS station_tree_restamp ON station")
        op.execute("DROP TRIGGER IF EXISTS station_tree_restamp_truncate ON station")
        op.execute("DROP FUNCTION IF EXISTS station_tree_restamp()")
    elif bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS station_tree_restamp_{name}")
    op.drop_table("station_tree_stamp")
