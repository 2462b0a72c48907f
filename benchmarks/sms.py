"""SMS dispatch benchmark: one ``flask worker`` beside a bare loop of the twilio library.

In one run, against one fake Twilio server (``tests/fakes/twilio_server.py``, in a process
of its own on 127.0.0.1):

1. the bare reference: ``Client(...).messages.create`` in a loop, N messages;
2. the worker: N pending rows bulk-inserted into the outbox of the bench database, then ONE
   real ``flask worker`` process (SMS_BACKEND=twilio, the production defaults otherwise)
   until the outbox is empty. Its rate comes from the rows' own ``sent_at`` (first to
   last), so the worker's start-up is not counted.

Both run in turns, ``BENCH_SMS_ROUNDS`` (2) times, and the best of each is compared (the
machine's load moves both). Then:

3. a crisis message queued while the provider hangs, behind a queue of normal ones: how
   long until the worker tried it, and how many normal messages it tried first.

Environment: ``BENCH_POSTGRES_URL``, ``BENCH_SMS_DB`` (default linli_bench_sms),
``BENCH_SMS_MESSAGES`` (3,000), ``BENCH_SMS_ROUNDS`` (2).
Run: ``make bench BENCH_ARGS="--only sms"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load import ensure_database

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_SMS_DB", "linli_bench_sms")
MESSAGES = int(os.environ.get("BENCH_SMS_MESSAGES", "3000"))
ROUNDS = int(os.environ.get("BENCH_SMS_ROUNDS", "2"))
TARGET_RATE = 200  # messages a second
TARGET_RATIO = 0.7  # of the bare loop
ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "bench-token"
FROM_NUMBER = "+15005550006"
BODY = "【邻里】您的求助已收到，编号K7M3QXA。志愿者接单后会再发短信告诉您。查看进度：http://127.0.0.1:5000/t/K7M3QXA"
HANG_TIMEOUT = 1  # TWILIO_TIMEOUT for the hung provider
HUNG_QUEUE = 200  # normal messages waiting when the crisis message comes


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _env(url: str, fake_url: str, **settings) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        FLASK_APP="wsgi.py",
        SECRET_KEY="bench-secret",
        PUBLIC_BASE_URL="http://127.0.0.1:5000",
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM=FROM_NUMBER,
        TWILIO_API_BASE_URL=fake_url,
        **{key: str(value) for key, value in settings.items()},
    )
    for name in ("TWILIO_EDGE", "TWILIO_REGION", "TWILIO_MESSAGING_SERVICE_SID"):
        env.pop(name, None)
    return env


def _start_fake(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.twilio_server",
            "--account-sid",
            ACCOUNT_SID,
            "--auth-token",
            AUTH_TOKEN,
            *args,
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline().strip()


def _stop(process: subprocess.Popen) -> None:
    if process.stdin:
        process.stdin.close()
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bare_loop(fake_url: str, count: int) -> float:
    """Messages a second through the twilio library alone, one after another."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=TwilioHttpClient(timeout=10))
    client.api.base_url = fake_url
    started = time.perf_counter()
    for i in range(count):
        client.messages.create(
            to=f"+86139{i:08d}",
            from_=FROM_NUMBER,
            body=BODY,
            status_callback=f"http://127.0.0.1:5000/sms/status?m={i + 1}",
        )
    return count / (time.perf_counter() - started)


def _fill_outbox(conn, count: int, *, crisis: bool = False, phone_prefix: str = "+86139") -> None:
    conn.execute(
        """
        INSERT INTO outbox_message (to_phone, body, template, language, crisis, status,
            attempts, next_attempt_at, last_error, error_code, created_at, lease_owner,
            hold_reason)
        SELECT %(prefix)s || lpad(g::text, 8, '0'), %(body)s, 'request_received', 'zh',
            %(crisis)s, 'pending', 0, now() at time zone 'utc', '', '',
            now() at time zone 'utc', '', ''
        FROM generate_series(1, %(count)s) AS g
        """,
        {"prefix": phone_prefix, "body": BODY, "crisis": crisis, "count": count},
    )


def _waiting(conn) -> int:
    return conn.execute(
        "select count(*) from outbox_message where status in ('pending', 'sending')"
    ).fetchone()[0]


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    """The worker logs to a file: a pipe nobody reads would stop it once full."""
    log = tempfile.TemporaryFile("w+", encoding="utf-8")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker.log_file = log
    return worker


def _worker_log(worker: subprocess.Popen) -> str:
    _stop(worker)
    worker.log_file.seek(0)
    text = worker.log_file.read()
    worker.log_file.close()
    return text


