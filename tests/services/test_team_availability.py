"""Issue 13, item 18: teams have weekly availability windows like volunteers.

A team with windows is matched only within them; a team without windows is available
when one of its approved, active members is (the union of their windows)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Team
from app.services import ServiceError, availability, matching
from tests import factories
from tests.volunteer_support import fast_passwords, request_in_a1, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

MONDAY_10_LOCAL = datetime(2026, 11, 30, 2, 0)  # naive UTC = Monday 10:00 in Asia/Shanghai
MONDAY_15_LOCAL = datetime(2026, 11, 30, 7, 0)
WEDNESDAY_10_LOCAL = datetime(2026, 12, 2, 2, 0)
MONDAY_MORNING = [{"day": 0, "start": "08:00", "end": "12:00"}]


def team_ids(request):
    return {c.team.id for c in matching.find_candidates(request, limit=50) if c.kind == "team"}


def cleaning_team(world, *, availability=None, members=(), leader_windows=MONDAY_MORNING):
    # The leader lives far away with another skill, so only the team is a candidate.
    leader = factories.make_volunteer(
        world.station_a, lat=30.0, lon=110.0, skills=("haircut",), availability=leader_windows
    )
    team = factories.make_team(
        world.station_a, leader, members=members, skills=["cleaning"], radius_km=10
    )
    if availability is not None:
        team.availability = availability
    db.session.flush()
    return team


def test_a_team_is_offered_work_only_within_its_windows(world):
    # Its leader is free at any time: the team's own windows decide.
    team = cleaning_team(
        world,
        availability=MONDAY_MORNING,
        leader_windows=[{"day": d, "start": "00:00", "end": "23:59"} for d in range(7)],
    )
    assert team.id in team_ids(request_in_a1(world, category="cleaning", wanted_at=MONDAY_10_LOCAL))
    assert team.id not in team_ids(
        request_in_a1(world, category="cleaning", wanted_at=MONDAY_15_LOCAL)
    )
    assert team.id not in team_ids(
        request_in_a1(world, category="cleaning", wanted_at=WEDNESDAY_10_LOCAL)
    )
    # A request without a wanted time fits every team, as it fits every volunteer.
    assert team.id in team_ids(request_in_a1(world, category="cleaning"))


def test_a_team_without_windows_is_free_when_one_of_its_members_is(world):
    wednesday = [{"day": 2, "start": "09:00", "end": "11:00"}]
    member = factories.make_volunteer(world.station_a, lat=30.0, lon=110.0, availability=wednesday)
    pending = factories.make_volunteer(
        world.station_a,
        lat=30.0,
        lon=110.0,
        status="pending",
        availability=[{"day": 0, "start": "14:00", "end": "16:00"}],
    )
    team = cleaning_team(world, members=(member, pending))  # leader: Monday mornings
    assert team.availability == []
    monday_10 = request_in_a1(world, category="cleaning", wanted_at=MONDAY_10_LOCAL)
    wednesday_10 = request_in_a1(world, category="cleaning", wanted_at=WEDNESDAY_10_LOCAL)
    monday_15 = request_in_a1(world, category="cleaning", wanted_at=MONDAY_15_LOCAL)
    assert team.id in team_ids(monday_10)  # the leader
    assert team.id in team_ids(wednesday_10)  # the member
    assert team.id not in team_ids(monday_15)  # only the member not yet approved
    member.active = False
    db.session.flush()
    assert team.id not in team_ids(wednesday_10)


def test_teams_cost_no_query_each(world):
    """Matching reads the members' windows of all teams in one query, not one per team."""

    def count_queries(request):
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = team_ids(request)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements), found

    first = cleaning_team(world)
    one = count_queries(request_in_a1(world, category="cleaning", wanted_at=MONDAY_10_LOCAL))
    more = [cleaning_team(world) for _ in range(5)]
    six = count_queries(request_in_a1(world, category="cleaning", wanted_at=MONDAY_10_LOCAL))
    assert one[1] == {first.id} and six[1] == {first.id, *(t.id for t in more)}
    assert six[0] == one[0]


# --- setting a team's windows ------------------------------------------------------------


def test_windows_from_day_parts_and_an_extra_time(world):
    leader = volunteer_near(world, 1)
    team = factories.make_team(world.station_a, leader)
    admin = factories.make_user(roles=("station_admin",), station=world.station_a)
    availability.set_team_availability(
        team,
        admin,
        slots=["0-morning", "5-afternoon", "2-19:00-21:30"],
        day="6",
        start="9:00",
        end="11：30",  # a full-width colon, as a Chinese keyboard types it
    )
    db.session.commit()
    assert db.session.get(Team, team.id).availability == [
        {"day": 0, "start": "08:00", "end": "12:00"},
        {"day": 2, "start": "19:00", "end": "21:30"},
        {"day": 5, "start": "12:00", "end": "18:00"},
        {"day": 6, "start": "09:00", "end": "11:30"},
    ]
    # A night window past midnight is allowed, as for volunteers.
    availability.set_team_availability(team, admin, slots=[], day="4", start="22:00", end="02:00")
    assert team.availability == [{"day": 4, "start": "22:00", "end": "02:00"}]
    availability.set_team_availability(team, admin, slots=[])
    assert team.availability == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"slots": ["7-morning"]}, "slots"),
        ({"slots": ["0-lunch"]}, "slots"),
        ({"slots": ["0-25:00-26:00"]}, "slots"),
        ({"day": "8", "start": "09:00", "end": "10:00"}, "day"),
        ({"day": "1", "start": "25:00", "end": "26:00"}, "start"),
        ({"day": "1", "start": "09:00", "end": "9点"}, "end"),
        ({"day": "1", "start": "09:00", "end": "09:00"}, "end"),
        ({"day": "1", "start": "09:00", "end": ""}, "end"),
        ({"day": "", "start": "09:00", "end": "10:00"}, "day"),
    ],
)
def test_bad_times_are_refused_and_change_nothing(world, values, field):
    leader = volunteer_near(world, 1)
    team = factories.make_team(world.station_a, leader, availability=MONDAY_MORNING)
    admin = factories.make_user(roles=("station_admin",), station=world.station_a)
    values = {"slots": [], **values}
    with pytest.raises(ServiceError) as refused:
        availability.set_team_availability(team, admin, **values)
    assert refused.value.field == field and refused.value.message
    assert team.availability == MONDAY_MORNING
