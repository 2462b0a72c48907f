"""Where candidates may be: the SQL that narrows a province of volunteers to a short list.

Approved volunteers are read through the index ``ix_volunteer_approved_reach`` (of the
approved alone): each volunteer's reach cell (``models/reach.py``: their radius class and
a grid cell of that class's size) is stored with them, so a request looks up, for each
class, only the cells its reach's disc around the place touches; of the entries with the
request's skill (the indexed skill bits, tested as each entry is read), inside the bounding
box of ``MAX_RADIUS_KM × radius_factor``, an equirectangular reach test on the indexed
radius keeps the ``PREFILTER_LIMIT`` nearest (ties: the lower id). On SQLite only that
short list is read from the table; on PostgreSQL the index also carries
what the rules read of it (skills, the weekly windows packed, the open-task limit, the
vetting: ``_CARRIED``), so no table row is read at all. Active teams that list the
request's category, with an approved, active leader, are read from the same box, with the
same reach test on their own radius. ``prospects_near``
reads these, and those who served this person before wherever they live, in one
statement (``volunteers_near`` reads the near volunteers alone). Every row comes back as
a ``rules.Prospect`` of plain values, a superset of the candidates: the rules (``rules.py``) decide who of them may take the request on. The
statements are built once, with bound parameters, so a request pays for no SQL
construction. ``benchmarks/matching.py`` measures it.
"""

from __future__ import annotations

import json
import math

