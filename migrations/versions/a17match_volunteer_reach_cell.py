"""Matching by reach cell: volunteer_profile.reach_cell and skill_bits

Matching read every volunteer in a 30 km box around the place (tens of thousands of
index entries among 1,000,000 volunteers) and looked up each near one's skills in the
table. Each profile now carries its reach cell (models/reach.py: its radius class and a
grid cell of that class) and its skills as bits; one index on (status, reach_cell, point,
radius, skill bits) answers a request from a few dozen short ranges. The band index it
replaces goes, and so does the (status, lat, lon) one that only matching read; teams get
an index on their point (matching reads those in a box).
Existing rows are filled here, in batches.

Revision ID: a17match
Revises: a17sms
Create Date: 2026-11-30 17:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a17match'
down_revision = 'a17sms'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    # Plain statements, no batch: SQLite adds columns in place, and a table rebuilt in
    # batch mode loses an expression index it cannot reflect (on SQLite an earlier batch
    # rebuild of this table already lost the band index: IF EXISTS).
    op.execute('DROP INDEX IF EXISTS ix_volunteer_status_band_lon')
    # Read by nothing but matching, which it led astray on PostgreSQL (a bitmap scan of
    # the whole box instead of the cells).
    op.execute('DROP INDEX IF EXISTS ix_volunteer_status_lat_lon')
    op.add_column('volunteer_profile', sa.Column('reach_cell', sa.BigInteger(), nullable=True))
    op.add_column(
        'volunteer_profile',
        sa.Column('skill_bits', sa.Integer(), nullable=False, server_default='0'),
    )
    _backfill()
    op.create_index(
        'ix_volunteer_status_reach',
        'volunteer_profile',
        ['status', 'reach_cell', 'home_lat', 'home_lon', 'radius_km', 'skill_bits'],
        unique=False,
        postgresql_include=['user_id'],
    )
    op.create_index('ix_team_lat_lon', 'team', ['lat', 'lon'], unique=False)


def _backfill():
    """Each profile's cell and bits, as the model computes them (app/models/reach.py)."""
    import json

    from app.models.reach import reach_cell
    from app.models.vocab import skills_mask

    conn = op.get_bind()
    profile = sa.table(
        'volunteer_profile',
        sa.column('user_id', sa.Integer()),
        sa.column('home_lat', sa.Float()),
        sa.column('home_lon', sa.Float()),
        sa.column('radius_km', sa.Float()),
        sa.column('skills', sa.JSON()),
        sa.column('reach_cell', sa.BigInteger()),
        sa.column('skill_bits', sa.Integer()),
    )
    update = (
        profile.update()
        .where(profile.c.user_id == sa.bindparam('id'))
        .values(reach_cell=sa.bindparam('cell'), skill_bits=sa.bindparam('bits'))
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(
                profile.c.user_id,
                profile.c.home_lat,
                profile.c.home_lon,
                profile.c.radius_km,
                profile.c.skills,
            )
            .where(profile.c.user_id > after)
            .order_by(profile.c.user_id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for user_id, lat, lon, radius, skills in rows:
            if isinstance(skills, str):
                skills = json.loads(skills)
            values.append(
                {
                    'id': user_id,
                    'cell': reach_cell(lat, lon, 5.0 if radius is None else radius),
                    'bits': skills_mask(skills),
                }
            )
        conn.execute(update, values)
        after = rows[-1][0]


def downgrade():
    op.drop_index('ix_team_lat_lon', table_name='team')
    op.drop_index('ix_volunteer_status_reach', table_name='volunteer_profile')
    op.create_index(
        'ix_volunteer_status_lat_lon', 'volunteer_profile', ['status', 'home_lat', 'home_lon'], unique=False
    )
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.drop_column('skill_bits')
        batch_op.drop_column('reach_cell')
    op.create_index(
        'ix_volunteer_status_band_lon',
        'volunteer_profile',
        ['status', sa.literal_column('CAST(home_lat * 20 AS INTEGER)'), 'home_lon', 'home_lat', 'radius_km'],
        unique=False,
        postgresql_include=['user_id'],
    )
