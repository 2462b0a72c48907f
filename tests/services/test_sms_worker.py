"""``flask worker`` as real processes: killed mid-batch it loses nothing, and two of them on
PostgreSQL never send one row twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage
from tests.sms_support import (  # noqa: F401 - fixtures
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    add_message,
    fake_twilio_fixture,
)

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def _start_worker(app, fake, **settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "worker-test",
        "PUBLIC_BASE_URL": "http://localhost",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": FROM_NUMBER,
        "TWILIO_API_BASE_URL": fake.base_url,
        "TWILIO_TIMEOUT": "5",
        "WORKER_POLL_SECONDS": "0.1",
        "SMS_HOURLY_LIMIT": "100",
        **{key: str(value) for key, value in settings.items()},
    }
    for name in ("TWILIO_EDGE", "TWILIO_REGION", "TWILIO_MESSAGING_SERVICE_SID"):
        env.pop(name, None)
    process = subprocess.Popen(
        [FLASK, "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = process.stdout.readline()
    assert "worker started" in line, line + process.stdout.read()
    return process


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.stdout.read() if process.stdout else ""


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _statuses() -> Counter:
    db.session.rollback()  # a fresh snapshot of what the workers wrote
    return Counter(db.session.scalars(select(OutboxMessage.status)).all())


def test_a_worker_killed_mid_batch_loses_no_message(app, fake_twilio):
    bodies = [f"message {i:02d}" for i in range(12)]
    messages = [add_message(f"+86138001381{i:02d}", body) for i, body in enumerate(bodies)]
    fake_twilio.delay = 0.4  # a slow provider: the batch takes ~5 s
    first = _start_worker(app, fake_twilio, SMS_LEASE_SECONDS=2, SMS_BATCH_SIZE=20)
    try:
        _wait_for(lambda: len(fake_twilio.received) >= 4, 30, "the first worker to send some")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        _stop(first)
    stuck = _statuses()
    assert stuck["sending"] >= 7, stuck  # claimed, not recorded: a crash's leftovers
    fake_twilio.delay = 0.0
    second = _start_worker(app, fake_twilio, SMS_LEASE_SECONDS=2, SMS_BATCH_SIZE=20)
    try:
        _wait_for(lambda: _statuses() == Counter(sent=12), 60, "every message to be sent")
    finally:
        log = _stop(second)
    assert "back to pending after an expired lease" in log
    delivered = Counter(r.body for r in fake_twilio.delivered())
    assert set(delivered) == set(bodies)  # none lost
    # At most the one message in flight when the worker died went out twice.
    assert sum(delivered.values()) - len(bodies) <= 1, delivered
    db.session.rollback()
    sids = {r.sid for r in fake_twilio.delivered()}
    for message in messages:
        stored = db.session.get(OutboxMessage, message.id)
        assert stored.provider_id in sids


def test_two_workers_on_postgresql_never_send_the_same_row_twice(app, backend, fake_twilio):
    if backend != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED needs PostgreSQL (SQLite runs one writer at a time)")
    fake_twilio.delay = 0.02
    workers = [
        _start_worker(app, fake_twilio, SMS_BATCH_SIZE=5, SMS_LEASE_SECONDS=60) for _ in range(2)
    ]
    try:
        bodies = [f"parallel {i:03d}" for i in range(120)]
        for i, body in enumerate(bodies):
            db.session.add(OutboxMessage(to_phone=f"+8613900{i:05d}", body=body, template="t"))
        db.session.commit()
        _wait_for(lambda: _statuses() == Counter(sent=120), 90, "every message to be sent")
    finally:
        for worker in workers:
            _stop(worker)
    delivered = Counter(r.body for r in fake_twilio.delivered())
    assert set(delivered) == set(bodies)
    assert max(delivered.values()) == 1, [b for b, n in delivered.items() if n > 1]
    db.session.rollback()
    owners = db.session.scalars(select(OutboxMessage.lease_owner)).all()
    pids = {owner.split(":")[1] for owner in owners}
    assert pids == {str(w.pid) for w in workers}, "both workers should have sent some"
    assert db.session.scalar(select(func.count(func.distinct(OutboxMessage.provider_id)))) == 120


def test_a_worker_facing_a_hung_provider_tries_a_crisis_message_next(app, fake_twilio):
    """Issue 17: thirty normal texts wait and every call hangs; a crisis text queued
    meanwhile is the next call the worker makes, not the thirty-first."""
    fake_twilio.set_default("hang")
    fake_twilio.hang_seconds = 3.0
    for i in range(30):
        add_message(f"+86138001382{i:02d}", f"normal {i:02d}")
    worker = _start_worker(app, fake_twilio, TWILIO_TIMEOUT=1, WORKER_POLL_SECONDS=2)
    try:
        _wait_for(lambda: len(fake_twilio.received) >= 1, 30, "the first call to hang")
        add_message("+8613800138299", "crisis", crisis=True)
        calls_before = len(fake_twilio.received)
        _wait_for(
            lambda: any(r.body == "crisis" for r in list(fake_twilio.received)),
            30,
            "the crisis message to be tried",
        )
    finally:
        _stop(worker)
    bodies = [r.body for r in fake_twilio.received]
    # At most one normal call may have been on its way as the crisis row was written.
    assert bodies.index("crisis") <= calls_before + 1, bodies
