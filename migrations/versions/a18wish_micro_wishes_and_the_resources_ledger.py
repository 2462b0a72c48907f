"""micro-wishes and the resources ledger (issue 18): wish, wish_photo, resource_entry

Revision ID: a18wish
Revises: a19keys
Create Date: 2026-11-30 20:22:55.030613

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a18wish'
down_revision = 'a19keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wish',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('what', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('estimated_value', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('donor_name', sa.String(length=64), nullable=True),
    sa.Column('donor_phone', sa.String(length=20), nullable=True),
    sa.Column('donor_kind', sa.String(length=12), nullable=True),
    sa.Column('claim_channel', sa.String(length=8), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('claim_due', sa.Date(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('actual_value', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('thanks', sa.Text(), nullable=False),
    sa.Column('times_released', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiary.id'], name=op.f('fk_wish_beneficiary_id_beneficiary')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_wish_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_wish_station_id_station')),
    sa.ForeignKeyConstraint(['township_id'], ['region.id'], name=op.f('fk_wish_township_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish')),
    sa.UniqueConstraint('code', name=op.f('uq_wish_code'))
    )
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wish_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index('ix_wish_donor_phone_status', ['donor_phone', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_wish_station_id'), ['station_id'], unique=False)
        batch_op.create_index('ix_wish_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('resource_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('donor_name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('wish_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_resource_entry_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_resource_entry_station_id_station')),
    sa.ForeignKeyConstraint(['wish_id'], ['wish.id'], name=op.f('fk_resource_entry_wish_id_wish')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_entry')),
    sa.UniqueConstraint('wish_id', name=op.f('uq_resource_entry_wish_id'))
    )
    with op.batch_alter_table('resource_entry', schema=None) as batch_op:
        batch_op.create_index('ix_resource_entry_station_received', ['station_id', 'received_on'], unique=False)

    op.create_table('wish_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wish_id', sa.Integer(), nullable=False),
    sa.Column('mimetype', sa.String(length=32), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['wish_id'], ['wish.id'], name=op.f('fk_wish_photo_wish_id_wish')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish_photo')),
    sa.UniqueConstraint('wish_id', name=op.f('uq_wish_photo_wish_id'))
    )


def downgrade():
    op.drop_table('wish_photo')
    with op.batch_alter_table('resource_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_resource_entry_station_received')

    op.drop_table('resource_entry')
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.drop_index('ix_wish_status_deadline')
        batch_op.drop_index(batch_op.f('ix_wish_station_id'))
        batch_op.drop_index('ix_wish_donor_phone_status')
        batch_op.drop_index(batch_op.f('ix_wish_beneficiary_id'))

    op.drop_table('wish')
