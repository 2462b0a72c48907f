"""Matching rules: who may be offered a request, in what order, and why."""

from datetime import datetime

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Claim
from app.services import matching
from tests import factories
from tests.volunteer_support import (
    fast_passwords,
    past_claims,
    request_in_a1,
    served_before,
    volunteer_near,
)

MONDAY_10_LOCAL = datetime(2026, 11, 30, 2, 0)  # naive UTC = Monday 10:00 in Asia/Shanghai

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def ids(candidates):
    return [(c.kind, c.user.id if c.user else c.team.id) for c in candidates]


def test_approved_volunteers_with_the_skill_are_candidates(world):
    fit = volunteer_near(world, 1)
    volunteer_near(world, 1, status="pending")
    volunteer_near(world, 1, status="suspended")
    volunteer_near(world, 1, skills=("haircut",))
    inactive = volunteer_near(world, 1)
    inactive.active = False
    request = request_in_a1(world, category="shopping")
    assert ids(matching.find_candidates(request)) == [("volunteer", fit.id)]


def test_social_worker_only_categories_never_go_to_volunteers_or_teams(world):
    leader = volunteer_near(world, 1, skills=("crisis_intervention", "emotional_support"))
    factories.make_team(
        world.station_a, leader, skills=["crisis_intervention", "emotional_support"]
    )
    for category in ("crisis_intervention", "emotional_support"):
        request = request_in_a1(world, category=category)
        assert matching.find_candidates(request) == []


def test_requests_about_children_go_only_to_vetted_volunteers(world):
    vetted = volunteer_near(world, 2, skills=("tutoring",), vetted_for_children=True)
    volunteer_near(world, 1, skills=("tutoring",))
    request = request_in_a1(world, category="tutoring", special_groups=["left_behind_child"])
    assert ids(matching.find_candidates(request)) == [("volunteer", vetted.id)]
    # A beneficiary who is a child counts the same as the special group.
    child = factories.make_beneficiary(world.station_a, birth_year=datetime.now().year - 9)
    request = request_in_a1(world, category="tutoring", beneficiary_id=child.id)
    assert ids(matching.find_candidates(request)) == [("volunteer", vetted.id)]


def test_teams_take_childrens_requests_only_when_the_leader_is_vetted(world):
    vetted_leader = volunteer_near(world, 5, skills=("tutoring",), vetted_for_children=True)
    plain_leader = volunteer_near(world, 5, skills=("tutoring",))
    vetted_team = factories.make_team(world.station_a, vetted_leader, skills=["tutoring"])
    plain_team = factories.make_team(world.station_a, plain_leader, skills=["tutoring"])
    request = request_in_a1(world, category="tutoring", special_groups=["child_in_difficulty"])
    found = ids(matching.find_candidates(request))
    assert ("team", vetted_team.id) in found and ("team", plain_team.id) not in found
    adults = request_in_a1(world, category="tutoring")
    assert ("team", plain_team.id) in ids(matching.find_candidates(adults))


def test_a_volunteers_own_radius_must_reach_the_place(world):
    near_enough = volunteer_near(world, 4, radius_km=5)
    too_far = volunteer_near(world, 8, radius_km=5)
    wide = volunteer_near(world, 8, radius_km=10)
    request = request_in_a1(world)
    found = ids(matching.find_candidates(request))
    assert ("volunteer", near_enough.id) in found and ("volunteer", wide.id) in found
    assert ("volunteer", too_far.id) not in found
    # A later offer round looks further: 5 km × 2.0 reaches 8 km.
    wider = ids(matching.find_candidates(request, radius_factor=2.0))
    assert ("volunteer", too_far.id) in wider


