"""The dashboards' figures, computed once per scope and period and kept (issue 15 item 7).

At a county's scale (1,000,000 requests, 2,000,000 service records: benchmarks/county.py)
``stats.figures`` and ``stats.month_trend`` read a month of requests, a year of service
records and the whole ledger: seconds of database work, too slow for a page that several
supervisors and stations open at once. So a dashboard view reads a **snapshot**: the
figures and trend of its scope and period as computed at ``computed_at``, kept in the
table ``stats_snapshot`` and used while younger than ``STATS_MAX_AGE_SECONDS`` (config,
120). ``flask worker`` (``app.jobs.snapshots``) computes again, before they are that old,
the snapshots someone viewed in the last ten max ages (20 minutes), and deletes those
nobody viewed in ``STATS_KEEP_VIEWED_HOURS`` (24), so a dashboard in use is read, not
computed. A scope and period nobody has viewed
lately is computed at the view (and kept); the page says when its figures were counted
and offers to count them again (``fresh``).

What a snapshot holds is counts only: the names of the people not reached (coverage) are
never stored. They are read at each view, for the stations the viewer serves, as
``stats.figures`` reads them. With ``STATS_MAX_AGE_SECONDS`` 0 nothing is kept and every
view computes (the tests' default, so each test sees what it just wrote).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import types
from collections import OrderedDict
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Union, get_args, get_origin, get_type_hints

from flask import current_app
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import StatsSnapshot
from app.models.base import utcnow
from app.services import stats

VERSION = 2  # bump when Figures or MonthTrend change shape: older snapshots are not read
# 2: micro-wishes and resources linked (issue 18)
VIEW_NOTED_EVERY = timedelta(minutes=1)  # viewed_at is written at most this often
FRESH_AT_MOST_EVERY = timedelta(seconds=30)  # "count again" within this is a plain read
PER_SCOPE = 24  # snapshots kept per scope (stations counted), the last viewed
IN_USE_AGES = 10  # a snapshot viewed within ten max ages is counted again by the worker


@dataclass
class Counted:
    """A dashboard's figures and trend, and when they were counted."""

    figures: stats.Figures
    trend: stats.MonthTrend
    computed_at: datetime  # naive UTC
    kept: bool  # read from (or written to) a snapshot, rather than computed for this view only
    version: str = ""  # the snapshot's version (new at each count); "" when not kept


def max_age() -> int:
    return int(current_app.config.get("STATS_MAX_AGE_SECONDS", 120))


def dashboard_figures(scope: stats.Scope, period: stats.Period, *, fresh: bool = False) -> Counted:
    """The figures and twelve-month trend of ``scope`` over ``period``: from the scope's
    snapshot while it is younger than STATS_MAX_AGE_SECONDS, else computed now (and kept).
    ``fresh``: count again now, unless the snapshot is younger than 30 seconds. The people
    not reached are read now, for the stations the viewer serves.

    A young snapshot costs one narrow SELECT (its time) and, the first time this process
    sees that version of it, reading its figures; a process keeps the last
    ``READ_KEPT`` it read, so most views skip reading them again."""
    now = utcnow()
    if max_age() <= 0:
        return Counted(*_compute(scope, period), computed_at=now, kept=False)
    key = snapshot_key(scope, period)
    found = db.session.execute(
        select(
            StatsSnapshot.id,
            StatsSnapshot.version,
            StatsSnapshot.computed_at,
            StatsSnapshot.viewed_at,
        ).where(StatsSnapshot.key == key)
    ).first()
    counted = None
    if found is not None:
        snapshot_id, version, computed_at, viewed_at = found
        young = now - computed_at < (FRESH_AT_MOST_EVERY if fresh else timedelta(seconds=max_age()))
        counted = _read(snapshot_id, version, computed_at) if young else None
        if counted is not None and now - viewed_at >= VIEW_NOTED_EVERY:
            db.session.execute(
                update(StatsSnapshot).where(StatsSnapshot.id == snapshot_id).values(viewed_at=now)
            )
    if counted is None:
        counted = _store(scope, period, key, now, viewed=True)
    return replace(counted, figures=_with_names(counted.figures, scope))


