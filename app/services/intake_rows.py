"""The rows a new request writes, as Core statements built once (issue 17).

An intake writes the request, its first timeline line ("created"), the form's one-time
token and the "we got it" text. Through the ORM that was an INSERT … RETURNING and a
unit-of-work flush of three objects (four round trips, and most of a post's Python time).
Here the statement of each shape (with or without a token, a text) is built once per
dialect and kept: on PostgreSQL the four INSERTs are one statement (the companions are
data-modifying CTEs reading the new id); on SQLite, which has no such CTEs, the request's
INSERT and one INSERT for each companion.

A statement binds the columns an intake sets (``BOUND``) and one ``now`` for the
timestamps the model stamps; every other column gets the model's default written into the
SQL, as the ORM's flush would fill it in. Few parameters and short SQL let psycopg keep
the statement's parsed form (it keeps none past 50 parameters or 4,096 characters).

The request's INSERT finds its possible duplicate itself (a subquery on the (phone,
category, created_at) index: a NULL phone matches nothing) and returns the row whole, loaded
as a HelpRequest into the session like any other. A spent token or a taken tracking code
fails the statement with an IntegrityError, as the flush did (``intake._create_once``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Table, bindparam, false, insert, literal_column, select, true
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.sql.schema import ColumnDefault
from sqlalchemy.types import UserDefinedType

from app.extensions import db
from app.models import FormToken, HelpRequest, OutboxMessage, RequestEvent

REQUESTS: Table = HelpRequest.__table__
EVENTS: Table = RequestEvent.__table__
TOKENS: Table = FormToken.__table__
OUTBOX: Table = OutboxMessage.__table__

# The columns an intake sets, by table (the request's id is the companions' request_id).
BOUND = {
    REQUESTS: frozenset(
        "code category description special_groups for_whom urgency lat lon location_source "
        "address village_id wanted_at wanted_note contact_name contact_phone language channel "
        "submitter_id consent consent_by consent_method beneficiary_id station_id status".split()
    ),
    EVENTS: frozenset("action actor_id actor_label from_status to_status note public at".split()),
    TOKENS: frozenset(["token"]),
    OUTBOX: frozenset("to_phone body template language user_id crisis".split()),
}
_PREFIX = {REQUESTS: "r", EVENTS: "e", TOKENS: "t", OUTBOX: "o"}
_HELP_REQUEST = manager_of_class(HelpRequest)
# What the database decides: the id, the duplicate, and any column a server default fills.
_RETURNED = (
    REQUESTS.c.id,
    REQUESTS.c.possible_duplicate_of_id,
    *(column for column in REQUESTS.c if column.server_default is not None),
)
_built: dict[tuple[str, bool, bool], object] = {}
_companion_inserts: dict[str, object] = {}


def insert_request(
    request: dict[str, object],
    event: dict[str, object],
    *,
    token: dict[str, object] | None = None,
    text: dict[str, object] | None = None,
    now: datetime,
    duplicate_since: datetime,
) -> HelpRequest:
    """Write the request and its companions (each with the ``BOUND`` columns of its table,
    the companions without ``request_id``): the new request, loaded into the session.
    Its possible duplicate: the newest open request from its phone for its help at its
    station created since ``duplicate_since``."""
    params = {
        "now": now,
        # Its own typed parameters: one shared with the INSERT would be deduced two types.
        "dup_phone": request["contact_phone"],
        "dup_category": request["category"],
        "dup_station": request["station_id"],
        "since": duplicate_since,
    }
    for table, row in ((REQUESTS, request), (EVENTS, event), (TOKENS, token), (OUTBOX, text)):
        if row is not None:
            params.update(_params(table, row))
    session = db.session()
    session.flush()  # what the ORM's autoflush did before its INSERT (nothing, on the web)
    dialect = session.get_bind().dialect.name
    statement = _statement(dialect, token is not None, text is not None)
    returned = session.execute(statement, params).one()
    help_request = _as_loaded(session, {**_stored(REQUESTS, request, now), **returned._mapping})
    if dialect != "postgresql":
        _insert_companions_one_by_one(help_request.id, params, token, text)
    return help_request


def _stored(table: Table, row: dict[str, object], now: datetime) -> dict[str, object]:
    """Every column of ``row`` as ``_values`` writes it (the id aside)."""
    stored = {}
    for column in table.c:
        if column.key in row:
            stored[column.key] = row[column.key]
        elif isinstance(column.default, ColumnDefault) and not column.primary_key:
            stored[column.key] = now if column.default.is_callable else column.default.arg
        else:
            stored[column.key] = None
    return stored


def _as_loaded(session, row: dict[str, object]) -> HelpRequest:
    """The written row as the session's HelpRequest, as a load would make it (every column
    loaded, nothing to write, relationships loaded when first used). Only what the database
    decided (the id, the duplicate) comes back from it: returning the 45 columns, and the
    ORM's loader setting itself up again for each statement, were a third of the INSERT's
    Python time, for values the caller had."""
    help_request = _HELP_REQUEST.new_instance()  # as a load makes it: no __init__, no events
    help_request.__dict__.update(row)
    make_transient_to_detached(help_request)
    session.add(help_request)
    return help_request


def _params(table: Table, row: dict[str, object]) -> dict[str, object]:
    if row.keys() != BOUND[table]:  # a column set elsewhere would be silently left out
        raise ValueError(f"{table.name}: expected {sorted(BOUND[table])}, got {sorted(row)}")
    prefix = _PREFIX[table]
    return {f"{prefix}_{key}": value for key, value in row.items()}


def _statement(dialect: str, with_token: bool, with_text: bool):
    key = (dialect, with_token, with_text)
    statement = _built.get(key)
    if statement is None:
        configure_mappers()  # _as_loaded makes instances the way a load does, unconfigured
        statement = _built[key] = _build(dialect, with_token, with_text)
    return statement


def _build(dialect: str, with_token: bool, with_text: bool):
    request_values = _values(REQUESTS)
    request_values["possible_duplicate_of_id"] = _duplicate_subquery()
    request_insert = insert(REQUESTS).values(request_values).returning(*_RETURNED)
    if dialect != "postgresql":
        return request_insert
    new = request_insert.cte("r")
    new_id = select(new.c.id).scalar_subquery()
    companions = [EVENTS, *([TOKENS] if with_token else []), *([OUTBOX] if with_text else [])]
    ctes = [
        insert(table).values(_values(table, request_id=new_id)).cte(_PREFIX[table])
        for table in companions
    ]
    return select(*(new.c[column.key] for column in _RETURNED)).add_cte(*ctes)


def _values(table: Table, **given) -> dict[str, object]:
    """What an INSERT into ``table`` writes: the bound columns, ``now`` for a timestamp
    the model stamps, the model's other defaults as SQL; nothing (NULL) for the rest."""
    values = {}
    for column in table.c:
        if column.key in given:
            values[column.key] = given[column.key]
        elif column.key in BOUND[table]:
            values[column.key] = _bind(f"{_PREFIX[table]}_{column.key}", column)
        elif isinstance(column.default, ColumnDefault) and not column.primary_key:
            values[column.key] = _default_sql(table, column)
    return values