def test_availability_windows_in_local_time(world):
    monday_morning = volunteer_near(
        world, 1, availability=[{"day": 0, "start": "08:00", "end": "12:00"}]
    )
    tuesday_only = volunteer_near(
        world, 1, availability=[{"day": 1, "start": "08:00", "end": "20:00"}]
    )
    # 02:00 UTC on Monday is 10:00 in Shanghai: a Sunday-night or UTC reading would differ.
    sunday_late = volunteer_near(
        world, 1, availability=[{"day": 6, "start": "22:00", "end": "23:59"}]
    )
    timed = request_in_a1(world, wanted_at=MONDAY_10_LOCAL)
    found = ids(matching.find_candidates(timed))
    assert ("volunteer", monday_morning.id) in found
    assert ("volunteer", tuesday_only.id) not in found
    assert ("volunteer", sunday_late.id) not in found
    any_time = ids(matching.find_candidates(request_in_a1(world)))
    assert {("volunteer", monday_morning.id), ("volunteer", tuesday_only.id)} <= set(any_time)


def test_a_window_past_midnight_covers_the_next_morning(world):
    night = volunteer_near(world, 1, availability=[{"day": 6, "start": "22:00", "end": "11:00"}])
    request = request_in_a1(world, wanted_at=MONDAY_10_LOCAL)
    assert ids(matching.find_candidates(request)) == [("volunteer", night.id)]


def test_volunteers_at_their_open_task_limit_are_left_out(world):
    busy = volunteer_near(world, 1, open_task_limit=1)
    free = volunteer_near(world, 2, open_task_limit=1)
    other = request_in_a1(world, status="assigned")
    db.session.add(Claim(request_id=other.id, volunteer_id=busy.id, status="active"))
    db.session.flush()
    assert ids(matching.find_candidates(request_in_a1(world))) == [("volunteer", free.id)]
    # A task a team leader gave them counts too.
    leader = volunteer_near(world, 3)
    team = factories.make_team(world.station_a, leader, members=[free])
    given = request_in_a1(world, status="assigned")
    db.session.add(
        Claim(
            request_id=given.id,
            volunteer_id=leader.id,
            team_id=team.id,
            dispatched_to_id=free.id,
            status="active",
        )
    )
    db.session.flush()
    assert ("volunteer", free.id) not in ids(matching.find_candidates(request_in_a1(world)))


def test_matching_sees_what_the_caller_has_not_flushed_yet(world):
    """Matching reads on the session's connection; what the caller added in the same unit
    of work counts, as the session's autoflush would have made it."""
    busy = volunteer_near(world, 1, open_task_limit=1)
    request = request_in_a1(world)
    other = request_in_a1(world, status="assigned")
    assert ids(matching.find_candidates(request)) == [("volunteer", busy.id)]
    db.session.add(Claim(request_id=other.id, volunteer_id=busy.id, status="active"))
    assert ids(matching.find_candidates(request)) == []


def test_teams_within_their_radius_and_limit(world):
    leader = volunteer_near(world, 1, skills=("cleaning",))
    team = factories.make_team(world.station_a, leader, skills=["cleaning"], radius_km=10)
    far_team = factories.make_team(
        world.station_b, leader, skills=["cleaning"], radius_km=3, lat=34.91, lon=113.81
    )
    request = request_in_a1(world, category="cleaning")
    found = ids(matching.find_candidates(request))
    assert ("team", team.id) in found and ("team", far_team.id) not in found
    team.open_task_limit = 1
    db.session.add(Claim(request_id=request_in_a1(world, status="assigned").id, team_id=team.id))
    db.session.flush()
    assert ("team", team.id) not in ids(matching.find_candidates(request))


def test_nearest_first_when_all_else_is_equal(world):
    far = volunteer_near(world, 6)
    near = volunteer_near(world, 1)
    middle = volunteer_near(world, 3)
    found = matching.find_candidates(request_in_a1(world))
    assert ids(found) == [("volunteer", v.id) for v in (near, middle, far)]
    assert [c.distance_km for c in found] == sorted(c.distance_km for c in found)
    assert found[0].reasons[0] == "1.0 公里"


