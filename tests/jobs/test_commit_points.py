"""Issue 14: services flush and never commit; outside a web request, only ``app/jobs``
commits, once per unit of work. The SMS dispatcher holds no transaction open while the
provider is called."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import sms
from app.jobs.scheduler import _jobs, run_due_jobs
from app.models import OutboxMessage
from app.services.notifications.senders import Sender, SendError, SendResult
from tests import factories
from tests.console_support import request_at
from tests.sms_support import add_message, reload

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+8613800138000"


def test_no_service_commits():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "app" / "services").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.commit\(", line)
    ]
    assert found == []


def test_the_worker_commits_only_through_the_jobs_unit_of_work(app, world, monkeypatch):
    """Every commit the worker makes in a round of all its jobs comes from app/jobs."""
    factories.make_user(roles=("social_worker",), station=world.station_a)
    request_at(world.station_a, minutes_ago=40, urgency="crisis")
    db.session.commit()
    add_message(PHONE)
    callers: list[str] = []
    real_commit = Session.commit

    def commit_and_note_the_caller(session):
        frame = sys._getframe(1)
        while frame is not None and "sqlalchemy" in frame.f_code.co_filename:
            frame = frame.f_back
        path = Path(frame.f_code.co_filename).resolve().relative_to(ROOT).as_posix()
        callers.append(f"{path}:{frame.f_code.co_name}")
        return real_commit(session)

    monkeypatch.setattr(Session, "commit", commit_and_note_the_caller)
    done = run_due_jobs(_jobs())
    monkeypatch.undo()

    assert len(done) == len(_jobs())  # every job ran, none failed
    assert done["send outbox"] == 1
    assert done["alert overdue requests"] == 1
    assert set(callers) == {"app/jobs/__init__.py:unit_of_work"}


class WatchingSender(Sender):
    """Notes whether a database transaction is open while the provider is called."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.in_transaction: list[bool] = []

    def send(self, to_phone: str, body: str, message_id: int) -> SendResult:
        self.in_transaction.append(db.session().in_transaction())
        if self.fail:
            raise SendError("the provider is down", permanent=False, code="20503")
        return SendResult(provider_id=f"watched-{message_id}")


def test_no_transaction_is_open_while_the_provider_is_called(app, monkeypatch):
    first, second = add_message(PHONE, "one"), add_message("+8613800138001", "two")
    sender = WatchingSender()
    monkeypatch.setattr(sms, "get_sender", lambda: sender)
    assert sms.dispatch_pending() == 2
    assert sender.in_transaction == [False, False]
    assert [reload(m).status for m in (first, second)] == ["sent", "sent"]
    assert reload(first).provider_id == f"watched-{first.id}"


def test_a_failed_send_is_recorded_with_no_transaction_open_during_the_call(app, monkeypatch):
    message = add_message(PHONE)
    sender = WatchingSender(fail=True)
    monkeypatch.setattr(sms, "get_sender", lambda: sender)
    assert sms.dispatch_pending() == 0
    assert sender.in_transaction == [False]
    stored = reload(message)
    assert (stored.status, stored.attempts, stored.error_code) == ("pending", 1, "20503")


def test_flask_worker_once_runs_every_job_once_and_stops(app):
    message = add_message(PHONE)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Linli worker started" in result.output
    status = db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message.id))
    assert status == "sent"