def refresh(snapshot_id: int) -> bool:
    """Compute one snapshot again (the worker); False if it is gone. Its ``viewed_at``
    stays: only views keep a snapshot in use."""
    row = db.session.get(StatsSnapshot, snapshot_id)
    if row is None:
        return False
    scope = stats.Scope(tuple(row.station_ids), frozenset(), row.county)
    period = stats.Period(row.period_start, row.period_end)
    _store(scope, period, row.key, utcnow(), viewed=False)
    return True


def in_use_for() -> timedelta:
    """A snapshot viewed this recently is in use: ten times STATS_MAX_AGE_SECONDS (20
    minutes), so a page left open or opened again soon finds it young, and one glance
    does not make the worker count it for the rest of the day."""
    return timedelta(seconds=IN_USE_AGES * max_age())


def due_for_refresh(limit: int = 50) -> list[int]:
    """Snapshots in use (``in_use_for``) that are past half their age, oldest first: the
    worker counts these again before a view would have to."""
    if max_age() <= 0:
        return []
    now = utcnow()
    return list(
        db.session.scalars(
            select(StatsSnapshot.id)
            .where(
                StatsSnapshot.viewed_at >= now - in_use_for(),
                StatsSnapshot.computed_at <= now - timedelta(seconds=max_age() / 2),
            )
            .order_by(StatsSnapshot.computed_at)
            .limit(limit)
        )
    )


def purge() -> int:
    """Delete the snapshots nobody viewed in STATS_KEEP_VIEWED_HOURS."""
    result = db.session.execute(
        delete(StatsSnapshot).where(StatsSnapshot.viewed_at < utcnow() - _keep_viewed())
    )
    return int(result.rowcount or 0)


def _keep_viewed() -> timedelta:
    return timedelta(hours=int(current_app.config.get("STATS_KEEP_VIEWED_HOURS", 24)))


def scope_key(scope: stats.Scope) -> str:
    """The stations counted and county or not (the user's names are not part of it: a
    snapshot holds none)."""
    text = json.dumps([VERSION, list(scope.station_ids), scope.county])
    return hashlib.sha256(text.encode()).hexdigest()


def snapshot_key(scope: stats.Scope, period: stats.Period) -> str:
    """The scope and the period's days."""
    text = json.dumps([scope_key(scope), period.start.isoformat(), period.end.isoformat()])
    return hashlib.sha256(text.encode()).hexdigest()


# --- computing and keeping -------------------------------------------------------------------


def _compute(scope: stats.Scope, period: stats.Period) -> tuple[stats.Figures, stats.MonthTrend]:
    figures = stats.figures(scope, period)
    trend = stats.month_trend(scope, stats.month_period(period.end.year, period.end.month))
    return figures, trend


def _store(
    scope: stats.Scope, period: stats.Period, key: str, now: datetime, *, viewed: bool
) -> Counted:
    """Count without names, and keep the result under ``key``: one row per key, inserted
    or overwritten (two views counting at once store the same figures). ``viewed``: a
    view asked for it (noted in ``viewed_at``), not the worker."""
    anonymous = stats.Scope(scope.station_ids, frozenset(), scope.county)
    started = time.perf_counter()
    figures, trend = _compute(anonymous, period)
    data = json.dumps({"figures": _encode(figures), "trend": _encode(trend)}, ensure_ascii=False)
    values = {
        "key": key,
        "scope_key": scope_key(scope),
        "station_ids": list(scope.station_ids),
        "county": scope.county,
        "period_start": period.start,
        "period_end": period.end,
        "data": data,
        "computed_at": now,
        "computed_ms": int((time.perf_counter() - started) * 1000),
        "version": secrets.token_hex(16),
        "viewed_at": now,
    }
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(StatsSnapshot).values(**values)
    kept = [name for name in values if name != "key" and (viewed or name != "viewed_at")]
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={name: statement.excluded[name] for name in kept}
        )
    )
    if viewed:
        _keep_latest(values["scope_key"])
    counted = Counted(figures, trend, now, kept=True, version=values["version"])
    _remember(values["version"], counted)
    return counted


