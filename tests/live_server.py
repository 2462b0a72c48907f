"""The demo county served for real: ``live_server`` (session), shared by the browser tests
of tests/e2e/ and tests/security/test_csp_browser.py, so the year of demo history is seeded
once for the whole run (tests/conftest.py makes it a fixture of every directory).

* ``live_server`` (session): a file SQLite database with the demo county (``flask
  seed-demo``'s data, so every demo login works), served by werkzeug on a free
  127.0.0.1 port in a background thread. CSRF is on, rate limits are off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server


def e2e_config(database_url: str):
    """TestConfig with CSRF on and rate limits off, on a file database."""
    from app.config import TestConfig

    config = TestConfig(database_url)
    config.TESTING = False  # real error pages, as a person would see them
    config.WTF_CSRF_ENABLED = True
    config.RATELIMIT_ENABLED = False
    config.PUBLIC_BASE_URL = "http://127.0.0.1"
    config.STATS_MAX_AGE_SECONDS = 120  # dashboards read snapshots, as in production
    return config


@dataclass
class LiveServer:
    url: str
    app: Flask
    database_url: str

    def app_context(self):
        return self.app.app_context()


def _create_app_without_touching_limits(config) -> Flask:
    """Flask-Limiter keeps ``enabled`` on the one shared Limiter: creating this app with
    rate limits off must not switch them off for the other tests' apps."""
    from app import create_app
    from app.extensions import limiter

    before = limiter.enabled
    try:
        return create_app(config)
    finally:
        limiter.enabled = before


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from app import generic_plans
    from app.demo import seed_demo
    from app.extensions import db
    from app.jobs import unit_of_work

    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    url = f"sqlite:///{path}"
    app = _create_app_without_touching_limits(e2e_config(url))
    with app.app_context():
        db.create_all()
        with unit_of_work():
            seed_demo()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, database_url=url)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        generic_plans.dispose()
