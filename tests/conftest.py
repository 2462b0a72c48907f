"""Fixtures: the whole suite runs on SQLite, and again on PostgreSQL when it answers.

Each PostgreSQL session gets a database of its own (created here, dropped at the end), so
parallel runs on one machine never disturb each other. Between tests every table is
emptied: routes commit for real, so a rollback per test would not see their work.
"""

from __future__ import annotations

import os
import uuid

import pytest
import werkzeug.security
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app, generic_plans
from app.config import TestConfig
from app.extensions import db, limiter
from tests import factories
from tests.live_server import live_server  # noqa: F401  (a fixture: one demo for the run)

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as error:  # noqa: BLE001 - the reason is shown to whoever runs the tests
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}".splitlines()[0]


def _create_pg_database() -> tuple[str, str]:
    import psycopg

    name = f"linli_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Tests whose expensive module- or session-wide fixture must be made once, on one worker,
# when the suite runs in parallel (``make test``: pytest-xdist, ``--dist loadgroup``).
_LIVE_SERVER_MODULES = ("tests/e2e/", "tests/security/test_csp_browser.py")
_ONE_WORKER_MODULES = {
    "tests/demo/test_demo_history.py": "the demo year",  # once per database
    "tests/demo/test_seed_demo.py": "the demo's stories",  # once per database
    "tests/test_make_run.py": "make run's demo database",
}


def _shared_demo_group(nodeid: str) -> str | None:
    """Which seeded demo a test shares, if any: the live server (the demo county served
    for real, tests/live_server.py), or one of the modules above, per database."""
    module = nodeid.split("::", 1)[0]
    if module.startswith(_LIVE_SERVER_MODULES):
        return "live_server"
    if module in _ONE_WORKER_MODULES:
        params = nodeid.rpartition("[")[2].rstrip("]").split("-") if "[" in nodeid else []
        database = next((p for p in params if p in ("sqlite", "postgresql")), "")
        return f"{module}:{database}"
    return None


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: fine without it (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` with the groups above: every other test goes to whichever
    worker is free. (xdist's own ``xdist_group`` marks cannot be used: they rename the
    test's nodeid, which pytest 9.2 no longer allows.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    # The grouping below overrides a method of xdist's own; were it renamed, the groups
    # would silently stop (each worker seeding its own demo): fail loudly instead.
    assert hasattr(LoadGroupScheduling, "_split_scope"), "pytest-xdist changed its scheduler"

    class SharedDemoScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _shared_demo_group(nodeid) or super()._split_scope(nodeid)

    return SharedDemoScheduling(config, log)


REAL_GENERATE_PASSWORD_HASH = werkzeug.security.generate_password_hash


def _cheap_password_hash(password: str, method: str = "pbkdf2:sha256:1", salt_length: int = 16):
    """A hash that checks like a real one at a thousandth of the cost (scrypt's default
    costs 0.1-0.4 s here, for every user the factories make and every sign-in)."""
    return REAL_GENERATE_PASSWORD_HASH(password, method=method, salt_length=salt_length)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """Tests hash with one round of PBKDF2; ``real_password_hashes`` turns the app's own
    settings back on for the test that checks them (tests/services/test_password_hashes.py).
    """
    from app.models import people

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(people, "generate_password_hash", _cheap_password_hash)
        patch.setattr(werkzeug.security, "generate_password_hash", _cheap_password_hash)
        yield


@pytest.fixture
def real_password_hashes(monkeypatch):
    from app.models import people

    monkeypatch.setattr(people, "generate_password_hash", REAL_GENERATE_PASSWORD_HASH)
    monkeypatch.setattr(werkzeug.security, "generate_password_hash", REAL_GENERATE_PASSWORD_HASH)


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    from app.translate import build

    build()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    reason = _pg_reachable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL: {reason}")
        pytest.skip(reason)
    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


@pytest.fixture(scope="session")
def _app(database_url):
    app = create_app(TestConfig(database_url))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        generic_plans.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        _empty_used_postgresql_tables(tables)
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def _empty_used_postgresql_tables(tables) -> None:
    """What ``TRUNCATE … RESTART IDENTITY CASCADE`` of every table leaves, in a fifth of
    its time: a test writes to a few tables, so only those are emptied (DELETE, children
    first, is quicker than TRUNCATE on small tables), and only the sequences it drew from
    start again at 1."""
    probe = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
    )
    used = set(db.session.scalars(text(probe)))
    for table in tables:
        if table.name in used:
            db.session.execute(table.delete())
    drawn = db.session.execute(
        text(
            "SELECT schemaname, sequencename FROM pg_sequences"
            " WHERE last_value IS NOT NULL AND schemaname = current_schema()"
        )
    )
    for schema, sequence in drawn.all():
        db.session.execute(text(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART'))


@pytest.fixture
def app(_app):
    from app.services import nearby

    with _app.app_context():
        limiter.reset()
        nearby.forget_first_rings()  # learnt from another test's requests
        yield _app
        db.session.remove()
        _empty_tables()
        db.session.remove()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: a fresh ``g`` and a
    fresh database session. What the test wrote is committed first, and what the test
    holds is expired after, so it reads what the request stored."""

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def backend(app) -> str:
    return db.engine.dialect.name


@pytest.fixture
def world(app):
    """A small county: two townships with stations, villages, and a village room."""
    return factories.make_world()


@pytest.fixture
def login_as(client, world):
    """login_as("social_worker") signs a fresh user with that role in; returns the user."""

    def _login(role: str | tuple[str, ...], station=None, **kwargs):
        roles = (role,) if isinstance(role, str) else role
        if station is None:
            station = world.county_centre if "county_supervisor" in roles else world.station_a
        user = factories.make_user(roles=roles, station=station, **kwargs)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return user

    return _login


def csrf_token_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)