def _keep_latest(scope: str) -> None:
    """At most PER_SCOPE snapshots per scope, the ones viewed last: a user choosing one
    range of days after another fills no table."""
    latest = (
        select(StatsSnapshot.id)
        .where(StatsSnapshot.scope_key == scope)
        .order_by(StatsSnapshot.viewed_at.desc(), StatsSnapshot.id.desc())
        .limit(PER_SCOPE)
    )
    db.session.execute(
        delete(StatsSnapshot).where(
            StatsSnapshot.scope_key == scope, StatsSnapshot.id.not_in(latest)
        )
    )


# what this process read or stored last, by the snapshot's version (random at each count)
_READ: OrderedDict[str, Counted] = OrderedDict()
READ_KEPT = 32


def _remember(version: str, counted: Counted) -> None:
    _READ.pop(version, None)
    _READ[version] = counted  # last: the most recent
    while len(_READ) > READ_KEPT:
        _READ.popitem(last=False)


def _read(snapshot_id: int, version: str, computed_at: datetime) -> Counted | None:
    """The snapshot's figures (this process's copy if it read this version already), or
    None when they cannot be read (another version of the code wrote them)."""
    known = _READ.get(version)
    if known is not None:
        _remember(version, known)  # (pop and set: no KeyError if a thread evicted it)
        return known
    text = db.session.scalar(select(StatsSnapshot.data).where(StatsSnapshot.id == snapshot_id))
    try:
        data = json.loads(text or "")
        figures = _decode(stats.Figures, data["figures"])
        trend = _decode(stats.MonthTrend, data["trend"])
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None
    counted = Counted(figures, trend, computed_at, kept=True, version=version)
    _remember(version, counted)
    return counted


def _with_names(figures: stats.Figures, scope: stats.Scope) -> stats.Figures:
    """The viewer's scope, and the people not reached of the stations they serve, read now."""
    found = stats.not_reached(scope, figures.coverage_quarter)
    coverage = [replace(item, not_reached=found.get(item.group, [])) for item in figures.coverage]
    return replace(figures, scope=scope, coverage=coverage)


# --- a typed JSON form of the figures' dataclasses --------------------------------------------


def _encode(value):
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _encode(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):  # as pairs: keys keep their type (station ids are ints)
        return [[_encode(key), _encode(item)] for key, item in value.items()]
    if isinstance(value, list | tuple | set | frozenset):
        return [_encode(item) for item in value]
    return value


@cache
def _hints(kind: type) -> dict[str, object]:
    hints = get_type_hints(kind)
    return {item.name: hints[item.name] for item in fields(kind)}


def _decode(kind, raw):
    if raw is None:
        return None
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(kind) if arg is not type(None)]
        return _decode(inner, raw)
    if origin is dict:
        key_kind, value_kind = get_args(kind)
        return {_decode(key_kind, key): _decode(value_kind, item) for key, item in raw}
    if origin is list:
        (item_kind,) = get_args(kind)
        return [_decode(item_kind, item) for item in raw]
    if origin is tuple:
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in raw)
        return tuple(_decode(arg, item) for arg, item in zip(args, raw, strict=True))
    if origin is frozenset:
        (item_kind,) = get_args(kind)
        return frozenset(_decode(item_kind, item) for item in raw)
    if is_dataclass(kind):
        return kind(**{name: _decode(hint, raw[name]) for name, hint in _hints(kind).items()})
    if kind is Decimal:
        return Decimal(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if kind is float and isinstance(raw, int):
        return float(raw)
    if kind in (int, float, str, bool):
        if not isinstance(raw, kind):
            raise TypeError(f"{raw!r} is not {kind.__name__}")
        return raw
    raise TypeError(f"cannot read {kind!r}")
