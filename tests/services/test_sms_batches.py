"""Issue 17: the outbox worker sends a batch at a time. A batch costs a few statements,
not a few per message; a full batch asks for the next round at once; a hung or slow
provider gives the untried rows back so a crisis message is never held behind a queue of
normal ones; a crash between sending and recording sends again and loses nothing; the
twilio library writes no request to the log."""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from app.extensions import db
from app.jobs import sms
from app.jobs.sms import dispatch_pending, recover_expired_leases
from app.models import OutboxMessage
from app.models.base import utcnow
from app.services.notifications import dispatch
from app.services.notifications.senders import Sender, SendResult, TwilioSender
from tests.sms_support import (  # noqa: F401 - fixtures
    add_message,
    fake_twilio_fixture,
    reload,
    twilio_fixture,
)

PHONE = "+8613800138000"


class MemorySender(Sender):
    """Takes every text at once; notes the order. ``during_send`` runs inside a send."""

    def __init__(self, during_send=None) -> None:
        self.sent: list[int] = []
        self.during_send = during_send

    def send(self, to_phone: str, body: str, message_id: int) -> SendResult:
        self.sent.append(message_id)
        if self.during_send is not None:
            self.during_send(message_id)
        return SendResult(provider_id=f"mem-{message_id}")


@pytest.fixture
def memory_sender(monkeypatch) -> MemorySender:
    sender = MemorySender()
    monkeypatch.setattr(sms, "get_sender", lambda: sender)
    return sender


@contextmanager
def counted_statements():
    count = [0]

    def one_more(*_args) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", one_more)
    try:
        yield count
    finally:
        event.remove(db.engine, "before_cursor_execute", one_more)


@contextmanager
def captured_statements():
    seen: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, params, _context, _executemany) -> None:
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def statuses() -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(select(OutboxMessage.status)))


def test_a_batch_costs_a_few_statements_not_a_few_per_message(app, memory_sender, monkeypatch):
    monkeypatch.setattr(sms, "RECORD_EVERY_SECONDS", 3600)  # recorded once, at the end
    messages = [add_message(f"+86138001{i:05d}", f"message {i}") for i in range(30)]
    with counted_statements() as count:
        assert dispatch_pending(limit=30) == 30
    # Claim, opt-outs, last hour's texts, one executemany of the outcomes (+ on PostgreSQL
    # SET LOCAL synchronous_commit twice). Before issue 17: about six per message.
    assert count[0] <= 6, count[0]
    assert memory_sender.sent == [m.id for m in messages]
    stored = reload(messages[7])
    assert (stored.status, stored.attempts, stored.provider_id) == ("sent", 1, f"mem-{stored.id}")
    assert stored.sent_at is not None and stored.lease_owner != ""


def test_a_claim_takes_at_most_its_batch_crisis_first(app):
    normal = [add_message(f"+86138002{i:05d}", f"normal {i}") for i in range(30)]
    crisis = add_message("+8613800299999", "crisis", crisis=True)
    claimed = dispatch.claim_batch(5, "worker-a")
    db.session.commit()
    assert [m.id for m in claimed] == [crisis.id] + [m.id for m in normal[:4]]
    assert statuses() == Counter(sending=5, pending=26)
    assert [m.id for m in dispatch.claim_batch(5, "worker-b")] == [m.id for m in normal[4:9]]


def test_a_full_batch_asks_for_the_next_round_at_once(app, memory_sender):
    for i in range(5):
        add_message(f"+86138003{i:05d}", f"message {i}")
    rounds = [dispatch_pending(limit=2) for _ in range(3)]
    assert rounds == [2, 2, 1]
    assert [r.more for r in rounds] == [True, True, False]
    assert dispatch_pending(limit=2).more is False


