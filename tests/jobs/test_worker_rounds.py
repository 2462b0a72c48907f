"""Issue 17: the worker sleeps WORKER_POLL_SECONDS only after a round that left nothing it
could do now; a full SMS batch is followed at once by the next."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import scheduler, sms
from app.jobs.scheduler import Job, Progress, run_forever
from app.models import OutboxMessage
from app.services.notifications.senders import Sender, SendResult


class Slept(BaseException):
    """Stops run_forever at its first sleep."""


@pytest.fixture
def first_sleep(monkeypatch) -> list:
    """run_forever stops at its first sleep; what it slept, and after how many rounds."""
    slept: list = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise Slept

    monkeypatch.setattr(scheduler.time, "sleep", sleep)
    return slept


def test_no_sleep_after_a_round_that_left_work(app, first_sleep):
    counts = iter([Progress(50, more=True), Progress(50, more=True), Progress(3, more=False)])
    rounds = []

    def send_outbox() -> int:
        rounds.append(1)
        return next(counts)

    with pytest.raises(Slept):
        run_forever(2.0, jobs=[Job("send outbox", send_outbox, every_seconds=0)])
    assert (len(rounds), first_sleep) == (3, [2.0])


def test_a_plain_count_still_sleeps(app, first_sleep):
    rounds = []
    with pytest.raises(Slept):
        run_forever(2.0, jobs=[Job("other", lambda: rounds.append(1) or 5, every_seconds=0)])
    assert (len(rounds), first_sleep) == (1, [2.0])


class QuickSender(Sender):
    def send(self, to_phone: str, body: str, message_id: int) -> SendResult:
        return SendResult(provider_id=f"quick-{message_id}")


def test_the_worker_sends_a_backlog_of_full_batches_before_it_sleeps(app, first_sleep, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BATCH_SIZE", 20)
    monkeypatch.setattr(sms, "get_sender", QuickSender)
    for i in range(70):
        db.session.add(OutboxMessage(to_phone=f"+8613900{i:05d}", body=f"m{i}", template="t"))
    db.session.commit()
    with pytest.raises(Slept):
        run_forever(2.0, jobs=[Job("send outbox", sms.dispatch_pending, every_seconds=0)])
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 70  # four rounds (20, 20, 20, 10), then the first sleep
