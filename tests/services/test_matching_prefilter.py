"""Matching, the pre-filter alone: where candidates may be, read in SQL.

It may hand the rules more than they keep (someone busy, not vetted for a child, not free
at the wanted time), never less: every candidate is in it, and nobody far away is.
"""

from __future__ import annotations

import random
from datetime import datetime

import psycopg
import pytest
from geopy.distance import geodesic

from app.extensions import db
from app.models import HelpRequest, Region, Station
from app.models.windows import pack
from app.services import geo, matching
from app.services.matching import facts, prefilter, rules, statements
from tests import factories
from tests.volunteer_support import fast_passwords, request_in_a1, served_before, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

MONDAY_10_LOCAL = datetime(2026, 11, 30, 2, 0)  # naive UTC = Monday 10:00 in Asia/Shanghai
MONDAY_MORNING = [{"day": 0, "start": "08:00", "end": "12:00"}]
TUESDAY = [{"day": 1, "start": "08:00", "end": "20:00"}]


def place_of(world) -> tuple[float, float]:
    return world.village_a1.lat, world.village_a1.lon


def teams_near(place, factor: float) -> list[rules.Prospect]:
    """The teams ``prospects_near`` reads (for a category no volunteer here has)."""
    prospects, _users, _teams = prefilter.prospects_near("cleaning", *place, factor)
    return [p for p in prospects if p.kind == "team"]


def seed_volunteers(world, count: int = 90) -> list[tuple[object, float]]:
    """Volunteers in every direction up to 40 km away, with every radius, status, skill
    set, vetting and week; none within 0.7 km of the edge of their reach (the pre-filter's
    quick distance may differ from the exact one by that much)."""
    rng = random.Random(14)
    place = place_of(world)
    seeded = []
    while len(seeded) < count:
        radius = rng.choice((1.0, 3.0, 5.0, 10.0, 20.0, 30.0))
        km = rng.uniform(0.1, 40.0)
        if abs(km - radius) < 0.7:
            continue
        point = geodesic(kilometers=km).destination(place, rng.uniform(0, 360))
        user = factories.make_volunteer(
            world.station_a,
            lat=point.latitude,
            lon=point.longitude,
            radius_km=radius,
            skills=rng.choice((["shopping"], ["shopping", "cleaning"], ["cleaning"])),
            status=rng.choices(("approved", "pending", "suspended"), (8, 1, 1))[0],
            vetted_for_children=rng.random() < 0.4,
            availability=rng.choice((MONDAY_MORNING, TUESDAY)),
            open_task_limit=rng.choice((0, 2)),
        )
        seeded.append((user, geodesic(place, (point.latitude, point.longitude)).km))
    return seeded


def test_the_prefilter_holds_every_candidate_and_nobody_out_of_reach(world):
    seeded = seed_volunteers(world)
    request = request_in_a1(world, wanted_at=MONDAY_10_LOCAL, special_groups=["left_behind_child"])
    found = prefilter.volunteers_near("shopping", *place_of(world), 1.0)
    found_ids = {p.id for p in found}

    approved_with_skill = {
        user.id: km
        for user, km in seeded
        if user.volunteer.status == "approved" and "shopping" in user.volunteer.skills
    }
    radius = {user.id: user.volunteer.radius_km for user, _km in seeded}
    within_reach = {i for i, km in approved_with_skill.items() if km <= radius[i]}
    out_of_reach = set(approved_with_skill) - within_reach
    assert found_ids == within_reach
    assert {p.kind for p in found} == {"volunteer"}
    # Out of reach, without the skill, or not approved: never read.
    assert len(out_of_reach) == 39 and not out_of_reach & found_ids
    assert not ({u.id for u, _km in seeded} - set(approved_with_skill)) & found_ids

    # Every candidate the rules keep is in it; the rules refuse the others, each for a reason.
    candidates = {c.user.id for c in matching.find_candidates(request, limit=100)}
    assert (len(candidates), len(found_ids)) == (2, 12)
    assert candidates < found_ids
    need = rules.Need("shopping", minor=True, local_time=rules.local_time(request.wanted_at))
    reasons = set()
    for prospect in found:
        prospect.approx_km = geo.approx_km(*place_of(world), prospect.lat, prospect.lon)
        why_not = rules.refusal(prospect, need) or rules.limit_refusal(prospect)
        assert (why_not is None) == (prospect.id in candidates)
        reasons.add(why_not)
    assert reasons == {None, rules.NOT_VETTED, rules.NOT_AVAILABLE}


def test_a_later_round_looks_further(world):
    too_far = volunteer_near(world, 8, radius_km=5)
    place = place_of(world)
    assert [p.id for p in prefilter.volunteers_near("shopping", *place, 1.0)] == []
    assert [p.id for p in prefilter.volunteers_near("shopping", *place, 2.0)] == [too_far.id]