def test_a_hung_provider_does_not_hold_crisis_behind_normal_ones(app, twilio, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_TIMEOUT", 0.2)
    twilio.hang_seconds = 1.0
    twilio.set_default("hang")
    normal = [add_message(f"+86138004{i:05d}", f"normal {i}") for i in range(10)]
    progress = dispatch_pending()
    assert progress == 0 and progress.more  # the round after starts at once
    assert len(twilio.received) == 1  # one call hung; the nine others were given back
    assert [reload(m).attempts for m in normal] == [1] + [0] * 9
    assert {reload(m).status for m in normal} == {"pending"}
    assert "in time" in reload(normal[0]).last_error
    crisis = add_message("+8613800499999", "crisis", crisis=True)
    dispatch_pending()
    assert [r.body for r in twilio.received] == ["normal 0", "crisis"]
    twilio.set_default("ok")
    assert dispatch_pending() == 9  # back: the nine go out; the two tried wait their backoff
    assert reload(normal[0]).status == reload(crisis).status == "pending"


def test_a_slow_batch_gives_its_untried_rows_back_and_crisis_goes_first(
    app, memory_sender, monkeypatch
):
    monkeypatch.setattr(sms, "YIELD_AFTER_SECONDS", 0)  # every send counts as slow
    normal = [add_message(f"+86138005{i:05d}", f"normal {i}") for i in range(4)]
    crisis = []
    memory_sender.during_send = lambda _id: (
        crisis or crisis.append(add_message("+8613800599999", "crisis", crisis=True))
    )
    progress = dispatch_pending()
    assert (progress, progress.more) == (1, True)
    assert statuses() == Counter(sent=1, pending=4)
    assert [reload(m).attempts for m in normal[1:]] == [0, 0, 0]
    while dispatch_pending():
        pass
    assert memory_sender.sent == [normal[0].id, crisis[0].id] + [m.id for m in normal[1:]]


def test_a_row_another_worker_took_back_mid_batch_is_not_sent(app, memory_sender, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_LEASE_SECONDS", 0)  # renew before every send
    first, second, third = (add_message(f"+86138006{i:05d}", f"m{i}") for i in range(3))

    def another_worker_recovers_the_second(message_id: int) -> None:
        if message_id == first.id:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == second.id)
                .values(lease_owner="another-worker")
            )
            db.session.commit()

    memory_sender.during_send = another_worker_recovers_the_second
    assert dispatch_pending() == 2
    assert memory_sender.sent == [first.id, third.id]
    stored = reload(second)
    assert (stored.status, stored.lease_owner, stored.attempts) == ("sending", "another-worker", 0)


class Crash(BaseException):
    """The worker process stops here (as a kill would)."""


def test_a_crash_between_sending_and_recording_sends_again_and_loses_nothing(
    app, twilio, monkeypatch
):
    monkeypatch.setattr(sms, "RECORD_EVERY_SECONDS", 3600)  # nothing recorded mid-batch
    bodies = [f"message {i}" for i in range(5)]
    for i, body in enumerate(bodies):
        add_message(f"+86138007{i:05d}", body)
    real_send, crashing = TwilioSender.send, [True]

    def send_then_crash_on_the_fourth(self, to_phone, body, message_id):
        if crashing and body == "message 3":
            raise Crash
        return real_send(self, to_phone, body, message_id)

    monkeypatch.setattr(TwilioSender, "send", send_then_crash_on_the_fourth)
    with pytest.raises(Crash):
        dispatch_pending()
    db.session.rollback()
    assert statuses() == Counter(sending=5)  # three went out, none recorded
    assert len(twilio.delivered()) == 3
    crashing.clear()  # a new worker process
    db.session.execute(update(OutboxMessage).values(leased_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert recover_expired_leases() == 5
    assert dispatch_pending() == 5
    assert statuses() == Counter(sent=5)
    delivered = Counter(r.body for r in twilio.delivered())
    assert set(delivered) == set(bodies)  # none lost; the three sent before the crash twice
    assert sorted(delivered.values()) == [1, 1, 2, 2, 2]
    assert db.session.scalar(select(func.count(func.distinct(OutboxMessage.provider_id)))) == 5


def test_a_number_that_replies_stop_gets_nothing_more_from_the_same_batch(twilio):
    twilio.fail(PHONE, "unsubscribed")
    first, second = add_message(PHONE, "one"), add_message(PHONE, "two")
    dispatch_pending()
    assert reload(first).status == "failed" and reload(second).status == "suppressed"
    assert [r.body for r in twilio.received] == ["one"]


def test_the_twilio_library_writes_no_request_to_the_log(app, twilio, caplog):
    caplog.set_level(logging.DEBUG)  # every level, every logger
    body = "【邻里】您的求助已收到，编号K7M3QXA"
    add_message(PHONE, body)
    assert dispatch_pending() == 1
    assert twilio.delivered()[0].to == PHONE  # it really went through the library
    assert "Twilio API Request" not in caplog.text
    assert "Response Status Code" not in caplog.text
    assert PHONE not in caplog.text and body not in caplog.text
    assert PHONE[3:] not in caplog.text


def test_a_claim_reads_its_rows_in_index_order_without_sorting_the_backlog(app):
    """A backlog (after an outage) must not make each claim sort every due row: with
    (status, next_attempt_at) PostgreSQL sorted all of them, 255 ms a claim at 100,000."""
    db.session.execute(
        OutboxMessage.__table__.insert(),
        [{"to_phone": f"+86139{i:08d}", "body": "x", "template": "t"} for i in range(2000)],
    )
    db.session.commit()
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        db.session.execute(text("ANALYZE outbox_message"))
        db.session.commit()
    with captured_statements() as statements:
        dispatch.claim_batch(50, "worker-a")
    [(claim, params)] = [(s, p) for s, p in statements if "UPDATE outbox_message" in s]
    raw = db.session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    if postgresql:
        cursor.execute("EXPLAIN " + claim, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Sort" not in plan, plan
        assert plan.count("Index Scan using ix_outbox_due") == 2, plan
    else:
        cursor.execute("EXPLAIN QUERY PLAN " + claim, params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        assert "TEMP B-TREE" not in plan, plan
        assert plan.count("ix_outbox_due") == 2, plan
    cursor.close()
    db.session.rollback()
