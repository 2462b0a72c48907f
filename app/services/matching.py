"""Who could take a request on: the candidates, their rank and the reasons, in plain words.

Rules (DESIGN.md, "Matching"):

* Candidates are approved volunteers (``VolunteerProfile.status == "approved"``, active user)
  and active teams whose skills include the request's category, who are available at the
  wanted time (weekly windows in local time, ``LOCAL_TIMEZONE``; a request without a wanted
  time fits everybody; a team without windows of its own is available when one of its
  approved, active members is), whose own travel radius (times ``radius_factor``, which grows with
  each offer round) reaches the place, and who hold fewer active claims than their
  open-task limit.
* Safeguarding: categories in ``vocab.SOCIAL_WORKER_ONLY`` never go to volunteers or teams
  (no candidates at all: the offer step alerts the station's social workers). A request
  involving a minor goes only to volunteers vetted for work with children; a team takes
  it only when its leader is vetted (the leader answers for whom they send).
* Scale: approved volunteers are prefiltered in SQL — a bounding box of
  ``MAX_RADIUS_KM × radius_factor`` around the place, read through the index
  ``ix_volunteer_status_band_lon`` as bands of latitude (a plain (lat, lon) btree scans
  the whole band of latitude across the province), with an equirectangular reach test on
  the indexed radius, nearest first with a LIMIT; then the skill. Python applies the
  remaining rules, ranks the short list with haversine distances and computes the exact
  geodesic distance for the final few only. ``benchmarks/matching.py`` measures it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from geopy.distance import geodesic
from sqlalchemy import Integer, String, and_, cast, func, literal_column, or_, select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.models import (
    Claim,
    HelpRequest,
    ServiceRecord,
    Team,
    TeamMember,
    User,
    VolunteerProfile,
)
from app.models.people import LAT_BANDS_PER_DEGREE
from app.models.vocab import CATEGORIES, SOCIAL_WORKER_ONLY, label
from app.services import geo
from app.services.wording import to_local


@dataclass(frozen=True)
class Weights:
    """How much each part counts in a candidate's score (each part is 0…1; sum = 1).

    distance     1 at the place, 0 at ``MAX_RADIUS_KM × radius_factor``: nearer people
                 arrive sooner and are more likely to say yes.
    skill        1 for someone who lists only this skill, less for those who list many
                 (1 / (1 + 0.15 × (skills − 1))): specialists first.
    continuity   1 when they served this beneficiary, or this phone number, before: an
                 elderly person does better with a face they know.
    reliability  completion rate of their claims, done / (done + released); newcomers
                 without a record count as ``NEW_RELIABILITY``.
    load         1 − active claims / open-task limit: spread the work.
    """

    distance: float = 0.40
    skill: float = 0.10
    continuity: float = 0.25
    reliability: float = 0.15
    load: float = 0.10


WEIGHTS = Weights()
NEW_RELIABILITY = 0.8
MAX_RADIUS_KM = 30.0  # the largest travel radius anyone may choose (sign-up form caps it)
NEAR_LIMIT = 600  # step 1 of the prefilter: nearest reachable volunteers, from the index
PREFILTER_LIMIT = 100  # step 2: of those, the nearest with the skill, handed to Python
EXACT_EXTRA = 5  # exact geodesic distances for the best limit + EXACT_EXTRA candidates
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320


@dataclass
class Candidate:
    kind: str  # "volunteer" | "team"
    user: User | None
    team: Team | None
    distance_km: float
    score: float
    reasons: list[str] = field(default_factory=list)
    served_before: bool = False
    completion_rate: float | None = None
    open_tasks: int = 0

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.team.id if self.team is not None else self.user.id)


@dataclass
class _Row:
    """What the prefilter reads for one volunteer or team (plain values, no ORM objects)."""

    kind: str
    id: int
    lat: float
    lon: float
    radius_km: float
    skills: list
    availability: list | None
    limit: int
    vetted: bool
    approx_km: float = 0.0


# --- public API ------------------------------------------------------------------------


def find_candidates(
    request: HelpRequest, *, limit: int = 10, radius_factor: float = 1.0
) -> list[Candidate]:
    """The best ``limit`` volunteers and teams for ``request``, best first."""
    if request.category in SOCIAL_WORKER_ONLY:
        return []
    place = request_place(request)
    if place is None:
        return []
    lat, lon = place
    minor = request.involves_minor
    local_time = to_local(request.wanted_at) if request.wanted_at is not None else None

    rows = _volunteer_rows(request.category, lat, lon, radius_factor)
    continuity_users, continuity_teams = _served_before(request)
    missing = continuity_users - {r.id for r in rows}
    if missing:
        rows += _volunteer_rows_by_id(missing)
    rows += _team_rows(lat, lon, radius_factor)
    if local_time is not None:
        _members_windows_for_teams_without(rows)

    for row in rows:
        row.approx_km = geo.approx_km(lat, lon, row.lat, row.lon)
    rows = [
        r
        for r in rows
        if r.approx_km <= r.radius_km * radius_factor + 0.2
        and request.category in (r.skills or [])
        and (not minor or r.vetted)
        and _available(r.availability, local_time)
    ]
    if not rows:
        return []
    stats, team_stats = _claim_stats(
        [r.id for r in rows if r.kind == "volunteer"], [r.id for r in rows if r.kind == "team"]
    )

    scored: list[tuple[float, _Row, dict]] = []
    for row in rows:
        facts = (team_stats if row.kind == "team" else stats).get(row.id, {})
        open_tasks = facts.get("active", 0)
        if open_tasks >= row.limit:
            continue
        served = row.id in (continuity_teams if row.kind == "team" else continuity_users)
        facts = {**facts, "open": open_tasks, "served": served}
        scored.append((_score(row, row.approx_km, facts, radius_factor), row, facts))
    scored.sort(key=lambda item: (-item[0], item[1].approx_km))

    # Exact distances for the head of the list only, then the final order.
    exact: list[tuple[float, float, _Row, dict]] = []
    for _approx_score, row, facts in scored[: limit + EXACT_EXTRA]:
        km = geodesic((lat, lon), (row.lat, row.lon)).km
        if km > row.radius_km * radius_factor:
            continue
        exact.append((_score(row, km, facts, radius_factor), km, row, facts))
    exact.sort(key=lambda item: (-item[0], item[1]))
    return _materialise(exact[:limit], request.category)


def request_place(request: HelpRequest) -> tuple[float, float] | None:
    """The request's point, else its village's centroid, else its station's point."""
    if request.lat is not None and request.lon is not None:
        return request.lat, request.lon
    if request.village is not None and request.village.lat is not None:
        return request.village.lat, request.village.lon
    if request.station is not None and request.station.lat is not None:
        return request.station.lat, request.station.lon
    return None


