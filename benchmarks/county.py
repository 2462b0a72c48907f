"""County benchmark: the county dashboard and the monthly report at county scale.

1,000,000 requests and 2,000,000 service records (benchmarks/county_data.py) on top of the
demo county, in their own PostgreSQL database (``linli_bench_county``, created on first
use and kept; rebuilt only when the tables it fills change or the sizes do). Served by
gunicorn as in the load benchmark, with the worker's snapshot jobs beside it as ``flask
worker`` runs them, and signed in as the county supervisor (``dudao``):

- the county dashboard ``/station/county/stats?month=YYYY-MM``: its first view (which
  counts the month and keeps the figures as a snapshot, app/services/snapshots.py), then
  under wrk (reading the snapshot, which the worker counts again while it is in use):
  req/s and p50/p95, beside the bare endpoint ``/healthz`` of the same run, as a ratio;
  then a few views one at a time (the time one supervisor waits);
- the county's monthly report ``…&format=xlsx``: the time of a few downloads, one after
  another (the month is the last whole one before the data set's "now").

Before the server runs, ``stats.figures`` and ``stats.month_trend`` (what counting a
dashboard's snapshot takes) and ``snapshots.dashboard_figures`` reading a kept one are
timed in process, with the slowest SQL statements. Targets (issue 15):
dashboard p95 < 200 ms, county XLSX < 5 s.

Environment: ``BENCH_POSTGRES_URL``, ``BENCH_COUNTY_DB`` (default linli_bench_county),
``BENCH_COUNTY_REQUESTS`` (1,000,000), ``BENCH_COUNTY_RECORDS`` (2,000,000),
``BENCH_DURATION``, ``BENCH_CONNECTIONS``, ``BENCH_GUNICORN_WORKERS``, ``BENCH_XLSX_RUNS``
(3), ``STATS_MAX_AGE_SECONDS`` (120, as the app's default). Run: ``make bench BENCH_ARGS="--only county"``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.load import CONNECTIONS, DURATION, PG_ADMIN, WORKERS, _env, _free_port, _wait_for

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_COUNTY_DB", "linli_bench_county")
REQUESTS = int(os.environ.get("BENCH_COUNTY_REQUESTS", "1000000"))
RECORDS = int(os.environ.get("BENCH_COUNTY_RECORDS", "2000000"))
XLSX_RUNS = int(os.environ.get("BENCH_XLSX_RUNS", "3"))
IN_PROCESS_CALLS = int(os.environ.get("BENCH_COUNTY_CALLS", "20"))
SUPERVISOR = "dudao"
DASHBOARD = "/station/county/stats"
REPORT_PATHS = (
    DASHBOARD + "?month={month}&format=xlsx",
    DASHBOARD + "/export?month={month}&format=xlsx",
)
PAGE_TIMEOUT = os.environ.get("BENCH_PAGE_TIMEOUT", "60s")
TARGET_DASHBOARD_P95_MS = 200.0
SNAPSHOT_MAX_AGE = int(os.environ.get("STATS_MAX_AGE_SECONDS", "120"))
TARGET_XLSX_S = 5.0
FILLED_TABLES = (
    "help_request",
    "service_record",
    "beneficiary",
    "visit",
    "call_log",
    "user",
    "user_role",
    "volunteer_profile",
    "request_event",
)
DATA_VERSION = "v1"  # bump when county_data.py draws a different data set


def run() -> list[str]:
    import shutil

    if shutil.which("wrk") is None:
        return ["county: wrk is missing (apt-get install wrk); skipped"]
    lines, now = prepare()
    month = report_month(now)
    lines += in_process(month)
    try:
        lines += serve_and_measure(month)
    except RuntimeError as error:  # the pages are not there yet: the figures above stand
        lines.append(f"  served pages not measured: {error}")
    return lines


# --- the database -------------------------------------------------------------------------


def _admin():
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True)


def database_url() -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + DB_NAME


def fingerprint() -> str:
    """The sizes, the data version and the columns of every table the load fills."""
    from app.extensions import db
    from app.models import HelpRequest  # noqa: F401 - registers every model

    parts = [f"requests={REQUESTS}", f"records={RECORDS}", DATA_VERSION]
    for name in FILLED_TABLES:
        for column in db.metadata.tables[name].columns:
            parts.append(f"{name}.{column.name}:{column.type}:{column.nullable}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _stored(url: str) -> tuple[str | None, datetime | None]:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            rows = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
    except psycopg.Error:  # no database or no marker table yet
        return None, None
    now = rows.get("county_now")
    return rows.get("county"), datetime.fromisoformat(now) if now else None


def _flask(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
    )


def prepare() -> tuple[list[str], datetime]:
    """The bench database, filled once: reused while its marker matches ``fingerprint``."""
    url = database_url()
    wanted = fingerprint()
    stored, now = _stored(url)
    with _admin() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and stored != wanted:  # another data set, or a half-finished load
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    _flask(url, "db", "upgrade")  # a reused database gets any migration added since
    if stored == wanted and now is not None:
        return [f"reusing the county data set in database {DB_NAME} (filled {now:%Y-%m-%d})"], now
    started = time.monotonic()
    _flask(url, "seed-demo", "--if-empty")
    seeded = time.monotonic() - started
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    import psycopg

    from benchmarks import county_data

    started = time.monotonic()
    with psycopg.connect(url) as conn:
        counts = county_data.fill(conn, requests=REQUESTS, records=RECORDS, now=now)
        conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text)")
        conn.execute(
            "INSERT INTO bench_meta VALUES ('county', %s), ('county_now', %s)",
            (wanted, now.isoformat()),
        )
        conn.commit()
    filled = time.monotonic() - started
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return [
        f"filled {DB_NAME}: demo county in {seeded:.0f} s, then {counts['requests']:,} "
        f"requests and {counts['records']:,} service records ({counts['visits']:,} visits, "
        f"{counts['calls_reached']:,} calls that reached someone) in {filled:.0f} s, "
        f"VACUUM ANALYZE {time.monotonic() - started:.0f} s"
    ], now


def report_month(now: datetime) -> str:
    """The last whole local month before ``now`` (naive UTC), as YYYY-MM."""
    zone = ZoneInfo(os.environ.get("LOCAL_TIMEZONE", "Asia/Shanghai"))
    local = now.replace(tzinfo=UTC).astimezone(zone).date()
    last = date(local.year, local.month, 1) - timedelta(days=1)
    return f"{last:%Y-%m}"


# --- the measurement ----------------------------------------------------------------------


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def in_process(month: str, calls: int = IN_PROCESS_CALLS) -> list[str]:
    """``stats.figures`` and ``stats.month_trend`` for the county supervisor's scope, timed
    in this process (no web server): what every dashboard view and report asks for. The
    slowest statements of the run follow, each by its median."""
    from sqlalchemy import delete, event, select

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.models import StatsSnapshot, User
    from app.services import snapshots, stats

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = database_url().replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    app = create_app(config)
    statements: dict[str, list[float]] = {}
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def _started(conn, _cursor, _statement, _params, _context, _many):
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _ended(conn, _cursor, statement, _params, _context, _many):
            elapsed = (time.perf_counter() - conn.info["bench_started"]) * 1000
            statements.setdefault(" ".join(statement.split()), []).append(elapsed)

        user = db.session.scalar(select(User).where(User.username == SUPERVISOR))
        scope = stats.county_scope(user)
        period = stats.parse_period(month)
        timed = {}
        for name, call in (
            ("stats.figures(county_scope, month)", lambda: stats.figures(scope, period)),
            ("stats.month_trend(county_scope, 12)", lambda: stats.month_trend(scope, period)),
        ):
            call()  # warm-up
            db.session.rollback()
            values = []
            for _ in range(calls):
                started = time.perf_counter()
                call()
                values.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            timed[name] = values
        # what a view reads instead, once the month's snapshot is kept
        app.config["STATS_MAX_AGE_SECONDS"] = 3600
        snapshots.dashboard_figures(scope, period)
        db.session.commit()
        values = []
        for _ in range(calls):
            started = time.perf_counter()
            snapshots.dashboard_figures(scope, period)
            values.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        timed["snapshots.dashboard_figures (kept)"] = values
        db.session.execute(delete(StatsSnapshot))
        db.session.commit()
        db.engine.dispose()
    lines = [f"county in process: {len(scope.station_ids)} stations, month {month}, {calls} calls"]
    for name, values in timed.items():
        lines.append(
            f"  {name:<38} p50 {statistics.median(values):7.1f} ms  p95 {_p95(values):7.1f} ms"
        )
    slowest = sorted(statements.items(), key=lambda item: -statistics.median(item[1]))[:6]
    for statement, values in slowest:
        lines.append(f"    {statistics.median(values):7.1f} ms  {statement[:96]}")
    return lines


def _get(url: str, cookie: str) -> tuple[int, str, bytes, float]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
            status, kind = response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        body, status, kind = error.read(), error.code, error.headers.get("Content-Type", "")
    return status, kind, body, time.perf_counter() - started


def _check_page(base: str, path: str, cookie: str) -> float:
    """The dashboard answers the supervisor with its page (not a sign-in redirect); the
    seconds it took."""
    status, kind, body, seconds = _get(base + path, cookie)
    if status != 200 or "text/html" not in kind or b'name="password"' in body:
        raise RuntimeError(f"{path} answered {status} {kind}, not the county dashboard")
    return seconds


def serve_and_measure(month: str) -> list[str]:
    """gunicorn and the worker's snapshot jobs as in production: the first view of the month counts
    its figures and keeps them (app/services/snapshots.py); the views under wrk read them
    while the worker counts them again every minute or so; then the report downloads."""
    from benchmarks.load import _wrk
    from benchmarks.scenarios import get_script, signed_in_cookie

    url = database_url()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:  # every view of this run counts
        conn.execute("DELETE FROM stats_snapshot")
    env = dict(_env(url), STATS_MAX_AGE_SECONDS=str(SNAPSHOT_MAX_AGE))
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.county", "--snapshot-worker"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dashboard = f"{DASHBOARD}?month={month}"
    try:
        _wait_for(base + "/healthz")
        cookie = signed_in_cookie(base, SUPERVISOR)
        first = _check_page(base, dashboard, cookie)
        bare = _wrk(base + "/healthz", "")
        board = _wrk(base + dashboard, get_script(cookie), timeout=PAGE_TIMEOUT)
        _get(base + dashboard, cookie)  # waits out the views wrk left running
        alone = [_get(base + dashboard, cookie)[3] for _ in range(XLSX_RUNS)]
        downloads = _downloads(base, month, cookie)
        refreshed = _snapshot_counts(url)
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (server, worker):
            process.wait(timeout=30)
    lines = [
        f"county: {REQUESTS:,} requests, {RECORDS:,} service records, month {month}; "
        f"gunicorn -w {WORKERS} and the snapshot jobs, PostgreSQL, wrk -t2 -c{CONNECTIONS} "
        f"-d{DURATION}; STATS_MAX_AGE_SECONDS {SNAPSHOT_MAX_AGE}"
    ]
    for name, figures in (
        ("bare endpoint /healthz", bare),
        (f"county dashboard {DASHBOARD}", board),
    ):
        ratio = figures["rps"] / bare["rps"] if bare["rps"] else 0
        rate = f"{figures['rps']:8.0f}" if figures["rps"] >= 10 else f"{figures['rps']:8.2f}"
        lines.append(
            f"  {name:<38} {rate} req/s  p50 {figures['p50']:6.1f} ms  "
            f"p95 {figures['p95']:6.1f} ms  ({ratio:.4f}× bare; {figures['requests']} "
            f"requests, errors {figures['errors']}, non-2xx/3xx {figures['non2xx']})"
        )
    lines.append(
        f"  {'  the same page, one at a time':<38} median {statistics.median(alone) * 1000:6.1f} ms"
        f"  max {max(alone) * 1000:6.1f} ms  ({len(alone)} views one after another)"
    )
    lines.append(
        f"  {'  its first view (counts and keeps)':<38} {first:6.2f} s  (the month nobody had "
        "viewed: counted at the view; the worker counts it again while it is in use)"
    )
    lines.append(f"  {'  snapshots after the run':<38} {refreshed}")
    lines.append(_report_line(downloads, bare))
    met = board["requests"] and not board["errors"] and not board["non2xx"]
    verdict = "meets" if met and board["p95"] < TARGET_DASHBOARD_P95_MS else "MISSES"
    lines.append(f"  target dashboard p95 < {TARGET_DASHBOARD_P95_MS:.0f} ms: {verdict}")
    lines.append(
        f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} after the run"
    )
    return lines


def _snapshot_counts(url: str) -> str:
    """How many snapshots the run kept, and the slowest count of one (the worker's or a
    first view's)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        kept, slowest = conn.execute(
            "SELECT count(*), coalesce(max(computed_ms), 0) FROM stats_snapshot"
        ).fetchone()
    return f"{kept} kept; counting one took {slowest / 1000:.2f} s"


