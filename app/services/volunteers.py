"""The volunteer's own side: sign-up, nearby tasks, my tasks, hours and the certificate."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, literal_column, null, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Beneficiary,
    Claim,
    HelpRequest,
    Offer,
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
from app.models.vocab import CATEGORIES, MINOR_GROUPS, SOCIAL_WORKER_ONLY
from app.services import ServiceError, as_id, geo, links, matching, phone_codes, wording
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
NEARBY_LIMIT = 30


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


# --- nearby tasks ------------------------------------------------------------------------------


@dataclass(slots=True)
class TaskSummary:
    """An offered request as a line of the nearby list reads it, from one row of the
    nearest-first search (the whole ORM request with its beneficiary, village and station
    cost more CPU than the rest of the page): no name, phone or address."""

    id: int
    category: str
    urgency: str
    lat: float
    lon: float
    wanted_at: datetime | None
    wanted_note: str
    involves_minor: bool  # as HelpRequest.involves_minor
    place: str  # as wording.place_label
    status: str = "offered"


@dataclass
class TaskView:
    """What a volunteer may see of a task before it is theirs: no name, phone or address."""

    request: HelpRequest | TaskSummary
    distance_km: float
    offer: Offer | None = None
    team: Team | None = None  # the team the leader would claim it for
    reasons: list[str] = field(default_factory=list)

    @property
    def category(self) -> str:
        return wording.category_label(self.request.category)

    @property
    def village(self) -> str:
        if isinstance(self.request, TaskSummary):
            return self.request.place
        return wording.place_label(self.request)


def led_team(user: User) -> Team | None:
    return db.session.scalars(_led_team_statement(), {"user_id": user.id}).first()


@lru_cache(maxsize=1)
def _led_team_statement():
    """Built once: building it cost as much as running it."""
    return (
        select(Team)
        .where(Team.leader_id == bindparam("user_id"), Team.active.is_(True))
        .order_by(Team.id)
        .limit(1)
    )


def _shown_with_request():
    """What a task line shows, joined to the task's own statement (each is one row)."""
    return (
        joinedload(HelpRequest.beneficiary),
        joinedload(HelpRequest.village),
        joinedload(HelpRequest.station),
    )


def _places(
    user: User, team: Team | None | object = ...
) -> list[tuple[float, float, float, Team | None]]:
    """Where this volunteer looks from: home (when approved), and the team they lead."""
    profile = user.volunteer
    if team is ...:
        team = led_team(user)
    places = []
    if profile is not None and profile.status == "approved" and profile.home_lat is not None:
        places.append((profile.home_lat, profile.home_lon, profile.radius_km, None))
    if team is not None and team.lat is not None:
        places.append((team.lat, team.lon, team.radius_km, team))
    return places


def _my_open_offers(user: User, request_id: int | None = None) -> dict[int, Offer]:
    params = {"user_id": user.id}
    if request_id is not None:
        params["request_id"] = request_id
    statement = _open_offers_statement(request_id is not None)
    return {o.request_id: o for o in db.session.scalars(statement, params)}


@lru_cache(maxsize=2)
def _open_offers_statement(one_request: bool):
    """The volunteer's open offers (theirs and their led teams'), with their tasks and teams
    joined: one statement (a volunteer holds a few open offers; a statement each for the
    offers, their tasks and their teams cost twice the CPU); built once, run with
    parameters."""
    led = select(Team.id).where(Team.leader_id == bindparam("user_id"))
    query = (
        select(Offer)
        .where(
            Offer.status == "pending",
            or_(Offer.volunteer_id == bindparam("user_id"), Offer.team_id.in_(led)),
        )
        .options(
            joinedload(Offer.request).options(*_shown_with_request()),
            joinedload(Offer.team),
        )
    )
    if one_request:
        query = query.where(Offer.request_id == bindparam("request_id"))
    return query


