"""Issue 15, done when: a visit, a welfare call and a request done by the station's own
social worker each write exactly one service record and each show up in the month's
person-times, the same figure the dashboard and the report read (stats.figures)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import ServiceRecord
from app.services import console, ledger, stats, worker_tasks
from app.services.wording import local_today
from tests import factories


def test_a_visit_a_call_and_a_worker_done_request_count_in_the_month(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    person = factories.make_beneficiary(
        world.station_a, world.village_a1, special_groups=["elderly_alone", "left_behind_woman"]
    )
    request = factories.make_request(
        world.station_a, status="accepted", village=world.village_a1, category="companionship"
    )
    today = local_today()
    month = stats.month_period(today.year, today.month)
    scope = stats.station_scope(worker)
    before = stats.figures(scope, month).total.person_times

    ledger.record_visit(person, worker, living_conditions="good", health="good", minutes="30")
    ledger.log_call(person, worker, outcome="reached", minutes="12")
    ledger.log_call(person, worker, outcome="no_answer")  # logged, not a service
    console.assign(request, worker, worker=worker)
    worker_tasks.start(request, worker)
    worker_tasks.finish(request, worker, outcome="陪老人聊天一小时", hours="1")
    db.session.commit()

    sources = dict(
        db.session.execute(
            select(ServiceRecord.source, func.count()).group_by(ServiceRecord.source)
        ).all()
    )
    assert sources == {"visit": 1, "call": 1, "worker": 1}
    figures = stats.figures(scope, month)
    assert before == 0
    assert figures.total.person_times == 3
    assert figures.total.hours == Decimal("1.70")  # 1 h + 30 min + 12 min
    assert figures.by_category["home_visit"].person_times == 1
    assert figures.by_category["welfare_call"].person_times == 1
    assert figures.by_category["companionship"].person_times == 1
    assert figures.total.by_group["left_behind_woman"] == 2
    assert figures.total.by_group["elderly_alone"] == 2
    row = next(r for r in figures.stations if r.station_id == world.station_a.id)
    assert (row.by_source["visit"], row.by_source["call"], row.by_source["worker"]) == (1, 1, 1)
