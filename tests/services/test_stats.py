"""The one service that computes every figure (issue 15): a data set built by hand, every
figure checked exactly, on SQLite and PostgreSQL alike.

The clock stands at 2026-11-20 12:00 in Asia/Shanghai (04:00 UTC); the month counted is
November 2026, whose local days run from 2026-10-31 16:00 to 2026-11-30 16:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.demo.clock import frozen_at
from app.extensions import db
from app.models import RequestEvent, ServiceRecord, VolunteerProfile
from app.services import ServiceError, ledger, stats
from app.services.counting import RECORD_CATEGORIES
from tests import factories

NOW = datetime(2026, 11, 20, 4, 0)  # 12:00 local
NOVEMBER = stats.month_period(2026, 11)
GROUPS = ("left_behind_child", "child_in_difficulty", "elderly_alone", "disabled", "dibao")


def _groups(**cells) -> dict[str, int]:
    found = dict.fromkeys(stats.GROUP_BITS, 0)
    found.update(cells)
    return found


@pytest.fixture
def clock(app):
    with frozen_at(NOW) as frozen:
        yield frozen


def record(station, ended_at, category="shopping", *, groups=(), hours="1.00", **kwargs):
    row = ServiceRecord(
        source=kwargs.pop("source", "claim"),
        station_id=station.id,
        village_id=kwargs.pop("village").id if kwargs.get("village") else None,
        category=category,
        special_groups=list(groups),
        ended_at=ended_at,
        hours=Decimal(hours),
        person_times=kwargs.pop("person_times", 1),
        **{k: v for k, v in kwargs.items() if k != "village"},
    )
    db.session.add(row)
    db.session.flush()
    return row


def request(station, created_at, *, channel="web", urgency="normal", status="new", **columns):
    """A request received at ``created_at``; ``accepted_at=10``: ten minutes later."""
    made = factories.make_request(
        station, channel=channel, urgency=urgency, status=status, created_ago=timedelta(0)
    )
    made.created_at = created_at
    for name, value in columns.items():
        if name.endswith("_at"):
            value = created_at + timedelta(minutes=value)
        setattr(made, name, value)
    db.session.flush()
    return made


def timeline(made, action, at):
    db.session.add(RequestEvent(request_id=made.id, action=action, at=at, actor_label="resident"))


@dataclass
class Data:
    world: object
    other_station: object
    worker: object
    people: dict


@pytest.fixture
def data(world, clock) -> Data:
    """The known data set (the module docstring's clock)."""
    w = world
    other_county = factories.make_region("另一区", "county", None, 30.0, 110.0)
    other_town = factories.make_region("另一镇", "township", other_county, 30.1, 110.1)
    other_centre = factories.make_station("另一区中心", "county_centre", other_county)
    other_station = factories.make_station(
        "另一镇社工站", "township_station", other_town, other_centre
    )
    db.session.flush()

    # staff: A has 2 certified of 3 active; B none of 1
    worker = factories.make_user(("social_worker",), w.station_a, certificate_level="assistant")
    factories.make_user(("station_admin",), w.station_a, certificate_level="senior")
    factories.make_user(("social_worker",), w.station_a)
    factories.make_user(("social_worker",), w.station_a, certificate_level="senior", active=False)
    factories.make_user(("social_worker",), w.station_b)
    factories.make_user(("social_worker",), other_station, certificate_level="senior")

    # volunteers: v1 (approved in November at A), v2 (September), v3 (November at B)
    v1 = factories.make_volunteer(w.station_a)
    v2 = factories.make_volunteer(w.station_a)
    v3 = factories.make_volunteer(w.station_b)
    v4 = factories.make_volunteer(w.station_a, status="pending")
    v5 = factories.make_volunteer(other_station)
    approvals = {v1: datetime(2026, 11, 5), v2: datetime(2026, 9, 1), v3: datetime(2026, 11, 20)}
    approvals[v5] = datetime(2026, 11, 6)
    approvals[v4] = None
    for user, at in approvals.items():
        db.session.get(VolunteerProfile, user.id).approved_at = at
    team = factories.make_team(w.station_a, v1, members=(v2,))

    # the ledger
    p1 = factories.make_beneficiary(w.station_a, w.village_a2, special_groups=["elderly_alone"])
    p2 = factories.make_beneficiary(w.station_a, None, special_groups=["left_behind_child"])
    p3 = factories.make_beneficiary(
        w.station_a,
        w.village_a1,
        special_groups=["elderly_alone", "disabled"],
        next_visit_due=date(2026, 11, 1),
    )
    p4 = factories.make_beneficiary(w.room_a1, w.village_a1, special_groups=["elderly_alone"])
    p5 = factories.make_beneficiary(w.station_a, None, next_visit_due=date(2026, 11, 19))
    p6 = factories.make_beneficiary(w.station_b, w.village_b1, special_groups=["tekun"])
    p7 = factories.make_beneficiary(
        w.station_b, None, special_groups=["elderly_alone"], next_visit_due=date(2026, 11, 19)
    )
    p8 = factories.make_beneficiary(
        other_station, None, special_groups=["elderly_alone"], next_visit_due=date(2026, 1, 1)
    )
    factories.make_beneficiary(w.station_a, None, next_visit_due=date(2026, 11, 20))  # due today

    # services in November (local)
    record(
        w.station_a,
        datetime(2026, 10, 31, 16, 30),
        groups=["elderly_alone"],
        hours="2.00",
        village=w.village_a1,
        volunteer_id=v1.id,
    )  # 00:30 on 1 November, local
    record(
        w.station_a,
        datetime(2026, 11, 10, 2),
        groups=["elderly_alone", "dibao"],
        hours="1.50",
        village=w.village_a1,
        volunteer_id=v1.id,
        team_id=team.id,
    )
    record(
        w.station_a,
        datetime(2026, 11, 15, 2),
        "meal_delivery",
        village=w.village_a2,
        volunteer_id=v2.id,
    )
    clock.move_to(datetime(2026, 11, 12, 2))
    ledger.record_visit(p1, worker, living_conditions="good", health="fair", minutes="30")
    clock.move_to(datetime(2026, 11, 13, 2))
    ledger.log_call(p2, worker, outcome="reached", minutes="15")
    ledger.log_call(p4, worker, outcome="no_answer")  # not a service: p4 stays unreached
    clock.move_to(NOW)
    record(
        w.room_a1,
        datetime(2026, 11, 16, 2),
        "companionship",
        hours="2.00",
        village=w.village_a1,
        source="activity",
        person_times=5,
    )
    record(
        w.station_b,
        datetime(2026, 11, 29, 15, 59),
        "cleaning",
        groups=["tekun"],
        hours="2.25",
        village=w.village_b1,
        volunteer_id=v1.id,
        beneficiary_id=p6.id,
    )
    # outside November, or outside the county
    record(w.station_a, datetime(2026, 10, 31, 15, 59))  # 23:59 on 31 October, local
    record(w.station_a, datetime(2026, 11, 30, 16, 0))  # 00:00 on 1 December, local
    record(
        w.station_a,
        datetime(2026, 8, 1, 2),
        groups=["elderly_alone", "disabled"],
        beneficiary_id=p3.id,
    )
    record(
        w.station_b,
        datetime(2026, 9, 30, 15),
        "safety_check",
        groups=["elderly_alone"],
        beneficiary_id=p7.id,
    )  # 23:00 on 30 September, local: the quarter before
    record(
        other_station,
        datetime(2026, 11, 10),
        groups=["elderly_alone"],
        volunteer_id=v5.id,
        beneficiary_id=p8.id,
    )

    # requests received in November
    nov = datetime(2026, 11, 1, 0)
    q1 = request(
        w.station_a,
        nov + timedelta(days=1),
        urgency="crisis",
        status="done",
        accepted_at=10,
        done_at=60,
    )
    q2 = request(
        w.station_a,
        nov + timedelta(days=2),
        channel="sms",
        urgency="crisis",
        status="closed",
        accepted_at=20,
        done_at=100,
        closed_at=200,
    )
    q3 = request(
        w.station_a,
        nov + timedelta(days=3),
        channel="hotline",
        urgency="crisis",
        status="closed",
        accepted_at=30,
        closed_at=300,
    )
    request(
        w.station_a, nov + timedelta(days=4), urgency="crisis", status="assigned", accepted_at=40
    )
    request(
        w.station_a, nov + timedelta(days=5), urgency="urgent", status="accepted", accepted_at=60
    )
    q5 = request(
        w.station_b,
        nov + timedelta(days=6),
        urgency="urgent",
        status="in_progress",
        accepted_at=200,
    )
    request(w.station_b, nov + timedelta(days=7), channel="proxy")
    request(w.station_b, nov + timedelta(days=8), status="rejected", closed_at=5)
    request(w.station_a, nov + timedelta(days=9), status="cancelled", merged_into_id=q1.id)
    q9 = request(w.station_a, datetime(2026, 10, 31, 15), status="closed", rating=1)
    q10 = request(other_station, nov + timedelta(days=1), status="closed", rating=1, accepted_at=1)
    # ratings and reopenings
    q1.rating, q2.rating, q3.rating = 5, 3, 4
    timeline(q1, "rated", datetime(2026, 11, 2, 2))
    timeline(q2, "rated", datetime(2026, 11, 10))
    timeline(q3, "rated", datetime(2026, 11, 30, 15))  # 23:00 on 30 November, local
    timeline(q9, "rated", datetime(2026, 10, 31, 15, 30))
    timeline(q10, "rated", datetime(2026, 11, 3))
    timeline(q5, "reopen", datetime(2026, 11, 7))
    timeline(q1, "reopen", datetime(2026, 11, 30, 16))  # 1 December, local
    timeline(q10, "reopen", datetime(2026, 11, 7))
    db.session.flush()
    people = {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5, "p6": p6, "p7": p7}
    return Data(w, other_station, worker, people)


def _supervisor(world, *roles):
    return factories.make_user(("county_supervisor", *roles), world.county_centre)


def _county(data) -> stats.Figures:
    return stats.figures(stats.county_scope(_supervisor(data.world)), NOVEMBER)


def _station(data) -> stats.Figures:
    return stats.figures(stats.station_scope(data.worker), NOVEMBER)


# --- services --------------------------------------------------------------------------


def test_totals_and_every_category_by_group_cell(data):
    f = _county(data)
    assert f.total.person_times == 11
    assert f.total.hours == Decimal("9.50")
    assert f.total.by_group == _groups(elderly_alone=3, dibao=1, left_behind_child=1, tekun=1)
    assert set(f.by_category) == set(RECORD_CATEGORIES)
    cells = {
        code: (s.person_times, s.hours, {g: n for g, n in s.by_group.items() if n})
        for code, s in f.by_category.items()
        if s.person_times
    }
    assert cells == {
        "shopping": (2, Decimal("3.50"), {"elderly_alone": 2, "dibao": 1}),
        "meal_delivery": (1, Decimal("1.00"), {}),
        "home_visit": (1, Decimal("0.50"), {"elderly_alone": 1}),
        "welfare_call": (1, Decimal("0.25"), {"left_behind_child": 1}),
        "companionship": (5, Decimal("2.00"), {}),
        "cleaning": (1, Decimal("2.25"), {"tekun": 1}),
    }
    assert f.by_category["tutoring"] == stats.Served(0, Decimal("0.00"), _groups())


def test_the_slices_add_up_to_the_total(data):
    f = _county(data)
    for slices in (
        f.by_category.values(),
        [r.served for r in f.stations],
        [v.served for v in f.villages],
    ):
        assert sum(s.person_times for s in slices) == f.total.person_times == 11
        assert sum(s.hours for s in slices) == f.total.hours == Decimal("9.50")
        for code in stats.GROUP_BITS:
            assert sum(s.by_group[code] for s in slices) == f.total.by_group[code]
    assert sum(sum(r.by_source.values()) for r in f.stations) == 11
    assert sum(r.requests for r in f.stations) == f.requests_received == 8
    assert sum(t.requests for t in f.timing) == 8
    assert sum(f.requests_by_channel.values()) == sum(f.requests_by_status.values()) == 8


def test_each_station_row(data):
    w = data.world
    rows = {row.station_id: row for row in _county(data).stations}
    assert list(rows) == [w.county_centre.id, w.station_a.id, w.room_a1.id, w.station_b.id]
    a, room, b, centre = (
        rows[w.station_a.id],
        rows[w.room_a1.id],
        rows[w.station_b.id],
        rows[w.county_centre.id],
    )
    assert (a.name, a.served.person_times, a.served.hours) == ("东风街道社工站", 5, Decimal("5.25"))
    assert a.served.by_group == _groups(elderly_alone=3, dibao=1, left_behind_child=1)
    assert a.by_source == {"claim": 3, "visit": 1, "call": 1}
    assert {c: s.person_times for c, s in a.by_category.items() if s.person_times} == {
        "shopping": 2,
        "meal_delivery": 1,
        "home_visit": 1,
        "welfare_call": 1,
    }
    assert (a.requests, a.volunteers_active, a.certified, a.staff) == (5, 2, 2, 3)
    assert (a.coverage_share, a.visits_done, a.visits_overdue) == (2 / 3, 1, 2)
    assert (room.served.person_times, room.served.hours, room.by_source) == (
        5,
        Decimal("2.00"),
        {"activity": 5},
    )
    assert (room.requests, room.volunteers_active, room.certified, room.staff) == (0, 0, 0, 0)
    assert (room.coverage_share, room.visits_done, room.visits_overdue) == (0.0, 0, 0)
    assert (b.served.person_times, b.served.hours, b.by_source) == (
        1,
        Decimal("2.25"),
        {"claim": 1},
    )
    assert (b.requests, b.volunteers_active, b.certified, b.staff) == (3, 1, 0, 1)
    assert (b.coverage_share, b.visits_done, b.visits_overdue) == (0.5, 0, 1)
    assert (centre.served.person_times, centre.requests, centre.coverage_share) == (0, 0, None)
    assert centre.by_source == {}


def test_each_village_row(data):
    w = data.world
    rows = [
        (row.station_id, row.village_id, row.name, row.served.person_times, row.served.hours)
        for row in _county(data).villages
    ]
    assert rows == [
        (w.station_a.id, w.village_a1.id, "杏花社区", 2, Decimal("3.50")),
        (w.station_a.id, w.village_a2.id, "桃园村", 2, Decimal("1.50")),
        (w.station_a.id, None, "未填写村（社区）", 1, Decimal("0.25")),
        (w.room_a1.id, w.village_a1.id, "杏花社区", 5, Decimal("2.00")),
        (w.station_b.id, w.village_b1.id, "河口村", 1, Decimal("2.25")),
    ]
    assert _county(data).villages[0].served.by_group == _groups(elderly_alone=2, dibao=1)


def test_volunteers_and_teams(data):
    f = _county(data)
    # v1 served at A and at B: one volunteer in the county's count, one at each station
    assert (f.volunteers_active, f.teams_active, f.volunteers_new) == (2, 1, 2)
    assert f.hours_per_volunteer == Decimal("3.38")  # 6.75 h / 2
    s = _station(data)
    assert (s.volunteers_active, s.teams_active, s.volunteers_new) == (2, 1, 1)
    assert s.hours_per_volunteer == Decimal("2.25")  # 4.50 h / 2


def test_a_station_counts_its_rooms_and_nothing_else(data):
    s = _station(data)
    assert [row.station_id for row in s.stations] == [
        data.world.station_a.id,
        data.world.room_a1.id,
    ]
    assert (s.total.person_times, s.total.hours) == (10, Decimal("7.25"))
    assert (s.requests_received, s.visits_done, s.visits_overdue) == (5, 1, 2)
    assert [(c.group, c.people, c.reached) for c in s.coverage if c.people] == [
        ("left_behind_child", 1, 1),
        ("elderly_alone", 3, 1),
        ("disabled", 1, 0),
    ]


# --- requests --------------------------------------------------------------------------


def test_requests_by_channel_and_status(data):
    f = _county(data)
    assert f.requests_received == 8  # the merged one is not counted again
    assert f.requests_by_channel == {
        "web": 5,
        "sms": 1,
        "hotline": 1,
        "proxy": 1,
        "visit": 0,
        "api": 0,
    }
    assert {k: v for k, v in f.requests_by_status.items() if v} == {
        "new": 1,
        "accepted": 1,
        "assigned": 1,
        "in_progress": 1,
        "done": 1,
        "closed": 2,
        "rejected": 1,
    }
    assert f.requests_by_status["cancelled"] == 0


def test_timing_by_urgency_nearest_rank(data):
    crisis, urgent, normal = _county(data).timing
    # crisis: accepted after 10, 20, 30, 40 min; finished after 60, 100 (done), 300 (closed)
    assert crisis == stats.Timing("crisis", 4, 20.0, 40.0, 100.0, 300.0, 0.25)
    # urgent: accepted after 60 and 200 min (target 120): half within
    assert urgent == stats.Timing("urgent", 2, 60.0, 200.0, None, None, 0.5)
    # normal: one new, one rejected: nothing accepted or finished
    assert normal == stats.Timing("normal", 2, None, None, None, None, None)


def test_timing_and_satisfaction_of_each_station(data):
    scope = stats.county_scope(_supervisor(data.world))
    assert all(row.timing == [] for row in stats.figures(scope, NOVEMBER).stations)
    rows = {
        row.station_id: row for row in stats.figures(scope, NOVEMBER, station_timing=True).stations
    }
    a, b = rows[data.world.station_a.id], rows[data.world.station_b.id]
    assert a.timing == [
        stats.Timing("crisis", 4, 20.0, 40.0, 100.0, 300.0, 0.25),
        stats.Timing("urgent", 1, 60.0, 60.0, None, None, 1.0),
        stats.Timing("normal", 0, None, None, None, None, None),
    ]
    assert b.timing == [
        stats.Timing("crisis", 0, None, None, None, None, None),
        stats.Timing("urgent", 1, 200.0, 200.0, None, None, 0.0),
        stats.Timing("normal", 2, None, None, None, None, None),
    ]
    assert a.satisfaction == stats.Satisfaction(3, 4.0, 2 / 3, 0)
    assert b.satisfaction == stats.Satisfaction(0, None, None, 1)
    assert rows[data.world.room_a1.id].satisfaction == stats.Satisfaction(0, None, None, 0)


def test_satisfaction(data):
    assert _county(data).satisfaction == stats.Satisfaction(3, 4.0, 2 / 3, 1)
    assert _station(data).satisfaction == stats.Satisfaction(3, 4.0, 2 / 3, 0)


# --- the ledger ------------------------------------------------------------------------


def test_coverage_counts_for_the_county_without_names(data):
    f = _county(data)
    assert f.coverage_quarter == stats.Period(date(2026, 10, 1), date(2026, 12, 31))
    cells = {c.group: (c.people, c.reached, c.share, c.not_reached) for c in f.coverage}
    assert list(cells) == list(stats.GROUP_BITS)
    assert cells["elderly_alone"] == (4, 1, 0.25, [])
    assert cells["disabled"] == (1, 0, 0.0, [])
    assert cells["left_behind_child"] == (1, 1, 1.0, [])
    assert cells["tekun"] == (1, 1, 1.0, [])
    assert cells["dibao"] == (0, 0, None, [])
    assert (f.visits_done, f.visits_overdue) == (1, 3)
    # all groups together, each person once: p1, p2, p6 reached of p1, p2, p3, p4, p6, p7
    assert f.coverage_share == 3 / 6


def test_not_reached_never_served_first_then_longest_gap(data):
    p = data.people
    w = data.world
    coverage = {c.group: c for c in _station(data).coverage}
    assert coverage["elderly_alone"].not_reached == [
        stats.NotReached(p["p4"].id, p["p4"].name, w.room_a1.id, "杏花社区", None, None),
        stats.NotReached(
            p["p3"].id, p["p3"].name, w.station_a.id, "杏花社区", date(2026, 8, 1), 111
        ),
    ]
    assert [n.beneficiary_id for n in coverage["disabled"].not_reached] == [p["p3"].id]
    assert coverage["left_behind_child"].not_reached == []


def test_not_reached_lists_only_the_stations_the_user_serves(data):
    """A supervisor who is also a social worker at station A: B's people are counted but
    not listed."""
    user = factories.make_user(("county_supervisor", "social_worker"), data.world.station_a)
    scope = stats.county_scope(user)
    f = stats.figures(scope, NOVEMBER)
    elderly = next(c for c in f.coverage if c.group == "elderly_alone")
    assert (elderly.people, elderly.reached) == (4, 1)
    assert [n.beneficiary_id for n in elderly.not_reached] == [
        data.people["p4"].id,
        data.people["p3"].id,
    ]


def test_gap_of_a_past_quarter_runs_to_its_end(data):
    f = stats.figures(stats.station_scope(data.worker), stats.month_period(2026, 9))
    elderly = next(c for c in f.coverage if c.group == "elderly_alone")
    assert f.coverage_quarter == stats.Period(date(2026, 7, 1), date(2026, 9, 30))
    # p3 was served on 1 August: reached in Q3; p1 and p4 were not
    assert (elderly.people, elderly.reached) == (3, 1)
    assert [(n.beneficiary_id, n.gap_days) for n in elderly.not_reached] == [
        (data.people["p1"].id, None),
        (data.people["p4"].id, None),
    ]


# --- months and charts -----------------------------------------------------------------


def test_month_boundaries_are_local(data):
    october = stats.figures(stats.station_scope(data.worker), stats.month_period(2026, 10))
    # 15:59 UTC on 31 October is in October; 16:30 UTC is already November (local)
    assert (october.total.person_times, october.by_category["shopping"].person_times) == (1, 1)


def test_month_trend(data):
    w = data.world
    trend = stats.month_trend(stats.county_scope(_supervisor(w)), NOVEMBER)
    assert trend.months == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    zeros = [0] * 12

    def at(**months):
        found = list(zeros)
        for key, value in months.items():
            found[int(key[1:]) % 12] = value
        return found

    assert trend.by_category["shopping"] == at(m8=1, m10=1, m11=2)
    assert trend.by_category["safety_check"] == at(m9=1)
    assert trend.by_category["companionship"] == at(m11=5)
    assert trend.by_category["home_visit"] == at(m11=1)
    assert trend.by_category["tutoring"] == zeros
    assert trend.by_station == {
        w.county_centre.id: zeros,
        w.station_a.id: at(m8=1, m10=1, m11=5),
        w.room_a1.id: at(m11=5),
        w.station_b.id: at(m9=1, m11=1),
    }
    assert trend.station_names[w.station_b.id] == "柳林镇社工站"


def test_figures_take_a_dozen_queries(data, backend):
    scope = stats.county_scope(_supervisor(data.world))
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        stats.figures(scope, NOVEMBER)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # 11 with a not-reached list to read (PostgreSQL's JIT is off for every connection:
    # create_app, not one statement per call); the last 2 are micro-wishes and resources
    # linked (issue 18, wish_stats)
    assert len(statements) == 12


# --- scopes ----------------------------------------------------------------------------


def test_scopes(data):
    w = data.world
    supervisor = _supervisor(w)
    county = stats.county_scope(supervisor)
    assert county == stats.Scope(
        tuple(sorted((w.county_centre.id, w.station_a.id, w.room_a1.id, w.station_b.id))),
        frozenset(),
        True,
    )
    assert data.other_station.id not in county.station_ids
    assert stats.station_scope(data.worker) == stats.Scope(
        tuple(sorted((w.station_a.id, w.room_a1.id))),
        frozenset({w.station_a.id, w.room_a1.id}),
        False,
    )
    assert stats.station_scope(supervisor) == stats.EMPTY_SCOPE
    assert stats.county_scope(data.worker) == stats.EMPTY_SCOPE
    volunteer = factories.make_volunteer(w.station_a)
    assert stats.station_scope(volunteer) == stats.EMPTY_SCOPE
    assert stats.county_scope(volunteer) == stats.EMPTY_SCOPE
    assert stats.station_scope(None) == stats.EMPTY_SCOPE
    # a worker of the county centre: the centre (every other station has staff of its
    # own), and no county figures without the supervisor's role
    centre_worker = factories.make_user(("social_worker",), w.county_centre)
    assert stats.station_scope(centre_worker) == stats.Scope(
        (w.county_centre.id,), frozenset({w.county_centre.id}), False
    )
    assert stats.county_scope(centre_worker) == stats.EMPTY_SCOPE


def test_the_other_countys_supervisor_sees_only_their_county(data):
    other = factories.make_user(("county_supervisor",), data.other_station.parent)
    f = stats.figures(stats.county_scope(other), NOVEMBER)
    assert [row.station_id for row in f.stations] == [
        data.other_station.parent_id,
        data.other_station.id,
    ]
    assert (f.total.person_times, f.requests_received, f.volunteers_new) == (1, 1, 1)
    assert f.satisfaction == stats.Satisfaction(1, 1.0, 0.0, 1)
    elderly = next(c for c in f.coverage if c.group == "elderly_alone")
    assert (elderly.people, elderly.reached, f.visits_overdue) == (1, 1, 1)


def test_an_empty_scope_counts_nothing(data):
    f = stats.figures(stats.EMPTY_SCOPE, NOVEMBER)
    assert (f.total.person_times, f.requests_received, f.stations, f.villages) == (0, 0, [], [])
    assert (f.volunteers_active, f.volunteers_new, f.visits_overdue) == (0, 0, 0)
    assert all(c.people == 0 for c in f.coverage)


# --- periods ---------------------------------------------------------------------------


def test_parse_a_month(app):
    period = stats.parse_period("2026-11", today=date(2026, 11, 20))
    assert period == NOVEMBER
    assert period.is_month
    assert period.label == "2026年11月"
    assert period.utc_bounds() == (datetime(2026, 10, 31, 16), datetime(2026, 11, 30, 16))
    assert stats.parse_period("2024-02", today=date(2026, 11, 20)).end == date(2024, 2, 29)


def test_parse_a_range(app):
    period = stats.parse_period(start="2026-11-01", end="2026-11-15", today=date(2026, 11, 20))
    assert period == stats.Period(date(2026, 11, 1), date(2026, 11, 15))
    assert not period.is_month
    assert period.label == "2026-11-01 至 2026-11-15"
    assert period.utc_bounds() == (datetime(2026, 10, 31, 16), datetime(2026, 11, 15, 16))
    whole = stats.parse_period(start="2026-02-01", end="2026-02-28", today=date(2026, 11, 20))
    assert whole.is_month


def test_no_input_is_the_current_local_month(clock):
    clock.move_to(datetime(2026, 11, 30, 16, 30))  # 00:30 on 1 December, local
    assert stats.parse_period() == stats.month_period(2026, 12)
    assert stats.parse_period("", "", "") == stats.month_period(2026, 12)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"month": "2026-13"}, "month", "请选择月份，例如 2026-11。"),
        ({"month": "11/2026"}, "month", "请选择月份，例如 2026-11。"),
        ({"month": "1999-12"}, "month", "请选择月份，例如 2026-11。"),
        ({"start": "2026-11-31", "end": "2026-11-30"}, "start", "请输入日期，例如 2026-11-01。"),
        ({"start": "2026-11-01"}, "end", "请输入日期，例如 2026-11-01。"),
        ({"start": "2026-11-10", "end": "2026-11-09"}, "end", "结束日期不能早于开始日期。"),
        ({"start": "2025-11-01", "end": "2026-11-02"}, "end", "时段最长 366 天。"),
        ({"month": "2026-12"}, "month", "该时段尚未开始，请选择今天及以前的时段。"),
        (
            {"start": "2027-01-01", "end": "2027-01-02"},
            "start",
            "该时段尚未开始，请选择今天及以前的时段。",
        ),
    ],
)
def test_bad_periods_are_refused(app, kwargs, field, message):
    with pytest.raises(ServiceError) as error:
        stats.parse_period(**kwargs, today=date(2026, 11, 20))
    assert (error.value.field, error.value.message) == (field, message)


def test_366_days_are_allowed(app):
    period = stats.parse_period(start="2025-11-20", end="2026-11-20", today=date(2026, 11, 20))
    assert (period.end - period.start).days == 365


def test_quarters():
    assert stats.quarter_of(date(2026, 11, 30)) == stats.Period(
        date(2026, 10, 1), date(2026, 12, 31)
    )
    assert stats.quarter_of(date(2026, 1, 1)) == stats.Period(date(2026, 1, 1), date(2026, 3, 31))
    assert stats.quarter_of(date(2026, 6, 30)) == stats.Period(date(2026, 4, 1), date(2026, 6, 30))