from sqlalchemy import (
    BigInteger,
    Float,
    String,
    Text,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from app.models import (
    Claim,
    HelpRequest,
    ServiceRecord,
    Team,
    TeamMember,
    User,
    VolunteerProfile,
)
from app.models.people import MATCHING_CARRIES
from app.models.reach import REACH_CLASSES, ranges_for_place
from app.models.vocab import CATEGORY_BITS
from app.services import geo
from app.services.matching import facts
from app.services.matching.rules import Prospect
from app.services.matching.statements import arrays, built_once, one_of, rows, values
from app.services.matching.weights import MAX_RADIUS_KM

PREFILTER_LIMIT = 100  # the nearest reachable volunteers with the skill, handed to the rules
REACH_MARGIN_KM = 0.5  # the reach test here is rough; the rules test it again
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320
_CELL_SLACK_KM = 0.01  # a class's box is this much larger than its reach: no float doubt

_PROFILE_COLUMNS = (
    VolunteerProfile.user_id,
    VolunteerProfile.home_lat,
    VolunteerProfile.home_lon,
    VolunteerProfile.radius_km,
    VolunteerProfile.skills,
    VolunteerProfile.availability,
    VolunteerProfile.open_task_limit,
    VolunteerProfile.vetted_for_children,
)


def _box_and_reach(lat_column, lon_column, radius_column):
    """The quick squared distance (equirectangular, km²) from the place to a point, and the
    conditions that the point is in the box and that its radius (times the round's factor,
    plus ``REACH_MARGIN_KM``) reaches the place on that distance."""
    lat, lon = bindparam("lat", type_=Float), bindparam("lon", type_=Float)
    dx = (lon_column - lon) * bindparam("kx", type_=Float)
    dy = (lat_column - lat) * _KM_PER_DEG_LAT
    d2 = dx * dx + dy * dy
    reach = radius_column * bindparam("factor", type_=Float) + REACH_MARGIN_KM
    return d2, (
        lat_column.between(bindparam("min_lat"), bindparam("max_lat")),
        lon_column.between(bindparam("min_lon"), bindparam("max_lon")),
        d2 <= reach * reach,
    )


def _profile_columns(windows: bool, packed: bool = False):
    """``_PROFILE_COLUMNS``; without windows, NULL in their place; ``packed``: the windows
    as the index carries them (``window_code``), so that on PostgreSQL every part of
    ``_prospects_statement`` gives them in one type (bytes; the teams' JSON as its text)."""
    if not windows:
        return (*_PROFILE_COLUMNS[:5], null(), *_PROFILE_COLUMNS[6:])
    if packed:
        return (*_PROFILE_COLUMNS[:5], VolunteerProfile.window_code, *_PROFILE_COLUMNS[6:])
    return _PROFILE_COLUMNS


# What the rules read of a near volunteer besides the point, the radius and the distance
# (the weekly windows packed: models/windows.py): on PostgreSQL the reach index carries
# them (``MATCHING_CARRIES``), so matching reads no table rows.
_CARRIED = tuple(getattr(VolunteerProfile, name) for name in MATCHING_CARRIES if name != "user_id")


@built_once
def _near_statement(arrays: bool, windows: bool):
    """The nearest reachable volunteers with the skill, read from the index alone; then
    what the rules read of them (their weekly windows only when the request has a wanted
    time: nobody else reads them). On SQLite that joins the short list to the table; on
    PostgreSQL the index carries it (``_CARRIED``), and no table row is read.

    The skill is tested before the nearest are chosen: an earlier version kept the 600
    nearest whoever they were, then those of them with the skill, and so missed
    volunteers with the skill behind 600 nearer without it (at half the bench's places)."""
    profile = VolunteerProfile
    d2, box_and_reach = _box_and_reach(profile.home_lat, profile.home_lon, profile.radius_km)
    columns = (profile.user_id.label("near_id"), d2.label("d2"))
    # Written out, not bound: the index holds the approved alone (a partial index), and a
    # plan made for any status could not use it.
    approved = profile.status == literal_column("'approved'")
    # The skill from the indexed bits, tested on each entry as it is read: before its
    # distance is worked out, and before the sort for the nearest.
    skilled = profile.skill_bits.op("&")(bindparam("skill_bit")) != 0
    if not arrays:
        near = (
            select(*columns)
            .where(approved, one_of(profile.reach_cell, "cells", arrays), skilled, *box_and_reach)
            .order_by(d2, profile.user_id)
            .limit(bindparam("prefilter_limit"))
            .subquery("near")
        )
        chosen = select(*_profile_columns(windows), near.c.d2).join(
            near, near.c.near_id == profile.user_id
        )
        return chosen.order_by(near.c.d2, near.c.near_id)
    # PostgreSQL: one index range per row of cells (their keys are consecutive), read
    # for each of the ranges given as two arrays, instead of one descent of the index
    # per cell. OFFSET 0 keeps the ranges outside: each is one short index scan.
    ranges = (
        func.unnest(
            cast(bindparam("lows", type_=String), ARRAY(BigInteger)),
            cast(bindparam("highs", type_=String), ARRAY(BigInteger)),
        )
        .table_valued("low", "high")
        .render_derived(name="cell_range")
    )
    # The distance is computed once for each entry read, by the lateral query (which
    # OFFSET 0 keeps whole); the reach test and the order read it as a column.
    point = (profile.home_lat, profile.home_lon, profile.radius_km)
    carried = [c for c in _CARRIED if windows or c is not profile.window_code]
    in_box = (
        select(*columns, *point, *carried)
        .where(
            approved,
            profile.reach_cell.between(ranges.c.low, ranges.c.high),
            skilled,
            *box_and_reach[:2],
        )
        .offset(0)
        .lateral("in_box")
    )
    reach = in_box.c.radius_km * bindparam("factor", type_=Float) + REACH_MARGIN_KM
    near = (
        select(*in_box.c)
        .select_from(ranges.join(in_box, true()))
        .where(in_box.c.d2 <= reach * reach)
        .order_by(in_box.c.d2, in_box.c.near_id)
        .limit(bindparam("prefilter_limit"))
        .subquery("near")
    )
    chosen = select(
        near.c.near_id.label("user_id"),
        *(near.c[column.key] for column in point),
        near.c.skills,
        near.c.window_code if windows else null(),
        near.c.open_task_limit,
        near.c.vetted_for_children,
        near.c.d2,
    )
    return chosen.order_by(near.c.d2, near.c.near_id)


def request_place(request: HelpRequest) -> tuple[float, float] | None:
    """The request's point, else its village's centroid, else its station's point."""
    if request.lat is not None and request.lon is not None:
        return request.lat, request.lon
    if request.village is not None and request.village.lat is not None:
        return request.village.lat, request.village.lon
    if request.station is not None and request.station.lat is not None:
        return request.station.lat, request.station.lon
    return None


def _place_params(lat: float, lon: float, factor: float) -> dict:
    """The parameters of ``_box_and_reach``."""
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, MAX_RADIUS_KM * factor)
    return {
        "lat": lat,
        "lon": lon,
        "kx": _KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat)),
        "factor": factor,
        "min_lat": min_lat,
        "max_lat": max_lat,
        "min_lon": min_lon,
        "max_lon": max_lon,
    }


