"""volunteer profile: the team chosen at sign-up, joined on approval

Revision ID: a13g6minimise
Revises: 7853be006b63
Create Date: 2026-11-30 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13g6minimise'
down_revision = '7853be006b63'
branch_labels = None
depends_on = None

NOT_A_LEADER = (
    " AND user_id NOT IN (SELECT leader_id FROM team WHERE leader_id IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wanted_team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_volunteer_profile_wanted_team_id_team'), 'team', ['wanted_team_id'], ['id'], ondelete='SET NULL')

    # Volunteers who joined a team at sign-up while still waiting for approval: the team
    # becomes their wish, joined when the station approves them.
    op.execute(
        "UPDATE volunteer_profile SET wanted_team_id = ("
        " SELECT MIN(team_member.team_id) FROM team_member"
        " WHERE team_member.user_id = volunteer_profile.user_id)"
        " WHERE status = 'pending'" + NOT_A_LEADER
    )
    op.execute(
        "DELETE FROM team_member WHERE user_id IN ("
        " SELECT user_id FROM volunteer_profile WHERE status = 'pending'" + NOT_A_LEADER + ")"
    )


def downgrade():
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_volunteer_profile_wanted_team_id_team'), type_='foreignkey')
        batch_op.drop_column('wanted_team_id')
