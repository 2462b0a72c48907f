"""Twelve months of the county's work before today (issue 15): every station's home visits,
welfare calls and requests served by volunteers, teams and its own social workers, so the
dashboards and the monthly report have a year to show.

Told after the stories (``stories.play``), on the same dice, with the clock set back to
each act's own time: the stories' weeks stay exactly as their tests pin them, and this
year runs beside them. Every act is a use case: ``ledger.create``, ``set_care_plan``,
``record_visit(minutes=)``, ``log_call``; ``intake.submit_request``, ``console.accept`` /
``assign`` / ``close(served=)`` / ``reject``, ``claims.accept_offer`` / ``check_in`` /
``check_out``, ``tracking.confirm_done`` / ``rate`` / ``not_solved`` / ``cancel`` and the
worker's ``reminders.auto_close``. So every service writes its one ServiceRecord through
``app/services/counting.py``, as it would have that day.

Inserted directly, as ``county.build_staff`` does for the first staff: the workers who make
every township station's staff two or more (staff accounts have no use case yet), and each
worker's certificate level and training hours (issue 15's staff page will set them).

What it shows on purpose: 古城镇 (``UNDER_COVERED``) reached few of its special-group
people this quarter; 马坊镇 (``UNDER_CERTIFIED``) has one certified worker of two.

The history visits only its own people: the stories' 60 get welfare calls (a call leaves
the care plan alone), as a visit told now would move their care plan back in time.

Told after the stories, the rules read today's county (who holds open tasks now); the
history keeps to what was true then by its choices: only volunteers approved and teams
formed by that day take a task, and the demo volunteer and team leader take none (their
tasks are the stories'). A step the rules refuse ends the act there; the tests check that
no request of the year is left open.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from app.demo import data as D
from app.demo.requests import Story, intake_fields
from app.demo.state import LOCAL_OFFSET, Demo, Town
from app.demo.stories import check_out_now
from app.extensions import db
from app.models import Beneficiary, Claim, HelpRequest, User
from app.models.vocab import CALLS_SERVED, MINOR_GROUPS, SOCIAL_WORKER_ONLY
from app.services import (
    ServiceError,
    claims,
    console,
    intake,
    ledger,
    offers,
    reminders,
    tracking,
)

MONTHS = 12
# Requests a township station received in a month of the history (busy stations more).
REQUESTS_PER_MONTH = (1, 3)
DEMO_STATION_REQUESTS = (3, 6)
# A call to a person between visits, about this often (days).
CALL_EVERY = 30
DEMO_USERS = ("zhiyuanzhe", "duizhang")  # their tasks are the stories' (tests pin them)


@dataclass
class Act:
    """One story of the history: a request's steps, or a single visit or call."""

    town: Town
    steps: list[tuple[datetime, str]]
    fields: dict = field(default_factory=dict)
    worker: User | None = None
    person: Beneficiary | None = None
    request: HelpRequest | None = None
    claim: Claim | None = None
    doer: User | None = None


def build(demo: Demo, months: int = MONTHS) -> dict[str, int]:
    """The ``months`` (this one and those before it) up to ``demo.now``; returns what it
    made, by kind. ``months=0`` adds only the staff (the stories' tests use it)."""
    made: dict[str, int] = {"people": 0, "visits": 0, "calls": 0, "requests": 0}
    start = _history_start(demo.now, months)
    end = demo.now - timedelta(hours=2)
    _add_staff(demo, _history_start(demo.now, MONTHS))
    if months <= 0:
        return made
    people = _add_people(demo, start, made)
    acts = Timeline()
    lapsed_ids = set()
    for person, town, worker, lapsed in people:
        _plan_care(demo, acts, person, town, worker, lapsed, (start, end))
        if lapsed:
            lapsed_ids.add(person.id)
    for town in demo.towns.values():
        for person in town.beneficiaries:
            lapsed = town.name == D.UNDER_COVERED and demo.rng.random() < 0.7
            _plan_calls(demo, acts, person, town, lapsed, (start, end), sure=True)
    for town in demo.towns.values():
        _plan_requests(demo, acts, town, start, end, lapsed_ids)
    _play(demo, acts, made)
    return made


