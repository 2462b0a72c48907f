"""A station admin manages the staff of the stations they act for (issue 15, item 2):
add a worker, suspend and reactivate, reset a password, record the social-work
certificate and training hours. Every change is written to the access log.

First password and reset: the admin never chooses nor sees a password. The account gets
a random one nobody knows, and the worker is texted (through the outbox) a link to the
ordinary "forgot your password" page (``auth.start_reset`` / ``auth.reset_password``),
where an SMS code to their own phone lets them choose one. Only the phone's owner can
sign in; a reset also ends every session of the account (``session_version``).

Who is managed: users based at one of the admin's acting stations
(``access.acting_station_ids``) holding the social worker or station admin role, never a
county supervisor. Anything else is "not found" to the admin.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Station, User, UserRole
from app.models.vocab import CERTIFICATE_LEVELS, CERTIFIED_TARGET
from app.services import ServiceError, audit, links, stats, workflow
from app.services.access import acting_station_ids
from app.services.notifications import queue_sms
from app.services.phones import normalise_phone

STAFF_ROLES = ("social_worker", "station_admin")
MAX_TRAINING_HOURS = Decimal("2000")
WELCOME_TEMPLATE = "staff_welcome"
RESET_TEMPLATE = "staff_password_reset"

# Lines this module writes to the access log (object_type "user").
AUDIT_ACTIONS = (
    "staff_add",
    "staff_suspend",
    "staff_reactivate",
    "staff_reset_password",
    "staff_certificate",
)


@dataclass
class StationStaff:
    """One station's staff on the admin's page, with its certified count."""

    station: Station
    workers: list[User]
    certified: int
    staff: int

    @property
    def below_target(self) -> bool:
        return below_target(self.station, self.certified)


def below_target(station: Station, certified: int) -> bool:
    """Fewer certified workers than the target (两名以上持证社工). A village room is an
    outpost of its township station, whose staff serve it: it is not held to the target."""
    return station.kind != "village_room" and certified < CERTIFIED_TARGET


def _require_admin(actor: User) -> set[int]:
    ids = acting_station_ids(actor)
    if not actor.has_role("station_admin") or not ids:
        raise ServiceError(_("Only a station admin can manage staff."))
    return ids


def _staff_query(station_ids):
    managed = select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))
    supervisors = select(UserRole.user_id).where(UserRole.role == "county_supervisor")
    return select(User).where(
        User.station_id.in_(list(station_ids) or [-1]),
        User.id.in_(managed),
        User.id.not_in(supervisors),
    )


def stations(actor: User) -> list[Station]:
    """The stations ``actor`` may put a worker in: their acting stations, theirs first."""
    ids = acting_station_ids(actor) if actor.has_role("station_admin") else set()
    found = db.session.scalars(select(Station).where(Station.id.in_(ids or {-1}))).all()
    return sorted(found, key=lambda s: (s.id != actor.station_id, s.id))


def staff_groups(actor: User) -> list[StationStaff]:
    """The staff of ``actor``'s acting stations, by station: the admin's own station
    always, other stations when they have staff."""
    listed = stations(actor)
    ids = [s.id for s in listed]
    workers = db.session.scalars(_staff_query(ids).order_by(User.active.desc(), User.name)).all()
    by_station: dict[int, list[User]] = {}
    for worker in workers:
        by_station.setdefault(worker.station_id, []).append(worker)
    counts = stats.certified_by_station(ids)
    return [
        StationStaff(station, by_station.get(station.id, []), *counts.get(station.id, (0, 0)))
        for station in listed
        if station.id == actor.station_id or station.id in by_station
    ]


def visible_worker(actor: User, worker_id: int) -> User | None:
    """A worker ``actor`` may manage, or None (the page answers 404)."""
    if not actor.has_role("station_admin"):
        return None
    return db.session.scalar(_staff_query(acting_station_ids(actor)).where(User.id == worker_id))


# --- the use cases ---------------------------------------------------------------------------


def parse_hours(raw: object) -> Decimal:
    """Training hours as typed: 0 to 2000, at most one decimal."""
    text = str(raw if raw is not None else "").strip() or "0"
    try:
        hours = Decimal(text)
    except InvalidOperation:
        hours = None
    if (
        hours is None
        or not hours.is_finite()
        or hours < 0
        or hours > MAX_TRAINING_HOURS
        or hours != hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    ):
        raise ServiceError(
            _("Training hours: a number from 0 to 2000, with at most one decimal (e.g. 12.5)."),
            field="training_hours",
        )
    return hours.quantize(Decimal("0.1"))


def _level(raw: str | None) -> str:
    level = raw or ""
    if level not in CERTIFICATE_LEVELS:
        raise ServiceError(
            _("Choose a certificate level from the list."), field="certificate_level"
        )
    return level


def _station(allowed: set[int], station_id: int | None) -> Station:
    if station_id is None or station_id not in allowed:
        raise ServiceError(_("Choose one of your own stations."), field="station_id")
    return db.session.get(Station, station_id)


def _unused_phone(raw: str) -> str:
    phone = normalise_phone(raw)
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise ServiceError(
            _("This phone number already has an account. Each worker needs their own number."),
            field="phone",
        )
    return phone


def add_worker(
    actor: User,
    *,
    name: str,
    phone: str,
    role: str,
    station_id: int | None,
    certificate_level: str = "",
    training_hours: object = "0",
) -> User:
    """Open an account for a new social worker or station admin of one of ``actor``'s
    stations, and text them where to set their password."""
    allowed = _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Please enter the worker's name."), field="name")
    if role not in STAFF_ROLES:
        raise ServiceError(_("Choose social worker or station admin."), field="role")
    station = _station(allowed, station_id)
    level = _level(certificate_level)
    hours = parse_hours(training_hours)
    number = _unused_phone(phone)
    worker = User(
        name=name[:64],
        phone=number,
        station_id=station.id,
        certificate_level=level,
        training_hours=hours,
    )
    worker.password_hash = _unknown_password_hash()
    worker.add_role(role)
    try:
        with db.session.begin_nested():
            db.session.add(worker)
    except IntegrityError:  # the same number added at the same moment
        raise ServiceError(
            _("This phone number already has an account. Each worker needs their own number."),
            field="phone",
        ) from None
    _text_set_password(worker, WELCOME_TEMPLATE)
    _log(actor, "staff_add", worker, role=role, certificate_level=level, training_hours=hours)
    return worker


def suspend(actor: User, worker: User) -> User:
    """Suspend a worker: they cannot sign in, and every session of theirs ends now."""
    _require_admin(actor)
    if worker.id == actor.id:
        raise ServiceError(_("You cannot suspend yourself."))
    if not worker.active:
        raise ServiceError(_("This worker is already suspended."))
    _lock_station(worker.station_id)  # two admins suspending each other: one at a time
    if worker.has_role("station_admin") and _other_active_admins(worker) == 0:
        raise ServiceError(
            _("This is the station's last active admin: add or reactivate another admin first.")
        )
    worker.active = False
    _end_sessions(worker)
    _log(actor, "staff_suspend", worker)
    return worker


def open_requests_of(worker: User) -> int:
    """Open requests given to ``worker`` and not yet done. Suspending a worker leaves them
    where they are (they may be under way): the page tells the admin to hand them on."""
    from app.models import HelpRequest

    return db.session.scalar(
        select(func.count(HelpRequest.id)).where(
            HelpRequest.assigned_worker_id == worker.id,
            HelpRequest.status.in_(workflow.OPEN_STATUSES - {"done"}),
        )
    )


def reactivate(actor: User, worker: User) -> User:
    _require_admin(actor)
    if worker.active:
        raise ServiceError(_("This worker is already active."))
    worker.active = True
    _end_sessions(worker)
    _log(actor, "staff_reactivate", worker)
    return worker


def reset_password(actor: User, worker: User) -> User:
    """The worker's password stops working, their sessions end, and they are texted the
    link to choose a new one with a code sent to their own phone."""
    _require_admin(actor)
    if worker.id == actor.id:
        raise ServiceError(
            _("To change your own password, sign out and use “Forgot your password?”.")
        )
    if not worker.active:
        raise ServiceError(_("Reactivate this worker before resetting their password."))
    if not worker.phone:
        raise ServiceError(_("This worker has no mobile phone on file to text the link to."))
    worker.password_hash = _unknown_password_hash()
    _end_sessions(worker)
    _text_set_password(worker, RESET_TEMPLATE)
    _log(actor, "staff_reset_password", worker)
    return worker


def record_certificate(
    actor: User, worker: User, *, certificate_level: str, training_hours: object
) -> User:
    _require_admin(actor)
    level = _level(certificate_level)
    hours = parse_hours(training_hours)
    before = (worker.certificate_level or "", Decimal(worker.training_hours or 0))
    worker.certificate_level = level
    worker.training_hours = hours
    db.session.flush()
    _log(
        actor,
        "staff_certificate",
        worker,
        certificate_level=f"{before[0]}->{level}",
        training_hours=f"{before[1]}->{hours}",
    )
    return worker


# --- helpers -----------------------------------------------------------------------------


def _unknown_password_hash() -> str:
    """A hash of a random password nobody is told: the account opens only after its owner
    chooses a password with an SMS code."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(secrets.token_urlsafe(32))


def _end_sessions(worker: User) -> None:
    worker.session_version = (worker.session_version or 0) + 1
    db.session.flush()


def _lock_station(station_id: int | None) -> None:
    """Row-lock the station (PostgreSQL; SQLite writes one at a time anyway) so that the
    count of its other active admins cannot change before this transaction ends."""
    db.session.execute(select(Station.id).where(Station.id == station_id).with_for_update())


def _other_active_admins(worker: User) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(User.id)))
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.station_id == worker.station_id,
            User.active.is_(True),
            User.id != worker.id,
            UserRole.role == "station_admin",
        )
    )


def _text_set_password(worker: User, template: str) -> None:
    language = worker.language if worker.language in ("zh", "en") else "zh"
    queue_sms(worker.phone, template, language=language, user_id=worker.id, link=links.reset_link())


def _log(actor: User, action: str, worker: User, **detail) -> None:
    audit.log_access(
        actor, action, "user", worker.id, worker.station_id, worker=worker.name, **detail
    )
