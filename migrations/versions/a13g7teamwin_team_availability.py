"""teams get weekly availability windows

Revision ID: a13g7teamwin
Revises: a13g6minimise
Create Date: 2026-11-30 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13g7teamwin'
down_revision = 'a13g6minimise'
branch_labels = None
depends_on = None


def upgrade():
    # Existing teams get no windows: matching then follows their members' windows.
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('availability', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade():
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('availability')
