"""Load benchmark: gunicorn + PostgreSQL on loopback, driven by wrk for a bounded time.

Prints requests/s and p50/p95 for each scenario, beside the same server's bare endpoint
(/healthz) as a ratio. Run through ``make bench`` (``python -m benchmarks.run --only load``).

Each server is measured in ``BENCH_ROUNDS`` rounds (3): the bare endpoint, then each
scenario, again and again. A scenario's ratio is taken against the bare endpoint of its own
round, and the line prints the median of the rounds with their lowest and highest: this
machine's speed swings by half for minutes at a time, so one bare run at the start and one
run of each scenario minutes later could tell a fast phase from a slow one, not the code.
Beside it, the whole machine's CPU time per request (from /proc/stat, all processes:
gunicorn, PostgreSQL, wrk) and that figure's ratio to the bare endpoint's.

The bench database (``BENCH_LOAD_DB``, default ``linli_bench_load``) is created on first
use and kept, with the demo county and 100,000 requests for the triage queue. The triage
queue and nearby tasks are measured again with 10,000 and 1,000,000 requests, each in its
own database named with a suffix (``linli_bench_load_10k``, ``linli_bench_load_1m``), so the
figures show how the cost grows with the table. After the runs on each server, each
gunicorn worker's resident memory is printed (VmRSS). Rate limits are off for the run
(every request comes from 127.0.0.1); everything else is the production configuration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_LOAD_DB", "linli_bench_load")
DURATION = os.environ.get("BENCH_DURATION", "10s")
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "3")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
QUEUE_REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "100000"))
# Other table sizes for nearby tasks and the queue; "" to skip them.
OTHER_SIZES = [
    int(n) for n in os.environ.get("BENCH_LOAD_SIZES", "10000,1000000").split(",") if n.strip()
]
MEMORY_TARGET_MB = 150
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


def size_label(size: int) -> str:
    """10000 -> "10k", 1000000 -> "1m": the suffix of that size's database."""
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def database_name(size: int) -> str:
    """The main size keeps BENCH_LOAD_DB itself (filled by earlier runs); others a suffix."""
    return DB_NAME if size == QUEUE_REQUESTS else f"{DB_NAME}_{size_label(size)}"