def eligibility_problem(
    request: HelpRequest, user: User, *, check_skills: bool = True
) -> str | None:
    """Why ``user`` may not take ``request`` on as a volunteer (translated), or None.

    The safeguarding rules, approval and skills; distance and the open-task limit are the
    caller's concern (the claim counts the load itself).
    """
    profile = user.volunteer
    if profile is not None and profile.status == "suspended":
        return _("Your volunteer account is suspended: you cannot take tasks for now.")
    if profile is None or profile.status != "approved" or not user.active:
        return _("Your volunteer account is not approved yet.")
    if not user.phone_confirmed:  # approval needs it; this guards any other way in
        return _("Your volunteer account is not approved yet.")
    if request.category in SOCIAL_WORKER_ONLY:
        return _("Only the station's social workers can take this kind of request.")
    if request.involves_minor and not profile.vetted_for_children:
        return _(
            "This request involves a child: only volunteers checked for work with children can take it."
        )
    if check_skills and request.category not in (profile.skills or []):
        return _("This task needs a skill you have not listed.")
    return None


def team_eligibility_problem(
    request: HelpRequest, team: Team, *, check_skills: bool = True
) -> str | None:
    if not team.active:
        return _("This team is not active.")
    leader = team.leader
    leader_approved = leader is not None and leader.volunteer is not None
    if leader_approved and leader.volunteer.status == "suspended":
        return _("Your volunteer account is suspended: you cannot take tasks for now.")
    if not leader_approved or leader.volunteer.status != "approved" or not leader.active:
        # The leader claims for the team: a suspended leader's team takes nothing on.
        return _("Your volunteer account is not approved yet.")
    if request.category in SOCIAL_WORKER_ONLY:
        return _("Only the station's social workers can take this kind of request.")
    if request.involves_minor:
        leader_profile = team.leader.volunteer if team.leader is not None else None
        if leader_profile is None or not leader_profile.vetted_for_children:
            return _(
                "This request involves a child: only a team whose leader is checked for work with children can take it."
            )
    if check_skills and request.category not in (team.skills or []):
        return _("This task needs a skill your team has not listed.")
    return None


