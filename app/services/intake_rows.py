"""The rows a new request writes, as Core statements built once (issue 17).

An intake writes the request, its first timeline line ("created"), the form's one-time
token and the "we got it" text. Through the ORM that was an INSERT … RETURNING and a
unit-of-work flush of three objects (four round trips, and most of a post's Python time).
Here each row is a dict of every column (the model's defaults filled in as the ORM would),
and the statement of each shape (with or without a token, a text) is built once per
dialect and kept: on PostgreSQL the four INSERTs are one statement (the companions are
data-modifying CTEs reading the new id); on SQLite, which has no such CTEs, the request's
INSERT and one INSERT for each companion.

The request's INSERT finds its possible duplicate itself (a subquery on the (phone,
category, created_at) index: a NULL phone matches nothing) and returns the row whole, loaded
as a HelpRequest into the session like any other. A spent token or a taken tracking code
fails the statement with an IntegrityError, as the flush did (``intake._create_once``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Table, bindparam, insert, literal, select
from sqlalchemy.sql.schema import ColumnDefault

from app.extensions import db
from app.models import FormToken, HelpRequest, OutboxMessage, RequestEvent

REQUESTS: Table = HelpRequest.__table__
EVENTS: Table = RequestEvent.__table__
TOKENS: Table = FormToken.__table__
OUTBOX: Table = OutboxMessage.__table__

# The parameters of the duplicate subquery (``duplicate_params``).
_DUPLICATE_PARAMS = ("dup_phone", "dup_category", "dup_since", "dup_station")
_built: dict[tuple[str, bool, bool], object] = {}


def full_row(table: Table, values: dict[str, object], now: datetime) -> dict[str, object]:
    """``values`` with every other column's default, as the ORM's flush would fill it in (a
    callable default, all of them ``utcnow``, is ``now``); the id is the database's."""
    row = {}
    for column in table.c:
        if column.key in values:
            row[column.key] = values[column.key]
        elif column.primary_key:
            continue
        elif isinstance(column.default, ColumnDefault):
            if column.default.is_callable and not isinstance(column.type, DateTime):
                raise ValueError(f"{table.name}.{column.key}: no value for its default")
            row[column.key] = now if column.default.is_callable else column.default.arg
        else:
            row[column.key] = None
    return row


def insert_request(
    request: dict[str, object],
    duplicate: dict[str, object],
    event: dict[str, object],
    token: dict[str, object] | None = None,
    text: dict[str, object] | None = None,
) -> HelpRequest:
    """Write the request and its companions (each a ``full_row``, without ``request_id``):
    the new request, loaded into the session. ``duplicate``: ``duplicate_params``."""
    params = {**_prefixed("r", request), **duplicate, **_prefixed("e", event)}
    if token is not None:
        params.update(_prefixed("t", token))
    if text is not None:
        params.update(_prefixed("o", text))
    session = db.session()
    dialect = session.get_bind().dialect.name
    statement = _statement(dialect, token is not None, text is not None)
    help_request = session.scalars(statement, params).one()
    if dialect != "postgresql":
        _insert_companions_one_by_one(help_request.id, event, token, text)
    return help_request


def duplicate_params(phone: str | None, category: str, since: datetime, station_id: int):
    return dict(zip(_DUPLICATE_PARAMS, (phone, category, since, station_id), strict=True))


def _prefixed(prefix: str, row: dict[str, object]) -> dict[str, object]:
    return {f"{prefix}_{key}": value for key, value in row.items()}


def _statement(dialect: str, with_token: bool, with_text: bool):
    key = (dialect, with_token, with_text)
    statement = _built.get(key)
    if statement is None:
        statement = _built[key] = _build(dialect, with_token, with_text)
    return statement


def _build(dialect: str, with_token: bool, with_text: bool):
    request_insert = insert(REQUESTS).values(_request_values()).returning(*REQUESTS.c)
    if dialect != "postgresql":
        return select(HelpRequest).from_statement(request_insert)
    new = request_insert.cte("new_request")
    new_id = select(new.c.id).scalar_subquery()
    companions = [(EVENTS, "e")]
    if with_token:
        companions.append((TOKENS, "t"))
    if with_text:
        companions.append((OUTBOX, "o"))
    ctes = [
        insert(table).values(_companion_values(table, prefix, new_id)).cte(f"new_{table.name}")
        for table, prefix in companions
    ]
    return select(HelpRequest).from_statement(select(new).add_cte(*ctes))


def _request_values() -> dict[str, object]:
    values = {
        column.key: bindparam(f"r_{column.key}", type_=column.type)
        for column in REQUESTS.c
        if not column.primary_key
    }
    values["possible_duplicate_of_id"] = _duplicate_subquery()
    return values


def _duplicate_subquery():
    """The newest open request from this phone for this help in the last day at this
    station (see ``intake._open_duplicates``, which it mirrors)."""
    from app.services.workflow import OPEN_STATUSES

    return (
        select(REQUESTS.c.id)
        .where(
            REQUESTS.c.contact_phone == bindparam("dup_phone", type_=REQUESTS.c.contact_phone.type),
            REQUESTS.c.category == bindparam("dup_category", type_=REQUESTS.c.category.type),
            REQUESTS.c.created_at >= bindparam("dup_since", type_=REQUESTS.c.created_at.type),
            REQUESTS.c.status.in_([literal(status) for status in sorted(OPEN_STATUSES)]),
            REQUESTS.c.station_id == bindparam("dup_station", type_=REQUESTS.c.station_id.type),
        )
        .order_by(REQUESTS.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _companion_values(table: Table, prefix: str, request_id) -> dict[str, object]:
    values = {
        column.key: bindparam(f"{prefix}_{column.key}", type_=column.type)
        for column in table.c
        if not (column.primary_key and column.key == "id")
    }
    values["request_id"] = request_id
    return values


_companion_inserts: dict[str, object] = {}


def _insert_companions_one_by_one(request_id: int, event, token, text) -> None:
    """SQLite: one INSERT each, with the new request's id."""
    for table, prefix, row in ((EVENTS, "e", event), (TOKENS, "t", token), (OUTBOX, "o", text)):
        if row is None:
            continue
        statement = _companion_inserts.get(table.name)
        if statement is None:
            values = _companion_values(table, prefix, bindparam("request_id"))
            statement = _companion_inserts[table.name] = insert(table).values(values)
        db.session.execute(statement, {**_prefixed(prefix, row), "request_id": request_id})
