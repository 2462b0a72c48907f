"""The outbox worker sends through the real twilio library to a fake Twilio server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.sms import dispatch_pending, recover_expired_leases
from app.models import HelpRequest, OutboxMessage, SmsOptOut
from app.models.base import utcnow
from app.services.notifications import dispatch
from tests import factories
from tests.sms_support import (  # noqa: F401 - fixtures
    FROM_NUMBER,
    add_message,
    fake_twilio_fixture,
    make_due,
    reload,
    twilio_fixture,
)

PHONE = "+8613800138000"


def test_a_message_goes_to_twilio_and_its_id_is_kept(twilio):
    message = add_message(PHONE, "【邻里】您的求助已收到")
    assert dispatch_pending() == 1
    stored = reload(message)
    assert stored.status == "sent"
    assert stored.provider_id.startswith("SM") and stored.sent_at is not None
    assert stored.attempts == 1 and stored.last_error == ""
    [got] = twilio.received
    assert (got.to, got.body, got.from_) == (PHONE, "【邻里】您的求助已收到", FROM_NUMBER)
    assert got.sid == stored.provider_id
    assert got.status_callback == f"http://localhost/sms/status?m={message.id}"
    assert dispatch_pending() == 0  # sent once, not again
    assert len(twilio.received) == 1


def test_a_messaging_service_replaces_the_from_number(app, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_FROM", "")
    monkeypatch.setitem(app.config, "TWILIO_MESSAGING_SERVICE_SID", "MG" + "2" * 32)
    add_message(PHONE)
    assert dispatch_pending() == 1
    [got] = twilio.received
    assert got.messaging_service_sid == "MG" + "2" * 32 and got.from_ == ""


def test_an_invalid_number_fails_for_good_and_flags_the_request(twilio, world):
    request = factories.make_request(world.station_a, contact_phone="+8613900000001")
    message = add_message("+8613900000001", request_id=request.id)
    twilio.fail("+8613900000001", "invalid")
    assert dispatch_pending() == 0
    stored = reload(message)
    assert (stored.status, stored.error_code) == ("failed", "21211")
    assert "invalid phone number" in stored.last_error
    assert db.session.get(HelpRequest, request.id).sms_unreachable is True
    make_due(message)
    dispatch_pending()
    assert len(twilio.received) == 1  # never retried


def test_another_4xx_is_permanent_too_but_does_not_blame_the_number(twilio, world):
    request = factories.make_request(world.station_a, contact_phone=PHONE)
    message = add_message(PHONE, request_id=request.id)
    twilio.fail(PHONE, "bad_request")
    dispatch_pending()
    stored = reload(message)
    assert (stored.status, stored.error_code) == ("failed", "21602")
    assert "HTTP 400" in stored.last_error
    assert db.session.get(HelpRequest, request.id).sms_unreachable is False


def test_wrong_credentials_keep_the_message_for_later(app, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "a-wrong-token")
    message = add_message(PHONE)
    dispatch_pending()
    stored = reload(message)
    assert (stored.status, stored.error_code) == ("pending", "20003")
    assert "credentials" in stored.last_error
    assert twilio.received[0].authorised is False


def test_unsubscribed_number_is_opted_out_and_never_texted_again(twilio):
    first = add_message(PHONE)
    twilio.fail(PHONE, "unsubscribed")
    dispatch_pending()
    assert (reload(first).status, reload(first).error_code) == ("failed", "21610")
    assert db.session.get(SmsOptOut, PHONE) is not None
    later = add_message(PHONE, "another")
    dispatch_pending()
    stored = reload(later)
    assert stored.status == "suppressed" and "STOP" in stored.last_error
    assert len(twilio.received) == 1


def test_an_opted_out_number_is_suppressed_before_sending(twilio):
    db.session.add(SmsOptOut(phone=PHONE))
    message = add_message(PHONE)
    other = add_message("+8613800138001")
    assert dispatch_pending() == 1
    assert reload(message).status == "suppressed"
    assert reload(other).status == "sent"
    assert [r.to for r in twilio.received] == ["+8613800138001"]


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [("rate_limited", "20429"), ("server_error", "20500"), ("unavailable", "20503"), ("hang", "")],
)
def test_temporary_errors_retry_with_growing_backoff_then_give_up(
    app, twilio, monkeypatch, behaviour, code
):
    monkeypatch.setitem(app.config, "TWILIO_TIMEOUT", 0.3)
    twilio.hang_seconds = 1.5
    twilio.set_default(behaviour)
    message = add_message(PHONE)
    waits = []
    for attempt in (1, 2):
        before = utcnow()
        assert dispatch_pending() == 0
        stored = reload(message)
        assert (stored.status, stored.attempts, stored.error_code) == ("pending", attempt, code)
        waits.append((stored.next_attempt_at - before).total_seconds())
        if behaviour == "hang":
            assert "in time" in stored.last_error
        make_due(message)
    assert 29 <= waits[0] < 40 and waits[1] >= 59, waits  # 30 s, then 60 s (+ up to 10 %)
    # A day after the first failure (SMS_RETRY_FOR_SECONDS) the next failure is final.
    reload(message).failing_since = utcnow() - timedelta(days=1, seconds=1)
    db.session.commit()
    dispatch_pending()
    stored = reload(message)
    assert stored.status == "failed" and stored.attempts == 3
    assert stored.last_error.startswith("gave up after 3 attempts over 24 h")
    assert len(twilio.received) == 3


def test_a_refused_connection_is_temporary(app, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_API_BASE_URL", "http://127.0.0.1:9")
    message = add_message(PHONE)
    dispatch_pending()
    stored = reload(message)
    assert stored.status == "pending" and "cannot reach Twilio" in stored.last_error


def test_provider_down_then_back_delivers_every_message_once(twilio):
    messages = [add_message(f"+86138001380{i:02d}", f"message {i}") for i in range(8)]
    twilio.set_default("unavailable")
    assert dispatch_pending() == 0
    assert {reload(m).status for m in messages} == {"pending"}
    twilio.set_default("ok")
    assert dispatch_pending() == 0  # not due yet: backoff
    make_due(*messages)
    assert dispatch_pending() == 8
    assert {reload(m).status for m in messages} == {"sent"}
    delivered = sorted(r.body for r in twilio.delivered())
    assert delivered == sorted(f"message {i}" for i in range(8))


def _at_local(monkeypatch, hour: int, minute: int = 0) -> datetime:
    """Freeze the dispatcher's clock at this Asia/Shanghai time (UTC+8) on 2026-11-28."""
    now = datetime(2026, 11, 28, hour, minute) - timedelta(hours=8)
    monkeypatch.setattr(dispatch, "utcnow", lambda: now)
    return now