def open_claims_count(user_id: int) -> int:
    """Active claims a volunteer holds, their own or dispatched to them by a team."""
    return db.session.scalar(
        select(func.count(Claim.id)).where(
            Claim.status == "active",
            or_(
                and_(Claim.volunteer_id == user_id, Claim.team_id.is_(None)),
                Claim.dispatched_to_id == user_id,
            ),
        )
    )


def distance_words(km: float) -> str:
    if km < 1:
        return _("%(m)s m", m=max(int(round(km * 1000, -1)), 10))
    rounded = f"{km:.1f}"
    return _("%(km)s km", km=rounded)


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

# --- the prefilter ----------------------------------------------------------------------


def _volunteer_rows(category: str, lat: float, lon: float, factor: float) -> list[_Row]:
    """Approved volunteers with the skill whose reach covers the place, nearest first.

    Step 1 reads only the index ``ix_volunteer_status_band_lon``: the box as a dozen bands
    of latitude, each a short range of longitude, and the reach test on the indexed
    radius (index-only on PostgreSQL). Step 2 joins the nearest reachable rows to the
    table for their skills, windows and limits.
    """
    box_km = MAX_RADIUS_KM * factor
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, box_km)
    per_degree = LAT_BANDS_PER_DEGREE
    band = cast(VolunteerProfile.home_lat * literal_column(str(per_degree)), Integer)
    # Covers both truncating (SQLite) and rounding (PostgreSQL) casts.
    bands = list(range(math.floor(min_lat * per_degree) - 1, math.floor(max_lat * per_degree) + 2))
    kx = _KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat))
    dx = (VolunteerProfile.home_lon - lon) * kx
    dy = (VolunteerProfile.home_lat - lat) * _KM_PER_DEG_LAT
    d2 = dx * dx + dy * dy
    reach = VolunteerProfile.radius_km * factor + 0.5  # a margin: the exact test is later
    near = (
        select(VolunteerProfile.user_id.label("near_id"), d2.label("d2"))
        .where(
            VolunteerProfile.status == "approved",
            band.in_(bands),
            VolunteerProfile.home_lon.between(min_lon, max_lon),
            VolunteerProfile.home_lat.between(min_lat, max_lat),
            d2 <= reach * reach,
        )
        .order_by(d2)
        .limit(NEAR_LIMIT)
        .subquery("near")
    )
    query = (
        select(*_PROFILE_COLUMNS)
        .join(near, near.c.near_id == VolunteerProfile.user_id)
        # Category codes are quoted in the JSON text, so no code matches inside another.
        .where(cast(VolunteerProfile.skills, String).like(f'%"{category}"%'))
        .order_by(near.c.d2)
        .limit(PREFILTER_LIMIT)
    )
    return [_volunteer_row(r) for r in db.session.execute(query)]


def _volunteer_rows_by_id(ids: set[int]) -> list[_Row]:
    query = select(*_PROFILE_COLUMNS).where(
        VolunteerProfile.user_id.in_(ids),
        VolunteerProfile.status == "approved",
        VolunteerProfile.home_lat.is_not(None),
        VolunteerProfile.home_lon.is_not(None),
    )
    return [_volunteer_row(r) for r in db.session.execute(query)]


