"""A job commits each unit of work on its own: one request that fails is rolled back
alone, the others are kept, and it is tried again on the job's next run."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from app.jobs import deadlines as deadline_jobs
from app.jobs import offers as offer_jobs
from app.jobs.units import each_in_its_own_unit
from app.models import HelpRequest, OutboxMessage, Station
from app.services import ServiceError, deadlines, offers
from tests import factories
from tests.console_support import events, request_at
from tests.volunteer_support import request_in_a1, volunteer_near


def overdue_alerted(request_id: int) -> bool:
    return db.session.get(HelpRequest, request_id).overdue_alerted_at is not None


def texts_about(request_id: int) -> int:
    return len(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.request_id == request_id)
        ).all()
    )


def test_one_request_that_fails_does_not_hold_up_the_others(world, monkeypatch, caplog):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    ids = [request_at(world.station_a, minutes_ago=40 + i, urgency="crisis").id for i in range(3)]
    db.session.commit()
    bad = ids[1]
    real_alert = deadlines.alert_overdue_request

    def alert_then_fail_on_the_bad_one(request, now):
        done = real_alert(request, now)  # its SMS and event are written, then it fails
        if request.id == bad:
            raise RuntimeError("the bad one")
        return done

    monkeypatch.setattr(deadlines, "alert_overdue_request", alert_then_fail_on_the_bad_one)
    with caplog.at_level(logging.ERROR, logger="linli.worker"):
        assert deadline_jobs.alert_overdue() == 2
    assert f"job alert overdue requests: {bad} failed and was rolled back" in caplog.text

    assert not db.session().in_transaction()  # every unit was committed or rolled back
    db.session.expire_all()  # read what was stored
    assert [overdue_alerted(i) for i in ids] == [True, False, True]
    assert [texts_about(i) for i in ids] == [1, 0, 1]
    assert [len(events(i, "overdue_alert")) for i in ids] == [1, 0, 1]

    monkeypatch.undo()
    assert deadline_jobs.alert_overdue() == 1  # the next run alerts the one left
    assert overdue_alerted(bad) and texts_about(bad) == 1
    assert worker.phone in {m.to_phone for m in db.session.scalars(select(OutboxMessage))}


def test_a_request_the_state_machine_refuses_does_not_stop_auto_offer(world, monkeypatch):
    volunteer_near(world, 1)
    world.station_a.auto_offer = True
    first, second = request_in_a1(world, status="new"), request_in_a1(world, status="new")
    db.session.commit()
    real_auto_offer = offers.auto_offer

    def refuse_the_first(request):
        if request.id == first.id:
            raise ServiceError("not allowed")
        return real_auto_offer(request)

    monkeypatch.setattr(offers, "auto_offer", refuse_the_first)
    assert offer_jobs.auto_offer_new_requests() == 1
    assert not db.session().in_transaction()
    db.session.expire_all()
    assert db.session.get(HelpRequest, first.id).status == "new"
    assert db.session.get(HelpRequest, second.id).status == "offered"


def test_each_unit_commits_on_its_own_and_a_failure_rolls_back_only_itself(world):
    station = world.station_a

    def rename(name: str) -> int:
        station.name = name
        db.session.flush()
        if name == "bad":
            raise ValueError(name)
        return 1

    assert each_in_its_own_unit("rename", ["good", "bad"], rename) == 1
    assert not db.session().in_transaction()
    db.session.expire_all()
    assert db.session.get(Station, station.id).name == "good"
