"""Where candidates may be: the SQL that narrows a province of volunteers to a short list.

Approved volunteers are read through the index ``ix_volunteer_status_reach``: each
volunteer's reach cell (``models/reach.py``: their radius class and a grid cell of that
class's size) is stored with them, so a request looks up, for each class, only the cells
within that class's reach of the place; inside the bounding box of ``MAX_RADIUS_KM ×
radius_factor``, an equirectangular reach test on the indexed radius keeps the nearest
first (ties: the lower id) with a LIMIT; then the skill, from the indexed skill bits. Only
that short list is read from the table. Active teams with an approved, active leader are
read from the same box. Every row comes back as a ``rules.Prospect`` of plain values, a
superset of the candidates: the rules (``rules.py``) decide who of them may take the
request on. The statements are built once, with bound parameters, so a request pays for
no SQL construction. ``benchmarks/matching.py`` measures it.
"""

from __future__ import annotations

import math

from sqlalchemy import BigInteger, Float, String, bindparam, cast, func, null, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db
from app.models import HelpRequest, Team, TeamMember, User, VolunteerProfile
from app.models.reach import REACH_CLASSES, ranges_for_place
from app.models.vocab import CATEGORY_BITS
from app.services import geo
from app.services.matching.rules import Prospect
from app.services.matching.statements import arrays, built_once, one_of, values
from app.services.matching.weights import MAX_RADIUS_KM

NEAR_LIMIT = 600  # step 1: nearest reachable volunteers, from the index
PREFILTER_LIMIT = 100  # step 2: of those, the nearest with the skill, handed to the rules
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


@built_once
def _near_statement(arrays: bool, windows: bool):
    """Step 1 reads only the index; step 2 joins the short list to the table (their
    weekly windows only when the request has a wanted time: nobody else reads them)."""
    profile = VolunteerProfile
    lat, lon = bindparam("lat", type_=Float), bindparam("lon", type_=Float)
    dx = (profile.home_lon - lon) * bindparam("kx", type_=Float)
    dy = (profile.home_lat - lat) * _KM_PER_DEG_LAT
    d2 = dx * dx + dy * dy
    reach = profile.radius_km * bindparam("factor", type_=Float) + REACH_MARGIN_KM
    box_and_reach = (
        profile.home_lat.between(bindparam("min_lat"), bindparam("max_lat")),
        profile.home_lon.between(bindparam("min_lon"), bindparam("max_lon")),
        d2 <= reach * reach,
    )
    columns = (profile.user_id.label("near_id"), d2.label("d2"), profile.skill_bits.label("bits"))
    if arrays:
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
        in_range = (
            select(*columns)
            .where(
                profile.status == "approved",
                profile.reach_cell.between(ranges.c.low, ranges.c.high),
                *box_and_reach,
            )
            .offset(0)
            .lateral("in_range")
        )
        near = select(in_range.c.near_id, in_range.c.d2, in_range.c.bits).select_from(
            ranges.join(in_range, true())
        )
        order = (in_range.c.d2, in_range.c.near_id)
    else:
        near = select(*columns).where(
            profile.status == "approved",
            profile.reach_cell.in_(bindparam("cells", expanding=True)),
            *box_and_reach,
        )
        order = (d2, profile.user_id)
    near = near.order_by(*order).limit(bindparam("near_limit")).subquery("near")
    columns = (
        _PROFILE_COLUMNS if windows else (*_PROFILE_COLUMNS[:5], null(), *_PROFILE_COLUMNS[6:])
    )
    return (
        select(*columns)
        .join(near, near.c.near_id == profile.user_id)
        .where(near.c.bits.op("&")(bindparam("skill_bit")) != 0)
        .order_by(near.c.d2, near.c.near_id)
        .limit(bindparam("prefilter_limit"))
    )


def request_place(request: HelpRequest) -> tuple[float, float] | None:
    """The request's point, else its village's centroid, else its station's point."""
    if request.lat is not None and request.lon is not None:
        return request.lat, request.lon
    if request.village is not None and request.village.lat is not None:
        return request.village.lat, request.village.lon
    if request.station is not None and request.station.lat is not None:
        return request.station.lat, request.station.lon
    return None


