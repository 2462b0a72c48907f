"""The county benchmark: its loader (benchmarks/county_data.py) draws a data set that obeys
the counting rule, checked here at a small size; and the month it measures.

The loader is PostgreSQL's own SQL (generate_series, setseed, CLUSTER), as the bench
database is PostgreSQL: on SQLite these tests are skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Beneficiary, CallLog, HelpRequest, RequestEvent, ServiceRecord, Visit
from app.models.vocab import CALLS_SERVED, SERVICE_SOURCES, groups_mask
from app.services.counting import RECORD_CATEGORIES
from benchmarks import county_data
from benchmarks.county import report_month
from tests import factories

NOW = datetime(2026, 11, 30, 4, 0)


@pytest.fixture
def filled(backend, world):
    if backend != "postgresql":
        pytest.skip("the county bench loads PostgreSQL with PostgreSQL's own SQL")
    factories.make_user(roles=("social_worker",), station=world.station_a)
    factories.make_user(roles=("station_admin",), station=world.station_b)
    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        counts = county_data.fill(
            raw.driver_connection,
            requests=400,
            records=1500,
            now=NOW,
            beneficiaries=300,
            volunteers=40,
        )
        raw.driver_connection.commit()
    finally:
        raw.close()
    return counts


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def test_the_sizes_asked_for_exactly(filled):
    assert _count(select(HelpRequest.id).where(HelpRequest.code.like("BC%"))) == 400
    assert _count(select(ServiceRecord.id)) == 1500
    assert _count(select(Beneficiary.id)) == 300
    done = _count(select(HelpRequest.id).where(HelpRequest.status.in_(("done", "closed"))))
    assert filled["records_from_requests"] == done
    assert filled["records_from_requests"] + filled["visits"] + filled["calls_reached"] == 1500


def test_one_record_per_request_done_visit_and_call_that_reached_someone(filled):
    done = select(HelpRequest.id).where(HelpRequest.status.in_(("done", "closed")))
    with_record = select(ServiceRecord.request_id).where(ServiceRecord.request_id.is_not(None))
    assert _count(with_record) == _count(done)
    assert _count(with_record.distinct()) == _count(done)
    assert _count(with_record.where(ServiceRecord.request_id.not_in(done))) == 0
    visits = select(ServiceRecord.visit_id).where(ServiceRecord.source == "visit")
    assert _count(visits.distinct()) == _count(select(Visit.id)) == filled["visits"]
    served = select(CallLog.id).where(CallLog.outcome.in_(CALLS_SERVED))
    calls = select(ServiceRecord.call_id).where(ServiceRecord.source == "call")
    assert _count(calls.distinct()) == _count(served) == filled["calls_reached"]
    assert _count(select(CallLog.id).where(CallLog.outcome.not_in(CALLS_SERVED))) == round(
        filled["calls_reached"] * 0.14
    )


def test_records_carry_what_the_counting_rule_says(filled):
    rows = db.session.execute(
        select(
            ServiceRecord.source,
            ServiceRecord.category,
            ServiceRecord.special_groups,
            ServiceRecord.groups_mask,
            ServiceRecord.ended_at,
            ServiceRecord.person_times,
            ServiceRecord.volunteer_id,
            ServiceRecord.worker_id,
        )
    ).all()
    assert {row.source for row in rows} <= set(SERVICE_SOURCES)
    assert {row.source for row in rows} == {"claim", "worker", "station_close", "visit", "call"}
    assert {row.category for row in rows} <= set(RECORD_CATEGORIES)
    assert [row for row in rows if row.groups_mask != groups_mask(row.special_groups)] == []
    assert {row.person_times for row in rows} == {1}
    assert [row for row in rows if not NOW - timedelta(days=365) <= row.ended_at <= NOW] == []
    assert [row for row in rows if row.source == "claim" and row.volunteer_id is None] == []
    assert [row for row in rows if row.source != "claim" and row.worker_id is None] == []


def test_a_record_is_counted_where_its_request_or_person_is(filled):
    of_request = (
        select(ServiceRecord.id)
        .join(HelpRequest, HelpRequest.id == ServiceRecord.request_id)
        .where(
            (HelpRequest.station_id != ServiceRecord.station_id)
            | (HelpRequest.category != ServiceRecord.category)
            | (HelpRequest.done_at != ServiceRecord.ended_at)
        )
    )
    assert _count(of_request) == 0
    of_person = (
        select(ServiceRecord.id)
        .join(Beneficiary, Beneficiary.id == ServiceRecord.beneficiary_id)
        .where(
            ServiceRecord.source.in_(("visit", "call")),
            (Beneficiary.station_id != ServiceRecord.station_id)
            | (Beneficiary.groups_mask != ServiceRecord.groups_mask),
        )
    )
    assert _count(of_person) == 0


def test_a_tenth_of_the_ledger_gets_no_visit_or_call_and_everyone_is_in_a_group(filled):
    unreached = select(ServiceRecord.id).where(
        ServiceRecord.source.in_(("visit", "call")), ServiceRecord.beneficiary_id % 10 == 0
    )
    assert _count(unreached) == 0
    assert _count(select(Beneficiary.id).where(Beneficiary.groups_mask == 0)) == 0


def test_ratings_and_reopenings_are_on_the_timeline(filled):
    rated = select(HelpRequest.id).where(HelpRequest.rating.is_not(None))
    events = select(RequestEvent.request_id).where(RequestEvent.action == "rated")
    assert _count(events) == _count(rated)
    assert _count(events.where(RequestEvent.request_id.not_in(rated))) == 0
    reopened = select(RequestEvent.id).where(RequestEvent.action == "reopen")
    closed = select(HelpRequest.id).where(HelpRequest.status == "closed", HelpRequest.id % 67 == 0)
    assert _count(reopened) == _count(closed)


@pytest.mark.parametrize(
    ("now", "month"),
    [
        (datetime(2026, 11, 30, 11, 52), "2026-10"),  # 19:52 on 30 November in Shanghai
        (datetime(2026, 11, 30, 16, 0), "2026-11"),  # already 1 December there
        (datetime(2026, 1, 5, 0, 0), "2025-12"),
    ],
)
def test_the_month_measured_is_the_last_whole_local_month(now, month):
    assert report_month(now) == month


def test_the_volunteers_it_loads_carry_the_reach_cell_matching_searches_by(filled):
    from app.models import VolunteerProfile
    from app.models.reach import reach_cell
    from app.models.vocab import skills_mask

    profiles = db.session.scalars(
        select(VolunteerProfile).where(VolunteerProfile.home_lat.is_not(None))
    ).all()
    assert len(profiles) >= 40
    for profile in profiles:
        expected = reach_cell(profile.home_lat, profile.home_lon, profile.radius_km)
        assert (profile.reach_cell, profile.skill_bits) == (expected, skills_mask(profile.skills))