def _bind(name: str, column):
    """A parameter for ``column``: typed only where the value needs converting (JSON).
    Untyped, the psycopg dialect writes no cast after it ("::VARCHAR", "::TIMESTAMP WITHOUT
    TIME ZONE"), which keeps the statement short enough for psycopg to keep its parsed
    form; the server takes each parameter's type from the column it is compared with or
    written to, and both drivers send str, int, float, bool and naive datetime as they are."""
    return bindparam(name, type_=column.type if isinstance(column.type, JSON) else _AS_IS)


class _AsIs(UserDefinedType):
    """A parameter handed to the driver as it is, with no cast written after it."""

    cache_ok = True

    def get_col_spec(self) -> str:  # never in DDL: a parameter's type only
        raise NotImplementedError


_AS_IS = _AsIs()


def _default_sql(table: Table, column):
    default = column.default
    if default.is_callable:  # the tables' only callable defaults stamp the time (utcnow)
        if not isinstance(column.type, DateTime):
            raise ValueError(f"{table.name}.{column.key}: its default is not a time")
        return _bind("now", column)
    value = default.arg
    if isinstance(value, bool):
        return true() if value else false()
    if isinstance(value, int):
        return literal_column(str(value), column.type)
    if isinstance(value, str):
        return literal_column("'" + value.replace("'", "''") + "'", column.type)
    raise ValueError(f"{table.name}.{column.key}: a default not written as SQL here")


def _duplicate_subquery():
    """The newest open request from this phone for this help in the last day at this
    station (see ``intake._open_duplicates``, which it mirrors)."""
    from app.services.workflow import OPEN_STATUSES

    columns = REQUESTS.c
    return (
        select(columns.id)
        .where(
            columns.contact_phone == bindparam("dup_phone", type_=columns.contact_phone.type),
            columns.category == bindparam("dup_category", type_=columns.category.type),
            columns.created_at >= bindparam("since", type_=columns.created_at.type),
            columns.status.in_([literal_column(f"'{status}'") for status in sorted(OPEN_STATUSES)]),
            columns.station_id == bindparam("dup_station", type_=columns.station_id.type),
        )
        .order_by(columns.created_at.desc())
        .limit(literal_column("1"))
        .scalar_subquery()
    )


def _insert_companions_one_by_one(request_id: int, params, token, text) -> None:
    """SQLite: one INSERT each, with the new request's id."""
    for table, row in ((EVENTS, {}), (TOKENS, token), (OUTBOX, text)):
        if row is None:
            continue
        statement = _companion_inserts.get(table.name)
        if statement is None:
            values = _values(table, request_id=bindparam("request_id"))
            statement = _companion_inserts[table.name] = insert(table).values(values)
        db.session.execute(statement, {**params, "request_id": request_id})
