"""`make run`: the web server and the SMS worker side by side, stopped together.

    python -m app.launcher --host 127.0.0.1 --port 5000

Starts ``flask run`` and ``flask worker`` as child processes, each in its own process
group, and tells the worker the address the server listens on (``SERVED_BASE_URL``), so
the links in the SMS it sends follow the port. The console sender prints every SMS to
this terminal. Ctrl+C or SIGTERM stops both; if either stops on its own, the other is
stopped too and the launcher exits with a non-zero status.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

STOP_GRACE_SECONDS = 5.0
_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}


def served_base_url(host: str, port: int) -> str:
    """The address a browser on this machine opens (0.0.0.0 listens everywhere, including
    on 127.0.0.1)."""
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, be sent SIGTERM if the launcher is killed
    outright (SIGKILL), so no server or worker is left behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *args],
        env=env,
        start_new_session=True,  # our own process group: Ctrl+C reaches us, we stop them
        preexec_fn=_die_with_parent,
    )


def _stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM to each child's whole process group, then SIGKILL to what is left."""
    for child in children:
        if child.poll() is None:
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    options = parser.parse_args(argv)

    url = served_base_url(options.host, options.port)
    env = dict(os.environ)
    env.setdefault("FLASK_APP", "wsgi.py")
    env.setdefault("SERVED_BASE_URL", url)
    env.setdefault("PYTHONUNBUFFERED", "1")  # SMS lines reach the terminal at once

    stop_signal: list[int] = []

    def on_signal(number, _frame) -> None:
        stop_signal.append(number)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    web = _start(["run", "--host", options.host, "--port", str(options.port)], env)
    worker = _start(["worker"], env)
    children = [web, worker]
    print(
        f"Linli at {url} (web pid {web.pid}), SMS worker beside it (pid {worker.pid}): "
        "each SMS is printed here. Ctrl+C stops both.",
        flush=True,
    )
    status = 0
    try:
        while not stop_signal:
            ended = [child for child in children if child.poll() is not None]
            if ended:
                name = "web server" if ended[0] is web else "worker"
                print(f"The {name} stopped (exit {ended[0].returncode}): stopping the rest.")
                status = ended[0].returncode or 1
                break
            time.sleep(0.2)
    finally:
        _stop(children)
    if stop_signal:
        print("Stopped.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
