"""Nearby tasks: the offered requests a volunteer (or the team they lead) may take, and one
such task as they may see it. ``volunteers`` re-exports what the pages use.

The list reads plain rows (``TaskLine``) of what a line shows, not whole ORM requests with
their beneficiary, village and station: loading those cost more CPU than the rest of the
page. One task's own page (``task_view``) still reads the ORM request it was given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, case, func, literal_column, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Beneficiary, HelpRequest, Offer, Region, Station, Team, User
from app.models.base import utcnow
from app.models.vocab import MINOR_GROUPS, SOCIAL_WORKER_ONLY
from app.services import geo, matching, wording

NEARBY_LIMIT = 30
# The first ring of the nearest-first search, as a part of the reach; each next ring is
# four times wider (so at most two: a quarter of the reach, then all of it).
FIRST_RING = 0.25


@dataclass(slots=True)
class TaskLine:
    """An offered request as a line of the nearby list reads it, from one row: no name,
    phone or address (the row holds none)."""

    id: int
    status: str
    category: str
    urgency: str
    lat: float | None
    lon: float | None
    wanted_at: datetime | None
    wanted_note: str
    involves_minor: bool  # as HelpRequest.involves_minor
    place: str  # as wording.place_label


@dataclass(slots=True)
class OpenOffer:
    """An open offer as the nearby list reads it: for whom (a team, else the volunteer),
    the distance it was sent at, and its task's line."""

    id: int
    team_id: int | None
    distance_km: float | None
    request: TaskLine


@dataclass
class TaskView:
    """What a volunteer may see of a task before it is theirs: no name, phone or address."""

    request: HelpRequest | TaskLine
    distance_km: float
    offer: Offer | OpenOffer | None = None
    team: Team | None = None  # the team the leader would claim it for
    reasons: list[str] = field(default_factory=list)

    @property
    def category(self) -> str:
        return wording.category_label(self.request.category)

    @property
    def village(self) -> str:
        if isinstance(self.request, TaskLine):
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


def _view_from(
    user: User, request: HelpRequest | TaskLine, place: tuple, offer: Offer | OpenOffer | None
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


def nearby_tasks(
    user: User, *, limit: int = NEARBY_LIMIT, team: Team | None | object = ...
) -> list[TaskView]:
    """Offered requests this volunteer (or the team they lead) may take: those offered to
    them by SMS first, then nearest first. ``team``: ``led_team(user)`` when the caller
    has it already."""
    places = _places(user, team)
    this_year = utcnow().year
    # The statements below are plain Core selects, run on the session's connection: the
    # session's own execute wraps each row for the ORM (twice the CPU for 120 rows). It
    # would flush first, so do that here.
    db.session.flush()
    my_offers = _open_offer_lines(user, this_year)
    found: dict[int, TaskView] = {}
    for place in places:
        lat, lon, _radius, for_team = place
        skills = set((for_team.skills if for_team is not None else user.volunteer.skills) or [])
        categories = sorted(skills - SOCIAL_WORKER_ONLY)
        # Tasks in reach are those within the radius; an offer made from a wider round is
        # added below from the volunteer's own offers.
        nearest = _nearest_offered(lat, lon, place[2], categories, limit * 4, limit + 5)
        # Stop at this place's own nearest `limit`: tasks another place (home, or the
        # team's base) listed first do not count, or the team's nearer tasks went unread.
        # Read in chunks of a few more than the list shows (some may not be for them).
        added_here = 0
        for chunk in _chunks(nearest, limit + 5):
            for line in _lines_of(chunk, found, this_year):
                view = _view_from(user, line, place, my_offers.get(line.id))
                if view is not None:
                    found[line.id] = view
                    added_here += view.offer is None
            if added_here >= limit:
                break
    _add_far_offers(user, my_offers, found)
    tasks = sorted(
        found.values(),
        key=lambda t: (t.offer is None, t.distance_km),
    )
    return tasks[:limit]


def _add_far_offers(user: User, my_offers: dict[int, OpenOffer], found: dict) -> None:
    """Offers from a far round may lie outside every box the search read."""
    for request_id, offer in my_offers.items():
        task = offer.request
        if request_id in found or task.status != "offered":
            continue
        # The teams are those the user leads: the led team is in the session already.
        team = db.session.get(Team, offer.team_id) if offer.team_id is not None else None
        problem = (
            matching.team_eligibility_problem(task, team)
            if team is not None
            else matching.eligibility_problem(task, user)
        )
        if problem is None:  # e.g. suspended since the offer was made: nothing to take
            found[request_id] = TaskView(task, offer.distance_km or 0.0, offer, team)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lines_of(rows: list, found: dict, this_year: int) -> list[TaskLine]:
    """The lines of the rows not listed yet, in their order. The search joins the lines to
    its first chunk only; a later chunk (read when many of the nearest are not for this
    volunteer) reads its own in one more statement."""
    rows = [row for row in rows if row.near_id not in found]
    missing = [row.near_id for row in rows if row.id is None]
    if missing:
        read = db.session.connection().execute(_lines_statement(), {"ids": missing})
        by_id = {row.id: row for row in read}
        rows = [row if row.id is not None else by_id.get(row.near_id) for row in rows]
    return [_task_line(row, this_year) for row in rows if row is not None]


# --- the statements --------------------------------------------------------------------


def _nearest_offered(
    lat: float, lon: float, reach_km: float, categories: list[str], count: int, first: int
):
    """The rows of the ``count`` offered requests nearest to (lat, lon) in these categories
    within the box of ``reach_km``, nearest first (an equirectangular square, fine at this
    scale); the ``first`` of them with what their lines show (the others: their id and
    nearness; decoding 120 whole rows cost more than the rest of the search).

    Ring by ring from a small box: once the box holds ``count`` rows, the farthest of them
    inside the box's inscribed circle, nothing outside it can be nearer. A dense county
    stops at the first ring (a few hundred index entries, read off the partial index
    ix_help_request_offered_near), where one box of the whole reach read every offered
    request in it (23,000 at 1,000,000 requests)."""
    if not categories:
        return []
    east = math.cos(math.radians(lat))
    statement = _nearest_statement()
    connection = db.session.connection()
    ring = reach_km * FIRST_RING
    while True:
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, ring)
        rows = connection.execute(
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
                "first": first,
            },
        ).all()
        inscribed = (ring / 111.320) ** 2  # the box's narrower half-width, squared degrees
        if ring >= reach_km or (len(rows) == count and rows[-1].nearness <= inscribed):
            return rows
        ring = min(reach_km, ring * 4)


