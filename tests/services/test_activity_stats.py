"""Community activities in the month (issue 18): held, person-times by kind, volunteer
hours; the month's person-times and hours change by exactly what a close counted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import ServiceRecord
from app.services import activities, activity_stats, stats, wording
from app.services.spreadsheets import table_csv
from tests import factories
from tests.activities_support import make_worker, move_start, post


def _month():
    today = wording.local_today()
    return stats.month_period(today.year, today.month)


def test_a_close_counts_in_the_month_exactly_once(world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, kind="health_check", minutes=120, capacity=5)
    volunteers = [factories.make_volunteer(world.station_a) for _ in range(3)]
    for v in volunteers:
        activities.sign_up(activity, v)
    # under way and closed now: it ends now, in this month, even in a month's first hours
    move_start(activity, timedelta(minutes=-60))
    scope = stats.station_scope(worker)
    before = stats.figures(scope, _month())
    for v in volunteers[:2]:
        activities.check_in_by_code(v, activity.checkin_code)
    person = factories.make_beneficiary(world.station_a, world.village_a1)
    activities.add_resident(activity, worker, person.id)
    activities.set_head_count(activity, 20)
    activities.close(activity, worker)
    db.session.commit()
    after = stats.figures(scope, _month())
    assert after.total.person_times - before.total.person_times == 21
    assert after.total.hours - before.total.hours == Decimal("4.00")
    assert after.volunteers_active - before.volunteers_active == 2
    found = activity_stats.figures(scope.station_ids, _month())
    assert (found.held, found.person_times, found.volunteer_hours) == (1, 21, Decimal("4.00"))
    assert [(r.kind, r.held, r.person_times) for r in found.by_kind] == [("health_check", 1, 21)]
    other = activity_stats.figures([world.station_b.id], _month())
    assert (other.held, other.person_times) == (0, 0)
    sheet = table_csv(activity_stats.report_table("东风街道社工站", scope.station_ids, _month()))
    assert "21" in sheet.decode("utf-8-sig")


def test_a_cancelled_activity_counts_nothing(world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1)
    volunteer = factories.make_volunteer(world.station_a)
    activities.sign_up(activity, volunteer)
    move_start(activity, timedelta(minutes=90))  # check-in opens two hours before
    activities.set_head_count(activity, 15)
    activities.check_in_by_code(volunteer, activity.checkin_code, activity)
    assert activities.signup_of(activity, volunteer).status == "attended"
    activities.cancel(activity, worker)
    db.session.flush()
    assert db.session.scalar(select(func.count(ServiceRecord.id))) == 0
    found = activity_stats.figures([world.station_a.id], _month())
    assert (found.held, found.person_times, found.by_kind) == (0, 0, [])
