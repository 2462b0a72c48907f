"""The database restarts under load; the app recovers by itself.

A private PostgreSQL 15 (tests/faults/pg_instance.py) serves a threaded app server in a
child process. Four threads hammer /readyz and the sign-in form (a user lookup) while
``pg_ctl restart -m fast`` runs. Errors are allowed only for requests in flight while the
database is down; a moment after it is back every request succeeds, without restarting
the app (the engine's pool_pre_ping drops the dead connections).

Runs once per session (it uses no database fixture), and skips with the reason when the
PostgreSQL binaries are missing — except in CI, where it fails.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass

import pytest

from tests.faults.pg_instance import (
    PrivatePostgres,
    missing_binaries,
    start_app_server,
    stop_app_server,
)

pytestmark = pytest.mark.postgres_only

RECOVERY_SECONDS = 2.0  # "within a few seconds after it is back"


@dataclass
class Outcome:
    started: float
    ended: float
    what: str
    ok: bool
    detail: str


def _one(base: str, what: str) -> Outcome:
    parts = urllib.parse.urlsplit(base)
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        if what == "readyz":
            conn.request("GET", "/readyz")
            expected = 200
        else:
            body = urllib.parse.urlencode({"login": "fault", "password": "wrong-password"})
            conn.request(
                "POST",
                "/login",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            expected = 422  # looked the user up, refused the password
        response = conn.getresponse()
        response.read()
        conn.close()
        status = response.status
        return Outcome(started, time.monotonic(), what, status == expected, str(status))
    except Exception as error:  # noqa: BLE001 - a refused connection is an outcome too
        return Outcome(started, time.monotonic(), what, False, f"{type(error).__name__}")


def _hammer(
    base: str, stop: threading.Event, go: threading.Event, out: list[Outcome], index: int
) -> None:
    what = ("readyz", "login")[index % 2]
    while not stop.is_set():
        if not go.wait(timeout=0.05):
            continue
        out.append(_one(base, what))
        what = "login" if what == "readyz" else "readyz"


def _requirements() -> None:
    reason = missing_binaries()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the PostgreSQL binaries: {reason}")
        pytest.skip(reason)


def run_restart_under_load(*, pre_ping: bool = True) -> dict:
    """Restart once under load, then once while the pool sits idle; return what happened."""
    postgres = PrivatePostgres()
    server = None
    stop, go = threading.Event(), threading.Event()
    try:
        postgres.init()
        postgres.start()
        server, base = start_app_server(postgres.url, pre_ping=pre_ping)
        outcomes: list[Outcome] = []
        threads = [
            threading.Thread(target=_hammer, args=(base, stop, go, outcomes, i), daemon=True)
            for i in range(4)
        ]
        for thread in threads:
            thread.start()
        # 1. Under load: requests in flight may fail, then everything must work again.
        go.set()
        time.sleep(1.0)
        down_from = time.monotonic()
        postgres.restart()
        up_at = time.monotonic()
        time.sleep(RECOVERY_SECONDS + 1.0)
        # 2. Idle: the pool holds connections the restart killed; nobody is in flight, so
        #    not one request may fail afterwards (pool_pre_ping replaces them).
        go.clear()
        time.sleep(0.3)
        loaded = list(outcomes)
        postgres.restart()
        idle_up_at = time.monotonic()
        go.set()
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        return {
            "outcomes": loaded,
            "down_from": down_from,
            "up_at": up_at,
            "after_idle_restart": [o for o in outcomes if o.started >= idle_up_at],
        }
    finally:
        stop.set()
        go.set()
        if server is not None:
            stop_app_server(server)
        postgres.close()


def test_app_recovers_by_itself_after_the_database_restarts():
    _requirements()
    run = run_restart_under_load()
    outcomes, down_from, up_at = run["outcomes"], run["down_from"], run["up_at"]
    before = [o for o in outcomes if o.ended < down_from]
    after = [o for o in outcomes if o.started > up_at + RECOVERY_SECONDS]
    in_flight = [
        o for o in outcomes if o.ended >= down_from and o.started <= up_at + RECOVERY_SECONDS
    ]
    errors_before = [o for o in before if not o.ok]
    errors_after = [o for o in after if not o.ok]
    summary = (
        f"{len(outcomes)} requests; before {len(before)}, around the restart "
        f"{len(in_flight)} ({sum(not o.ok for o in in_flight)} failed), after {len(after)}; "
        f"down for {up_at - down_from:.2f} s"
    )
    assert len(before) >= 20 and len(after) >= 20, summary
    assert not errors_before, f"errors before the restart: {errors_before[:5]}; {summary}"
    assert not errors_after, (
        f"still failing {RECOVERY_SECONDS} s after the database came back: "
        f"{[(o.what, o.detail) for o in errors_after[:8]]}; {summary}"
    )
    assert {o.what for o in after} == {"readyz", "login"}, summary
    idle = run["after_idle_restart"]
    assert len(idle) >= 20, f"only {len(idle)} requests after the idle restart"
    failed = [(o.what, o.detail) for o in idle if not o.ok]
    assert not failed, f"stale pooled connections after an idle restart: {failed[:8]}"