def _history_start(now: datetime, months: int = MONTHS) -> datetime:
    """Midnight, local time, on the first of the month ``months - 1`` before this one."""
    local = now + LOCAL_OFFSET
    month = local.year * 12 + local.month - 1 - (months - 1)
    first = datetime(month // 12, month % 12 + 1, 1)
    return first - LOCAL_OFFSET


def quarter_start(now: datetime) -> datetime:
    """Midnight, local time, on the first day of ``now``'s quarter (coverage counts it)."""
    local = now + LOCAL_OFFSET
    first = datetime(local.year, (local.month - 1) // 3 * 3 + 1, 1)
    return first - LOCAL_OFFSET


# ---- staff ---------------------------------------------------------------------------------


def _add_staff(demo: Demo, start: datetime) -> None:
    rng = demo.rng
    for name, township in D.MORE_STAFF:
        town = demo.towns[township]
        created = start - timedelta(days=rng.randint(30, 400))
        user = User(
            phone=demo.mobile(),
            name=name,
            password_hash=demo.password_hash,
            station=town.station,
            created_at=created,
            phone_confirmed_at=created,
        )
        user.add_role("social_worker")
        if town.admin is None and not town.workers:
            user.add_role("station_admin")
            town.admin = user
        if township == D.UNDER_CERTIFIED:
            user.certificate_level, user.training_hours = "", Decimal(rng.randint(8, 24))
        else:
            level = rng.choices(["assistant", "social_worker", "senior"], [6, 3, 1])[0]
            user.certificate_level = level
            user.training_hours = Decimal(rng.randint(24, 140))
        db.session.add(user)
        town.workers.append(user)
        demo.staff[f"more:{name}"] = user
    for username, (level, hours) in D.CERTIFICATES.items():
        user = demo.staff[username]
        user.certificate_level, user.training_hours = level, Decimal(hours)
    db.session.flush()


# ---- the ledger: people, visits and calls ------------------------------------------------


def _add_people(demo: Demo, start: datetime, made: dict) -> list[tuple]:
    """Each township station's people of the special groups, put on the ledger by one of
    its workers: (person, town, worker, lapsed this quarter)."""
    rng = demo.rng
    people = []
    for town in demo.towns.values():
        for groups, age in D.HISTORY_PEOPLE:
            village = rng.choice(town.villages)
            worker = rng.choice(town.workers)
            gender = "F" if "left_behind_woman" in groups else rng.choice("FM")
            minor = bool(set(groups) & MINOR_GROUPS)
            guardian = {}
            if minor:
                relation = rng.choice(sorted(D.GUARDIAN_RELATIONS))
                guardian_age = "old" if relation in ("祖父", "祖母", "外祖母") else "mid"
                guardian = {
                    "guardian_name": demo.person_name(guardian_age, D.GUARDIAN_RELATIONS[relation]),
                    "guardian_relation": relation,
                    "guardian_phone": demo.mobile(),
                }
            # Most were on the ledger before the year began; a few joined during it.
            if rng.random() < 0.8:
                created = start - timedelta(days=rng.randint(20, 400))
            else:
                created = start + timedelta(days=rng.randint(10, 200))
            demo.at(demo.local_daytime(created))
            birth = {"child": (2011, 2019), "old": (1936, 1958), "mid": (1975, 1992)}[age]
            person = ledger.create(
                worker,
                station_id=demo.station_for(village).id,
                name=demo.person_name("child" if minor else age, gender),
                gender={"F": "female", "M": "male"}[gender],
                birth_year=rng.randint(*birth),
                phone="" if minor else demo.mobile(),
                special_groups=list(groups),
                village_id=village.id,
                address=demo.house_address(village),
                notes="；".join(D.BENEFICIARY_NOTES[g] for g in groups),
                **guardian,
            )
            interval = 21 if set(groups) & (MINOR_GROUPS | {"elderly_alone"}) else 30
            ledger.set_care_plan(person, interval_days=interval)
            # Elsewhere a rare person of the township's own station is lost touch with.
            at_room = person.station_id != town.station.id
            lapsed = (
                rng.random() < 0.7
                if town.name == D.UNDER_COVERED
                else rng.random() < 0.03 and not at_room
            )
            people.append((person, town, worker, lapsed))
            town.history.append(person)
            made["people"] += 1
    return people


def _plan_care(demo: Demo, acts, person, town: Town, worker, lapsed: bool, span) -> None:
    """Visits on the care plan's rhythm, a call now and then between them. A lapsed
    person's visits and calls stop before this quarter (their worker fell behind)."""
    rng = demo.rng
    start, end = span
    stop = quarter_start(demo.now) - timedelta(days=rng.randint(5, 60)) if lapsed else end
    interval = person.visit_interval_days
    # The year's visits (the ledger keeps older ones of its own: not told here).
    t = max(person.created_at, start) + timedelta(days=rng.randint(1, interval))
    while t < stop:
        when = demo.local_daytime(t)
        if when < stop:
            acts.add(Act(town, [(when, "visit")], worker=worker, person=person))
        t += timedelta(days=interval + rng.randint(-3, 6))
    _plan_calls(demo, acts, person, town, lapsed, span, stop=stop)


def _plan_calls(demo, acts, person, town, lapsed, span, *, stop=None, sure=False) -> None:
    """Welfare calls about every ``CALL_EVERY`` days from the year's start (or the
    person's first day on the ledger). ``sure``: one reaches them this quarter (the
    stories' people, whom the history does not visit). A lapsed person's calls stop
    before the quarter; half of them were tried once since, unanswered."""
    rng = demo.rng
    start, end = span
    quarter = quarter_start(demo.now)
    if stop is None:
        stop = quarter - timedelta(days=rng.randint(5, 40)) if lapsed else end
    first = max(person.created_at, start)
    t = first + timedelta(days=rng.randint(1, CALL_EVERY))
    worker = rng.choice(town.workers)
    while t < stop:
        when = demo.local_daytime(t)
        if when < stop:
            acts.add(Act(town, [(when, "call")], worker=worker, person=person))
        t += timedelta(days=rng.randint(CALL_EVERY - 15, CALL_EVERY + 15))
    since = max(quarter, person.created_at) + timedelta(hours=2)
    days = max(0, (end - since).days - 1)
    when = demo.local_daytime(since + timedelta(days=rng.randint(0, days)))
    if since < when < end:
        if lapsed and rng.random() < 0.5:
            acts.add(Act(town, [(when, "call_unanswered")], worker=worker, person=person))
        elif sure and not lapsed:
            acts.add(Act(town, [(when, "call_reached")], worker=worker, person=person))


# ---- requests ------------------------------------------------------------------------------

# (the way it goes, weight): the steps after the request comes in.
_WAYS = [
    ("volunteer", 46),
    ("not_solved", 5),
    ("worker", 22),
    ("station_close", 10),
    ("auto", 5),
    ("rejected", 6),
    ("cancelled", 6),
]
_PEOPLE_CATEGORIES = {
    "left_behind_child": ["tutoring", "companionship", "resource_linking"],
    "child_in_difficulty": ["assistance_application", "tutoring", "emotional_support"],
    "left_behind_woman": ["emotional_support", "policy_consultation", "resource_linking"],
    "disabled": ["medical_escort", "assistance_application", "shopping"],
    "tekun": ["meal_delivery", "cleaning", "medical_escort"],
    "elderly_alone": ["shopping", "meal_delivery", "haircut", "safety_check", "companionship"],
    "dibao": ["assistance_application", "policy_consultation", "resource_linking"],
}


def _plan_requests(demo: Demo, acts, town: Town, start, end, lapsed_ids: set[int]) -> None:
    """Each month's requests at the town's stations; a third or more about its ledger's
    people (none this quarter about those its workers lost touch with)."""
    rng = demo.rng
    # The demo station is busy; so is 古城镇, whose workers the requests kept from visits.
    busy = town.name in (D.DEMO_STATION, D.UNDER_COVERED)
    low, high = DEMO_STATION_REQUESTS if busy else REQUESTS_PER_MONTH
    people = town.history
    ways, weights = zip(*_WAYS, strict=True)
    month_start = start
    while month_start < end:
        month_end = _next_month(month_start)
        for _n in range(rng.randint(low, high)):
            created = month_start + timedelta(
                minutes=rng.randint(0, int((month_end - month_start).total_seconds() // 60) - 1)
            )
            created = demo.local_daytime(created)
            way = rng.choices(ways, weights)[0]
            about = people
            if created >= quarter_start(demo.now) - timedelta(days=3):
                about = [p for p in people if p.id not in lapsed_ids]
            act = _request_act(demo, town, way, created, about)
            if act is not None and act.steps[-1][0] < end:
                acts.add(act)
        month_start = month_end


def _next_month(t: datetime) -> datetime:
    local = t + LOCAL_OFFSET
    month = local.year * 12 + local.month  # the next month, zero-based
    return datetime(month // 12, month % 12 + 1, 1) - LOCAL_OFFSET


def _request_act(demo: Demo, town: Town, way: str, created: datetime, people) -> Act | None:
    rng = demo.rng
    urgency = rng.choices(["normal", "urgent", "crisis"], [78, 17, 5])[0]
    known = [p for p in people if p.created_at < created]
    person = rng.choice(known) if known and rng.random() < 0.45 else None
    if urgency == "crisis":
        category = "crisis_intervention"
    elif way in ("worker", "station_close") and rng.random() < 0.6:
        category = "emotional_support" if rng.random() < 0.7 else "needs_assessment"
    elif person is not None:
        category = rng.choice(_PEOPLE_CATEGORIES[person.special_groups[0]])
    else:
        pool = [c for c in D.DESCRIPTIONS if c not in SOCIAL_WORKER_ONLY]
        weights = [
            6 if c in ("shopping", "companionship", "medical_escort", "meal_delivery") else 2
            for c in pool
        ]
        category = rng.choices(pool, weights)[0]
    if category in SOCIAL_WORKER_ONLY and way in ("volunteer", "not_solved", "auto"):
        way = "worker"
    worker = rng.choice(town.workers)
    story = Story(town, "closed", "confirm", worker, [], [], created)
    act = Act(town, [], worker=worker, person=person)
    act.fields = intake_fields(demo, story, category, person, urgency)
    if act.fields["special_groups"] == [] and rng.random() < 0.15:
        act.fields["special_groups"] = ["left_behind_woman"]
    act.steps = _steps(demo, way, urgency, created)
    return act


def _steps(demo: Demo, way: str, urgency: str, created: datetime) -> list[tuple[datetime, str]]:
    r = demo.rng.randint
    late = demo.rng.random() < 0.12  # past the response target
    accept = {
        "crisis": r(16, 50) if late else r(3, 14),
        "urgent": r(125, 400) if late else r(10, 110),
        "normal": r(1450, 3000) if late else r(20, 900),
    }[urgency]
    names = {
        "volunteer": ["accept", "take", "check_in", "check_out", "confirm"],
        "not_solved": [
            "accept",
            "take",
            "check_in",
            "check_out",
            "not_solved",
            "check_in",
            "check_out",
            "confirm",
        ],
        "worker": ["accept", "assign_worker", "check_in", "check_out", "confirm"],
        "station_close": ["accept", "assign_worker", "close_served"],
        "auto": ["accept", "take", "check_in", "check_out", "auto_close"],
        "rejected": ["reject"],
        "cancelled": ["cancel"],
    }[way]
    gaps = {
        "accept": accept,
        "reject": accept,
        "cancel": r(30, 600),
        "take": r(2, 40) if urgency != "normal" else r(10, 240),
        "assign_worker": r(5, 60),
        "check_out": r(30, 180),
        "not_solved": r(120, 1440),
        "confirm": r(60, 2880),
        "close_served": r(600, 2880),
        "auto_close": reminders.auto_close_days() * 24 * 60 + r(1, 60),
    }
    steps, t = [(created, "submit")], created
    for name in names:
        t = t + timedelta(minutes=gaps[name] if name != "check_in" else r(*_check_in(urgency)))
        steps.append((t, name))
    return steps


def _check_in(urgency: str) -> tuple[int, int]:
    return (20, 90) if urgency != "normal" else (60, 2400)


# ---- playing it ----------------------------------------------------------------------------


class Timeline:
    """Every act's steps in the order of time; ties in the order the acts were planned."""

    def __init__(self) -> None:
        self.due: list[tuple[datetime, int, int, Act]] = []
        self.planned = 0

    def add(self, act: Act) -> None:
        self.planned += 1
        heapq.heappush(self.due, (act.steps[0][0], self.planned, 0, act))


def _play(demo: Demo, acts: Timeline, made: dict) -> None:
    player = _Player(demo, made)
    played = 0
    while acts.due:
        played += 1
        if played % 400 == 0:
            db.session.flush()
            db.session.expire_all()
        when, seq, step_no, act = heapq.heappop(acts.due)
        demo.at(when)
        name = act.steps[step_no][1]
        try:
            getattr(player, name)(act)
        except ServiceError:
            continue  # the rules refused: the story ends where it is
        if step_no + 1 < len(act.steps):
            heapq.heappush(acts.due, (act.steps[step_no + 1][0], seq, step_no + 1, act))


class _Player:
    def __init__(self, demo: Demo, made: dict) -> None:
        self.demo = demo
        self.rng = demo.rng
        self.made = made

    # ---- the ledger

    def visit(self, act: Act) -> None:
        rng = self.rng
        ledger.record_visit(
            act.person,
            act.worker,
            living_conditions=rng.choices(["good", "fair", "poor"], [5, 4, 1])[0],
            health=rng.choices(["good", "fair", "poor", "needs_care"], [3, 5, 2, 1])[0],
            needs_found=rng.choice(D.HISTORY_VISIT_NEEDS),
            follow_up=rng.choice(D.HISTORY_FOLLOW_UPS),
            minutes=rng.choice([20, 30, 30, 40, 45, 60, 90]),
        )
        self.made["visits"] += 1

    def call(self, act: Act, outcome: str | None = None) -> None:
        rng = self.rng
        person = act.person
        if outcome is None:
            minor = person.is_minor
            outcome = rng.choices(
                ["reached", "reached_guardian", "no_answer", "wrong_number"],
                [2, 6, 2, 0.3] if minor else [14, 2, 4, 1],
            )[0]
            if outcome == "reached" and not person.phone:
                outcome = "reached_guardian"
        served = outcome in CALLS_SERVED
        ledger.log_call(
            person,
            act.worker,
            outcome=outcome,
            minutes=rng.randint(5, 25) if served else None,
            note=rng.choice(D.CALL_NOTES[outcome]),
        )
        self.made["calls"] += 1

    def call_unanswered(self, act: Act) -> None:
        self.call(act, "no_answer")

    def call_reached(self, act: Act) -> None:
        self.call(act, "reached" if act.person.phone else "reached_guardian")

    # ---- requests

    def submit(self, act: Act) -> None:
        act.request = intake.submit_request(**act.fields)
        self.made["requests"] += 1

    def accept(self, act: Act) -> None:
        console.accept(act.request, act.worker)

    def reject(self, act: Act) -> None:
        console.reject(act.request, act.worker, self.rng.choice(D.REJECT_NOTES))

    def cancel(self, act: Act) -> None:
        tracking.cancel(act.request, reason=self.rng.choice(D.CANCEL_NOTES))

    def take(self, act: Act) -> None:
        """A volunteer (or team) who had the offer then says yes; when none who was already
        with the station then did, the worker does it."""
        now = self.demo.clock.at
        for offer in sorted(offers.pending_offers(act.request), key=lambda o: (o.round, o.rank)):
            holder = offers.offer_recipient(offer)
            if holder is None or holder.username in DEMO_USERS:
                continue
            team = offer.team
            if team is not None and min(m.joined_at for m in team.members) > now:
                continue  # the team was not formed yet
            profile = holder.volunteer
            if profile is None or profile.approved_at is None or profile.approved_at > now:
                continue
            try:
                act.claim = claims.accept_offer(
                    offer, user=holder, via=self.rng.choice(["web", "sms"])
                )
            except ServiceError:
                continue
            act.doer = holder
            return
        # Nobody answered in time: the worker asks a volunteer of the station they know.
        volunteers = [
            v
            for v in act.town.volunteers
            if v.username not in DEMO_USERS
            and v.volunteer.approved_at is not None
            and v.volunteer.approved_at < now
            and v.volunteer.status == "approved"
        ]
        for volunteer in self.rng.sample(volunteers, min(3, len(volunteers))):
            try:
                act.claim = console.assign(act.request, act.worker, volunteer=volunteer)
            except ServiceError:
                continue
            act.doer = volunteer
            return
        self.assign_worker(act)

    def assign_worker(self, act: Act) -> None:
        note = D.ASSIGN_NOTES.get(act.request.category, "")
        act.claim = console.assign(act.request, act.worker, worker=act.worker, note=note)
        act.doer = act.worker

    def check_in(self, act: Act) -> None:
        request = act.request
        lat = lon = None
        if request.lat is not None:
            lat, lon = self.demo.jitter(request.lat, request.lon, 0.05)
        claims.check_in(act.claim, actor=act.doer, lat=lat, lon=lon)

    def check_out(self, act: Act) -> None:
        check_out_now(self.demo, act.claim, act.doer, act.request.category)

    def not_solved(self, act: Act) -> None:
        tracking.not_solved(act.request, note=self.rng.choice(D.NOT_SOLVED_NOTES))

    def confirm(self, act: Act) -> None:
        tracking.confirm_done(act.request)
        if self.rng.random() < 0.72:
            self.demo.clock.advance(minutes=1)
            stars = self.rng.choices([5, 4, 3, 2, 1], [60, 28, 7, 3, 2])[0]
            comments = D.RATING_COMMENTS.get(stars) or D.LOW_RATING_COMMENTS[stars]
            tracking.rate(act.request, stars=stars, comment=self.rng.choice(comments))

    def close_served(self, act: Act) -> None:
        console.close(
            act.request,
            act.worker,
            self.rng.choice(D.STATION_SERVED_OUTCOMES),
            served=True,
            hours=self.rng.choice(["0.5", "1", "1.5", "2"]),
        )

    def auto_close(self, act: Act) -> None:
        reminders.auto_close(act.request)
