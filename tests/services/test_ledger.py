"""The ledger service: care plans, visits, and the overdue-visit job."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.extensions import db
from app.jobs import deadlines as deadline_jobs
from app.services import ServiceError, ledger
from tests import factories
from tests.console_support import outbox


def test_care_plan_counts_from_the_last_visit(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    person = factories.make_beneficiary(world.station_a)
    ledger.record_visit(person, worker, living_conditions="good", health="good")
    ledger.set_care_plan(person, interval_days=7)
    assert person.next_visit_due == ledger.local_today() + timedelta(days=7)
    ledger.set_care_plan(person, interval_days=None)
    assert person.next_visit_due is None
    with pytest.raises(ServiceError):
        ledger.set_care_plan(person, interval_days=400)


def test_the_next_visit_counts_from_the_local_day_of_the_last_one(world):
    """17:00 UTC on 1 March is 01:00 on 2 March in the station's time zone (UTC+8): a
    weekly plan is due on 9 March, not 8 March."""
    person = factories.make_beneficiary(world.station_a, last_visit_at=datetime(2026, 3, 1, 17, 0))
    ledger.set_care_plan(person, interval_days=7)
    assert person.next_visit_due == date(2026, 3, 9)


def test_visit_needs_a_described_need_to_open_a_request(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    person = factories.make_beneficiary(world.station_a)
    with pytest.raises(ServiceError) as error:
        ledger.record_visit(
            person, worker, living_conditions="poor", health="poor", request_category="cleaning"
        )
    assert error.value.field == "needs_found"


def test_overdue_visits_alert_the_responsible_worker_once_a_day(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    other = factories.make_user(roles=("social_worker",), station=world.station_a)
    late = date.today() - timedelta(days=3)
    for _ in range(2):
        factories.make_beneficiary(
            world.station_a, responsible_worker_id=worker.id, next_visit_due=late
        )
    factories.make_beneficiary(
        world.station_a,
        responsible_worker_id=other.id,
        next_visit_due=date.today() + timedelta(days=2),
    )
    db.session.commit()
    assert deadline_jobs.alert_overdue_visits() == 1
    sms = outbox("visit_overdue")
    assert [m.to_phone for m in sms] == [worker.phone] and "2" in sms[0].body
    assert deadline_jobs.alert_overdue_visits() == 0


def test_search_is_scoped_to_the_users_stations(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_b)
    factories.make_beneficiary(world.station_a, name="甲站人")
    factories.make_beneficiary(world.station_b, name="乙站人")
    assert [p.name for p in ledger.search(worker)] == ["乙站人"]


def test_overdue_visits_without_a_responsible_worker_alert_the_station(world):
    first = factories.make_user(roles=("social_worker",), station=world.station_a)
    second = factories.make_user(roles=("station_admin",), station=world.station_a)
    factories.make_user(roles=("social_worker",), station=world.station_b)
    factories.make_beneficiary(world.station_a, next_visit_due=date.today() - timedelta(days=1))
    db.session.commit()
    assert deadline_jobs.alert_overdue_visits() == 2
    assert sorted(m.to_phone for m in outbox("visit_overdue")) == sorted(
        [first.phone, second.phone]
    )
    assert deadline_jobs.alert_overdue_visits() == 0
