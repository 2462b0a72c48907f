"""The volunteer's own side: sign-up, nearby tasks, my tasks, hours and the certificate.

The nearby tasks are in ``nearby`` (re-exported here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import delete, func, null, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Claim,
    OutboxMessage,
    Region,
    ServiceRecord,
    Station,
    Team,
    TeamMember,
    User,
    VolunteerProfile,
)
from app.models.base import utcnow
from app.models.vocab import CATEGORIES, SOCIAL_WORKER_ONLY
from app.services import ServiceError, as_id, geo, links, matching, phone_codes, wording
from app.services.nearby import (  # noqa: F401  (the pages know these as volunteers.*)
    FIRST_RING,
    NEARBY_LIMIT,
    TaskView,
    led_team,
    led_team_and_offers,
    nearby_tasks,
    task_view,
)
from app.services.notifications import queue_sms
from app.services.phones import normalise_phone

# Skills a volunteer may offer: every category except those for social workers only.
VOLUNTEER_SKILLS = [code for code in CATEGORIES if code not in SOCIAL_WORKER_ONLY]
RADIUS_CHOICES = (1, 3, 5, 10, 20, 30)
# Weekly availability, as parts of the day (local time).
DAY_PARTS = {
    "morning": ("08:00", "12:00"),
    "afternoon": ("12:00", "18:00"),
    "evening": ("18:00", "21:00"),
}


# --- sign-up -------------------------------------------------------------------------------


def availability_from_slots(slots: list[str]) -> list[dict]:
    """['0-morning', '5-evening'] -> weekly windows (Monday = 0)."""
    windows = []
    for slot in slots:
        day, _sep, part = str(slot).partition("-")
        if as_id(day) is None or int(day) > 6 or part not in DAY_PARTS:
            continue
        start, end = DAY_PARTS[part]
        windows.append({"day": int(day), "start": start, "end": end})
    return sorted(windows, key=lambda w: (w["day"], w["start"]))


def slots_from_availability(windows: list[dict]) -> list[str]:
    parts = {v: k for k, v in DAY_PARTS.items()}
    return [
        f"{w['day']}-{parts[(w['start'], w['end'])]}"
        for w in windows or []
        if (w.get("start"), w.get("end")) in parts
    ]


def sign_up(
    *,
    name: str,
    phone: str,
    password: str,
    skills: list[str],
    availability: list[dict],
    radius_km: float,
    lat: float | None = None,
    lon: float | None = None,
    village_id: int | None = None,
    team_id: int | None = None,
    language: str = "zh",
) -> str:
    """A new volunteer account, waiting for an SMS code and then the station's approval.

    Returns the ticket of the code flow. The account does not count (cannot be approved,
    sign in, or be known by its phone) until the code from that phone comes back. A phone
    that already has an account gets no new one: it answers the same, and the SMS to that
    phone says so, so the page never tells who has signed up."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Please enter your name."), field="name")
    phone_e164 = normalise_phone(phone)
    if len(password or "") < 8:
        raise ServiceError(_("The password needs at least 8 characters."), field="password")
    skills = [s for s in skills if s in VOLUNTEER_SKILLS]
    if not skills:
        raise ServiceError(_("Tick at least one kind of help you can give."), field="skills")
    if not availability:
        raise ServiceError(_("Tick at least one time when you are free."), field="availability")
    if not (0 < float(radius_km) <= matching.MAX_RADIUS_KM):
        raise ServiceError(_("Choose how far you can travel."), field="radius_km")
    village = db.session.get(Region, village_id) if village_id else None
    if lat is not None and lon is not None and geo.out_of_china(lat, lon):
        lat = lon = None  # no station serves such a point: the village says where instead
    if lat is None or lon is None:
        lat = lon = None
        if village is None:
            raise ServiceError(
                _("Choose your village, or let the phone find where you are."), field="village_id"
            )
        lat, lon = village.lat, village.lon
    team = db.session.get(Team, team_id) if team_id else None
    station = _home_station(village, lat, lon)
    # A team leader sees the members' names and hands them tasks of the team's station:
    # only a team of the station the volunteer is filed under may take them in.
    if team is not None and (station is None or team.station_id != station.id):
        raise ServiceError(
            _("This team is not at your station: choose a team of your station, or none for now."),
            field="team_id",
        )

    user = db.session.scalar(select(User).where(User.phone == phone_e164))
    if user is not None and user.phone_confirmed:
        return _already_registered(user, password)
    if user is None:
        user = _new_account(phone_e164)
        if user is None:  # a parallel sign-up took the number a moment ago
            return phone_codes.start("signup", phone_e164, None)
    # An unconfirmed sign-up never counted: whoever signs up again with the number takes
    # it over, and only the phone's owner can confirm it.
    user.name = name
    user.station_id = station.id if station else None
    user.language = language
    user.set_password(password)
    user.add_role("volunteer")
    profile = user.volunteer or VolunteerProfile(user_id=user.id)
    profile.station_id = station.id if station else None
    profile.skills = skills
    profile.availability = availability
    profile.home_lat, profile.home_lon = lat, lon
    profile.home_village_id = village.id if village else None
    profile.radius_km = float(radius_km)
    profile.status = "pending"
    # Joined on approval (admin.approve): a team leader sees the members' names and hands
    # them tasks, so nobody unchecked is among them.
    profile.wanted_team_id = team.id if team is not None and team.active else None
    db.session.add(profile)
    db.session.execute(delete(TeamMember).where(TeamMember.user_id == user.id))
    db.session.flush()
    return phone_codes.start("signup", phone_e164, user)