def _near_params(category: str, lat: float, lon: float, factor: float) -> dict:
    """The near statement's parameters; no skill bit (a category nobody lists as a skill)
    finds nobody."""
    reach_km = [
        largest * factor + REACH_MARGIN_KM + _CELL_SLACK_KM for largest, _cell_km in REACH_CLASSES
    ]
    place = _place_params(lat, lon, factor)
    params = {
        **place,
        "skill_bit": CATEGORY_BITS.get(category) or 0,
        "team_skill": category,
        "prefilter_limit": PREFILTER_LIMIT,
    }
    ranges = ranges_for_place(
        lat,
        lon,
        reach_km,
        MAX_RADIUS_KM * factor + _CELL_SLACK_KM,
        geo.bounding_box,
        (_KM_PER_DEG_LAT, place["kx"]),
    )
    if arrays():
        params["lows"] = values(low for low, _high in ranges)
        params["highs"] = values(high for _low, high in ranges)
    else:
        params["cells"] = values(key for low, high in ranges for key in range(low, high + 1))
    return params


def volunteers_near(
    category: str, lat: float, lon: float, factor: float, *, windows: bool = True
) -> list[Prospect]:
    """Approved volunteers with the skill whose reach covers the place, nearest first;
    ``windows=False``: without their weekly windows (for a request without a time)."""
    if not CATEGORY_BITS.get(category):
        return []
    params = _near_params(category, lat, lon, factor)
    return [_volunteer(r) for r in rows(_near_statement(windows), params)]


def _by_id(chosen, *leading, windows: bool = True, packed: bool = False, trailing=()):
    """The ``chosen`` volunteers who are approved and have a home point."""
    return select(*leading, *_profile_columns(windows, packed), *trailing).where(
        chosen,
        VolunteerProfile.status == "approved",
        VolunteerProfile.home_lat.is_not(None),
        VolunteerProfile.home_lon.is_not(None),
    )


def _volunteer(r) -> Prospect:
    return Prospect("volunteer", r[0], r[1], r[2], r[3] or 0.0, r[4] or [], r[5] or [], r[6], r[7])


def _team_lists_skill(arrays: bool):
    """The team lists the request's category (bound as ``team_skill``) among its skills:
    tested on the team's row, before its leader's rows are read. A team without it is
    refused by the rules all the same (``rules.refusal``); reading it cost two index
    look-ups for its leader, a row to send and decode, and its windows' JSON."""
    category = bindparam("team_skill", type_=String)
    if arrays:
        return cast(Team.skills, JSONB).contains(func.jsonb_build_array(category))
    listed = func.json_each(Team.skills).table_valued("value")
    return exists(select(literal_column("1")).select_from(listed).where(listed.c.value == category))


