"""Scheduled SMS jobs: the evening reminder before a service, and auto-close of done work."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.jobs.reminders import auto_close_done_requests, remind_volunteers
from app.models import Claim, HelpRequest, OutboxMessage, RequestEvent
from app.models.base import utcnow
from app.services.codes import code_text
from tests import factories


def _utc(local_day: int, hour: int, minute: int = 0) -> datetime:
    """A naive UTC time for this Asia/Shanghai (UTC+8) time in November 2026."""
    return datetime(2026, 11, local_day, hour, minute) - timedelta(hours=8)


def _assigned(world, volunteer, wanted_at, *, claim_status="active"):
    request = factories.make_request(
        world.station_a, status="assigned", village=world.village_a1, wanted_at=wanted_at
    )
    request.assigned_volunteer_id = volunteer.id
    db.session.add(
        Claim(request_id=request.id, volunteer_id=volunteer.id, status=claim_status, via="web")
    )
    db.session.commit()
    return request


def _reminders():
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "service_reminder")
    ).all()


def test_a_volunteer_is_reminded_once_the_evening_before(app, world):
    volunteer = factories.make_volunteer(world.station_a, phone="+8613700000001")
    tomorrow = _assigned(world, volunteer, _utc(29, 9, 30))
    _assigned(world, volunteer, _utc(30, 9, 30))  # the day after: not yet
    other = factories.make_volunteer(world.station_a, phone="+8613700000002")
    _assigned(world, other, _utc(29, 10), claim_status="released")  # given back: no reminder
    evening = _utc(28, 19, 0)
    assert remind_volunteers(now=evening) == 1
    [message] = _reminders()
    assert message.to_phone == volunteer.phone and message.request_id == tomorrow.id
    assert "明天09:30" in message.body and f"#{tomorrow.id}" in message.body
    assert "杏花社区" in message.body
    assert remind_volunteers(now=evening + timedelta(minutes=30)) == 0  # once
    assert len(_reminders()) == 1


def test_a_team_task_given_to_a_member_reminds_the_member_not_the_leader(app, world):
    leader = factories.make_volunteer(world.station_a, phone="+8613700000011")
    member = factories.make_volunteer(world.station_a, phone="+8613700000012")
    team = factories.make_team(world.station_a, leader, members=[member])
    request = factories.make_request(
        world.station_a, status="assigned", village=world.village_a1, wanted_at=_utc(29, 9, 30)
    )
    request.assigned_team_id = team.id
    db.session.add(
        Claim(
            request_id=request.id,
            volunteer_id=leader.id,
            team_id=team.id,
            dispatched_to_id=member.id,
            status="active",
            via="web",
        )
    )
    db.session.commit()
    assert remind_volunteers(now=_utc(28, 19, 0)) == 1
    [message] = _reminders()
    assert message.to_phone == member.phone and message.user_id == member.id


def test_no_reminder_outside_the_evening(app, world):
    volunteer = factories.make_volunteer(world.station_a)
    _assigned(world, volunteer, _utc(29, 9, 30))
    assert remind_volunteers(now=_utc(28, 10, 0)) == 0
    assert remind_volunteers(now=_utc(28, 22, 0)) == 0
    assert _reminders() == []


def test_reminders_follow_the_volunteers_language(app, world):
    volunteer = factories.make_volunteer(world.station_a, language="en")
    _assigned(world, volunteer, _utc(29, 14, 0))
    assert remind_volunteers(now=_utc(28, 18, 30)) == 1
    [message] = _reminders()
    assert message.language == "en" and "Reminder: tomorrow 14:00" in message.body


def test_done_requests_close_after_the_configured_days(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "AUTO_CLOSE_DAYS", 7)
    old = factories.make_request(
        world.station_a, status="done", done_at=utcnow() - timedelta(days=8)
    )
    recent = factories.make_request(
        world.station_a, status="done", done_at=utcnow() - timedelta(days=2)
    )
    db.session.commit()
    assert auto_close_done_requests() == 1
    assert db.session.get(HelpRequest, old.id).status == "closed"
    assert db.session.get(HelpRequest, recent.id).status == "done"
    event = db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == old.id)).one()
    assert (event.action, event.from_status, event.to_status) == ("auto_close", "done", "closed")
    [sms] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "request_auto_closed")
    ).all()
    assert (
        sms.to_phone == old.contact_phone and code_text(old.code) in sms.body and "7天" in sms.body
    )
    assert auto_close_done_requests() == 0
