"""Who may see what: role checks and the station-scoping helper every staff query uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import Select, select

from app.extensions import db
from app.models import Station, User


def role_required(*roles: str) -> Callable:
    """Allow signed-in users holding any of ``roles``; others get 403 (anonymous: sign-in)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from app.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _station_tree() -> list[tuple[int, int | None]]:
    """(id, parent id) of every station: read once per web request, as pages ask often."""
    if has_request_context():
        cached = g.get("_linli_station_tree")
        if cached is None:
            cached = g._linli_station_tree = db.session.execute(
                select(Station.id, Station.parent_id)
            ).all()
        return cached
    return db.session.execute(select(Station.id, Station.parent_id)).all()


def descendant_station_ids(root_id: int) -> set[int]:
    """A station and every station below it (rooms under a township, all under a county)."""
    rows = _station_tree()
    children: dict[int | None, list[int]] = {}
    for station_id, parent_id in rows:
        children.setdefault(parent_id, []).append(station_id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def visible_station_ids(user: User) -> set[int]:
    """The stations whose requests and beneficiaries ``user`` may see.

    A worker or admin sees their station and its rooms; a worker based in a room sees the
    room only; a county supervisor sees every station under the county centre. Anybody else
    sees none.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.station_id is None:
        return set()
    if not user.has_role("social_worker", "station_admin", "county_supervisor"):
        return set()
    if user.has_role("county_supervisor"):
        station = db.session.get(Station, user.station_id)
        root = station
        while root is not None and root.parent_id is not None and root.kind != "county_centre":
            root = root.parent
        return descendant_station_ids(root.id if root else user.station_id)
    return descendant_station_ids(user.station_id)


def scope_to_stations(query: Select, column, user: User) -> Select:
    """Restrict ``query`` to rows whose ``column`` (a station id) the user may see."""
    ids = visible_station_ids(user)
    return query.where(column.in_(ids or [-1]))


def can_see_station(user: User, station_id: int | None) -> bool:
    return station_id is not None and station_id in visible_station_ids(user)


def is_serving_worker(user: User, station_id: int | None) -> bool:
    """Full phone numbers and minors' names: only the serving station's own workers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not user.has_role("social_worker", "station_admin"):
        return False
    return station_id is not None and station_id in descendant_station_ids(user.station_id or -1)