def _teams(*leading, windows: bool = True, packed: bool = False, trailing=()):
    """Active teams in the box within their reach that list the request's category and
    whose leader is an approved, active volunteer, in the columns of ``_PROFILE_COLUMNS``
    (between ``leading`` and ``trailing`` ones); ``packed`` (PostgreSQL): their windows'
    JSON as UTF-8 bytes (see ``_profile_columns``)."""
    team_windows = Team.availability
    if packed:
        team_windows = func.convert_to(cast(Team.availability, Text), literal_column("'UTF8'"))
    return (
        select(
            *leading,
            Team.id,
            Team.lat,
            Team.lon,
            Team.radius_km,
            Team.skills,
            team_windows if windows else null(),
            Team.open_task_limit,
            func.coalesce(VolunteerProfile.vetted_for_children, False),
            *trailing,
        )
        .join(VolunteerProfile, VolunteerProfile.user_id == Team.leader_id)
        .join(User, User.id == Team.leader_id)
        .where(
            Team.active.is_(True),
            _team_lists_skill(packed),
            VolunteerProfile.status == "approved",
            User.active.is_(True),
            *_box_and_reach(Team.lat, Team.lon, func.coalesce(Team.radius_km, 0.0))[1],
        )
    )


def _team(r) -> Prospect:
    windows = json.loads(r[5]) if isinstance(r[5], bytes) else r[5]  # packed: the JSON's text
    return Prospect(
        "team", r[0], r[1], r[2], r[3] or 0.0, r[4] or [], windows or [], r[6], bool(r[7])
    )


# --- all of it in one statement -----------------------------------------------------------

_NEAR, _SERVED, _TEAMS, _SERVED_TEAMS = range(4)  # the parts of _prospects_statement
_CLAIM_STATUSES = ("active", "done", "released")  # what the rules weigh (load, reliability)


def _claim_counts(claimed):
    """Per ``claimed.c.who``, how many of its claims are in each of ``_CLAIM_STATUSES``."""
    return select(
        claimed.c.who,
        *(
            func.sum(case((claimed.c.status == status, 1), else_=0)).label(status)
            for status in _CLAIM_STATUSES
        ),
    ).group_by(claimed.c.who)


def _volunteer_claims(ids):
    """Claims by status of the volunteers ``ids`` (a select of ids): their own (not a
    team's) and those a team dispatched to them, each claim counted once."""
    own = select(Claim.volunteer_id.label("who"), Claim.status).where(
        Claim.team_id.is_(None), Claim.volunteer_id.in_(ids)
    )
    dispatched = select(Claim.dispatched_to_id.label("who"), Claim.status).where(
        Claim.dispatched_to_id.in_(ids),
        or_(
            Claim.team_id.is_not(None),
            Claim.volunteer_id.is_(None),
            Claim.volunteer_id != Claim.dispatched_to_id,
        ),
    )
    return _claim_counts(union_all(own, dispatched).subquery("claimed")).cte("user_claims")


def _team_claims(ids):
    claimed = select(Claim.team_id.label("who"), Claim.status).where(Claim.team_id.in_(ids))
    return _claim_counts(claimed.subquery("team_claimed")).subquery("team_claims")


def claims_inline() -> bool:
    """Whether ``prospects_near`` reads the prospects' claims too: on PostgreSQL (a round
    trip fewer); on SQLite, where a round trip costs nothing and the statement took 0.5 ms
    more with them, ``facts.claim_stats`` reads them after the rules."""
    return arrays()


