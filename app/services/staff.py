"""Which staff of which station are told, and telling them: one finder, one way to text.

The rule (``station_staff``): a station's staff are its users with one of the given roles
(by default its social workers and station admins) whose account is active and whose phone
is confirmed (an SMS goes only to a number its owner proved to be theirs). A station with
none is covered by the nearest station above it that has some — a room by its township,
a township by the county centre — the same stations that stand in for it in the console
(``access.acting_station_ids``).

County supervisors are an audience of their own: those of the county centre above the
station (``county_supervisors``), told when a station escalates a request to the county.
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


def _own_staff(station_id: int, roles: Iterable[str]) -> list[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.station_id == station_id,
            User.active.is_(True),
            User.phone.is_not(None),
            User.phone_confirmed_at.is_not(None),
            UserRole.role.in_(tuple(roles)),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(query).unique())


def station_staff(station_id: int | None, roles: Iterable[str] = STAFF_ROLES) -> list[User]:
    """The staff told about ``station_id``'s work: its own, else the nearest station's above
    it that has any (see the module's rule)."""
    roles = tuple(roles)
    station = db.session.get(Station, station_id) if station_id is not None else None
    while station is not None:
        found = _own_staff(station.id, roles)
        if found:
            return found
        station = station.parent
    return []


def county_supervisors(station_id: int | None) -> list[User]:
    """The supervisors of the county ``station_id`` is in (based at its county centre)."""
    if station_id is None:
        return []
    return _own_staff(county_root_id(station_id), SUPERVISOR_ROLES)


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
