"""Reach cells: a class of its own for a radius beyond 30 km; the index of the approved only

Matching now reads each reach class only in the cells its reach's disc touches, not the
whole box (app/models/reach.py). The 30 km class also held every larger radius, whose
reach is the whole box; those volunteers move to a new last class (searched in the whole
box), so the 30 km class can be read in its disc. Only their cells change: they are
recomputed here, as the model computes them.

Matching reads approved volunteers only: its index (status, reach cell, ...) becomes a
partial index of the approved by (reach cell, ...), a third smaller and with no status to
compare in each entry it reads.

Revision ID: a17knn
Revises: a18wish
Create Date: 2026-11-30 21:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a17knn'
down_revision = 'a18wish'
branch_labels = None
depends_on = None


def _profile():
    return sa.table(
        'volunteer_profile',
        sa.column('user_id', sa.Integer()),
        sa.column('home_lat', sa.Float()),
        sa.column('home_lon', sa.Float()),
        sa.column('radius_km', sa.Float()),
        sa.column('reach_cell', sa.BigInteger()),
    )


def _recompute(cell_of):
    conn = op.get_bind()
    profile = _profile()
    rows = conn.execute(
        sa.select(profile.c.user_id, profile.c.home_lat, profile.c.home_lon, profile.c.radius_km)
        .where(profile.c.radius_km > 30.0, profile.c.home_lat.is_not(None))
        .order_by(profile.c.user_id)
    ).all()
    if rows:
        conn.execute(
            profile.update()
            .where(profile.c.user_id == sa.bindparam('id'))
            .values(reach_cell=sa.bindparam('cell')),
            [{'id': r[0], 'cell': cell_of(r[1], r[2], r[3])} for r in rows],
        )


COLUMNS = ['reach_cell', 'home_lat', 'home_lon', 'radius_km', 'skill_bits']
APPROVED = "status = 'approved'"


def upgrade():
    from app.models.reach import reach_cell

    _recompute(reach_cell)
    op.drop_index('ix_volunteer_status_reach', table_name='volunteer_profile')
    op.create_index(
        'ix_volunteer_approved_reach',
        'volunteer_profile',
        COLUMNS,
        unique=False,
        postgresql_include=['user_id'],
        postgresql_where=sa.text(APPROVED),
        sqlite_where=sa.text(APPROVED),
    )


def downgrade():
    op.drop_index('ix_volunteer_approved_reach', table_name='volunteer_profile')
    op.create_index(
        'ix_volunteer_status_reach',
        'volunteer_profile',
        ['status', *COLUMNS],
        unique=False,
        postgresql_include=['user_id'],
    )
    # Back in the 30 km class (index 5, 10 km cells), as before this revision.
    import math

    side = 10.0 / 111.32

    def old_cell(lat, lon, _radius):
        return (5 * 10**5 + math.floor((lat + 90.0) / side)) * 10**5 + math.floor((lon + 180.0) / side)

    _recompute(old_cell)
