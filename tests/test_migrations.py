"""One Alembic history upgrades an empty database and matches the models (flask db check)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

ROOT = Path(__file__).resolve().parent.parent


def _flask(args, url):
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="wsgi.py")
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def empty_database(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    from tests.conftest import _create_pg_database, _drop_pg_database

    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


def test_upgrade_from_empty_then_check_finds_no_pending_changes(empty_database):
    upgrade = _flask(["db", "upgrade"], empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    check = _flask(["db", "check"], empty_database)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    from app.config import normalise_database_url

    engine = create_engine(normalise_database_url(empty_database))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"help_request", "request_event", "outbox_message", "region", "station"} <= tables
