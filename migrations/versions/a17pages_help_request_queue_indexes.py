"""The triage queue read off indexes: help_request (station, status, urgency rank, created, id)

The queue sorts a station's requests of one status by urgency (crisis, urgent, normal),
then age. Without an index in that order each page sorted every request of the status (at
100,000 requests in the county, 600 'new' ones of a township; at 1,000,000, ten times as
many); with it a page reads its 50 rows off the index, and the escalated tab reads the few
escalated requests off a partial index.

Nearby tasks look for the offered requests nearest a volunteer ring by ring; a partial
index of the offered requests alone by (lat, lon), with the category and id the search
filters and returns, answers each ring from the index (at 1,000,000 requests one box of a
volunteer's whole reach read 14,680 table pages for 23,000 offered requests).

Revision ID: a17pages
Revises: a17match
Create Date: 2026-11-30 17:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a17pages'
down_revision = 'a17match'
branch_labels = None
depends_on = None

RANK = "(\nCASE urgency\n    WHEN 'crisis' THEN 0\n    WHEN 'urgent' THEN 1\n    ELSE 2\nEND)"


def upgrade():
    op.create_index(
        'ix_help_request_offered_near',
        'help_request',
        ['lat', 'lon', 'category', 'id'],
        unique=False,
        postgresql_where=sa.text("status = 'offered'"),
        sqlite_where=sa.text("status = 'offered'"),
    )
    op.create_index(
        'ix_help_request_queue',
        'help_request',
        ['station_id', 'status', sa.text(RANK), 'created_at', 'id'],
        unique=False,
    )
    op.create_index(
        'ix_help_request_escalated',
        'help_request',
        ['station_id', sa.text(RANK), 'created_at', 'id'],
        unique=False,
        postgresql_where=sa.text('escalated IS true'),
        sqlite_where=sa.text('escalated = 1'),
    )


def downgrade():
    op.drop_index('ix_help_request_offered_near', table_name='help_request')
    op.drop_index('ix_help_request_escalated', table_name='help_request')
    op.drop_index('ix_help_request_queue', table_name='help_request')