def test_the_prefilter_reads_plain_values_nearest_first(world):
    far = volunteer_near(world, 6, skills=("shopping", "cleaning"), vetted_for_children=True)
    near = volunteer_near(world, 1, availability=TUESDAY, open_task_limit=3)
    found = prefilter.volunteers_near("shopping", *place_of(world), 1.0)
    assert [p.id for p in found] == [near.id, far.id]
    first = found[0]
    # On PostgreSQL the windows come packed, as the reach index carries them.
    windows = pack(TUESDAY) if statements.arrays() else TUESDAY
    assert (first.kind, first.radius_km, first.skills, first.availability) == (
        "volunteer",
        10.0,
        ["shopping", "companionship"],
        windows,
    )
    assert (first.limit, first.vetted, found[1].vetted) == (3, False, True)
    # A category code never matches inside another one's name.
    assert prefilter.volunteers_near("shop", *place_of(world), 1.0) == []


def test_those_who_served_before_are_read_wherever_they_live(world):
    away = factories.make_volunteer(world.station_a, lat=36.0, lon=115.0)
    pending = factories.make_volunteer(world.station_a, lat=36.0, lon=115.0, status="pending")
    homeless = factories.make_volunteer(world.station_a, lat=None, lon=None)
    for user in (away, pending, homeless):
        served_before(user, world, contact_phone="13800000077")
    request = request_in_a1(world, contact_phone="13800000077")
    served, params = facts.served_variant(request)
    found, served_users, _teams = prefilter.prospects_near(
        "shopping", *place_of(world), 1.0, served=served, served_params=params
    )
    assert ([p.id for p in found], served_users) == ([away.id], {away.id})
    assert prefilter.volunteers_near("shopping", *place_of(world), 1.0) == []


def test_statements_run_as_native_sql_give_the_rows_sqlalchemy_gives(world):
    """On PostgreSQL ``statements.rows`` runs each statement as SQL compiled once with $n
    placeholders (psycopg parses long %(name)s SQL again at every run): the same rows as
    SQLAlchemy's own execution, every fixed literal in place, and the engine's events
    still see the statement."""
    from sqlalchemy import event

    from app.services.matching import statements

    volunteer_near(world, 1, skills=("shopping",), availability=TUESDAY)
    volunteer_near(world, 3, skills=("shopping", "cleaning"))
    served_before(volunteer_near(world, 2), world, contact_phone="13800000078")
    factories.make_team(world.station_a, volunteer_near(world, 4), skills=["shopping"])
    db.session.flush()
    request = request_in_a1(world, contact_phone="13800000078")
    served, served_params = facts.served_variant(request)
    params = {**prefilter._near_params("shopping", *place_of(world), 1.0), **served_params}
    statement = prefilter._prospects_statement(True, served)  # with windows
    seen = []
    note = lambda _conn, _cursor, sql, *_args: seen.append(sql)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        fast = statements.rows(statement, params)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(fast) == 6 and len(seen) == 1  # four near, one served before, one team
    assert fast == db.session.connection().execute(statement, params).all()
    if db.engine.dialect.name == "postgresql":
        sql, names, _fixed = statements._native(statement)
        assert "%(" not in sql and seen == [sql] and "$1" in sql
        assert len(names) == len(set(names))


@pytest.mark.parametrize("windows", [False, True])
def test_on_postgresql_the_near_volunteers_come_from_the_index_alone(world, windows):
    """The reach index carries every column the near volunteers' part reads (INCLUDE), so
    with a wanted time or without, PostgreSQL reads them from index pages alone: with
    plans that read the table priced out, the plan is still index-only. (It would not be
    if the statement read a column the index does not carry.)"""
    from sqlalchemy import text

    if not statements.arrays():
        pytest.skip("PostgreSQL only: SQLite's index has no INCLUDE (its path joins the table)")
    volunteer_near(world, 1, skills=("shopping",), availability=TUESDAY)
    volunteer_near(world, 3, skills=("shopping", "cleaning"))
    db.session.flush()
    params = prefilter._near_params("shopping", *place_of(world), 1.0)
    sql, names, fixed = statements._native(prefilter._near_statement(windows))
    args = {**fixed, **params}
    connection = db.session.connection()
    for plan in ("seqscan", "bitmapscan", "indexscan"):
        connection.execute(text(f"SET LOCAL enable_{plan} = off"))
    driver = connection.connection.driver_connection
    cursor = psycopg.RawCursor(driver)
    cursor.execute("EXPLAIN " + sql, tuple(args[name] for name in names))
    plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using ix_volunteer_approved_reach on volunteer_profile" in plan
    assert plan.count("on volunteer_profile") == 1, plan
    found = prefilter.volunteers_near("shopping", *place_of(world), 1.0, windows=windows)
    assert len(found) == 2
    assert found[0].availability == (pack(TUESDAY) if windows else [])


