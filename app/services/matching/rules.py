"""Who may take a request on and why: the rules and the ranking, in plain words, no SQL.

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

Approval is the pre-filter's part (``prefilter.py``, in SQL, with a team leader's active
account); a volunteer whose account is closed drops out when ``find_candidates`` reads the
winners' rows. The rest is here, on plain values: a ``Prospect`` per volunteer or team, a
``Need`` per request. ``refusal`` says in plain words why a prospect may not take the
request on; ``rank`` orders the others with the weights of ``weights.py``, first on quick
distances, then on exact geodesic distances (``distance.py``) for the head of the list only. ``eligibility_problem`` and
``team_eligibility_problem`` answer the same questions for one person at claim time, in
words for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import get_translations
from flask_babel import gettext as _

from app.models.vocab import SOCIAL_WORKER_ONLY
from app.models.windows import accepts
from app.services.matching.distance import geodesic_km
from app.services.matching.weights import (
    MAX_RADIUS_KM,
    NEW_RELIABILITY,
    SKILL_SPREAD,
    WEIGHTS,
)
from app.services.wording import to_local

if TYPE_CHECKING:
    from app.models import HelpRequest, Team, User

EXACT_EXTRA = 5  # exact geodesic distances for the best limit + EXACT_EXTRA candidates
QUICK_MARGIN_KM = 0.2  # the quick distance may be this much long; the exact one decides

# Why a prospect is no candidate (plain words for tests and logs; never shown to people).
SOCIAL_WORKERS_ONLY = "only the station's social workers take this kind of request"
OUT_OF_REACH = "the place is beyond their travel radius"
NO_SKILL = "they have not listed the skill"
NOT_VETTED = "the request involves a child and they are not checked for work with children"
NOT_AVAILABLE = "they are not free at the wanted time"
AT_LIMIT = "they already hold as many open tasks as their limit"


@dataclass
class Prospect:
    """One volunteer or team the pre-filter found: plain values, no ORM objects."""

    kind: str  # "volunteer" | "team"
    id: int
    lat: float
    lon: float
    radius_km: float
    skills: list
    availability: list | bytes | None  # JSON, or packed (models/windows.py)
    limit: int  # their open-task limit
    vetted: bool  # for work with children (a team: its leader)
    approx_km: float = 0.0  # the quick distance to the place
    claims: dict[str, int] = field(default_factory=dict)  # their claims by status
    served: bool = False  # served this beneficiary or phone number before

    @property
    def open_tasks(self) -> int:
        return self.claims.get("active", 0)

    @property
    def completion_rate(self) -> float | None:
        """done / (done + released), None without a record."""
        done, released = self.claims.get("done", 0), self.claims.get("released", 0)
        if done + released == 0:
            return None
        return done / (done + released)


@dataclass(frozen=True)
class Need:
    """What a request asks of whoever takes it on."""

    category: str
    minor: bool = False  # the request involves a child
    local_time: datetime | None = None  # the wanted time, local; None fits everybody
    radius_factor: float = 1.0  # grows with each offer round


@dataclass
class Ranked:
    score: float
    km: float  # the exact distance
    prospect: Prospect


# --- who may take it -------------------------------------------------------------------


def request_refusal(category: str) -> str | None:
    """Why no volunteer or team at all may take a request of this category, or None."""
    if category in SOCIAL_WORKER_ONLY:
        return SOCIAL_WORKERS_ONLY
    return None


def refusal(prospect: Prospect, need: Need) -> str | None:
    """Why ``prospect`` may not take the request on, from what their row says, or None.
    The open-task limit needs their claims: ``limit_refusal``."""
    if not reaches(prospect, prospect.approx_km, need.radius_factor, margin=QUICK_MARGIN_KM):
        return OUT_OF_REACH
    if need.category not in (prospect.skills or []):
        return NO_SKILL
    if need.minor and not prospect.vetted:
        return NOT_VETTED
    if not available(prospect.availability, need.local_time):
        return NOT_AVAILABLE
    return None


def limit_refusal(prospect: Prospect) -> str | None:
    if prospect.open_tasks >= prospect.limit:
        return AT_LIMIT
    return None


def reaches(prospect: Prospect, km: float, radius_factor: float, *, margin: float = 0.0) -> bool:
    """Their travel radius (times the round's factor) covers ``km``."""
    return km <= prospect.radius_km * radius_factor + margin


def local_time(wanted_at: datetime | None) -> datetime | None:
    """A stored (UTC) moment in ``LOCAL_TIMEZONE``."""
    return None if wanted_at is None else to_local(wanted_at)


def available(windows: list | bytes | None, local: datetime | None) -> bool:
    """Weekly windows [{"day": 0-6 (Monday = 0), "start": "08:00", "end": "12:00"}], or
    as ``windows.pack`` writes them (what the reach index carries): ``windows.accepts``."""
    if local is None:
        return True
    return accepts(windows, local.weekday(), local.hour * 60 + local.minute)


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
    """Why ``team`` may not take ``request`` on (translated), or None: as for a volunteer,
    with the leader's account and vetting standing for the team's."""
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


# --- in what order, and why ------------------------------------------------------------


def rank(
    prospects: list[Prospect], place: tuple[float, float], need: Need, *, limit: int
) -> list[Ranked]:
    """The best ``limit`` of ``prospects`` (each already without a ``refusal``), best first.

    All are scored on their quick distance; the head of that list gets its exact geodesic
    distance, is scored again and put in its final order. Equal scores: nearer first.
    """
    scored: list[tuple[float, Prospect]] = []
    for prospect in prospects:
        if limit_refusal(prospect) is not None:
            continue
        scored.append((score(prospect, prospect.approx_km, need.radius_factor), prospect))
    scored.sort(key=lambda item: (-item[0], item[1].approx_km))

    exact: list[Ranked] = []
    for _quick_score, prospect in scored[: limit + EXACT_EXTRA]:
        km = geodesic_km(place[0], place[1], prospect.lat, prospect.lon)
        if not reaches(prospect, km, need.radius_factor):
            continue
        exact.append(Ranked(score(prospect, km, need.radius_factor), km, prospect))
    exact.sort(key=lambda ranked: (-ranked.score, ranked.km))
    return exact[:limit]


def score(prospect: Prospect, km: float, radius_factor: float) -> float:
    """0…1: the weighted sum of the parts ``weights.Weights`` describes."""
    closeness = max(0.0, 1.0 - km / (MAX_RADIUS_KM * radius_factor))
    skill_fit = 1.0 / (1.0 + SKILL_SPREAD * (max(len(prospect.skills), 1) - 1))
    continuity = 1.0 if prospect.served else 0.0
    rate = prospect.completion_rate
    reliability = NEW_RELIABILITY if rate is None else rate
    load = 1.0 - min(prospect.open_tasks / max(prospect.limit, 1), 1.0)
    w = WEIGHTS
    return round(
        w.distance * closeness
        + w.skill * skill_fit
        + w.continuity * continuity
        + w.reliability * reliability
        + w.load * load,
        4,
    )


def translator():
    """``gettext`` for the reader's language, found once: flask_babel's own looks the
    language and catalogue up again at every call, and a list of ten candidates words
    some fifty reasons."""
    translations = get_translations()

    def gettext(string: str, **variables) -> str:
        text = translations.ugettext(string)
        return text % variables if variables else text

    return gettext


def reasons(prospect: Prospect, km: float, label: str, *, gettext=None) -> list[str]:
    """Why they are on the list, in the reader's language: distance first. ``label``: the
    category's label (``wording.category_label``, looked up once for the whole list)."""
    _ = gettext or translator()
    words = [distance_words(km, gettext=_)]
    if prospect.kind == "team":
        words.append(_("Volunteer team"))
    words.append(_("Skill: %(skill)s", skill=label))
    if prospect.served:
        words.append(_("Has helped this person before"))
    rate = prospect.completion_rate
    if rate is None:
        words.append(_("New: no finished tasks yet"))
    else:
        percent = f"{round(rate * 100)}%"
        words.append(_("Completion rate %(rate)s", rate=percent))
    if prospect.open_tasks:
        words.append(_("Has %(n)s open task(s)", n=prospect.open_tasks))
    else:
        words.append(_("No open tasks now"))
    return words


def distance_words(km: float, *, gettext=None) -> str:
    _ = gettext or translator()
    if km < 1:
        return _("%(m)s m", m=max(int(round(km * 1000, -1)), 10))
    rounded = f"{km:.1f}"
    return _("%(km)s km", km=rounded)