def _new_account(phone_e164: str) -> User | None:
    # null(), not None: None would let the column's default ("confirmed now") apply.
    user = User(
        username=None, phone=phone_e164, name="", password_hash="", phone_confirmed_at=null()
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        return None
    return user


ALREADY_REGISTERED_QUIET = timedelta(minutes=10)


def _already_registered(user: User, password: str) -> str:
    """Answer as for a new number. The owner hears of it by SMS (once in ten minutes)."""
    from app.models import people

    people.generate_password_hash(password)  # the same work as a new account: same time
    since = utcnow() - ALREADY_REGISTERED_QUIET
    told = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.to_phone == user.phone,
            OutboxMessage.template == "signup_already_registered",
            OutboxMessage.created_at > since,
        )
    )
    if not told and user.active:
        queue_sms(
            user.phone,
            "signup_already_registered",
            language=user.language,
            user_id=user.id,
            link=links.reset_link(),
        )
    return phone_codes.start("signup", user.phone, None)


def confirm_phone(ticket: str | None, code: str) -> User:
    """The code from the SMS came back: the phone is the volunteer's own, and the account
    now counts (the station may approve it)."""
    user = phone_codes.redeem(ticket, "signup", code)
    if not user.phone_confirmed:
        user.phone_confirmed_at = utcnow()
    db.session.flush()
    return user


def _home_station(village: Region | None, lat: float | None, lon: float | None) -> Station | None:
    return geo.route_to_station(village_id=village.id if village else None, lat=lat, lon=lon)


def villages_by_township() -> list[tuple[Region, list[Region]]]:
    townships = db.session.scalars(
        select(Region).where(Region.level == "township").order_by(Region.code)
    ).all()
    villages = db.session.scalars(
        select(Region).where(Region.level == "village").order_by(Region.code)
    ).all()
    grouped = [(t, [v for v in villages if v.parent_id == t.id]) for t in townships]
    return [(t, vs) for t, vs in grouped if vs]


def active_teams_by_station() -> list[tuple[Station, list[Team]]]:
    """The active teams grouped under their station: a volunteer may join only a team of
    the station they are filed under (``sign_up`` checks it), so the list says which."""
    rows = db.session.execute(
        select(Team, Station)
        .join(Station, Station.id == Team.station_id)
        .where(Team.active.is_(True))
        .order_by(Station.name, Team.name)
    ).all()
    grouped: dict[int, tuple[Station, list[Team]]] = {}
    for team, station in rows:
        grouped.setdefault(station.id, (station, []))[1].append(team)
    return list(grouped.values())


# --- my tasks -----------------------------------------------------------------------------------


def my_claims(user: User, *, open_only: bool = True) -> list[Claim]:
    """Claims this person does or leads: their own, their team's, those given to them."""
    led = select(Team.id).where(Team.leader_id == user.id)
    query = select(Claim).where(
        or_(
            (Claim.volunteer_id == user.id) & Claim.team_id.is_(None),
            Claim.team_id.in_(led),
            Claim.dispatched_to_id == user.id,
        )
    )
    if open_only:
        query = query.where(Claim.status == "active")
    return list(db.session.scalars(query.order_by(Claim.claimed_at.desc())))


def team_members(team: Team) -> list[User]:
    """The members a leader may hand a task to: active and approved (not suspended)."""
    return list(
        db.session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(
                TeamMember.team_id == team.id,
                User.active.is_(True),
                VolunteerProfile.status == "approved",
            )
            .order_by(User.name)
        )
    )


# --- hours and the certificate ------------------------------------------------------------------


def service_records(user: User) -> list[ServiceRecord]:
    return list(
        db.session.scalars(
            select(ServiceRecord)
            .where(ServiceRecord.volunteer_id == user.id)
            .order_by(ServiceRecord.ended_at.desc())
        )
    )


def total_hours(records: list[ServiceRecord]) -> Decimal:
    return sum((Decimal(r.hours or 0) for r in records), Decimal("0"))


def volunteer_identifier(user: User) -> str:
    """An identifier for the certificate that is not an ID card number."""
    return f"LL-V{user.id:06d}"


@dataclass
class Certificate:
    """The fields of 志愿服务记录证明 under the 2021 national rules (志愿服务记录与证明出具
    办法): volunteer, identifier, organisation, service content, period, hours, issuer, date."""

    volunteer_name: str
    identifier: str
    organisation: str
    service_content: list[str]
    period_start: date | None
    period_end: date | None
    hours: Decimal
    person_times: int
    issuing_station: str
    issued_on: date
    records: list[ServiceRecord]


def certificate(user: User, *, today: date | None = None) -> Certificate:
    records = service_records(user)
    teams = db.session.scalars(
        select(Team.name)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id)
        .order_by(Team.name)
    ).all()
    station = user.station
    organisation = "、".join(teams) if teams else (station.name if station else "")
    categories = []
    for record in sorted(records, key=lambda r: r.ended_at):
        text = wording.category_label(record.category)
        if text not in categories:
            categories.append(text)
    local_dates = [wording.local_date(r.ended_at) for r in records]
    return Certificate(
        volunteer_name=user.name,
        identifier=volunteer_identifier(user),
        organisation=organisation,
        service_content=categories,
        period_start=min(local_dates) if local_dates else None,
        period_end=max(local_dates) if local_dates else None,
        hours=total_hours(records),
        person_times=sum(r.person_times or 0 for r in records),
        issuing_station=station.name if station else "",
        issued_on=today or wording.local_today(),
        records=records,
    )
