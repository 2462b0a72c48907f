"""`make run` for real: the launcher serves Linli and runs the SMS worker beside it.

From a fresh database, a request filed over HTTP has its SMS sent within a few seconds,
with links on the port being served, and stopping the launcher stops both processes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
DEMO_WORKER = ("shegong", "linli2026")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def base_env(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PUBLIC_BASE_URL", "SERVED_BASE_URL", "FLASK_DEBUG", "FLASK_RUN_PORT"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="make-run-test",
        SMS_BACKEND="console",
        FLASK_APP="wsgi.py",
        WORKER_POLL_SECONDS="0.5",
        REDIS_URL="",
    )
    return env


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> Path:
    """What `make run` prepares before it serves: migrations and the demo county."""
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to see the launcher's child processes (Linux)")
    database = tmp_path_factory.mktemp("make-run") / "linli.db"
    env = base_env(database)
    flask = [sys.executable, "-m", "flask"]
    for step in (["db", "upgrade"], ["seed-demo", "--if-empty"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
    return database


@pytest.fixture
def demo_env(demo_database, tmp_path) -> dict[str, str]:
    """A fresh copy of the demo database for each test."""
    database = tmp_path / "linli.db"
    shutil.copyfile(demo_database, database)
    return base_env(database)


def start_launcher(env, port: int, output: Path) -> subprocess.Popen:
    """`make run`'s last step; what it prints goes to ``output`` (the terminal)."""
    with output.open("w") as terminal:
        return subprocess.Popen(
            [sys.executable, "-m", "app.launcher", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=terminal,
            stderr=subprocess.STDOUT,
        )


def wait_until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s: {what}")


def get_ok(url: str):
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def file_a_request(base: str) -> str:
    """A resident asks for help through the plain form; returns the tracking code."""
    resident = requests.Session()
    form = resident.get(f"{base}/ask", timeout=5).text
    # 柳林镇, where the demo social worker serves.
    township = re.search(r'<option value="(\d+)"[^>]*>柳林镇<', form)
    villages = resident.get(
        f"{base}/ask/villages", params={"township": township.group(1)}, timeout=5
    ).text
    village = re.search(r'<option value="(\d+)"', villages)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', form)
    response = resident.post(
        f"{base}/ask",
        data={
            "csrf_token": csrf(form),
            "form_token": token.group(1),
            "category": "shopping",
            "for_whom": "self",
            "urgency": "normal",
            "description": "想请人帮忙买米和油",
            "township": township.group(1),
            "village": village.group(1),
            "wanted_when": "asap",
            "phone": "138 0013 8000",
            "consent": "y",
        },
        timeout=10,
    )
    assert response.ok and "/ask/done" in response.url, response.text[:500]
    code = re.search(r'id="tracking-code">([^<]+)<', response.text).group(1)
    assert re.fullmatch(r"\d{4} \d{4}", code), code  # 8 digits read out in two groups
    assert f"{base}/t/{code.replace(' ', '')}" in response.text  # the confirmation page's link
    return code


def signed_in_staff(base: str) -> requests.Session:
    """The demo social worker, signed in once (sign-in is rate limited)."""
    staff = requests.Session()
    login = staff.get(f"{base}/login", timeout=5).text
    user, password = DEMO_WORKER
    response = staff.post(
        f"{base}/login",
        data={"csrf_token": csrf(login), "login": user, "password": password},
        timeout=10,
    )
    assert response.ok and "/login" not in response.url, response.text[:500]
    return staff


def test_make_run_sends_the_sms_and_stops_both_processes(demo_env, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    output = tmp_path / "terminal.txt"
    launcher = start_launcher(demo_env, port, output)
    try:
        wait_until(lambda: get_ok(f"{base}/healthz"), 20, "the server answers")
        children = children_of(launcher.pid)
        assert len(children) == 2, output.read_text()

        code = file_a_request(base)  # the resident's SMS carries it, and no link (issue 16)

        staff = signed_in_staff(base)

        def sent_on_the_sms_page():
            page = staff.get(f"{base}/sms/sent", timeout=5).text
            rows = re.findall(r'<li class="list-item sms-(\w+)">(.*?)</li>', page, re.S)
            return [status for status, row in rows if code in row and status == "sent"]

        wait_until(sent_on_the_sms_page, 10, "the request's SMS shows as sent")
        wait_until(lambda: code in output.read_text(), 5, "the SMS is printed")
        assert "127.0.0.1:5000" not in output.read_text()
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGINT)
    assert launcher.wait(10) == 0, output.read_text()
    wait_until(lambda: not any(alive(pid) for pid in children), 5, "no process left")


def test_when_the_worker_dies_the_server_stops_too(demo_env, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    output = tmp_path / "terminal.txt"
    launcher = start_launcher(demo_env, port, output)
    try:
        wait_until(lambda: get_ok(f"{base}/healthz"), 20, "the server answers")
        children = children_of(launcher.pid)
        worker = [pid for pid in children if b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(worker) == 1
        os.kill(worker[0], signal.SIGKILL)
        assert launcher.wait(10) != 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    wait_until(lambda: not any(alive(pid) for pid in children), 5, "no process left")
    assert not get_ok(f"{base}/healthz")
    assert "worker stopped" in output.read_text()


def test_sigterm_stops_both(demo_env, tmp_path):
    port = free_port()
    output = tmp_path / "terminal.txt"
    launcher = start_launcher(demo_env, port, output)
    try:
        wait_until(lambda: get_ok(f"http://127.0.0.1:{port}/healthz"), 20, "the server answers")
        children = children_of(launcher.pid)
        launcher.terminate()
        assert launcher.wait(10) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    wait_until(lambda: not any(alive(pid) for pid in children), 5, "no process left")
