"""Issue 13: which requests carry a text that has not got through for an hour, and what a
worker can do about one: send it again, or give it up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.sms import dispatch_pending
from app.models import HelpRequest, Offer, OutboxMessage, RequestEvent
from app.models.base import utcnow
from app.services import ServiceError
from app.services.notifications import delivery, followup
from tests import factories
from tests.sms_support import (  # noqa: F401 - fixtures
    fake_twilio_fixture,
    reload,
    twilio_fixture,
)


def message_about(request, *, minutes_ago: int, status: str = "pending", **kwargs):
    values = {
        "to_phone": request.contact_phone,
        "body": "【邻里】您的求助已收到",
        "template": "request_received",
        "request_id": request.id,
        "status": status,
        "created_at": utcnow() - timedelta(minutes=minutes_ago),
        "next_attempt_at": utcnow(),
        **kwargs,
    }
    message = OutboxMessage(**values)
    db.session.add(message)
    db.session.flush()
    return message


def flagged(*requests, now=None) -> set[int]:
    """Of ``requests``, those the console queue flags: its column, ``undelivered_flag``,
    asked with ``moment_params`` as the queue asks it."""
    query = select(HelpRequest.id).where(
        HelpRequest.id.in_([r.id for r in requests]), followup.undelivered_flag(HelpRequest.id)
    )
    return set(db.session.scalars(query, followup.moment_params(now)))


@pytest.fixture
def request_a(world):
    return factories.make_request(world.station_a, contact_phone="+8613800138000")


def test_a_residents_text_still_waiting_after_an_hour_flags_the_request(world, request_a):
    fresh = factories.make_request(world.station_a, contact_phone="+8613800138001")
    message_about(request_a, minutes_ago=61, attempts=7, last_error="Twilio is busy or down")
    message_about(fresh, minutes_ago=30, attempts=3, last_error="Twilio is busy or down")
    assert flagged(request_a, fresh) == {request_a.id}


def test_the_flag_is_asked_at_the_moment_given_each_time(world, request_a):
    """The question is built once and asked many times: each asking uses its own moment
    (the hour's grace and an offer's expiry), never the first one's."""
    volunteer = factories.make_volunteer(world.station_a)
    open_offer(request_a, volunteer, expires_at=utcnow() + timedelta(hours=2))
    message_about(
        request_a,
        minutes_ago=30,
        status="failed",
        to_phone=volunteer.phone,
        user_id=volunteer.id,
        template="volunteer_offer",
    )
    assert flagged(request_a, now=utcnow()) == set()
    an_hour_on = utcnow() + timedelta(hours=1)
    assert flagged(request_a, now=an_hour_on) == {request_a.id}
    past_expiry = utcnow() + timedelta(hours=3)
    assert flagged(request_a, now=past_expiry) == set()
    assert flagged(request_a, now=an_hour_on) == {request_a.id}


def open_offer(request, volunteer, **kwargs) -> Offer:
    values = {
        "request_id": request.id,
        "volunteer_id": volunteer.id,
        "reply_code": "K7M3",
        "status": "pending",
        "expires_at": utcnow() + timedelta(hours=1),
        **kwargs,
    }
    offer = Offer(**values)
    db.session.add(offer)
    db.session.flush()
    return offer


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_volunteers_text_that_failed_flags_the_request(world, request_a, status):
    volunteer = factories.make_volunteer(world.station_a)
    open_offer(request_a, volunteer)
    message_about(
        request_a,
        minutes_ago=90,
        status=status,
        to_phone=volunteer.phone,
        user_id=volunteer.id,
        template="volunteer_offer",
    )
    assert flagged(request_a) == {request_a.id}


@pytest.mark.parametrize(
    "ended",
    [
        {"status": "expired"},
        {"status": "accepted"},
        {"status": "withdrawn"},
        {"expires_at": utcnow() - timedelta(minutes=1)},
    ],
)
def test_a_failed_offer_text_stops_flagging_when_the_offer_is_over(world, request_a, ended):
    volunteer = factories.make_volunteer(world.station_a)
    offer = open_offer(request_a, volunteer)
    message_about(
        request_a,
        minutes_ago=90,
        status="failed",
        to_phone=volunteer.phone,
        user_id=volunteer.id,
        template="volunteer_offer",
    )
    assert flagged(request_a) == {request_a.id}
    for name, value in ended.items():
        setattr(offer, name, value)
    db.session.flush()
    assert flagged(request_a) == set()
    line = followup.sms_lines(request_a)[0]
    assert not line.undelivered