def _downloads(base: str, month: str, cookie: str) -> list[tuple[int, str, bytes, float]]:
    """The county report downloaded XLSX_RUNS times, one after another: from the dashboard's
    ``&format=xlsx``, or from the export route if the dashboard answers with its page."""
    first = None
    for path in REPORT_PATHS:
        first = _get(base + path.format(month=month), cookie)
        if "spreadsheetml" in first[1]:
            rest = [_get(base + path.format(month=month), cookie) for _ in range(XLSX_RUNS - 1)]
            return [first, *rest]
    return [first]


def _report_line(downloads, bare) -> str:
    name = "county report XLSX (&format=xlsx)"
    xlsx = "spreadsheetml" in downloads[0][1]
    statuses = sorted({status for status, _, _, _ in downloads})
    if not xlsx or statuses != [200]:
        status, kind, body, seconds = downloads[0]
        return (
            f"  {name:<38} answered {status} {kind or '(no type)'} in {seconds:.2f} s, "
            f"not a spreadsheet ({len(body):,} bytes): target XLSX < {TARGET_XLSX_S:.0f} s "
            "not measured"
        )
    from io import BytesIO

    from openpyxl import load_workbook

    sheets = len(load_workbook(BytesIO(downloads[0][2]), read_only=True).sheetnames)
    seconds = [elapsed for _, _, _, elapsed in downloads]
    median = statistics.median(seconds)
    # As a ratio, like the pages: the bare endpoint's time per request over the report's.
    ratio = (1 / median) / bare["rps"] if bare["rps"] else 0
    verdict = "meets" if max(seconds) < TARGET_XLSX_S else "MISSES"
    return (
        f"  {name:<38} {1 / median:8.2f} req/s  median {median:6.2f} s  max "
        f"{max(seconds):6.2f} s  ({ratio:.5f}× bare; {len(downloads)} downloads one after "
        f"another, {len(downloads[0][2]) / 1024:,.0f} KB, {sheets} sheets)  target < {TARGET_XLSX_S:.0f} s: "
        f"{verdict}"
    )


def snapshot_worker() -> None:
    """The worker's snapshot jobs alone, on the worker's schedule (app/jobs/scheduler.py):
    the other jobs would change the data set between runs (offers expire, requests
    auto-close) and their cost at this scale is issue 17's."""
    from app import create_app
    from app.jobs.scheduler import _jobs, run_forever

    app = create_app()
    with app.app_context():
        wanted = {"count dashboards again", "delete unviewed dashboards"}
        jobs = [job for job in _jobs() if job.name in wanted]
        assert {job.name for job in jobs} == wanted, "the worker's snapshot jobs were renamed"
        run_forever(app.config["WORKER_POLL_SECONDS"], jobs=jobs)


if __name__ == "__main__":
    if sys.argv[1:] == ["--snapshot-worker"]:
        snapshot_worker()
    else:
        print("\n".join(run()))
