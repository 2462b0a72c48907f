"""Issue 13: a provider outage longer than the first few retries loses no message. A
temporary failure is retried at the capped interval for SMS_RETRY_FOR_SECONDS (a day), and
only then is it given up. The real twilio library talks to the fake Twilio server; the
dispatcher's clock is moved instead of sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.config import Config
from app.jobs.sms import dispatch_pending
from app.models.base import utcnow
from app.services.notifications import dispatch
from tests.sms_support import (  # noqa: F401 - fixtures
    add_message,
    fake_twilio_fixture,
    reload,
    twilio_fixture,
)

PHONE = "+8613800138000"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The dispatcher's clock, moved by the test."""
    clock = Clock()
    monkeypatch.setattr(dispatch, "utcnow", clock)
    return clock


def test_retries_last_a_day_at_most_an_hour_apart_by_default(monkeypatch):
    for name in ("SMS_RETRY_FOR_SECONDS", "SMS_RETRY_MAX_SECONDS", "SMS_RETRY_BASE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    config = Config()
    assert config.SMS_RETRY_FOR_SECONDS == 86400
    assert config.SMS_RETRY_MAX_SECONDS == 3600
    assert config.SMS_RETRY_BASE_SECONDS == 30


def test_a_three_hour_outage_then_the_provider_is_back_and_the_message_goes_out(twilio, clock):
    message = add_message(PHONE, "【邻里】您的求助已收到，编号K7M3", next_attempt_at=clock.now)
    twilio.set_default("unavailable")
    start = clock.now
    gaps = []
    while clock.now - start < timedelta(hours=3):  # far past 30+60+120+240+480 s
        assert dispatch_pending() == 0
        stored = reload(message)
        assert stored.status == "pending", stored.last_error
        assert stored.error_code == "20503"
        gaps.append((stored.next_attempt_at - clock.now).total_seconds())
        clock.now = stored.next_attempt_at  # time passes until the retry is due
    assert len(gaps) > 6  # more tries than SMS_MAX_ATTEMPTS used to allow
    # 30 s doubling (+ up to 10 %), then the capped interval: an hour.
    for gap, expected in zip(gaps, (30, 60, 120, 240, 480, 960, 1920, 3600), strict=False):
        assert expected <= gap <= expected * 1.1, gaps
    assert all(3600 <= gap <= 3960 for gap in gaps[7:]), gaps

    twilio.set_default("ok")
    assert dispatch_pending() == 1
    stored = reload(message)
    assert stored.status == "sent" and stored.provider_id.startswith("SM")
    assert stored.attempts == len(gaps) + 1
    assert [r.body for r in twilio.delivered()] == ["【邻里】您的求助已收到，编号K7M3"]


def test_a_temporary_failure_is_given_up_only_after_a_day(app, twilio, clock):
    message = add_message(PHONE, next_attempt_at=clock.now)
    twilio.set_default("server_error")
    dispatch_pending()
    first_failure = clock.now
    assert reload(message).status == "pending"

    clock.now = first_failure + timedelta(hours=23, minutes=59)
    dispatch_pending()
    stored = reload(message)
    assert stored.status == "pending" and stored.attempts == 2

    clock.now = stored.next_attempt_at  # the next try, a minute later: past the day
    assert clock.now - first_failure > timedelta(days=1)
    dispatch_pending()
    stored = reload(message)
    assert stored.status == "failed" and stored.attempts == 3
    assert stored.last_error.startswith("gave up after 3 attempts over 24 h")
    assert stored.error_code == "20500"
    assert len(twilio.received) == 3


def test_the_retry_window_and_interval_follow_the_settings(app, twilio, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_RETRY_FOR_SECONDS", 600)
    monkeypatch.setitem(app.config, "SMS_RETRY_MAX_SECONDS", 60)
    message = add_message(PHONE, next_attempt_at=clock.now)
    twilio.set_default("unavailable")
    start = clock.now
    gaps = []
    while reload(message).status == "pending":
        dispatch_pending()
        stored = reload(message)
        if stored.status == "pending":
            gaps.append((stored.next_attempt_at - clock.now).total_seconds())
            clock.now = stored.next_attempt_at
    assert max(gaps) <= 66 and gaps[-1] >= 60, gaps
    assert timedelta(seconds=600) <= clock.now - start < timedelta(seconds=700)
    assert reload(message).status == "failed"


def test_a_permanent_error_still_fails_at_once(twilio, clock):
    message = add_message(PHONE, next_attempt_at=clock.now)
    twilio.fail(PHONE, "bad_request")
    dispatch_pending()
    stored = reload(message)
    assert (stored.status, stored.attempts, stored.error_code) == ("failed", 1, "21602")