def worker_rate(url: str, fake_url: str, count: int) -> tuple[float, str]:
    """Messages a second through one ``flask worker``, and what it logged."""
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("delete from outbox_message")
        conn.execute("delete from sms_opt_out")
        _fill_outbox(conn, count)
        worker = _start_worker(_env(url, fake_url))
        try:
            deadline = time.monotonic() + max(120, count / 5)
            while _waiting(conn) and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)
        finally:
            log = _worker_log(worker)
        left = _waiting(conn)
        if left:
            raise RuntimeError(f"the worker left {left} messages unsent:\n{log[-3000:]}")
        sent, first, last = conn.execute(
            "select count(*), min(sent_at), max(sent_at) from outbox_message where status = 'sent'"
        ).fetchone()
    if sent != count:
        raise RuntimeError(f"{sent} of {count} messages sent:\n{log[-3000:]}")
    return (sent - 1) / (last - first).total_seconds(), log


def crisis_behind_hung_provider(url: str) -> str:
    """Normal messages wait, the provider hangs; a crisis message is queued: when is it
    tried, and how many normal messages were tried before it?"""
    import psycopg

    fake, fake_url = _start_fake("--default", "hang", "--hang-seconds", str(HANG_TIMEOUT * 3))
    try:
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            conn.execute("delete from outbox_message")
            _fill_outbox(conn, HUNG_QUEUE, phone_prefix="+86137")
            worker = _start_worker(_env(url, fake_url, TWILIO_TIMEOUT=HANG_TIMEOUT))
            try:
                deadline = time.monotonic() + 60
                while (
                    time.monotonic() < deadline
                    and not conn.execute(
                        "select 1 from outbox_message where status = 'sending' limit 1"
                    ).fetchone()
                ):
                    time.sleep(0.05)
                time.sleep(0.2)  # the worker is now stuck in its first hung call
                _fill_outbox(conn, 1, crisis=True, phone_prefix="+86120")
                queued = time.monotonic()
                tried = None
                while time.monotonic() < queued + 60:
                    if conn.execute(
                        "select 1 from outbox_message where crisis and attempts > 0"
                    ).fetchone():
                        tried = time.monotonic() - queued
                        break
                    time.sleep(0.05)
                normal_tried = conn.execute(
                    "select count(*) from outbox_message where not crisis and attempts > 0"
                ).fetchone()[0]
            finally:
                _worker_log(worker)
    finally:
        _stop(fake)
    if tried is None:
        return (
            f"  crisis behind a hung provider: NOT tried within 60 s "
            f"({normal_tried} of {HUNG_QUEUE} normal messages tried; TWILIO_TIMEOUT={HANG_TIMEOUT})"
        )
    return (
        f"  crisis behind a hung provider ({HUNG_QUEUE} normal messages waiting, "
        f"TWILIO_TIMEOUT={HANG_TIMEOUT} s): tried {tried:.1f} s after it was queued, "
        f"after {normal_tried} normal message(s)"
    )


def prepare(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=_env(url, "http://127.0.0.1:9"),
        check=True,
        capture_output=True,
    )


def run() -> list[str]:
    url = ensure_database(DB_NAME)
    prepare(url)
    fake, fake_url = _start_fake()
    bare_runs, worker_runs = [], []
    try:
        # Bare loop and worker in turns, ROUNDS times: the machine's load moves both; the
        # best of each is compared.
        for _ in range(ROUNDS):
            bare_runs.append(bare_loop(fake_url, MESSAGES))
            rate, log = worker_rate(url, fake_url, MESSAGES)
            worker_runs.append(rate)
    finally:
        _stop(fake)
    bare, worker = max(bare_runs), max(worker_runs)
    ratio = worker / bare
    verdict = "meets" if worker >= TARGET_RATE and ratio >= TARGET_RATIO else "MISSES"
    leaked = [p for p in ("+86139", "K7M3QXA") if p in log]
    lines = [
        f"  bare twilio-library loop    {bare:8.1f} msgs/s  ({MESSAGES} messages, 1.00×; "
        f"best of {', '.join(f'{r:.0f}' for r in bare_runs)})",
        f"  one flask worker (outbox)   {worker:8.1f} msgs/s  ({ratio:.2f}× bare; "
        f"best of {', '.join(f'{r:.0f}' for r in worker_runs)})",
        f"  target >= {TARGET_RATE} msgs/s and >= {TARGET_RATIO}× bare: {verdict}",
        "  the worker's log holds "
        + ("phone numbers or bodies: " + ", ".join(leaked) if leaked else "no phone or body"),
    ]
    lines.append(crisis_behind_hung_provider(url))
    lines.append(f"  load average {os.getloadavg()[0]:.1f} after the run")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