def ensure_database(name: str = DB_NAME) -> str:
    """The plain URL of the bench database ``name``, created empty on first use."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _env(url: str) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=url,
        FLASK_APP="wsgi.py",
        SECRET_KEY="bench-secret",
        RATELIMIT_ENABLED="false",
        SMS_BACKEND="console",
    )


def prepare(url: str, requests: int = QUEUE_REQUESTS) -> None:
    """Schema, demo county, and the triage queue's ``requests`` requests (once)."""
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
        [sys.executable, "-m", "benchmarks.fill_requests", str(requests)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot, all cores (/proc/stat: all but
    idle and I/O wait)."""
    with open("/proc/stat") as handle:
        fields = [int(n) for n in handle.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, script: str, timeout: str = "5s") -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + REPORT_LUA)
        path = handle.name
    busy_before = busy_seconds()
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
    # The machine's CPU per request (ms), wrk's start and end included: a few ms in 10 s.
    figures["cpu_ms"] = 1000 * (busy_seconds() - busy_before) / max(figures["requests"], 1)
    return figures


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def worker_memory_mb(master_pid: int) -> list[float]:
    """Resident memory (VmRSS, MB) of each child of the gunicorn master."""
    children: list[int] = []
    for task in Path(f"/proc/{master_pid}/task").glob("*/children"):
        children += [int(pid) for pid in task.read_text().split()]
    sizes = []
    for pid in sorted(children):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return sizes


class Server:
    """gunicorn -w WORKERS on a free port against one bench database.

    ``target`` is the WSGI application (Linli's ``wsgi:app`` unless the reference's),
    ``ready`` the path polled until the workers answer.
    """

    def __init__(self, url: str, target: str = "wsgi:app", ready: str = "/healthz", env=None):
        self.port = _free_port()
        self.ready = ready
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-w",
                str(WORKERS),
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                target,
            ],
            cwd=ROOT,
            env={**_env(url), **(env or {})},
            start_new_session=True,
        )

    def __enter__(self) -> Server:
        try:
            _wait_for(self.base + self.ready)
        except Exception:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def measure(
    base: str, bare_path: str, scenarios: list[tuple[str, str, str]], rounds: int = ROUNDS
) -> tuple[list[tuple[dict, dict]], dict[str, list[tuple[dict, dict]]]]:
    """``rounds`` rounds of the bare endpoint, then each scenario (name, path, wrk script).
    Returns the bare runs and each scenario's runs, each run paired with its round's bare
    run (a bare run with itself)."""
    bares: list[tuple[dict, dict]] = []
    runs: dict[str, list[tuple[dict, dict]]] = {name: [] for name, _path, _script in scenarios}
    for _ in range(rounds):
        bare = _wrk(base + bare_path, "")
        bares.append((bare, bare))
        for name, path, script in scenarios:
            runs[name].append((_wrk(base + path, script), bare))
    return bares, runs


def summary(pairs: list[tuple[dict, dict]]) -> dict:
    """The rounds of one scenario as one figure each: the medians of requests/s, p50 and
    p95; the median of its ratios to its own round's bare endpoint, with the lowest and the
    highest; the median CPU per request and its ratio to the bare endpoint's (the bare
    endpoint's CPU per request over the scenario's, round by round); errors added up."""
    ratios = [run["rps"] / bare["rps"] if bare["rps"] else 0.0 for run, bare in pairs]
    cpu_ratios = [bare["cpu_ms"] / run["cpu_ms"] if run["cpu_ms"] else 0.0 for run, bare in pairs]
    runs = [run for run, _bare in pairs]
    return {
        "rounds": len(pairs),
        "rps": statistics.median(run["rps"] for run in runs),
        "p50": statistics.median(run["p50"] for run in runs),
        "p95": statistics.median(run["p95"] for run in runs),
        "ratio": statistics.median(ratios),
        "low": min(ratios),
        "high": max(ratios),
        "cpu_ms": statistics.median(run["cpu_ms"] for run in runs),
        "cpu_ratio": statistics.median(cpu_ratios),
        "errors": sum(run["errors"] for run in runs),
        "non2xx": sum(run["non2xx"] for run in runs),
    }


def _line(name: str, pairs: list[tuple[dict, dict]]) -> str:
    # Three decimals: the targets are 0.1× and 0.14×, and 0.096 must not print as 0.10.
    f = summary(pairs)
    spread = f" (rounds {f['low']:.3f}-{f['high']:.3f})" if f["rounds"] > 1 else ""
    return (
        f"  {name:<44} {f['rps']:8.0f} req/s  p50 {f['p50']:6.1f} ms  p95 {f['p95']:6.1f} ms  "
        f"{f['ratio']:.3f}× bare{spread}; CPU {f['cpu_ms']:.2f} ms/request, "
        f"{f['cpu_ratio']:.3f}× bare's; errors {f['errors']}, non-2xx/3xx {f['non2xx']}"
    )


def _memory_line(label: str, sizes: list[float]) -> str:
    shown = ", ".join(f"{mb:.0f}" for mb in sizes) or "none found"
    verdict = "ok" if sizes and max(sizes) < MEMORY_TARGET_MB else "OVER"
    return (
        f"  memory after the {label} runs: gunicorn workers' VmRSS {shown} MB "
        f"(target < {MEMORY_TARGET_MB} MB: {verdict})"
    )


def run() -> list[str]:
    if shutil.which("wrk") is None:
        return ["load: wrk is missing (apt-get install wrk); skipped"]
    from benchmarks import scenarios

    url = ensure_database(database_name(QUEUE_REQUESTS))
    prepare(url, QUEUE_REQUESTS)
    main = size_label(QUEUE_REQUESTS)
    lines = [
        f"load: gunicorn -w {WORKERS}, PostgreSQL, wrk -t2 -c{CONNECTIONS} -d{DURATION}, "
        f"{ROUNDS} rounds (medians; each ratio against its own round's bare endpoint); "
        f"load average before {os.getloadavg()[0]:.2f}"
    ]
    lines += _reference(url)
    with Server(url) as server:
        bares, runs = measure(server.base, "/healthz", scenarios.build(server.base, main))
        lines.append(_line("bare endpoint /healthz", bares))
        lines += [_line(name, pairs) for name, pairs in runs.items()]
        lines.append(_memory_line(f"{main} requests", worker_memory_mb(server.process.pid)))
    for size in OTHER_SIZES:
        if size == QUEUE_REQUESTS:
            continue
        other = ensure_database(database_name(size))
        prepare(other, size)
        label = size_label(size)
        with Server(other) as server:
            # Each server's lists beside its own bare endpoint, round by round.
            lists = scenarios.build_lists(server.base, label)
            bares, runs = measure(server.base, "/healthz", lists)
            lines.append(_line(f"bare endpoint /healthz ({label} server)", bares))
            lines += [_line(name, pairs) for name, pairs in runs.items()]
            lines.append(_memory_line(f"{label} requests", worker_memory_mb(server.process.pid)))
    lines.append(f"  (load average after: {' '.join(f'{n:.2f}' for n in os.getloadavg())})")
    return lines


def _reference(url: str) -> list[str]:
    """Plain Flask's figures on this machine in this run: what the targets are within reach of.

    The reference application (``benchmarks/reference.py``) under the same gunicorn
    settings, against the same database, each figure beside its own bare endpoint.
    """
    from benchmarks import reference

    subprocess.run(
        [sys.executable, "-c", "from benchmarks import reference; reference.create_tables()"],
        cwd=ROOT,
        env=_env(url),
        check=True,
    )
    lines = []
    target = "benchmarks.reference:app"
    with Server(url, target, "/bare", {"BENCH_REFERENCE_SERVE": "1"}) as server:
        bares, runs = measure(
            server.base,
            "/bare",
            [
                (
                    "reference: plain Flask post (5 fields, 2 rows)",
                    "/post",
                    reference.post_script(),
                ),
                ("reference: plain Flask list (20 rows)", "/list", ""),
            ],
        )
        lines.append(_line("reference: plain Flask bare /bare", bares))
        lines += [_line(name, pairs) for name, pairs in runs.items()]
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