def _volunteer_row(r) -> _Row:
    return _Row("volunteer", r[0], r[1], r[2], r[3] or 0.0, r[4] or [], r[5] or [], r[6], r[7])


def _team_rows(lat: float, lon: float, factor: float) -> list[_Row]:
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, MAX_RADIUS_KM * factor)
    leader_profile = VolunteerProfile
    query = (
        select(
            Team.id,
            Team.lat,
            Team.lon,
            Team.radius_km,
            Team.skills,
            Team.open_task_limit,
            func.coalesce(leader_profile.vetted_for_children, False),
            Team.availability,
        )
        .join(leader_profile, leader_profile.user_id == Team.leader_id)
        .join(User, User.id == Team.leader_id)
        .where(
            Team.active.is_(True),
            leader_profile.status == "approved",
            User.active.is_(True),
            Team.lat.between(min_lat, max_lat),
            Team.lon.between(min_lon, max_lon),
        )
    )
    return [
        _Row("team", r[0], r[1], r[2], r[3] or 0.0, r[4] or [], r[7] or [], r[5], bool(r[6]))
        for r in db.session.execute(query)
    ]


def _members_windows_for_teams_without(rows: list[_Row]) -> None:
    """Teams without windows of their own take the union of their approved, active
    members' windows: one query for all of them."""
    bare = {r.id: r for r in rows if r.kind == "team" and not r.availability}
    if not bare:
        return
    members = db.session.execute(
        select(TeamMember.team_id, VolunteerProfile.availability)
        .join(VolunteerProfile, VolunteerProfile.user_id == TeamMember.user_id)
        .join(User, User.id == TeamMember.user_id)
        .where(
            TeamMember.team_id.in_(bare),
            VolunteerProfile.status == "approved",
            User.active.is_(True),
        )
    ).all()
    for team_id, windows in members:
        bare[team_id].availability = [*bare[team_id].availability, *(windows or [])]


def _served_before(request: HelpRequest) -> tuple[set[int], set[int]]:
    """Volunteers and teams with a service record for this beneficiary or phone number."""
    clauses = []
    if request.beneficiary_id is not None:
        clauses.append(ServiceRecord.beneficiary_id == request.beneficiary_id)
    if request.contact_phone:
        earlier = select(HelpRequest.id).where(HelpRequest.contact_phone == request.contact_phone)
        if request.id is not None:
            earlier = earlier.where(HelpRequest.id != request.id)
        clauses.append(ServiceRecord.request_id.in_(earlier))
    if not clauses:
        return set(), set()
    rows = db.session.execute(
        select(ServiceRecord.volunteer_id, ServiceRecord.team_id).where(or_(*clauses)).distinct()
    ).all()
    users = {v for v, _t in rows if v is not None}
    teams = {t for _v, t in rows if t is not None}
    return users, teams


