"""Who could take a request on: the candidates, their rank and the reasons, in plain words.

Matching in two parts (DESIGN.md, "Matching"):

* ``prefilter`` — where candidates may be: the SQL that narrows a province of volunteers
  and teams to a short list around the place (approved, active, in the box, within reach).
* ``rules`` — who of them may take it on and why, and in what order: skills, weekly
  windows, the open-task limit, safeguarding, the score and its reasons; plain values, no
  SQL. The weights of the score are in ``weights``; ``facts`` reads what the rules weigh
  besides a prospect's own row (their claims; who served this person before), which the
  pre-filter's statement reads with the prospects (the claims on PostgreSQL only).

``find_candidates`` runs them in that order and turns the winners into ``Candidate`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.models import HelpRequest, Team, User
from app.services import geo
from app.services.matching import facts, prefilter, rules
from app.services.matching.facts import open_claims_count
from app.services.matching.prefilter import request_place
from app.services.matching.rules import (
    distance_words,
    eligibility_problem,
    team_eligibility_problem,
)
from app.services.matching.statements import built_once, one_of, values
from app.services.matching.weights import MAX_RADIUS_KM, WEIGHTS, Weights
from app.services.wording import category_label

__all__ = [
    "MAX_RADIUS_KM",
    "WEIGHTS",
    "Candidate",
    "Weights",
    "distance_words",
    "eligibility_problem",
    "find_candidates",
    "open_claims_count",
    "request_place",
    "team_eligibility_problem",
]

# A stored moment in local time; offers, volunteers and the volunteer pages read it here.
_local_time = rules.local_time


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


def find_candidates(
    request: HelpRequest, *, limit: int = 10, radius_factor: float = 1.0
) -> list[Candidate]:
    """The best ``limit`` volunteers and teams for ``request``, best first."""
    if rules.request_refusal(request.category) is not None:
        return []
    place = request_place(request)
    if place is None:
        return []
    lat, lon = place
    need = rules.Need(
        category=request.category,
        minor=request.involves_minor,
        local_time=rules.local_time(request.wanted_at),
        radius_factor=radius_factor,
    )

    served, served_params = facts.served_variant(request)
    prospects, served_users, served_teams = prefilter.prospects_near(
        request.category,
        lat,
        lon,
        radius_factor,
        windows=need.local_time is not None,
        served=served,
        served_params=served_params,
    )
    if need.local_time is not None:
        prefilter.add_members_windows(prospects)

    for prospect in prospects:
        prospect.approx_km = geo.approx_km(lat, lon, prospect.lat, prospect.lon)
    prospects = [p for p in prospects if rules.refusal(p, need) is None]
    if not prospects:
        return []
    inline = prefilter.claims_inline()
    if not inline:  # SQLite: in a statement of their own, for those the rules keep
        user_claims, team_claims = facts.claim_stats(
            [p.id for p in prospects if p.kind == "volunteer"],
            [p.id for p in prospects if p.kind == "team"],
        )
    for prospect in prospects:
        team = prospect.kind == "team"
        if not inline:
            prospect.claims = (team_claims if team else user_claims).get(prospect.id, {})
        prospect.served = prospect.id in (served_teams if team else served_users)
    return _materialise(rules.rank(prospects, place, need, limit=limit), request.category)


@built_once
def _users_statement(arrays: bool):
    return select(User).options(lazyload(User.role_rows)).where(one_of(User.id, "ids", arrays))


@built_once
def _teams_statement(arrays: bool):
    return select(Team).where(one_of(Team.id, "ids", arrays))


def _materialise(ranked: list[rules.Ranked], category: str) -> list[Candidate]:
    """The ranked prospects as Candidates with their User or Team (two queries at most);
    a volunteer whose account has been closed drops out."""
    user_ids = [r.prospect.id for r in ranked if r.prospect.kind == "volunteer"]
    team_ids = [r.prospect.id for r in ranked if r.prospect.kind == "team"]
    users = (
        {u.id: u for u in db.session.scalars(_users_statement(), {"ids": values(user_ids)})}
        if user_ids
        else {}
    )
    teams = (
        {t.id: t for t in db.session.scalars(_teams_statement(), {"ids": values(team_ids)})}
        if team_ids
        else {}
    )
    result = []
    gettext = rules.translator()
    label = category_label(category)  # flask_babel finds the language again at every call
    for entry in ranked:
        prospect = entry.prospect
        user = users.get(prospect.id) if prospect.kind == "volunteer" else None
        team = teams.get(prospect.id) if prospect.kind == "team" else None
        if prospect.kind == "volunteer" and (user is None or not user.active):
            continue
        if prospect.kind == "team" and team is None:
            continue
        result.append(
            Candidate(
                kind=prospect.kind,
                user=user,
                team=team,
                distance_km=round(entry.km, 2),
                score=entry.score,
                reasons=rules.reasons(prospect, entry.km, label, gettext=gettext),
                served_before=prospect.served,
                completion_rate=prospect.completion_rate,
                open_tasks=prospect.open_tasks,
            )
        )
    return result