def volunteers_near(
    category: str, lat: float, lon: float, factor: float, *, windows: bool = True
) -> list[Prospect]:
    """Approved volunteers with the skill whose reach covers the place, nearest first;
    ``windows=False``: without their weekly windows (for a request without a time)."""
    skill_bit = CATEGORY_BITS.get(category)
    if not skill_bit:
        return []
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, MAX_RADIUS_KM * factor)
    furthest = MAX_RADIUS_KM * factor + _CELL_SLACK_KM
    reach_km = [
        min(largest * factor + REACH_MARGIN_KM + _CELL_SLACK_KM, furthest)
        for largest, _cell_km in REACH_CLASSES
    ]
    params = {
        "lat": lat,
        "lon": lon,
        "kx": _KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat)),
        "factor": factor,
        "min_lat": min_lat,
        "max_lat": max_lat,
        "min_lon": min_lon,
        "max_lon": max_lon,
        "skill_bit": skill_bit,
        "near_limit": NEAR_LIMIT,
        "prefilter_limit": PREFILTER_LIMIT,
    }
    ranges = ranges_for_place(lat, lon, reach_km, geo.bounding_box)
    if arrays():
        params["lows"] = values(low for low, _high in ranges)
        params["highs"] = values(high for _low, high in ranges)
    else:
        params["cells"] = [key for low, high in ranges for key in range(low, high + 1)]
    return [_volunteer(r) for r in db.session.execute(_near_statement(windows), params)]


@built_once
def _by_id_statement(arrays: bool):
    return (
        select(*_PROFILE_COLUMNS)
        .where(
            one_of(VolunteerProfile.user_id, "ids", arrays),
            VolunteerProfile.status == "approved",
            VolunteerProfile.home_lat.is_not(None),
            VolunteerProfile.home_lon.is_not(None),
        )
        .order_by(VolunteerProfile.user_id)
    )


def volunteers_by_id(ids: set[int]) -> list[Prospect]:
    """Approved volunteers with a home point, wherever they live: those who served this
    person before are weighed even when the box missed them (the rules test the reach)."""
    return [
        _volunteer(r) for r in db.session.execute(_by_id_statement(), {"ids": values(sorted(ids))})
    ]


def _volunteer(r) -> Prospect:
    return Prospect("volunteer", r[0], r[1], r[2], r[3] or 0.0, r[4] or [], r[5] or [], r[6], r[7])


_TEAMS = (
    select(
        Team.id,
        Team.lat,
        Team.lon,
        Team.radius_km,
        Team.skills,
        Team.open_task_limit,
        func.coalesce(VolunteerProfile.vetted_for_children, False),
        Team.availability,
    )
    .join(VolunteerProfile, VolunteerProfile.user_id == Team.leader_id)
    .join(User, User.id == Team.leader_id)
    .where(
        Team.active.is_(True),
        VolunteerProfile.status == "approved",
        User.active.is_(True),
        Team.lat.between(bindparam("min_lat"), bindparam("max_lat")),
        Team.lon.between(bindparam("min_lon"), bindparam("max_lon")),
    )
    .order_by(Team.id)
)


def teams_near(lat: float, lon: float, factor: float) -> list[Prospect]:
    """Active teams in the box whose leader is an approved, active volunteer; a team is
    as vetted for work with children as its leader."""
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, MAX_RADIUS_KM * factor)
    rows = db.session.execute(
        _TEAMS, {"min_lat": min_lat, "max_lat": max_lat, "min_lon": min_lon, "max_lon": max_lon}
    )
    return [
        Prospect("team", r[0], r[1], r[2], r[3] or 0.0, r[4] or [], r[7] or [], r[5], bool(r[6]))
        for r in rows
    ]


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
    members = db.session.execute(
        _members_windows_statement(), {"team_ids": values(sorted(bare))}
    ).all()
    for team_id, windows in members:
        bare[team_id].availability = [*bare[team_id].availability, *(windows or [])]
