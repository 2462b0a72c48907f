"""The matching benchmark times a match as the app's callers make it: inside a transaction
already begun, so the driver's BEGIN (a round trip of its own on PostgreSQL) is not counted
as matching's."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import matching
from benchmarks import matching as bench


def _driver_in_transaction() -> bool:
    """Whether psycopg has a transaction open on the session's connection, in PostgreSQL
    itself (SQLAlchemy's own transaction begins without a round trip)."""
    from psycopg.pq import TransactionStatus

    driver = db.session.connection().connection.driver_connection
    return driver.info.transaction_status == TransactionStatus.INTRANS


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_each_timed_match_starts_in_a_transaction_already_begun(app, monkeypatch):
    """On SQLite (whose driver sends no BEGIN before a read) the bench's loop and its
    figures are checked, the transaction on PostgreSQL alone."""
    seen = []
    real = matching.find_candidates

    def recording(request, **kwargs):
        seen.append(_driver_in_transaction() if _postgresql() else None)
        return real(request, **kwargs)

    monkeypatch.setattr(bench, "MATCHES", 6)
    monkeypatch.setattr(bench, "ROUNDS", 2)
    monkeypatch.setattr(matching, "find_candidates", recording)
    lines = bench._measure(db, 0, "the test database")
    assert len(seen) == 26 + 6  # the first round with its 20 warm-ups, then the six again
    if _postgresql():
        assert all(seen), f"{seen.count(False)} matches paid for BEGIN"
    assert any("target p95" in line for line in lines)
    assert any(line.strip().startswith("bare statement") for line in lines)


@pytest.mark.parametrize("opened", [True, False])
def test_the_check_tells_an_open_transaction_from_none(app, opened):
    """The test above would pass whatever the bench did if the check could not fail."""
    from sqlalchemy import text

    if not _postgresql():
        pytest.skip("SQLite's driver begins only before a write: no BEGIN before a read")
    db.session.commit()
    if opened:
        db.session.execute(text("SELECT 1"))
    assert _driver_in_transaction() is opened
