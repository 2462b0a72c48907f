"""A private PostgreSQL 15 instance and a threaded app server, for fault tests.

The instance lives in a temporary directory, listens on 127.0.0.1 only (trust auth there,
nowhere else) on a free port, and is stopped and deleted by ``close()``; nothing else on
the machine is disturbed. The app runs in a child process (``python -m
tests.faults.pg_instance serve URL PORT``) so its extensions' global state never touches
the test session's app.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parents[2]


def missing_binaries() -> str | None:
    """None when initdb and pg_ctl are there, else the reason they cannot be used."""
    for name in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / name).exists():
            return f"PostgreSQL 15 binaries not found ({PG_BIN / name})"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root but runuser is missing (PostgreSQL refuses to run as root)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="linli-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self._as_owner, *args], capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {result.stderr}\n{result.stdout}\n{log}")

    def init(self) -> None:
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--no-instructions",
            "-E",
            "UTF8",
            "--locale=C",
        )
        # Trust on loopback and on the private socket directory only.
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.base}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 50\nshared_buffers = 32MB\n"
            )

    def pg_ctl(self, action: str, *extra: str) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
            *extra, action,
        )  # fmt: skip

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def close(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start_app_server(database_url: str, *, pre_ping: bool = True) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), LINLI_PRE_PING="1" if pre_ping else "0")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.pg_instance", "serve", database_url, str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app server exited: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("app server did not become ready in 30 s")


def stop_app_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _serve(database_url: str, port: int) -> None:
    import logging

    from werkzeug.serving import make_server

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.models import User

    config = TestConfig(database_url)
    config.TESTING = False  # the real error pages, as in production
    config.RATELIMIT_ENABLED = False  # the test hammers the sign-in form on purpose
    config.WTF_CSRF_ENABLED = False
    if os.environ.get("LINLI_PRE_PING") == "0":
        config.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}
    app = create_app(config)
    with app.app_context():
        db.create_all()
        if db.session.query(User).filter_by(username="fault").first() is None:
            user = User(username="fault", name="故障测试", phone="+8613900000001")
            # One PBKDF2 round: the test measures the database, not password hashing.
            from werkzeug.security import generate_password_hash

            user.password_hash = generate_password_hash("demo-pass-123", "pbkdf2:sha256:1")
            db.session.add(user)
            db.session.commit()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("app").setLevel(logging.CRITICAL)
    app.logger.setLevel(logging.CRITICAL)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        _serve(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit("usage: python -m tests.faults.pg_instance serve DATABASE_URL PORT")