@lru_cache(maxsize=1)
def _nearest_statement():
    """One ring's statement, built once (building cost more than running it): the nearest
    ids in a subquery (read off the partial index), then their lines joined to them."""
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
    rank = func.row_number().over(order_by=(near.c.nearness, near.c.id))
    # The id to join the line to: the first ones' only (null past them, so the database
    # does not look the others up either).
    line_id = case((rank <= bindparam("first"), near.c.id))
    ranked = select(near.c.id, near.c.nearness, line_id.label("line_id")).subquery("ranked")
    query = (
        select(ranked.c.nearness, ranked.c.id.label("near_id"))
        .select_from(ranked)
        .outerjoin(HelpRequest, HelpRequest.id == ranked.c.line_id)
    )
    return _with_line(query).order_by(ranked.c.nearness, ranked.c.id)


@lru_cache(maxsize=1)
def _lines_statement():
    """The lines of some offered requests, by id: built once."""
    query = select(HelpRequest.id.label("near_id")).where(
        HelpRequest.id.in_(bindparam("ids", expanding=True))
    )
    return _with_line(query)


def _open_offer_lines(user: User, this_year: int) -> dict[int, OpenOffer]:
    """The volunteer's open offers (theirs and their led teams'), by task."""
    rows = db.session.connection().execute(_open_offer_lines_statement(), {"user_id": user.id})
    return {
        row.id: OpenOffer(row.offer_id, row.team_id, row.offer_km, _task_line(row, this_year))
        for row in rows
    }


@lru_cache(maxsize=1)
def _open_offer_lines_statement():
    """The open offers with their tasks' lines: one statement, built once."""
    led = select(Team.id).where(Team.leader_id == bindparam("user_id"))
    query = (
        select(Offer.id.label("offer_id"), Offer.team_id, Offer.distance_km.label("offer_km"))
        .select_from(Offer)
        .join(HelpRequest, HelpRequest.id == Offer.request_id)
        .where(
            Offer.status == "pending",
            or_(Offer.volunteer_id == bindparam("user_id"), Offer.team_id.in_(led)),
        )
    )
    return _with_line(query).order_by(Offer.id)


def _with_line(query):
    """``query`` (which joins HelpRequest) with the columns a task line reads."""
    return (
        query.add_columns(
            HelpRequest.id,
            HelpRequest.status,
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
        .outerjoin(Beneficiary, Beneficiary.id == HelpRequest.beneficiary_id)
        .outerjoin(Region, Region.id == HelpRequest.village_id)
        .outerjoin(Station, Station.id == HelpRequest.station_id)
    )


def _task_line(row, this_year: int) -> TaskLine:
    return TaskLine(
        id=row.id,
        status=row.status,
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
    """HelpRequest.involves_minor (with Beneficiary.is_minor) on the row's columns."""
    if set(row.special_groups or []) & MINOR_GROUPS:
        return True
    if row.beneficiary_id is None:
        return False
    if set(row.beneficiary_groups or []) & MINOR_GROUPS:
        return True
    birth_year = row.beneficiary_birth_year
    return bool(birth_year and this_year - birth_year < 18)


# --- one task ----------------------------------------------------------------------------


def task_view(user: User, request: HelpRequest) -> TaskView | None:
    """One offered task as this volunteer may see it, or None when it is not for them
    (the same rules as ``nearby_tasks``, for this one request)."""
    if request.status != "offered":
        return None
    params = {"user_id": user.id, "request_id": request.id}
    offer = {o.request_id: o for o in db.session.scalars(_open_offer_statement(), params)}.get(
        request.id
    )
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


@lru_cache(maxsize=1)
def _open_offer_statement():
    """The volunteer's open offers (theirs and their led teams') of one task, with the task
    (what the page shows of it) and the team joined: one statement, built once."""
    led = select(Team.id).where(Team.leader_id == bindparam("user_id"))
    return (
        select(Offer)
        .where(
            Offer.status == "pending",
            Offer.request_id == bindparam("request_id"),
            or_(Offer.volunteer_id == bindparam("user_id"), Offer.team_id.in_(led)),
        )
        .options(
            joinedload(Offer.request).options(
                joinedload(HelpRequest.beneficiary),
                joinedload(HelpRequest.village),
                joinedload(HelpRequest.station),
            ),
            joinedload(Offer.team),
        )
    )


def _reach_box(place: tuple) -> tuple[float, float, float, float]:
    # An open offer may come from a wider round: look as far as the widest round.
    lat, lon, radius, _team = place
    return geo.bounding_box(lat, lon, radius * 2.0)
