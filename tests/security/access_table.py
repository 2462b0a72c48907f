"""Who may use which route: the intended permissions, written from DESIGN.md and the issues.

One line per (endpoint, method). When a test says "add it to the matrix", add a line here:

    ("console.request", "GET"): staff(scoped=True, supervisor=True),

Personas (tests/security/conftest.py): anonymous, volunteer, team_leader, social_worker,
station_admin, county_supervisor, other_station_worker and other_station_admin (a social
worker and the admin of station B; every sample object belongs to station A), and
centre_worker (a social worker of the county centre).

Expected outcomes, derived from an entry; each is one exact answer:
- a persona in ``allow``: ALLOWED, the entry's ``answer`` (below)
- anonymous, when not allowed: LOGIN (302 to /login)
- other_station_worker / other_station_admin, when their role is allowed: HIDDEN (404: the
  object of another station does not exist for them) if the route shows or changes one
  station's object (``scoped``), else ALLOWED (their own station's list or form)
- anyone else: FORBIDDEN (403)
- centre_worker (issue 13, least privilege): the county centre's workers act on what is
  routed or escalated to the centre and read the rest of the county the way the county
  supervisor does. So: ALLOWED where the supervisor may read too (``supervisor=True``),
  else like a worker of another station (the samples are station A's, not escalated).
- the Twilio webhooks, unsigned: SIGNATURE (403)
``overrides`` pins a persona to an outcome (say why in ``note``).

``answer`` is what an allowed persona gets: a status (``200``, ``422`` for the matrix's
empty form) or a status and the path of the redirect (``"302 /station/r/*"``, ``*`` is one
path segment, the query is not compared). A dict gives it per persona or per the URL's last
segment (the ``<action>`` of a route that has several), ``"*"`` for the rest. GETs answer
200 unless the entry says otherwise; every POST entry says what an empty post gets. After
an allowed post went through (< 400), the matrix makes fresh samples for the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALLOWED, LOGIN, FORBIDDEN, HIDDEN, SIGNATURE = (
    "allowed",
    "login",  # 302 to /login
    "forbidden",  # 403
    "hidden",  # 404
    "signature",  # 403
)
# The exact answer of each outcome but ALLOWED (whose answer is the entry's own).
ANSWERS = {LOGIN: "302 /login", FORBIDDEN: 403, HIDDEN: 404, SIGNATURE: 403}

Answer = int | str  # 200, or "302 /path/*"

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
    answer: Answer | dict[str, Answer] | None = None
    note: str = ""

    def answer_for(self, persona: str, method: str, url: str) -> Answer | None:
        """The exact answer ``persona`` gets at ``url``; None when the entry does not say."""
        expected = self.expected(persona)
        if expected != ALLOWED:
            return ANSWERS[expected]
        answer = self.answer
        if isinstance(answer, dict):
            action = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
            answer = answer.get(persona, answer.get(action, answer.get("*")))
        if answer is None and method == "GET":
            return 200
        return answer

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
# The centre's worker reads station A's request (as the supervisor does: it is no secret
# to them) but may not act on it until it is escalated: 403, not 404.
READS_NOT_ACTS = {"centre_worker": FORBIDDEN}
EMPTY_FORM = 422  # the matrix posts only a CSRF token: the form is refused, nothing stored
# Who manages a community activity (issue 18): the station's workers, and a team leader
# (the sample activity is their team's)
MANAGERS = ("social_worker", "station_admin", "team_leader")

MATRIX: dict[tuple[str, str], Access] = {
    # ---- main and sign-in (the lead)
    ("main.home", GET): public(),
    ("main.healthz", GET): public(),
    ("main.robots", GET): public(),
    ("main.manifest", GET): public(),
    ("main.readyz", GET): public(),
    ("main.switch_language", GET): public(answer="302 /"),
    ("main.landing", GET): signed_in(
        answer={
            "volunteer": "302 /v/tasks",
            "team_leader": "302 /v/tasks",
            "county_supervisor": "302 /station/county",
            "*": "302 /station/",  # the staff of any station
        },
        note="each to their own start page; anonymous is sent to sign in by the view itself",
    ),
    ("auth.login", GET): public(),
    ("auth.login", POST): public(answer=EMPTY_FORM),
    ("auth.logout", POST): signed_in(answer="302 /"),
    # forgotten password (issue 13): public; without a code flow in the session the code
    # page sends back to /reset
    ("auth.reset", GET): public(),
    ("auth.reset", POST): public(answer=EMPTY_FORM),
    ("auth.reset_code", GET): public(answer="302 /reset"),
    ("auth.reset_code", POST): public(answer="302 /reset"),
    ("auth.reset_resend", POST): public(answer="302 /reset/code"),
    # ---- the resident's side (issue 3): anyone, no account
    ("public.ask", GET): public(),
    ("public.ask", POST): public(answer=EMPTY_FORM),
    ("public.danger", GET): public(note="110/120, then a crisis request (issue 16)"),
    ("public.danger", POST): public(answer=EMPTY_FORM),
    ("public.track", GET): public(),
    ("public.track", POST): public(answer=EMPTY_FORM),
    ("public.done", GET): public(
        answer="302 /ask", note="the confirmation of this browser's own request (none here)"
    ),
    ("public.villages", GET): public(note="htmx: the village list"),
    ("public.validate_phone", POST): public(answer=EMPTY_FORM, note="htmx: checks the phone field"),
    ("public.track_link", GET): public(note="the SMS link; details only after code+digits"),
    ("public.track_action", POST): public(
        answer="303 /t/*", note="acts only on a request this browser unlocked (not this one)"
    ),
    # proxy and hotline intake: a social worker or a (village) volunteer, for their station
    ("public.proxy", GET): roles("social_worker", "station_admin", "volunteer"),
    ("public.proxy", POST): roles("social_worker", "station_admin", "volunteer", answer=EMPTY_FORM),
    # ---- the volunteer's side (issue 4): volunteers and team leaders; one claim or offer
    # only for whoever holds it (the samples are the volunteer's, so the team leader -
    # who is not in on them - must get 403/404)
    ("volunteer.signup", GET): public(),
    ("volunteer.signup", POST): public(answer=EMPTY_FORM),
    # the phone's SMS code (issue 13): without a sign-up in the session, back to the form
    ("volunteer.confirm", GET): public(answer="302 /v/signup"),
    ("volunteer.confirm", POST): public(answer="302 /v/signup"),
    ("volunteer.confirm_resend", POST): public(answer="302 /v/signup/confirm"),
    ("volunteer.pending", GET): volunteers(),
    ("volunteer.tasks", GET): volunteers(),
    ("volunteer.task", GET): volunteers(
        note="no personal data before the claim; a task not open to them says so"
    ),
    ("volunteer.claim_task", POST): volunteers(
        answer="302 /v/c/*", note="refused (409) when not open to them"
    ),
    ("volunteer.mine", GET): volunteers(),
    ("volunteer.hours", GET): volunteers(),
    ("volunteer.certificate", GET): volunteers(),
    ("volunteer.offer", GET): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.offer_accept", POST): volunteers(overrides=NOT_THE_LEADERS, answer="302 /v/c/*"),
    ("volunteer.offer_decline", POST): volunteers(overrides=NOT_THE_LEADERS, answer="302 /v/tasks"),
    ("volunteer.claim_page", GET): volunteers(overrides=NOT_THE_LEADERS),
    ("volunteer.release", POST): volunteers(overrides=NOT_THE_LEADERS, answer=EMPTY_FORM),
    ("volunteer.check_in", POST): volunteers(overrides=NOT_THE_LEADERS, answer="302 /v/c/*"),
    ("volunteer.check_out", POST): volunteers(overrides=NOT_THE_LEADERS, answer=EMPTY_FORM),
    ("volunteer.dispatch", POST): volunteers(overrides=NOT_THE_LEADERS, answer=EMPTY_FORM),
    # ---- the station console (issue 5): the serving station's staff; supervisor reads
    ("console.queue", GET): staff(),
    ("console.request_page", GET): staff(scoped=True, supervisor=True),
    ("console.act", POST): staff(
        scoped=True,
        overrides=READS_NOT_ACTS,
        answer={"accept": "302 /station/r/*", "escalate": "302 /station/r/*", "*": EMPTY_FORM},
        note="supervisors read only; the centre's worker reads the (not escalated) sample; "
        "a new request: accept and escalate go through, the rest need a filled form",
    ),
    ("console.resend_sms", POST): staff(
        scoped=True,
        overrides=READS_NOT_ACTS,
        answer=EMPTY_FORM,
        note="the sample SMS is not failed",
    ),
    ("console.give_up_sms", POST): staff(
        scoped=True, overrides=READS_NOT_ACTS, answer="302 /station/r/*"
    ),
    # ---- micro-wishes (issue 18): the board and a wish's page are public (no personal data:
    # wishes.public_view); the wish itself, its photo and the resources ledger belong to the
    # serving station's workers (the county reads the figures on the dashboards only)
    ("public.wish_board", GET): public(),
    ("public.wish_page", GET): public(),
    ("public.wish_claim", POST): public(answer=EMPTY_FORM),
    ("public.wish_claim_code", POST): public(
        answer=EMPTY_FORM, note="the code texted to the phone"
    ),
    ("console.wish_list", GET): staff(),
    ("console.wish_new", GET): staff(),
    ("console.wish_new", POST): staff(answer=EMPTY_FORM),
    ("console.wish_detail", GET): staff(scoped=True),
    ("console.wish_photo", GET): staff(scoped=True),
    ("console.wish_deliver", POST): staff(scoped=True, answer=EMPTY_FORM),
    ("console.wish_act", POST): staff(
        scoped=True,
        answer="302 /station/wishes/*",
        note="a refused move (publish an on-board wish) says why on the wish's page",
    ),
    ("console.resource_list", GET): staff(),
    ("console.resource_list", POST): staff(answer=EMPTY_FORM),
    ("console.resource_export", GET): staff(),
    # the ledger: personal data, the serving station's workers only (not the supervisor)
    ("console.ledger_list", GET): staff(),
    ("console.ledger_export", GET): staff(),
    ("console.ledger_new", GET): staff(),
    ("console.ledger_new", POST): staff(answer=EMPTY_FORM),
    ("console.ledger_person", GET): staff(scoped=True),
    ("console.ledger_plan", POST): staff(scoped=True, answer="302 /station/ledger/*"),
    ("console.ledger_visit", GET): staff(scoped=True),
    ("console.ledger_visit", POST): staff(scoped=True, answer=EMPTY_FORM),
    ("console.ledger_call", POST): staff(scoped=True, answer=EMPTY_FORM),
    ("console.visits", GET): staff(),
    # ---- community activities (issue 18, app/services/activity_access.py): a station's
    # upcoming ones are public (no names: activity_lists.PublicActivity); approved
    # volunteers find, sign up and check in; the workers of its station and the approved
    # leader of its team (the sample is the team's) manage one, and only the workers name
    # the ledger's people it served. The county reads the counts on the dashboards only.
    ("public.station_activities", GET): public(),
    ("volunteer.activities_near", GET): volunteers(),
    ("volunteer.activity", GET): volunteers(note="any scheduled one, or one they signed up for"),
    ("volunteer.activity_sign_up", POST): volunteers(
        answer="302 /v/activities/*",
        note="next week's: the volunteer is signed up already (unchanged), the leader joins",
    ),
    ("volunteer.activity_withdraw", POST): volunteers(
        answer={"volunteer": "302 /v/activities/*", "team_leader": 422},
        note="next week's: the leader never signed up",
    ),
    ("volunteer.activity_check_in", POST): volunteers(
        answer=EMPTY_FORM,
        note="no code is a wrong one (counted); the leader holds no place",
    ),
    ("console.activity_list", GET): roles(*MANAGERS),
    ("console.activity_new", GET): roles(*MANAGERS),
    ("console.activity_new", POST): roles(*MANAGERS, answer=EMPTY_FORM),
    ("console.activity_page", GET): roles(*MANAGERS, scoped=True),
    ("console.activity_roster", POST): roles(
        *MANAGERS,
        scoped=True,
        answer="302 /station/activities/*",
        note="no 'present': the volunteer, not checked in, stays so",
    ),
    ("console.activity_head_count", POST): roles(
        *MANAGERS, scoped=True, answer="302 /station/activities/*", note="a blank count is 0"
    ),
    ("console.activity_close", POST): roles(
        *MANAGERS,
        scoped=True,
        answer="302 /station/activities/*",
        note="under way: closed and counted (nobody checked in: only the person served)",
    ),
    ("console.activity_cancel", POST): roles(
        *MANAGERS,
        scoped=True,
        answer="302 /station/activities/*",
        note="under way with nobody checked in: cancelled, nobody texted",
    ),
    ("console.activity_resident", POST): staff(
        scoped=True,
        answer=EMPTY_FORM,
        note="personal data: not the team leader; no person chosen is refused",
    ),
    # station admin: volunteers, teams, the access log of their own station
    ("console.volunteers", GET): admin(),
    ("console.volunteer_action", POST): admin(
        scoped=True,
        answer={
            "approve": "302 /station/volunteers",
            "unvet": "302 /station/volunteers",
            "*": EMPTY_FORM,
        },
        note="the sample is a pending volunteer: suspend and vet need a filled form",
    ),
    ("console.teams", GET): admin(),
    ("console.teams", POST): admin(answer=EMPTY_FORM),
    ("console.team_action", POST): admin(scoped=True, answer=EMPTY_FORM),
    ("console.team_hours", POST): admin(
        scoped=True, answer="302 /station/teams", note="a team's weekly times (issue 13)"
    ),
    ("console.audit_log", GET): admin(),
    # county supervisor: the county view and acting on escalations
    ("console.county", GET): roles("county_supervisor"),
    ("console.county_action", POST): roles(
        "county_supervisor", answer=EMPTY_FORM, note="the sample is not escalated"
    ),
    # ---- a station's month (issue 15): dashboards, exports, staff
    ("console.station_stats", GET): staff(),
    ("console.county_stats", GET): roles("county_supervisor"),
    ("console.export_file", GET): staff(supervisor=True),
    ("console.export_queue", POST): staff(
        supervisor=True, answer="303 /station/exports/*", note="queues this month's export"
    ),
    ("console.export_job", GET): roles(
        "social_worker",
        scoped=True,
        overrides={
            p: HIDDEN for p in ("station_admin", "county_supervisor", "other_station_admin")
        },
        note="an export is its owner's (the station's social worker) only",
    ),
    ("console.export_download", GET): roles(
        "social_worker",
        scoped=True,
        overrides={
            p: HIDDEN for p in ("station_admin", "county_supervisor", "other_station_admin")
        },
        note="an export is its owner's only",
    ),
    ("console.staff", GET): admin(),
    ("console.staff", POST): admin(answer=EMPTY_FORM),
    ("console.staff_action", POST): admin(
        scoped=True,
        answer={"reactivate": 422, "*": "302 /station/staff"},
        note="the sample worker is active: reactivating is refused",
    ),
    ("console.staff_certificate", POST): admin(
        scoped=True,
        answer="302 /station/staff",
        note="an empty form records no certificate and 0 training hours",
    ),
    # ---- SMS (issue 6)
    ("sms.sent", GET): staff(supervisor=True),
    ("sms.inbound", POST): webhook(),
    ("sms.status", POST): webhook(),
    # ---- Open311 and the JSON API (issue 19): for programs, with a key, never a session;
    # reads carry no personal data, so anyone may read; a signed-in session is no key
    ("open311.discovery", GET): public(),
    ("open311.services", GET): public(),
    ("open311.service_definition", GET): public(
        answer={"shopping.json": 200, "shopping.xml": 200, "*": 404}
    ),
    ("open311.requests_list", GET): public(),
    ("open311.request_detail", GET): public(),
    ("open311.token", GET): public(),
    ("open311.requests_create", POST): public(answer=403, note="no api_key: 403, for everyone"),
    ("open311.request_timeline", GET): public(note="what happened and when, never who"),
    ("open311.station_open_requests", GET): public(answer=403, note="needs the station's key"),
    ("open311.county_figures", GET): public(answer=403, note="needs a county centre's key"),
    ("open311.openapi_document", GET): public(),
    ("open311.api_reference", GET): public(),
    ("api_keys.keys", GET): admin(),
    ("api_keys.create_key", POST): admin(answer=EMPTY_FORM),
    ("api_keys.revoke_key", POST): admin(scoped=True, answer=200),
}