def test_texts_that_went_out_or_were_meant_to_wait_do_not_flag(world, request_a):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    for status in ("sent", "delivered", "suppressed"):
        message_about(request_a, minutes_ago=120, status=status)
    message_about(request_a, minutes_ago=120, hold_reason="quiet_hours")
    message_about(request_a, minutes_ago=120, hold_reason="hourly_limit")
    # Alerts to the station's own workers: they are looking at the console already.
    message_about(
        request_a,
        minutes_ago=120,
        status="failed",
        to_phone=worker.phone,
        user_id=worker.id,
        template="offer_unmatched",
    )
    message_about(request_a, minutes_ago=120, status="failed", given_up_at=utcnow())
    assert flagged(request_a) == set()


def test_resend_puts_a_failed_text_back_in_the_outbox_and_writes_the_timeline(
    world, request_a, twilio
):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a, name="刘社工")
    message = message_about(
        request_a,
        minutes_ago=60 * 25,
        status="failed",
        attempts=30,
        error_code="20503",
        last_error="gave up after 30 attempts over 24 h: Twilio is busy or down",
        failing_since=utcnow() - timedelta(hours=25),
    )
    event = followup.resend(request_a, message, actor=worker)
    db.session.commit()

    stored = reload(message)
    assert (stored.status, stored.attempts, stored.failing_since) == ("pending", 0, None)
    assert stored.next_attempt_at <= utcnow()
    assert (event.action, event.actor_id, event.public) == ("sms_resent", worker.id, False)
    assert "居民" in event.note
    # The worker sends it, the provider is back: it goes out.
    assert dispatch_pending() == 1
    assert reload(message).status == "sent"
    assert [r.body for r in twilio.delivered()] == ["【邻里】您的求助已收到"]
    assert flagged(request_a) == set()


def test_a_text_that_went_out_cannot_be_resent(world, request_a):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    message = message_about(request_a, minutes_ago=5, status="delivered")
    with pytest.raises(ServiceError, match="只有没发出去的短信"):
        followup.resend(request_a, message, actor=worker)
    assert reload(message).status == "delivered"


def test_a_number_that_opted_out_is_not_resent(world, request_a):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    message = message_about(request_a, minutes_ago=90, status="failed", error_code="21610")
    delivery.opt_out(request_a.contact_phone)
    with pytest.raises(ServiceError, match="退订"):
        followup.resend(request_a, message, actor=worker)
    assert reload(message).status == "failed"


def test_giving_up_stops_the_retries_and_the_flag(world, request_a, twilio):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    message = message_about(
        request_a, minutes_ago=90, attempts=8, error_code="20503", last_error="Twilio is down"
    )
    assert flagged(request_a) == {request_a.id}
    event = followup.give_up(request_a, message, actor=worker)
    db.session.commit()

    stored = reload(message)
    assert stored.status == "failed" and stored.given_up_at is not None
    assert "given up" in stored.last_error and "Twilio is down" in stored.last_error
    assert (event.action, event.actor_id) == ("sms_given_up", worker.id)
    assert flagged(request_a) == set()
    assert dispatch_pending() == 0
    assert twilio.received == []


def test_a_given_up_text_can_still_be_resent(world, request_a):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    message = message_about(request_a, minutes_ago=90, status="failed", given_up_at=utcnow())
    followup.resend(request_a, message, actor=worker)
    stored = reload(message)
    assert stored.status == "pending" and stored.given_up_at is None


def test_a_message_of_another_request_is_refused(world, request_a):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    other = factories.make_request(world.station_a)
    message = message_about(other, minutes_ago=90, status="failed")
    with pytest.raises(ServiceError):
        followup.resend(request_a, message, actor=worker)
    with pytest.raises(ServiceError):
        followup.give_up(request_a, message, actor=worker)
    assert db.session.query(RequestEvent).filter_by(request_id=request_a.id).count() == 0


def test_an_offer_text_whose_offer_has_closed_is_not_resent(world, request_a):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    volunteer = factories.make_volunteer(world.station_a)
    offer = Offer(
        request_id=request_a.id,
        volunteer_id=volunteer.id,
        reply_code="K7MQ",
        status="expired",
        expires_at=utcnow() - timedelta(minutes=5),
    )
    db.session.add(offer)
    message = message_about(
        request_a,
        minutes_ago=90,
        status="failed",
        to_phone=volunteer.phone,
        user_id=volunteer.id,
        template="volunteer_offer",
    )
    with pytest.raises(ServiceError, match="不再有效"):
        followup.resend(request_a, message, actor=worker)
    assert reload(message).status == "failed"
    # Giving it up is what is left.
    followup.give_up(request_a, message, actor=worker)
    assert reload(message).given_up_at is not None