@built_once
def _prospects_statement(arrays: bool, windows: bool, served: tuple | None):
    """The near volunteers, those who served this person before (``facts.served_where``)
    and the teams in the box, in one statement (one round trip instead of three or four),
    on PostgreSQL each with its claims by status (``_CLAIM_STATUSES``): each row says which
    part it is of; the near ones nearest first, the others by id."""
    near = _near_statement(windows).cte("near_list")
    teams = _teams(windows=windows, packed=arrays).cte("teams_list")
    part = lambda number: literal_column(str(number)).label("part")  # noqa: E731
    no_d2 = literal_column("0.0", Float).label("d2")
    ids = select(near.c.user_id)
    if served is not None:
        where = facts.served_where(served)
        served_ids = select(ServiceRecord.volunteer_id).where(where)
        ids = union_all(ids, served_ids)
    team_ids = teams.c.id
    if arrays:
        users = _volunteer_claims(ids)
        by_team = _team_claims(select(team_ids))
        counts = lambda table: [table.c[status] for status in _CLAIM_STATUSES]  # noqa: E731
        near_from = near.outerjoin(users, users.c.who == near.c.user_id)
        teams_from = teams.outerjoin(by_team, by_team.c.who == team_ids)
        served_from = VolunteerProfile.__table__.outerjoin(
            users, users.c.who == VolunteerProfile.user_id
        )
    else:
        users = by_team = None
        counts = lambda _table: []  # noqa: E731
        near_from, teams_from, served_from = near, teams, VolunteerProfile.__table__
    parts = [
        select(part(_NEAR), *near.c, *counts(users)).select_from(near_from),
        select(part(_TEAMS), *teams.c, no_d2, *counts(by_team)).select_from(teams_from),
    ]
    if served is not None:
        parts.append(
            _by_id(
                VolunteerProfile.user_id.in_(served_ids),
                part(_SERVED),
                windows=windows,
                packed=arrays,
                trailing=(no_d2, *counts(users)),
            ).select_from(served_from)
        )
        parts.append(
            select(
                part(_SERVED_TEAMS),
                ServiceRecord.team_id,
                *[null()] * 7,
                no_d2,
                *[null()] * len(counts(users)),
            ).where(where, ServiceRecord.team_id.is_not(None))
        )
    return union_all(*parts).order_by("part", "d2", literal_column("user_id"))


def _claims(values, inline: bool) -> dict[str, int]:
    """A row's claims by status (its last columns, when ``inline``: ``claims_inline``),
    those it has."""
    if not inline:
        return {}
    counts = values[-len(_CLAIM_STATUSES) :]
    return {status: n for status, n in zip(_CLAIM_STATUSES, counts, strict=True) if n}


def prospects_near(
    category: str,
    lat: float,
    lon: float,
    factor: float,
    *,
    windows: bool = True,
    served: tuple | None = None,
    served_params: dict | None = None,
) -> tuple[list[Prospect], set[int], set[int]]:
    """Everyone the rules weigh for a request, from one statement: the near volunteers
    (``volunteers_near``), then those who served this person before wherever they live
    (an approved volunteer with a home point, by id), then the teams in the box, each with their claims by status; and the ids of the volunteers and
    teams who served before."""
    params = _near_params(category, lat, lon, factor)
    params.update(served_params or {})
    near, served_volunteers, teams = [], [], []
    served_users, served_teams = set(), set()
    inline = claims_inline()
    # All at once: row by row, fetching cost more than reading.
    for row in rows(_prospects_statement(windows, served), params):
        part, values = row[0], row[1:]
        if part == _NEAR:
            prospect = _volunteer(values)
        elif part == _TEAMS:
            prospect = _team(values)
        elif part == _SERVED:
            served_users.add(values[0])
            served_volunteers.append(values)
            continue
        else:
            served_teams.add(values[0])
            continue
        prospect.claims = _claims(values, inline)
        (teams if part == _TEAMS else near).append(prospect)
    near_ids = {p.id for p in near}
    far = []
    for values in served_volunteers:
        if values[0] not in near_ids:
            far.append(_volunteer(values))
            far[-1].claims = _claims(values, inline)
    return near + far + teams, served_users, served_teams


@built_once
def _members_windows_statement(arrays: bool):
    return (
        select(TeamMember.team_id, VolunteerProfile.availability)
        .join(VolunteerProfile, VolunteerProfile.user_id == TeamMember.user_id)
        .join(User, User.id == TeamMember.user_id)
        .where(
            one_of(TeamMember.team_id, "team_ids", arrays),
            VolunteerProfile.status == "approved",
            User.active.is_(True),
        )
        .order_by(TeamMember.team_id, TeamMember.user_id)
    )


def add_members_windows(prospects: list[Prospect]) -> None:
    """Teams without windows of their own take the union of their approved, active
    members' windows: one query for all of them."""
    bare = {p.id: p for p in prospects if p.kind == "team" and not p.availability}
    if not bare:
        return
    members = rows(_members_windows_statement(), {"team_ids": values(sorted(bare))})
    for team_id, windows in members:
        bare[team_id].availability = [*bare[team_id].availability, *(windows or [])]
