"""Response targets, overdue detection and the overdue alert job."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.jobs import deadlines as deadline_jobs
from app.models import HelpRequest
from app.services import deadlines
from app.services.codes import code_text
from tests import factories
from tests.console_support import events, outbox, request_at


def test_targets_come_from_config(app):
    assert deadlines.target_minutes("crisis") == 15
    assert deadlines.target_minutes("urgent") == 120
    assert deadlines.target_minutes("normal") == 24 * 60
    app.config["RESPONSE_TARGET_MINUTES"] = {**app.config["RESPONSE_TARGET_MINUTES"], "crisis": 5}
    try:
        assert deadlines.target_minutes("crisis") == 5
    finally:
        app.config["RESPONSE_TARGET_MINUTES"] = {
            **app.config["RESPONSE_TARGET_MINUTES"],
            "crisis": 15,
        }


def test_overdue_only_while_waiting_past_the_target(world):
    assert deadlines.is_overdue(request_at(world.station_a, minutes_ago=20, urgency="crisis"))
    assert not deadlines.is_overdue(request_at(world.station_a, minutes_ago=10, urgency="crisis"))
    assert deadlines.is_overdue(request_at(world.station_a, minutes_ago=121, urgency="urgent"))
    assert not deadlines.is_overdue(request_at(world.station_a, minutes_ago=23 * 60))
    accepted = request_at(world.station_a, minutes_ago=3000, status="accepted")
    assert not deadlines.is_overdue(accepted)
    # The SQL clause agrees with the Python check.
    rows = db.session.query(HelpRequest).filter(deadlines.overdue_clause()).all()
    assert sorted(r.urgency for r in rows) == ["crisis", "urgent"]


def test_alert_job_texts_the_station_workers_once(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    admin = factories.make_user(roles=("station_admin",), station=world.station_a)
    factories.make_user(roles=("social_worker",), station=world.station_b)
    crisis = request_at(world.station_a, minutes_ago=40, urgency="crisis")
    request_at(world.station_a, minutes_ago=30 * 60)  # normal: shown in the queue, no SMS
    request_at(world.station_a, minutes_ago=5, urgency="crisis")  # not late yet
    db.session.commit()
    assert deadline_jobs.alert_overdue() == 1
    sms = outbox("request_overdue")
    assert sorted(m.to_phone for m in sms) == sorted([worker.phone, admin.phone])
    assert all(m.crisis and code_text(crisis.code) in m.body for m in sms)
    assert db.session.get(HelpRequest, crisis.id).overdue_alerted_at is not None
    assert len(events(crisis.id, "overdue_alert")) == 1
    assert deadline_jobs.alert_overdue() == 0
    assert len(outbox("request_overdue")) == 2


def test_a_room_without_workers_alerts_its_township(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request_at(world.room_a1, minutes_ago=200, urgency="urgent")
    db.session.commit()
    assert deadline_jobs.alert_overdue() == 1
    assert [m.to_phone for m in outbox("request_overdue")] == [worker.phone]


def test_due_at_is_created_plus_target(world):
    r = request_at(world.station_a, urgency="urgent")
    assert r.created_at + timedelta(minutes=120) == deadlines.due_at(r)
    waited = r.created_at + timedelta(minutes=5, seconds=59)
    assert deadlines.minutes_waiting(r, waited) == 5  # whole minutes, rounded down


def test_the_worker_runs_both_console_jobs(app):
    from app.jobs.scheduler import _jobs

    jobs = {job.name: job for job in _jobs()}
    assert jobs["alert overdue requests"].run is deadline_jobs.alert_overdue
    assert jobs["alert overdue visits"].every_seconds == 3600


def test_the_python_rank_of_each_urgency_is_the_index_expression_s(world):
    """The overdue ranges pair each urgency with its rank in the queue index's expression:
    a rank that disagreed would read the wrong range and count nothing."""
    from sqlalchemy import select

    from app.models.requests import urgency_rank, urgency_rank_column

    for urgency in ("crisis", "urgent", "normal"):
        made = request_at(world.station_a, urgency=urgency)
        db.session.flush()
        ranked = db.session.scalar(select(urgency_rank_column()).where(HelpRequest.id == made.id))
        assert ranked == urgency_rank(urgency)