def test_the_statements_text_is_the_same_whatever_the_lists_hold(world):
    """Lists (reach cells, ids) go as one parameter on both databases (an array; JSON text
    for SQLite's json_each), so a statement's SQL never changes: SQLAlchemy renders it
    once and the driver keeps it prepared. A later round reads many more cells."""
    from sqlalchemy import event

    volunteer_near(world, 1)
    seen = []
    note = lambda _conn, _cursor, sql, *_args: seen.append(sql)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        first = prefilter.volunteers_near("shopping", *place_of(world), 1.0)
        later = prefilter.volunteers_near("shopping", *place_of(world), 3.0)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(first) == len(later) == 1
    assert len(seen) == 2 and seen[0] == seen[1]


def test_teams_in_the_box_with_an_approved_active_leader(world):
    place = place_of(world)
    leader = volunteer_near(world, 1, vetted_for_children=True)
    near = factories.make_team(world.station_a, leader, skills=["cleaning"], radius_km=10)
    # In the box, but its own radius does not reach: left out by the SQL as well (with the
    # volunteers' margin), which the rules would also refuse.
    short = factories.make_team(
        world.station_a, leader, skills=["cleaning"], radius_km=3, lat=34.91, lon=113.81
    )
    factories.make_team(world.station_a, leader, lat=35.5, lon=113.6)  # 80 km north
    factories.make_team(world.station_a, leader, active=False)
    pending = volunteer_near(world, 1, status="pending")
    factories.make_team(world.station_a, pending)
    closed = volunteer_near(world, 1)
    closed.active = False
    factories.make_team(world.station_a, closed)
    plain_leader = volunteer_near(world, 2)
    plain = factories.make_team(world.station_a, plain_leader, skills=["shopping", "cleaning"])
    # Without the category among its skills: not read at all (the rules refuse it anyway).
    factories.make_team(world.station_a, plain_leader, skills=["shopping"])
    factories.make_team(world.station_a, plain_leader, skills=[])
    db.session.flush()

    found = teams_near(place, 1.0)
    assert sorted(p.id for p in found) == sorted([near.id, plain.id])
    by_id = {p.id: p for p in found}
    assert (by_id[near.id].kind, by_id[near.id].skills, by_id[near.id].vetted) == (
        "team",
        ["cleaning"],
        True,
    )
    assert by_id[plain.id].vetted is False
    far = rules.Prospect("team", short.id, short.lat, short.lon, 3.0, ["cleaning"], [], 5, True)
    far.approx_km = geo.approx_km(*place, far.lat, far.lon)
    assert rules.refusal(far, rules.Need("cleaning")) == rules.OUT_OF_REACH
    # A later round's factor makes its reach cover the place.
    assert short.id in [p.id for p in teams_near(place, 9.0)]


def test_a_team_without_windows_takes_its_approved_active_members(world):
    leader = volunteer_near(world, 1, availability=MONDAY_MORNING)
    member = volunteer_near(world, 1, availability=TUESDAY)
    pending = volunteer_near(
        world, 1, status="pending", availability=[{"day": 3, "start": "08:00", "end": "09:00"}]
    )
    bare = factories.make_team(
        world.station_a, leader, members=[member, pending], skills=["cleaning"]
    )
    own = factories.make_team(world.station_a, leader, members=[member], skills=["cleaning"])
    own.availability = [{"day": 5, "start": "09:00", "end": "10:00"}]
    db.session.flush()
    found = {p.id: p for p in teams_near(place_of(world), 1.0)}
    prefilter.add_members_windows(list(found.values()))
    assert sorted(found[bare.id].availability, key=lambda w: w["day"]) == MONDAY_MORNING + TUESDAY
    assert found[own.id].availability == [{"day": 5, "start": "09:00", "end": "10:00"}]


def test_the_place_is_the_point_else_the_village_else_the_station():
    village = Region(name="村", level="village", lat=34.7, lon=113.5)
    station = Station(name="站", kind="township_station", lat=34.8, lon=113.4)
    assert prefilter.request_place(HelpRequest(lat=34.1, lon=113.1, village=village)) == (
        34.1,
        113.1,
    )
    assert prefilter.request_place(HelpRequest(village=village, station=station)) == (34.7, 113.5)
    assert prefilter.request_place(HelpRequest(station=station)) == (34.8, 113.4)
    assert prefilter.request_place(HelpRequest()) is None
