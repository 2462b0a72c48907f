"""Linli 邻里: the application factory."""

from __future__ import annotations

from flask import Flask, request

from app.config import Config
from app.extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate


def create_app(config: object | None = None) -> Flask:
    from app.blueprints.transaction import LinliFlask

    app = LinliFlask(__name__, instance_relative_config=True)
    app.config.from_object(config or Config())

    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    # First, so its after_request runs last: it compresses the finished response.
    compress.init_app(app)
    _tune_postgresql(app)
    db.init_app(app)
    with app.app_context():
        _tune_sqlite(app)
        _drop_closed_connections(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    from app import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app)

    from app.services import wording

    wording.init_app(app)  # times, places, phones and labels: one source for every template

    from app import models  # noqa: F401  (one metadata for Alembic)
    from app.blueprints import register_blueprints

    register_blueprints(app)

    from app import web

    web.init_app(app)  # hashed static URLs

    from app import cli, errors, security

    errors.init_app(app)
    security.init_app(app)
    cli.init_app(app)

    from app.web import urls

    urls.init_app(app)  # last: it checks every URL default is registered and fixed

    @app.after_request
    def vary_on_htmx(response):
        # One URL serves a page and its fragment: caches must tell them apart.
        if request.endpoint != "static":  # a static file is the same for htmx
            response.vary.add("HX-Request")
        return response

    @app.context_processor
    def inject_globals():
        from app.extensions import htmx

        return {"is_htmx": bool(htmx)}

    return app


def _tune_postgresql(app: Flask) -> None:
    """PostgreSQL without JIT compilation: the dashboards' aggregate queries are estimated
    costly enough to be compiled, and compiling cost more than it saved (the county's month
    over 2,000,000 service records, benchmarks/county.py: stats.figures 7.2 s with JIT,
    2.1 s without, on the same busy machine). Set as each connection starts: no round trip."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    from app import generic_plans

    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = (connect_args.get("options", "") + " -c jit=off").strip()
    # Without pre-ping, a connection a firewall or NAT dropped silently (no FIN, so the
    # socket poll below cannot see it) would fail its request's first query: TCP
    # keepalives find such a peer gone, and no pooled connection lives past 30 minutes.
    connect_args.setdefault("keepalives", 1)
    connect_args.setdefault("keepalives_idle", 60)
    connect_args.setdefault("keepalives_interval", 10)
    connect_args.setdefault("keepalives_count", 3)
    options.setdefault("pool_recycle", 1800)
    options["connect_args"] = connect_args
    # A pooled connection is checked without a round trip (see _drop_closed_connections).
    app.config["LINLI_CHECK_POOLED_CONNECTIONS"] = options.pop("pool_pre_ping", False)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # The station queue's statement, on a page that only reads: a pool of its own, kept to
    # generic plans (app/generic_plans.py).
    generic_plans.init_app(app, app.config["SQLALCHEMY_DATABASE_URI"], options)
    _keep_long_statements_parsed()


# psycopg turns each statement's %(name)s placeholders into $1, $2 ... and keeps what it
# worked out (128 statements, least recently used out), except for statements longer than
# 4,096 bytes or with more than 50 parameters: those are parsed again at every execution
# (it guards against bulk INSERTs with ever-changing VALUES lists filling the cache). The
# station queue's one statement is ~7 KB with 46 parameters, re-parsed at every page
# (~0.5 ms of ~9 ms CPU). Linli builds no such bulk statements, so the bounds are raised:
# 128 statements of at most 16 KiB keep the cache within a few MB per process.
PSYCOPG_CACHED_STATEMENT_LENGTH = 16 * 1024
PSYCOPG_CACHED_STATEMENT_PARAMS = 500


def _keep_long_statements_parsed() -> None:
    """Raise psycopg's limits on the statements it keeps parsed (module globals it reads
    at each execution; psycopg 3.1 to 3.3). Left as they are if a psycopg release drops them."""
    try:
        from psycopg import _queries
    except ImportError:  # no psycopg: SQLite only
        return
    for name, wanted in (
        ("MAX_CACHED_STATEMENT_LENGTH", PSYCOPG_CACHED_STATEMENT_LENGTH),
        ("MAX_CACHED_STATEMENT_PARAMS", PSYCOPG_CACHED_STATEMENT_PARAMS),
    ):
        if isinstance(getattr(_queries, name, None), int):
            setattr(_queries, name, max(getattr(_queries, name), wanted))


def _drop_closed_connections(app: Flask) -> None:
    """Instead of SQLAlchemy's pre-ping (a ``SELECT 1`` round trip before every request's
    first statement): a pooled PostgreSQL connection that the server has closed (a
    restart, an administrator, an idle timeout) has its socket readable while it sits
    idle (the server's goodbye, then end of file); such a connection is dropped and the
    pool opens another, as a failed ping would. A poll of the socket costs no round trip."""
    if not app.config.get("LINLI_CHECK_POOLED_CONNECTIONS"):
        return
    import select

    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    def _on_checkout(dbapi_connection, _record, _proxy):
        if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
            raise DisconnectionError("connection closed")
        idle = select.poll()
        idle.register(dbapi_connection.fileno(), select.POLLIN)
        if idle.poll(0):  # the server spoke first: it closed the connection
            raise DisconnectionError("connection closed by the server")

    from app import generic_plans

    for engine in filter(None, (db.engine, generic_plans.engine())):  # and generic plans'
        event.listen(engine, "checkout", _on_checkout)


def _tune_sqlite(app: Flask) -> None:
    """SQLite as the embedded default: WAL so readers never wait for the writer."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    @event.listens_for(db.engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