def _claim_stats(
    user_ids: list[int], team_ids: list[int]
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """Claims by status (one query): per volunteer, their own and those dispatched to them;
    per team, the team's."""
    users: dict[int, dict[str, int]] = {}
    teams: dict[int, dict[str, int]] = {}
    if not user_ids and not team_ids:
        return users, teams
    rows = db.session.execute(
        select(
            Claim.volunteer_id,
            Claim.team_id,
            Claim.dispatched_to_id,
            Claim.status,
            func.count(Claim.id),
        )
        .where(
            or_(
                and_(Claim.volunteer_id.in_(user_ids), Claim.team_id.is_(None)),
                Claim.dispatched_to_id.in_(user_ids),
                Claim.team_id.in_(team_ids),
            )
        )
        .group_by(Claim.volunteer_id, Claim.team_id, Claim.dispatched_to_id, Claim.status)
    ).all()
    wanted_users, wanted_teams = set(user_ids), set(team_ids)

    def add(table: dict, key: int, status: str, count: int) -> None:
        bucket = table.setdefault(key, {})
        bucket[status] = bucket.get(status, 0) + count

    for volunteer_id, team_id, dispatched_to_id, status, count in rows:
        if team_id is None and volunteer_id in wanted_users:
            add(users, volunteer_id, status, count)
        if dispatched_to_id in wanted_users:
            add(users, dispatched_to_id, status, count)
        if team_id in wanted_teams:
            add(teams, team_id, status, count)
    return users, teams


# --- rules and ranking ------------------------------------------------------------------


def _available(windows: list | None, local: datetime | None) -> bool:
    """Weekly windows [{"day": 0-6 (Monday = 0), "start": "08:00", "end": "12:00"}]."""
    if local is None:
        return True
    day = local.weekday()
    minute = local.hour * 60 + local.minute
    for window in windows or []:
        try:
            start = _minutes(window["start"])
            end = _minutes(window["end"])
            window_day = int(window["day"])
        except (KeyError, TypeError, ValueError):
            continue
        if start <= end:
            if window_day == day and start <= minute <= end:
                return True
        # A window past midnight: the evening part on its day, the rest on the next day.
        elif (window_day == day and minute >= start) or (
            (window_day + 1) % 7 == day and minute <= end
        ):
            return True
    return False


def _minutes(text: str) -> int:
    hours, minutes = str(text).split(":")
    return int(hours) * 60 + int(minutes)


def _reliability(facts: dict) -> float | None:
    done, released = facts.get("done", 0), facts.get("released", 0)
    if done + released == 0:
        return None
    return done / (done + released)


def _score(row: _Row, km: float, facts: dict, factor: float) -> float:
    closeness = max(0.0, 1.0 - km / (MAX_RADIUS_KM * factor))
    skill_fit = 1.0 / (1.0 + 0.15 * (max(len(row.skills), 1) - 1))
    continuity = 1.0 if facts.get("served") else 0.0
    rate = _reliability(facts)
    reliability = NEW_RELIABILITY if rate is None else rate
    load = 1.0 - min(facts.get("open", 0) / max(row.limit, 1), 1.0)
    w = WEIGHTS
    return round(
        w.distance * closeness
        + w.skill * skill_fit
        + w.continuity * continuity
        + w.reliability * reliability
        + w.load * load,
        4,
    )


def _reasons(row: _Row, km: float, facts: dict, category: str) -> list[str]:
    reasons = [distance_words(km)]
    if row.kind == "team":
        reasons.append(_("Volunteer team"))
    reasons.append(_("Skill: %(skill)s", skill=label(CATEGORIES, category)))
    if facts.get("served"):
        reasons.append(_("Has helped this person before"))
    rate = _reliability(facts)
    if rate is None:
        reasons.append(_("New: no finished tasks yet"))
    else:
        percent = f"{round(rate * 100)}%"
        reasons.append(_("Completion rate %(rate)s", rate=percent))
    if facts.get("open"):
        reasons.append(_("Has %(n)s open task(s)", n=facts["open"]))
    else:
        reasons.append(_("No open tasks now"))
    return reasons


def _materialise(ranked: list[tuple[float, float, _Row, dict]], category: str) -> list[Candidate]:
    user_ids = [row.id for _s, _k, row, _f in ranked if row.kind == "volunteer"]
    team_ids = [row.id for _s, _k, row, _f in ranked if row.kind == "team"]
    users = (
        {
            u.id: u
            for u in db.session.scalars(
                select(User).options(lazyload(User.role_rows)).where(User.id.in_(user_ids))
            )
        }
        if user_ids
        else {}
    )
    teams = (
        {t.id: t for t in db.session.scalars(select(Team).where(Team.id.in_(team_ids)))}
        if team_ids
        else {}
    )
    result = []
    for score, km, row, facts in ranked:
        user = users.get(row.id) if row.kind == "volunteer" else None
        team = teams.get(row.id) if row.kind == "team" else None
        if row.kind == "volunteer" and (user is None or not user.active):
            continue
        if row.kind == "team" and team is None:
            continue
        result.append(
            Candidate(
                kind=row.kind,
                user=user,
                team=team,
                distance_km=round(km, 2),
                score=score,
                reasons=_reasons(row, km, facts, category),
                served_before=bool(facts.get("served")),
                completion_rate=_reliability(facts),
                open_tasks=facts.get("open", 0),
            )
        )
    return result
