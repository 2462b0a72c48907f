"""Load benchmark: gunicorn + PostgreSQL on loopback, driven by wrk for a bounded time.

Prints requests/s and p50/p95 for each scenario, beside the same server's bare endpoint
(/healthz) as a ratio. Run through ``make bench`` (``python -m benchmarks.run --only load``).

The bench database (``linli_bench_load``) is created on first use and kept, with the demo
county and 100,000 requests for the triage queue. Rate limits are off for the run (every
request comes from 127.0.0.1); everything else is the production configuration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_LOAD_DB", "linli_bench_load")
DURATION = os.environ.get("BENCH_DURATION", "15s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
QUEUE_REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "100000"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))

# wrk reports p95 through this Lua hook (its --latency table has no 95th percentile).
REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %f, \\"p50\\": %f, \\"p95\\": %f, \\"errors\\": %d, \\"non2xx\\": %d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (DB_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + DB_NAME


def _env(url: str) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=url,
        FLASK_APP="wsgi.py",
        SECRET_KEY="bench-secret",
        RATELIMIT_ENABLED="false",
        SMS_BACKEND="console",
    )


def prepare(url: str) -> None:
    """Schema, demo county, and the triage queue's 100,000 requests (once)."""
    env = _env(url)
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "seed-demo", "--if-empty"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "benchmarks.fill_requests", str(QUEUE_REQUESTS)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def _wrk(url: str, script: str, timeout: str = "5s") -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + REPORT_LUA)
        path = handle.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{CONNECTIONS}",
                f"-d{DURATION}",
                "--timeout",
                timeout,
                "-s",
                path,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout
    finally:
        os.unlink(path)
    match = re.search(r"^JSON (.*)$", out, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    figures = json.loads(match.group(1))
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def run() -> list[str]:
    if shutil.which("wrk") is None:
        return ["load: wrk is missing (apt-get install wrk); skipped"]
    url = _database_url()
    prepare(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=_env(url),
        start_new_session=True,
    )
    try:
        _wait_for(base + "/healthz")
        from benchmarks import scenarios

        results = []
        bare = _wrk(base + "/healthz", "")
        results.append(("bare endpoint /healthz", bare))
        for name, path, script in scenarios.build(base):
            results.append((name, _wrk(base + path, script)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    lines = [f"load: gunicorn -w {WORKERS}, PostgreSQL, wrk -t2 -c{CONNECTIONS} -d{DURATION}"]
    for name, figures in results:
        ratio = figures["rps"] / bare["rps"] if bare["rps"] else 0
        lines.append(
            f"  {name:<38} {figures['rps']:8.0f} req/s  p50 {figures['p50']:6.1f} ms  "
            f"p95 {figures['p95']:6.1f} ms  ({ratio:.2f}× bare; errors {figures['errors']}, "
            f"non-2xx/3xx {figures['non2xx']})"
        )
    return lines


def _wait_for(url: str, seconds: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server at {url} did not start")


if __name__ == "__main__":
    print("\n".join(run()))