def _view_from(
    user: User, request: HelpRequest | TaskSummary, place: tuple, offer: Offer | None
) -> TaskView | None:
    """The task seen from one place (home or team), or None when it is not for them."""
    lat, lon, radius, for_team = place
    km = geo.approx_km(lat, lon, request.lat, request.lon)
    if km > radius and offer is None:
        return None
    problem = (
        matching.team_eligibility_problem(request, for_team)
        if for_team is not None
        else matching.eligibility_problem(request, user)
    )
    if problem:
        return None
    return TaskView(request, round(km, 1), offer, for_team)


def _reach_km(place: tuple) -> float:
    # An open offer may come from a wider round: look as far as the widest round.
    return place[2] * 2.0


def _reach_box(place: tuple) -> tuple[float, float, float, float]:
    lat, lon, _radius, _team = place
    return geo.bounding_box(lat, lon, _reach_km(place))


def nearby_tasks(
    user: User, *, limit: int = NEARBY_LIMIT, team: Team | None | object = ...
) -> list[TaskView]:
    """Offered requests this volunteer (or the team they lead) may take: those offered to
    them by SMS first, then nearest first. ``team``: ``led_team(user)`` when the caller
    has it already."""
    places = _places(user, team)
    my_offers = _my_open_offers(user)
    found: dict[int, TaskView] = {}
    for place in places:
        lat, lon, _radius, for_team = place
        skills = set((for_team.skills if for_team is not None else user.volunteer.skills) or [])
        categories = sorted(skills - SOCIAL_WORKER_ONLY)
        # Tasks in reach are those within the radius; an offer made from a wider round is
        # added below from the volunteer's own offers.
        nearest = _nearest_offered(lat, lon, place[2], categories, limit * 4)
        # Stop at this place's own nearest `limit`: tasks another place (home, or the
        # team's base) listed first do not count, or the team's nearer tasks went unread.
        added_here = 0
        for chunk in _chunks(nearest, limit + 5):
            for request in chunk:
                if request.id in found:
                    continue
                view = _view_from(user, request, place, my_offers.get(request.id))
                if view is not None:
                    found[request.id] = view
                    added_here += view.offer is None
            if added_here >= limit:
                break
    # Offers from a far round may lie outside every box above.
    for request_id, offer in my_offers.items():
        if request_id in found or offer.request.status != "offered":
            continue
        problem = (
            matching.team_eligibility_problem(offer.request, offer.team)
            if offer.team is not None
            else matching.eligibility_problem(offer.request, user)
        )
        if problem is None:  # e.g. suspended since the offer was made: nothing to take
            found[request_id] = TaskView(offer.request, offer.distance_km or 0.0, offer, offer.team)
    tasks = sorted(
        found.values(),
        key=lambda t: (t.offer is None, t.distance_km),
    )
    return tasks[:limit]


# The first ring of the nearest-first search, as a part of the reach; each next ring is
# four times wider (so at most two: a quarter of the reach, then all of it).
FIRST_RING = 0.25


def _nearest_offered(
    lat: float, lon: float, reach_km: float, categories: list[str], count: int
) -> list[TaskSummary]:
    """The ``count`` offered requests nearest to (lat, lon) in these categories
    within the box of ``reach_km``, nearest first (an equirectangular square, fine at this
    scale).

    Ring by ring from a small box: once the box holds ``count`` rows, the farthest of them
    inside the box's inscribed circle, nothing outside it can be nearer. A dense county
    stops at the first ring (a few hundred index entries, read off the partial index
    ix_help_request_offered_near), where one box of the whole reach read every offered
    request in it (23,000 at 1,000,000 requests)."""
    if not categories:
        return []
    east = math.cos(math.radians(lat))
    statement = _nearest_statement()
    ring = reach_km * FIRST_RING
    while True:
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, ring)
        rows = db.session.execute(
            statement,
            {
                "lat": lat,
                "lon": lon,
                "east": east,
                "min_lat": min_lat,
                "max_lat": max_lat,
                "min_lon": min_lon,
                "max_lon": max_lon,
                "categories": categories,
                "count": count,
            },
        ).all()
        inscribed = (ring / 111.320) ** 2  # the box's narrower half-width, squared degrees
        if ring >= reach_km or (len(rows) == count and rows[-1].nearness <= inscribed):
            this_year = utcnow().year
            return [_summary(row, this_year) for row in rows]
        ring = min(reach_km, ring * 4)


