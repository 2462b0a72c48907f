"""Bytes on the wire: what compression costs the server (issue 17, target 5).

gunicorn + PostgreSQL on loopback, wrk for a bounded time, as benchmarks/load.py: the same
public pages asked for without ``Accept-Encoding`` (as wrk sends them in the load bench),
with brotli and with gzip, beside the same server's bare endpoint; and a static file, which
is compressed once per process and then served from memory. Each line says how many bytes
one answer's body carries. How much a browser receives for a whole page is measured in
tests/e2e/test_page_weight.py.

Its database (``BENCH_WIRE_DB``, default ``linli_bench_wire``) holds the demo county; it is
made on first use and kept.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from benchmarks import load

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_WIRE_DB", "linli_bench_wire")
PAGES = ("/ask", "/track", "/")
ENCODINGS = (None, "br", "gzip")
# What a browser says when the person opens the page: /track is a page that may carry
# personal data, compressed only then (app/web/compression.py).
BROWSER = {"Sec-Fetch-Site": "none"}


def _prepare(url: str) -> None:
    env = load._env(url)
    for command in (["db", "upgrade"], ["seed-demo", "--if-empty"]):
        subprocess.run(
            [sys.executable, "-m", "flask", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )


def _body_size(url: str, encoding: str | None) -> tuple[int, str]:
    """Bytes of the body as sent, and the encoding the server chose."""
    headers = {"Accept-Encoding": encoding or "identity", **BROWSER}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return len(response.read()), response.headers.get("Content-Encoding", "identity")


def _script(encoding: str | None) -> str:
    lines = [
        f"wrk.headers[{load._lua_string(k)}] = {load._lua_string(v)}" for k, v in BROWSER.items()
    ]
    if encoding is not None:
        lines.append(f'wrk.headers["Accept-Encoding"] = {load._lua_string(encoding)}')
    return "\n".join(lines) + "\n"


def _static_path(base: str) -> str:
    """The hashed URL of htmx, as the pages link it."""
    import re

    with urllib.request.urlopen(base + "/ask", timeout=10) as response:
        html = response.read().decode("utf-8")
    return re.search(r'src="(/static/js/htmx-[^"]+)"', html).group(1)


def run() -> list[str]:
    if shutil.which("wrk") is None:
        return ["wire: wrk is missing (apt-get install wrk); skipped"]
    url = load.ensure_database(DB_NAME)
    _prepare(url)
    port = load._free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "-w", str(load.WORKERS), "-b", f"127.0.0.1:{port}"]
        + ["--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=load._env(url),
        start_new_session=True,
    )
    results = []
    try:
        load._wait_for(base + "/healthz")
        bare = load._wrk(base + "/healthz", "")
        results.append(("bare endpoint /healthz", bare, ""))
        static = _static_path(base)
        targets = [(path, path) for path in PAGES] + [("htmx (static, hashed)", static)]
        for name, path in targets:
            for encoding in ENCODINGS:
                size, chosen = _body_size(base + path, encoding)
                figures = load._wrk(base + path, _script(encoding))
                results.append(
                    (f"{name}, {encoding or 'identity'}", figures, f"{size:>6} B {chosen}")
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    lines = [
        f"wire: gunicorn -w {load.WORKERS}, PostgreSQL, wrk -t2 -c{load.CONNECTIONS} "
        f"-d{load.DURATION}; body bytes as sent"
    ]
    for name, figures, size in results:
        ratio = figures["rps"] / bare["rps"] if bare["rps"] else 0
        lines.append(
            f"  {name:<30} {size:<14} {figures['rps']:8.0f} req/s  p50 {figures['p50']:6.1f} ms  "
            f"p95 {figures['p95']:6.1f} ms  ({ratio:.2f}× bare; errors {figures['errors']}, "
            f"non-2xx/3xx {figures['non2xx']})"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