def test_continuity_and_reliability_outrank_a_little_distance(world):
    near = volunteer_near(world, 1)
    known = volunteer_near(world, 4)
    phone = "+8613912345678"
    served_before(known, world, contact_phone=phone)
    request = request_in_a1(world, contact_phone=phone)
    found = matching.find_candidates(request)
    assert ids(found) == [("volunteer", known.id), ("volunteer", near.id)]
    assert "服务过这位求助人" in found[0].reasons
    assert "服务过这位求助人" not in found[1].reasons

    # Released more than finished: an unreliable near volunteer drops below a steady one.
    flaky = volunteer_near(world, 1.5)
    steady = volunteer_near(world, 2.5)
    past_claims(flaky, done=1, released=4, world=world)
    past_claims(steady, done=19, released=1, world=world)
    found = matching.find_candidates(request_in_a1(world))
    order = ids(found)
    assert order.index(("volunteer", steady.id)) < order.index(("volunteer", flaky.id))
    reasons = {c.user.id: c.reasons for c in found}
    assert "完成率 95%" in reasons[steady.id]
    assert "完成率 20%" in reasons[flaky.id]
    assert "新志愿者，还没有完成过任务" in reasons[near.id]


def test_the_limit_and_the_score(world):
    for km in (1, 2, 3, 4):
        volunteer_near(world, km)
    found = matching.find_candidates(request_in_a1(world), limit=2)
    assert len(found) == 2
    assert found[0].score >= found[1].score > 0
    assert abs(sum(vars(matching.WEIGHTS).values()) - 1.0) < 1e-9


def test_a_request_without_a_point_uses_its_village(world):
    near = volunteer_near(world, 1)
    request = request_in_a1(world, lat=None, lon=None)
    assert ids(matching.find_candidates(request)) == [("volunteer", near.id)]


def test_a_suspended_leaders_team_is_no_candidate_and_cannot_claim(world):
    from app.services import ServiceError, claims

    leader = volunteer_near(world, 1, skills=("cleaning",))
    team = factories.make_team(world.station_a, leader, skills=["cleaning"], radius_km=10)
    request = request_in_a1(world, category="cleaning", status="offered")
    assert ("team", team.id) in ids(matching.find_candidates(request))
    leader.volunteer.status = "suspended"
    db.session.flush()
    assert ("team", team.id) not in ids(matching.find_candidates(request))
    assert matching.team_eligibility_problem(request, team) is not None
    with pytest.raises(ServiceError):
        claims.claim(request, team=team)
    assert request.status == "offered"
    leader.volunteer.status = "approved"
    leader.active = False
    db.session.flush()
    assert ("team", team.id) not in ids(matching.find_candidates(request))
    with pytest.raises(ServiceError):
        claims.claim(request, team=team)


def test_distances_and_boxes_come_from_geo_alone():
    from app.services import geo, volunteers

    for module in (matching, volunteers):
        assert not hasattr(module, "_haversine_km") and not hasattr(module, "bounding_box")
    quick = geo.approx_km(34.76, 113.60, 34.85, 113.72)
    assert abs(quick - geo.distance_km(34.76, 113.60, 34.85, 113.72)) < 0.005 * quick
    assert geo.approx_km(34.76, 113.60, 34.76, 113.60) == 0.0


def _statements_of(call) -> list[str]:
    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, seen


def test_matching_reads_in_few_statements_whatever_the_request_asks(world):
    """The near volunteers, those who served this person before and the teams come in one
    statement; then the claims and the winners' rows (and, for a request with a time,
    the windows of teams without their own): no statement per candidate."""
    volunteers = [volunteer_near(world, km) for km in (1, 2, 3, 4)]
    factories.make_team(world.station_a, volunteers[0], skills=["shopping"], radius_km=10)
    phone = "+8613912345670"
    served_before(volunteers[3], world, contact_phone=phone)
    past_claims(volunteers[1], done=2, released=1, world=world)
    db.session.flush()
    request = request_in_a1(world, contact_phone=phone)
    found, seen = _statements_of(lambda: matching.find_candidates(request))
    assert len(found) == 5 and found[0].served_before
    assert len(seen) <= 4, seen  # prospects, claims, users, teams
    timed = request_in_a1(world, contact_phone=phone, wanted_at=MONDAY_10_LOCAL)
    _found, seen = _statements_of(lambda: matching.find_candidates(timed))
    assert len(seen) <= 5, seen  # and the windows of the team without its own