@lru_cache(maxsize=1)
def _nearest_statement():
    """One ring's statement, built once (building cost more than running it): the nearest
    ids in a subquery (read off the partial index, as before), then what a task line
    shows of each joined to them, in the same statement."""
    lat, lon, east = bindparam("lat"), bindparam("lon"), bindparam("east")
    nearness = (HelpRequest.lat - lat) * (HelpRequest.lat - lat) + (
        (HelpRequest.lon - lon) * east
    ) * ((HelpRequest.lon - lon) * east)
    near = (
        select(HelpRequest.id, nearness.label("nearness"))
        .where(
            # written out, so the planner matches the partial index's predicate
            HelpRequest.status == literal_column("'offered'"),
            HelpRequest.lat.between(bindparam("min_lat"), bindparam("max_lat")),
            HelpRequest.lon.between(bindparam("min_lon"), bindparam("max_lon")),
            HelpRequest.category.in_(bindparam("categories", expanding=True)),
        )
        .order_by(nearness, HelpRequest.id)
        .limit(bindparam("count"))
        .subquery("near")
    )
    return (
        select(
            near.c.nearness,
            HelpRequest.id,
            HelpRequest.category,
            HelpRequest.urgency,
            HelpRequest.lat,
            HelpRequest.lon,
            HelpRequest.wanted_at,
            HelpRequest.wanted_note,
            HelpRequest.special_groups,
            HelpRequest.beneficiary_id,
            Beneficiary.special_groups.label("beneficiary_groups"),
            Beneficiary.birth_year.label("beneficiary_birth_year"),
            Region.name.label("village_name"),
            Station.name.label("station_name"),
        )
        .select_from(near)
        .join(HelpRequest, HelpRequest.id == near.c.id)
        .outerjoin(Beneficiary, Beneficiary.id == HelpRequest.beneficiary_id)
        .outerjoin(Region, Region.id == HelpRequest.village_id)
        .outerjoin(Station, Station.id == HelpRequest.station_id)
        .order_by(near.c.nearness, near.c.id)
    )


def _summary(row, this_year: int) -> TaskSummary:
    return TaskSummary(
        id=row.id,
        category=row.category,
        urgency=row.urgency,
        lat=row.lat,
        lon=row.lon,
        wanted_at=row.wanted_at,
        wanted_note=row.wanted_note,
        involves_minor=_involves_minor(row, this_year),
        # wording.place_label: the village, else the station
        place=row.village_name if row.village_name is not None else (row.station_name or ""),
    )


def _involves_minor(row, this_year: int) -> bool:
    """HelpRequest.involves_minor (and Beneficiary.is_minor) on the row's columns."""
    if set(row.special_groups or []) & MINOR_GROUPS:
        return True
    if row.beneficiary_id is None:
        return False
    if set(row.beneficiary_groups or []) & MINOR_GROUPS:
        return True
    birth_year = row.beneficiary_birth_year
    return bool(birth_year and this_year - birth_year < 18)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def task_view(user: User, request: HelpRequest) -> TaskView | None:
    """One offered task as this volunteer may see it, or None when it is not for them
    (the same rules as ``nearby_tasks``, for this one request)."""
    if request.status != "offered":
        return None
    offer = _my_open_offers(user, request.id).get(request.id)
    if request.lat is not None and request.lon is not None:
        for place in _places(user):
            min_lat, max_lat, min_lon, max_lon = _reach_box(place)
            if not (min_lat <= request.lat <= max_lat and min_lon <= request.lon <= max_lon):
                continue
            view = _view_from(user, request, place, offer)
            if view is not None:
                return view
    if offer is not None:
        return TaskView(request, offer.distance_km or 0.0, offer, offer.team)
    return None


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
