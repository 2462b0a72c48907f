"""Which staff of which station are told, and telling them: one finder, one way to text.

The rule (``station_staff``): a station's staff are its users with one of the given roles
(by default its social workers and station admins) whose account is active. A station with
none is covered by the nearest station above it that has some — a room by its township,
a township by the county centre — the same stations that stand in for it in the console
(``access.acting_station_ids``). Of the staff found, those with a confirmed phone are
texted (an SMS goes only to a number its owner proved to be theirs).

County supervisors are an audience of their own: every active supervisor who reads the
county the station is in (``county_supervisors``), told when a station escalates a request.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Station, User, UserRole
from app.services.access import county_root_id
from app.services.notifications import queue_sms

STAFF_ROLES = ("social_worker", "station_admin")
SUPERVISOR_ROLES = ("county_supervisor",)


def _active_staff(roles: Iterable[str], *where) -> list[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role.in_(tuple(roles)), *where)
        .order_by(User.id)
    )
    return list(db.session.scalars(query).unique())


def _textable(users: list[User]) -> list[User]:
    return [u for u in users if u.phone and u.phone_confirmed_at is not None]


def station_staff(station_id: int | None, roles: Iterable[str] = STAFF_ROLES) -> list[User]:
    """The staff told about ``station_id``'s work: its own active staff in ``roles``, else
    those of the nearest station above it that has any (see the module's rule); of them,
    whoever has a confirmed phone. A station with active staff is theirs to be told about
    even when none of them can be texted: the walk up never passes a staffed station, as
    the stations above may not act on its requests (``access``)."""
    roles = tuple(roles)
    station = db.session.get(Station, station_id) if station_id is not None else None
    while station is not None:
        found = _active_staff(roles, User.station_id == station.id)
        if found:
            return _textable(found)
        station = station.parent
    return []


def county_supervisors(station_id: int | None) -> list[User]:
    """The supervisors who read the county ``station_id`` is in, wherever they are based
    in it, who can be texted."""
    if station_id is None:
        return []
    county = county_root_id(station_id)
    return _textable(
        [
            user
            for user in _active_staff(SUPERVISOR_ROLES, User.station_id.is_not(None))
            if county_root_id(user.station_id) == county
        ]
    )


def notify_staff(
    station: Station | int | None,
    template: str,
    /,
    *,
    roles: Iterable[str] = STAFF_ROLES,
    exclude: Iterable[User | None] = (),
    request_id: int | None = None,
    crisis: bool = False,
    **values: object,
) -> list[OutboxMessage]:
    """Queue ``template`` to the staff of ``station`` (``station_staff``; the county
    supervisors when ``roles`` is ``SUPERVISOR_ROLES``), each in their own language, leaving
    out ``exclude``. A value may be a function of the language (``lambda language: …``);
    translated labels are worded in each reader's language. Flushes nothing, commits nothing:
    the messages join the caller's transaction."""
    station_id = station.id if isinstance(station, Station) else station
    roles = tuple(roles)
    readers = (
        county_supervisors(station_id)
        if roles == SUPERVISOR_ROLES
        else station_staff(station_id, roles)
    )
    left_out = {user.id for user in exclude if user is not None}
    queued = []
    for user in readers:
        if user.id in left_out:
            continue
        language = user.language if user.language in ("zh", "en") else "zh"
        with force_locale(language):
            worded = {
                name: value(language) if callable(value) else str(value)
                for name, value in values.items()
            }
        message = queue_sms(
            user.phone,
            template,
            language=language,
            request_id=request_id,
            user_id=user.id,
            crisis=crisis,
            **worded,
        )
        if message is not None:
            queued.append(message)
    return queued
