"""help_request.possible_duplicate_of_id: a repeat from the same phone, for the station

Revision ID: a13g1dupflag
Revises: a13g4accounts
Create Date: 2026-11-30 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13g1dupflag'
down_revision = 'a13g4accounts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('help_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('possible_duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_help_request_possible_duplicate_of_id_help_request'),
            'help_request',
            ['possible_duplicate_of_id'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('help_request', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_help_request_possible_duplicate_of_id_help_request'),
            type_='foreignkey',
        )
        batch_op.drop_column('possible_duplicate_of_id')
