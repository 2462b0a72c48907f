"""Nearby tasks: the offered requests a volunteer (or the team they lead) may take, and one
such task as they may see it. ``volunteers`` re-exports what the pages use.

The list reads plain rows (``TaskLine``) of what a line shows, not whole ORM requests with
their beneficiary, village and station: loading those cost more CPU than the rest of the
page. One task's own page (``task_view``) still reads the ORM request it was given.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import bindparam, case, func, literal_column, or_, select, true
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import HelpRequest, Offer, Team, User
from app.models.base import utcnow
from app.models.vocab import SOCIAL_WORKER_ONLY
from app.services import geo, matching, wording
from app.services.nearby_rows import TaskLine, lines_statement, task_line, with_line

NEARBY_LIMIT = 30
# The first ring of the nearest-first search, as a part of the reach, until a place has
# learnt its own (below); each next ring is four times wider, the last the whole reach (from
# this one: at most two, a quarter of the reach, then all of it).
FIRST_RING = 0.25
# Each place learns its own first ring (``first_ring``): halved while a search's first
# ring held all it needed within half its size (where offered requests lie dense), no
# smaller than this part of the reach; and the ring that answered when the first was not
# enough (where they lie sparse: at most the whole reach, one statement).
SMALLEST_FIRST_RING = FIRST_RING / 16
# The first rings learnt, by volunteer and place (this process's own: a few dozen bytes
# each; those changed longest ago go first).
FIRST_RINGS_KEPT = 4096
_first_rings: dict[tuple, float] = {}
_first_rings_lock = threading.Lock()  # for threaded servers: writes only, and rare
# The last ring's lines are all joined to it when it holds at most this many more rows than
# the first chunk: a line decoded for nothing (about 10 µs) costs less than a statement
# for the next chunk's lines.
LINE_SLACK = 15


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
    user: User,
    *,
    limit: int = NEARBY_LIMIT,
    team: Team | None | object = ...,
    offers: dict[int, OpenOffer] | None = None,
) -> list[TaskView]:
    """Offered requests this volunteer (or the team they lead) may take: those offered to
    them by SMS first, then nearest first. ``team`` and ``offers``: what
    ``led_team_and_offers(user)`` gave, when the caller has read it already."""
    if offers is None:
        found_team, offers = led_team_and_offers(user)
        team = found_team if team is ... else team
    db.session.flush()  # the plain selects below would not (cheap when nothing changed)
    places = _places(user, team)
    this_year = utcnow().year
    # The statements below are plain Core selects, run on the session's connection: the
    # session's own execute wraps each row for the ORM (twice the CPU for 120 rows).
    found: dict[int, TaskView] = {}
    for place in places:
        found.update(_views_near(user, place, offers, found, limit, this_year))
    _add_far_offers(user, offers, found)
    tasks = sorted(
        found.values(),
        key=lambda t: (t.offer is None, t.distance_km),
    )
    return tasks[:limit]


def _views_near(
    user: User, place: tuple, my_offers: dict, found: dict, limit: int, this_year: int
) -> dict[int, TaskView]:
    """The views this place adds: its own nearest ``limit`` (tasks another place listed
    first do not count, or the team's nearer tasks went unread), read nearest first in
    chunks of a few more than the list shows (some may not be for them)."""
    _lat, _lon, reach_km, for_team = place
    skills = set((for_team.skills if for_team is not None else user.volunteer.skills) or [])
    categories = sorted(skills - SOCIAL_WORKER_ONLY)
    # Tasks in reach are those within the radius; an offer made from a wider round is
    # added later from the volunteer's own offers.
    known: dict[int, TaskLine] = {}  # the lines read, by id: a wider ring reads them again
    key = _ring_key(user, place, categories)
    start = first_ring(key)
    rings = _rings(place, categories, limit * 4, limit + 5, start)
    for ring, (nearest, inscribed, final) in enumerate(rings):
        added: dict[int, TaskView] = {}
        enough = False
        for chunk in _chunks(nearest, limit + 5):
            for line in _lines_of(chunk, found, this_year, known):
                view = _view_from(user, line, place, my_offers.get(line.id))
                if view is not None:
                    added[line.id] = view
            enough = sum(view.offer is None for view in added.values()) >= limit
            if enough:
                break
        # The rows read so far are the nearest in reach when the last lies inside the
        # ring's inscribed circle (all outside the ring are farther), and either enough
        # were found or the ring returned all the search asks for.
        whole = enough or len(nearest) == limit * 4
        if final or (whole and nearest and chunk[-1].nearness <= inscribed):
            needed = chunk[-1].nearness if enough and ring == 0 else None
            _learn_first_ring(key, start, ring, needed)
            return added
    return {}


def _ring_key(user: User, place: tuple, categories: list[str]) -> tuple:
    """A first ring is learnt for one volunteer's place: their home, or the team they lead
    (the team's search skips what home listed), its point (to about 100 m), reach and
    categories. Not shared with another volunteer at the same point: what each may take
    differs (children's cases, their own offers), and two searches needing different rings
    would pull one ring back and forth."""
    lat, lon, reach_km, team = place
    return (
        user.id,
        team.id if team is not None else None,
        reach_km,
        tuple(categories),
        round(lat, 3),
        round(lon, 3),
    )


def first_ring(key: tuple) -> float:
    """The first ring to read from this place, as a part of its reach."""
    return _first_rings.get(key, FIRST_RING)


def forget_first_rings() -> None:
    """Every place back to ``FIRST_RING`` (tests: what another test's requests taught)."""
    _first_rings.clear()


def _learn_first_ring(key: tuple, first: float, ring: int, needed_up_to: float | None) -> None:
    """After a search from a place whose first ring was ``first`` (a part of the reach):

    - when a wider ring answered (``ring`` > 0: the first was not enough), that ring is the
      place's next first ring (at most the whole reach): one statement, not two or three;
    - when the first answered, and the rows the list needed all lay inside the circle of a
      ring half its size, the half ring: it would have given the same rows (all of them in
      its box, nearest first), for a quarter of the box.

    So a place settles on the smallest ring (in steps of two) that answers at once; a change
    that makes its ring too small (the near tasks taken) costs one wider search.

    ``needed_up_to``: the nearness (squared degrees, as ``_rings`` gives it) of the last row
    the list needed, when the first ring found enough; else None."""
    reach_km = key[2]  # as _ring_key orders it
    if ring > 0:
        learnt = min(1.0, first * 4**ring)  # the ring that answered, as _rings widens
    elif needed_up_to is not None and first / 2 >= SMALLEST_FIRST_RING:
        half_circle = (reach_km * first / 2 / 111.320) ** 2  # the half ring's inscribed circle
        learnt = first / 2 if needed_up_to <= half_circle else first
    else:
        learnt = first
    if learnt == _first_rings.get(key, FIRST_RING):
        return
    with _first_rings_lock:
        # Kept in the order last changed; one back at the default ring is not kept.
        _first_rings.pop(key, None)
        if learnt != FIRST_RING:
            if len(_first_rings) >= FIRST_RINGS_KEPT:
                _first_rings.pop(next(iter(_first_rings)))  # the longest unchanged goes
            _first_rings[key] = learnt


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


def _lines_of(rows: list, found: dict, this_year: int, known: dict) -> list[TaskLine]:
    """The lines of the rows not listed yet, in their order. The search joins the lines to
    its first chunk only; a later chunk (read when many of the nearest are not for this
    volunteer) reads its own in one more statement. ``known``: the lines an earlier ring
    read (by id), not read again; the lines made here are added to it."""
    rows = [row for row in rows if row.near_id not in found]
    missing = [row.near_id for row in rows if row.id is None and row.near_id not in known]
    by_id = {}
    if missing:
        read = db.session.connection().execute(lines_statement(), {"ids": missing})
        by_id = {row.id: row for row in read}
    lines = []
    for row in rows:
        line = known.get(row.near_id)
        if line is None:
            row = row if row.id is not None else by_id.get(row.near_id)
            if row is None:  # gone since the search read it
                continue
            line = known[row.id] = task_line(row, this_year)
        lines.append(line)
    return lines


# --- the statements --------------------------------------------------------------------


def _rings(
    place: tuple, categories: list[str], count: int, first: int, first_ring: float = FIRST_RING
):
    """For each ring from a small box out to the reach: the rows of the ``count`` offered
    requests nearest to the place in these categories within the ring's box, nearest
    first (an equirectangular square, fine at this scale); the ``first`` of them with
    what their lines show (the others: their id and nearness; decoding 120 whole rows
    cost more than the rest of the search), or all of them when it is the last ring and
    holds at most ``LINE_SLACK`` more. With them, the box's inscribed circle (squared
    degrees: nothing outside the box is nearer) and whether it is the last ring. The
    first ring is ``first_ring`` of the reach (what the place has learnt, ``first_ring``).

    The caller stops at the first ring whose rows it needed lie inside that circle. A
    dense county stops at the first ring (a few dozen index entries, read off the partial
    index ix_help_request_offered_near), where one box of the whole reach read every
    offered request in it (23,000 at 1,000,000 requests)."""
    if not categories:
        return
    lat, lon, reach_km, _team = place
    east = math.cos(math.radians(lat))
    connection = db.session.connection()
    ring = reach_km * first_ring
    while True:
        final = ring >= reach_km
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, ring)
        rows = connection.execute(
            _nearest_statement(final),
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
                "few": first + LINE_SLACK,
            },
        ).all()
        yield rows, (ring / 111.320) ** 2, final  # the box's narrower half-width
        if final:
            return
        ring = min(reach_km, ring * 4)


@lru_cache(maxsize=2)
def _nearest_statement(final: bool):
    """One ring's statement, built once (building cost more than running it): the nearest
    ids in a subquery (read off the partial index), then their lines joined to them. The
    last ring's joins them all when it holds few more than ``first``: the list takes its
    rows until it has enough, and a sparse reach would need them all (a first ring that
    holds a few more is most often enough with its first)."""
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
    wanted = rank <= bindparam("first")
    if final:
        wanted = or_(wanted, func.count().over() <= bindparam("few"))
    line_id = case((wanted, near.c.id))
    ranked = select(near.c.id, near.c.nearness, line_id.label("line_id")).subquery("ranked")
    query = (
        select(ranked.c.nearness, ranked.c.id.label("near_id"))
        .select_from(ranked)
        .outerjoin(HelpRequest, HelpRequest.id == ranked.c.line_id)
    )
    return with_line(query).order_by(ranked.c.nearness, ranked.c.id)


def led_team_and_offers(user: User) -> tuple[Team | None, dict[int, OpenOffer]]:
    """The team this volunteer leads (``led_team``) and their open offers (theirs and
    their led teams', by task, with the tasks' lines), read in one statement: the list
    page needs both, and most volunteers lead no team (a leader's team is then read by
    id, or found in the session)."""
    db.session.flush()  # a plain Core select on the session's connection: flush first
    this_year = utcnow().year
    rows = (
        db.session.connection()
        .execute(_led_team_and_offers_statement(), {"user_id": user.id})
        .all()
    )
    team_id = rows[0].led_team_id if rows else None
    team = db.session.get(Team, team_id) if team_id is not None else None
    offers = {
        row.id: OpenOffer(row.offer_id, row.team_id, row.offer_km, task_line(row, this_year))
        for row in rows
        if row.offer_id is not None
    }
    return team, offers


@lru_cache(maxsize=1)
def _led_team_and_offers_statement():
    """One row for the led team's id (as ``led_team`` finds it), joined to each open
    offer with its task's line (or to none): built once."""
    led = _led_team_statement().with_only_columns(Team.id).scalar_subquery()
    me = select(led.label("led_team_id")).subquery("me")
    mine = select(Team.id).where(Team.leader_id == bindparam("user_id"))
    offers = with_line(
        select(Offer.id.label("offer_id"), Offer.team_id, Offer.distance_km.label("offer_km"))
        .select_from(Offer)
        .join(HelpRequest, HelpRequest.id == Offer.request_id)
        .where(
            Offer.status == "pending",
            or_(Offer.volunteer_id == bindparam("user_id"), Offer.team_id.in_(mine)),
        )
    ).subquery("offers")
    return (
        select(me.c.led_team_id, offers)
        .select_from(me.outerjoin(offers, true()))
        .order_by(offers.c.offer_id)
    )


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
