"""Who may use which route: the intended permissions, written from DESIGN.md and the issues.

One line per (endpoint, method). When a test says "add it to the matrix", add a line here:

    ("console.request", "GET"): staff(scoped=True, supervisor=True),

Personas (tests/security/conftest.py): anonymous, volunteer, team_leader, social_worker,
station_admin, county_supervisor, other_station_worker and other_station_admin (a social
worker and the admin of station B; every sample object belongs to station A), and
centre_worker (a social worker of the county centre).

Expected outcomes, derived from an entry:
- a persona in ``allow``: ALLOWED (2xx, or 3xx anywhere but the sign-in page; a POST may
  also answer 4xx for an empty form or a move the state machine refuses, never 403)
- anonymous, when not allowed: LOGIN (a redirect to /login)
- other_station_worker / other_station_admin, when their role is allowed: HIDDEN (403 or
  404) if the route shows or changes one station's object (``scoped``), else ALLOWED
  (their own station's list or form)
- anyone else: FORBIDDEN (403)
- centre_worker (issue 13, least privilege): the county centre's workers act on what is
  routed or escalated to the centre and read the rest of the county the way the county
  supervisor does. So: ALLOWED where the supervisor may read too (``supervisor=True``),
  else like a worker of another station (the samples are station A's, not escalated).
``overrides`` pins a persona to an outcome (say why in ``note``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALLOWED, LOGIN, FORBIDDEN, HIDDEN, SIGNATURE, REFUSED = (
    "allowed",
    "login",
    "forbidden",
    "hidden",
    "signature",
    "refused",  # 403, 404 or 422, and nothing stored
)

EVERYONE = frozenset(
    {
        "anonymous",
        "volunteer",
        "team_leader",
        "social_worker",
        "station_admin",
        "county_supervisor",
        "other_station_worker",
        "other_station_admin",
        "centre_worker",
    }
)
SIGNED_IN = EVERYONE - {"anonymous"}
# Station B's people and the role they hold (the samples all belong to station A).
OTHER_STATION = {
    "other_station_worker": "social_worker",
    "other_station_admin": "station_admin",
    "centre_worker": "social_worker",
}


@dataclass(frozen=True)
class Access:
    allow: frozenset[str]
    scoped: bool = False
    overrides: dict[str, str] = field(default_factory=dict)
    webhook: bool = False
    note: str = ""

    def expected(self, persona: str) -> str:
        if persona in self.overrides:
            return self.overrides[persona]
        if self.webhook:
            return SIGNATURE
        if persona in self.allow:
            return ALLOWED
        if persona == "anonymous":
            return LOGIN
        if persona == "centre_worker" and {"county_supervisor", "social_worker"} <= self.allow:
            return ALLOWED  # reads what the supervisor reads (masked, logged)
        base = OTHER_STATION.get(persona)
        if base is not None and base in self.allow:
            return HIDDEN if self.scoped else ALLOWED
        return FORBIDDEN


def public(**kw) -> Access:
    return Access(EVERYONE, **kw)


def signed_in(**kw) -> Access:
    return Access(SIGNED_IN, **kw)


def roles(*names: str, scoped: bool = False, **kw) -> Access:
    allowed = set(names)
    if not scoped:  # their own station's list or form
        allowed |= {other for other, base in OTHER_STATION.items() if base in allowed}
    return Access(frozenset(allowed), scoped=scoped, **kw)


def staff(*, scoped: bool = False, supervisor: bool = False, **kw) -> Access:
    """Station workers (and admins); the county supervisor too when ``supervisor`` (read)."""
    names = ["social_worker", "station_admin"] + (["county_supervisor"] if supervisor else [])
    return roles(*names, scoped=scoped, **kw)


def admin(*, scoped: bool = False, **kw) -> Access:
    return roles("station_admin", scoped=scoped, **kw)


def volunteers(**kw) -> Access:
    return roles("volunteer", "team_leader", **kw)


def webhook(**kw) -> Access:
    return Access(frozenset(), webhook=True, **kw)


GET, POST = "GET", "POST"
NOT_THE_LEADERS = {"team_leader": HIDDEN}  # the sample claim/offer is the volunteer's own

MATRIX: dict[tuple[str, str], Access] = {
    # ---- main and sign-in (the lead)
    ("main.home", GET): public(),
    ("main.healthz", GET): public(),
    ("main.readyz", GET): public(),
    ("main.switch_language", GET): public(),
    ("main.landing", GET): signed_in(note="anonymous is sent to sign in by the view itself"),
    ("auth.login", GET): public(),
    ("auth.login", POST): public(),
    ("auth.logout", POST): signed_in(),
    # forgotten password (issue 13): public; without a code flow in the session the code
    # page sends back to /reset
    ("auth.reset", GET): public(),
    ("auth.reset", POST): public(),
    ("auth.reset_code", GET): public(),
    ("auth.reset_code", POST): public(),
    ("auth.reset_resend", POST): public(),
    # ---- the resident's side (issue 3): anyone, no account
    ("public.ask", GET): public(),
    ("public.ask", POST): public(),
    ("public.track", GET): public(),
    ("public.track", POST): public(),
    ("public.done", GET): public(note="the confirmation of this browser's own request"),
    ("public.villages", GET): public(note="htmx: the village list"),
    ("public.validate_phone", POST): public(note="htmx: checks the phone field"),
    ("public.track_link", GET): public(note="the SMS link; details only after code+digits"),
    ("public.track_action", POST): public(note="acts only on a request this browser unlocked"),
    # proxy and hotline intake: a social worker or a (village) volunteer, for their station
    ("public.proxy", GET): roles("social_worker", "station_admin", "volunteer"),
    ("public.proxy", POST): roles("social_worker", "station_admin", "volunteer"),
    # ---- the volunteer's side (issue 4): volunteers and team leaders; one claim or offer
    # only for whoever holds it (the samples are the volunteer's, so the team leader -
    # who is not in on them - must get 403/404)
    ("volunteer.signup", GET): public(),
    ("volunteer.signup", POST): public(),
    # the phone's SMS code (issue 13): without a sign-up in the session, back to the form
    ("volunteer.confirm", GET): public(),
    ("volunteer.confirm", POST): public(),
    ("volunteer.confirm_resend", POST): public(),
    ("volunteer.pending", GET): volunteers(),
    ("volunteer.tasks", GET): volunteers(),
    ("volunteer.task", GET): volunteers(
        note="no personal data before the claim; a task not open to them says so"
    ),
    ("volunteer.claim_task", POST): volunteers(note="refused (409) when not open to them"),
    ("volunteer.mine", GET): volunteers(),
    ("volunteer.hours", GET): volunteers(),
    ("volunteer.certificate", GET): volunteers(),
    ("volunteer.offer", GET): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.offer_accept", POST): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.offer_decline", POST): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.claim_page", GET): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.release", POST): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.check_in", POST): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.check_out", POST): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.dispatch", POST): volunteers(overrides=NOT_THE_LEADERS),
    # ---- the station console (issue 5): the serving station's staff; supervisor reads
    ("console.queue", GET): staff(),
    ("console.request_page", GET): staff(scoped=True, supervisor=True),
    ("console.act", POST): staff(
        scoped=True,
        overrides={"centre_worker": REFUSED},
        note="supervisors read only; the centre's worker gets 403 until the sample is "
        "escalated (the last action), then 422: it is escalated already",
    ),
    ("console.resend_sms", POST): staff(scoped=True, note="supervisors read only"),
    ("console.give_up_sms", POST): staff(scoped=True, note="supervisors read only"),
    # the ledger: personal data, the serving station's workers only (not the supervisor)
    ("console.ledger_list", GET): staff(),
    ("console.ledger_export", GET): staff(),
    ("console.ledger_new", GET): staff(),
    ("console.ledger_new", POST): staff(),
    ("console.ledger_person", GET): staff(scoped=True),
    ("console.ledger_plan", POST): staff(scoped=True),
    ("console.ledger_visit", GET): staff(scoped=True),
    ("console.ledger_visit", POST): staff(scoped=True),
    ("console.visits", GET): staff(),
    # station admin: volunteers, teams, the access log of their own station
    ("console.volunteers", GET): admin(),
    ("console.volunteer_action", POST): admin(scoped=True),
    ("console.teams", GET): admin(),
    ("console.teams", POST): admin(),
    ("console.team_action", POST): admin(scoped=True),
    ("console.team_hours", POST): admin(scoped=True, note="a team's weekly times (issue 13)"),
    ("console.audit_log", GET): admin(),
    # county supervisor: the county view and acting on escalations
    ("console.county", GET): roles("county_supervisor"),
    ("console.county_action", POST): roles("county_supervisor"),
    # ---- SMS (issue 6)
    ("sms.sent", GET): staff(supervisor=True),
    ("sms.inbound", POST): webhook(),
    ("sms.status", POST): webhook(),
}
