"""Statements PostgreSQL must run on their generic plan, read without a transaction when
the page reads only.

psycopg prepares a statement after its fifth run on a connection; PostgreSQL then weighs
the statement's generic plan against planning afresh for each run's values. For the
station queue's statement (7 KB, about twenty ranges of indexes, each capped) it keeps
planning afresh at 1,000,000 requests: replayed there, 5.3 ms of server CPU a run against
1.7 ms on the generic plan, which is as good at every size (``benchmarks/load.py``).

Inside a unit of work the setting is the transaction's (``SET LOCAL``): the rest of that
transaction runs on generic plans too, nothing after it. But that needs a transaction, and
a page that only reads runs without one (``reads_only``, app/blueprints/transaction.py),
sparing the round trips of ``BEGIN``, the setting and ``COMMIT``. There the statement runs
on a pool of its own (as large as the app's, opened as needed: one more connection per
gunicorn sync worker), whose connections open with the setting and run on the driver's
autocommit. Such a page writes nothing, so it misses nothing the session has not sent.
Every other statement of the app keeps PostgreSQL's own choice of plans.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import Row

EXTENSION = "linli_generic_plans"  # app.extensions: the engine of the generic-plan pool
SETTING = "plan_cache_mode = force_generic_plan"


def init_app(app: Flask, url: str, engine_options: dict) -> None:
    """On PostgreSQL: the pool kept to generic plans, with the app's own engine options
    (``engine_options``, its ``connect_args`` with them), on autocommit, each connection
    opened with the setting. It connects when first used."""
    connect_args = dict(engine_options.get("connect_args") or {})
    setting = "-c " + SETTING.replace(" ", "")
    connect_args["options"] = f"{connect_args.get('options', '')} {setting}".strip()
    options = {**engine_options, "connect_args": connect_args, "isolation_level": "AUTOCOMMIT"}
    app.extensions[EXTENSION] = create_engine(url, **options)


def dispose() -> None:
    """Close the pool's idle connections (this app's; as ``db.engine.dispose()``)."""
    pool = engine()
    if pool is not None:
        pool.dispose()


def engine() -> Engine | None:
    """This app's pool kept to generic plans (None on SQLite, which plans every statement
    afresh anyway)."""
    return current_app.extensions.get(EXTENSION)


def rows(connection: Connection, statement, params: dict) -> list[Row]:
    """The rows of ``statement``, run on its generic plan on PostgreSQL: on the pool kept
    to them when ``connection`` (the session's) runs without a transaction, else on
    ``connection`` within its transaction (it sees what the unit of work has sent)."""
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, params).all()
    if connection.connection.driver_connection.autocommit:
        with engine().connect() as own:
            return own.execute(statement, params).all()
    connection.exec_driver_sql("SET LOCAL " + SETTING)
    return connection.execute(statement, params).all()
