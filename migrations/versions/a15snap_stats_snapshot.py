"""Dashboard figures kept by the worker: stats_snapshot

A county's dashboard reads a year of service records, a month of requests and the whole
ledger: seconds at a county's scale (benchmarks/county.py). Each scope and period viewed
is computed once and kept here; views read it while it is younger than
STATS_MAX_AGE_SECONDS, and `flask worker` computes again the ones viewed lately.

Revision ID: a15snap
Revises: a15bench
Create Date: 2026-11-30 15:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a15snap'
down_revision = 'a15bench'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stats_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('scope_key', sa.String(length=80), nullable=False),
        sa.Column('station_ids', sa.JSON(), nullable=False),
        sa.Column('county', sa.Boolean(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('computed_ms', sa.Integer(), nullable=False),
        sa.Column('viewed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_snapshot')),
        sa.UniqueConstraint('key', name=op.f('uq_stats_snapshot_key')),
    )
    with op.batch_alter_table('stats_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stats_snapshot_computed_at'), ['computed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stats_snapshot_scope_key'), ['scope_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_stats_snapshot_viewed_at'), ['viewed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stats_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stats_snapshot_viewed_at'))
        batch_op.drop_index(batch_op.f('ix_stats_snapshot_scope_key'))
        batch_op.drop_index(batch_op.f('ix_stats_snapshot_computed_at'))
    op.drop_table('stats_snapshot')