def test_offers_wait_for_the_morning_in_quiet_hours(twilio, world, monkeypatch):
    now = _at_local(monkeypatch, 23, 30)
    normal = factories.make_request(world.station_a)
    urgent = factories.make_request(world.station_a, urgency="urgent")
    offer = add_message(PHONE, "offer", template="volunteer_offer", request_id=normal.id)
    urgent_offer = add_message(
        "+8613800138002", "urgent", template="volunteer_offer", request_id=urgent.id
    )
    crisis = add_message("+8613800138003", "crisis", template="volunteer_offer", crisis=True)
    notice = add_message("+8613800138004", "notice", template="request_received")
    for m in (offer, urgent_offer, crisis, notice):
        db.session.get(OutboxMessage, m.id).next_attempt_at = now
    db.session.commit()
    assert dispatch_pending() == 3
    held = reload(offer)
    assert (held.status, held.hold_reason, held.attempts) == ("pending", "quiet_hours", 0)
    assert held.next_attempt_at == datetime(2026, 11, 29, 0, 0)  # 08:00 in Shanghai
    assert sorted(r.body for r in twilio.received) == ["crisis", "notice", "urgent"]


def test_offers_go_out_in_the_daytime(twilio, world, monkeypatch):
    now = _at_local(monkeypatch, 10, 0)
    offer = add_message(PHONE, "offer", template="volunteer_offer", next_attempt_at=now)
    assert dispatch_pending() == 1
    assert reload(offer).status == "sent"


def test_the_hourly_limit_postpones_but_crisis_goes_through(app, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_HOURLY_LIMIT", 3)
    crisis = add_message(PHONE, "crisis 1", crisis=True)
    normal = [add_message(PHONE, f"normal {i}") for i in range(4)]
    other = add_message("+8613800138009", "someone else")
    assert dispatch_pending() == 4  # crisis first, two normal, and the other phone
    statuses = [reload(m).status for m in normal]
    assert statuses == ["sent", "sent", "pending", "pending"]
    first_sent = reload(crisis).sent_at
    for m in normal[2:]:
        held = reload(m)
        assert held.hold_reason == "hourly_limit" and held.attempts == 0
        assert held.next_attempt_at >= first_sent + timedelta(hours=1)
    assert reload(other).status == "sent"
    late_crisis = add_message(PHONE, "crisis 2", crisis=True)
    assert dispatch_pending() == 1
    assert reload(late_crisis).status == "sent"
    assert sum(1 for r in twilio.received if r.to == PHONE) == 4


def test_expired_leases_go_back_to_pending_and_fresh_ones_stay(app):
    stale = add_message(PHONE, status="sending", leased_at=utcnow() - timedelta(minutes=10))
    fresh = add_message(PHONE, status="sending", leased_at=utcnow())
    assert recover_expired_leases() == 1
    assert reload(stale).status == "pending" and "stopped" in reload(stale).last_error
    assert reload(fresh).status == "sending"


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_row(app):
    message = add_message(PHONE)
    claimed = dispatch.claim_batch(10, "worker-a")
    assert [m.id for m in claimed] == [message.id]
    db.session.get(OutboxMessage, message.id).leased_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    recover_expired_leases()
    assert [m.id for m in dispatch.claim_batch(10, "worker-b")] == [message.id]
    assert dispatch.renew_leases([message.id], "worker-a") == set()  # a would not send it
    assert dispatch.renew_leases([message.id], "worker-b") == {message.id}
    rows = db.session.scalars(select(OutboxMessage.lease_owner)).all()
    assert rows == ["worker-b"]


def test_a_held_offer_that_is_no_longer_open_is_never_sent(twilio, world, monkeypatch):
    from app.models import Offer
    from app.services import offers
    from tests.volunteer_support import request_in_a1, volunteer_near

    now = _at_local(monkeypatch, 10, 0)
    monkeypatch.setattr(offers, "utcnow", lambda: now)
    first = volunteer_near(world, 1, phone="+8613800138021")
    second = volunteer_near(world, 2, phone="+8613800138022")
    request = request_in_a1(world)
    sent = {o.volunteer_id: o for o in offers.send_offers(request)}
    sent[first.id].status = "declined"
    for message in db.session.scalars(select(OutboxMessage)):
        message.next_attempt_at = now
    db.session.commit()
    assert dispatch_pending() == 1
    db.session.expire_all()
    messages = {
        m.user_id: m
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "volunteer_offer")
        )
    }
    assert messages[first.id].status == "suppressed"
    assert "no longer open" in messages[first.id].last_error
    assert messages[second.id].status == "sent"
    assert [r.to for r in twilio.received] == [second.phone]
    assert db.session.get(Offer, sent[second.id].id).status == "pending"
