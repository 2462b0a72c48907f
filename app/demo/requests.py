"""The 100 requests' plans: who asks for what, where, and when each step of its story is
due. Nothing is written here; ``stories`` plays the plans through the use cases.

Each plan is (township, the status its story ends in, a variant of the way there). The
times are laid backwards from the fixed ``now``: a request that ends "closed" was made
weeks ago, one still "new" minutes or (overdue) a day or two ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from app.demo import data as D
from app.demo.state import LOCAL_OFFSET, Demo, Town
from app.models import Beneficiary, Claim, HelpRequest, User
from app.models.vocab import MINOR_GROUPS, SOCIAL_WORKER_ONLY
from app.services import reminders


@dataclass
class Story:
    town: Town
    status: str  # the status the story should end in
    variant: str
    worker: User
    steps: list[str]
    times: list[datetime]  # one per step
    created: datetime
    fields: dict = field(default_factory=dict)  # intake.submit_request's arguments
    request: HelpRequest | None = None
    claim: Claim | None = None
    claimer: User | None = None  # who took it on (a team's leader for a team)
    doer: User | None = None  # who goes (the member the leader gave it to)
    stopped: str = ""  # the step the rules refused, if any
    for_demo_volunteer: bool = False  # the demo volunteer takes it from the nearby list
    duplicate_of: Story | None = None  # the open request this one repeats (merged into it)


def request_plan(demo: Demo) -> list[tuple[str, str, str]]:
    """(township, final status, path variant) for every request."""
    plan: list[tuple[str, str, str]] = []
    liulin = {
        "new": ["web", "web", "overdue", "sms", "hotline"],
        "accepted": ["plain", "plain", "overdue"],
        "offered": ["plain", "plain", "round2", "escalated"],
        "assigned": ["claim", "team", "release", "worker"],
        "in_progress": ["claim", "team", "crisis"],
        "done": ["claim", "claim", "team", "worker"],
        "closed": ["confirm"] * 7 + ["reopen", "auto", "station_close", "team", "worker"],
        "rejected": ["plain", "plain"],
        "cancelled": ["resident", "after_accept", "merge"],
    }
    for status, variants in liulin.items():
        plan += [(D.DEMO_STATION, status, v) for v in variants]
    for n, town in enumerate(D.STAFFED[1:]):
        statuses = ["new", "accepted", "offered", "assigned", "in_progress", "done", "closed"]
        statuses.append("rejected" if n == 1 else "cancelled" if n in (2, 4) else "closed")
        for status in statuses:
            variant = {
                "new": "web",
                "closed": "confirm",
                "assigned": "claim",
                "in_progress": "claim",
                "done": "claim",
                "cancelled": "resident",
            }.get(status, "plain")
            plan.append((town, status, variant))
    others = [n for n in demo.towns if n not in D.STAFFED]
    tail = [
        ("new", "overdue"),
        ("new", "overdue"),
        ("new", "overdue"),
        ("new", "web"),
        ("new", "sms"),
        ("new", "web"),
        ("accepted", "plain"),
        ("accepted", "overdue_escalated"),
        ("offered", "escalated"),
        ("offered", "plain"),
        ("closed", "confirm"),
        ("closed", "confirm"),
    ]
    for k, (status, variant) in enumerate(tail):
        plan.append((others[(k * 5) % len(others)], status, variant))
    return plan


def path(status: str, variant: str, category: str) -> list[str]:
    """The steps of a story, each one use case (see ``stories.STEPS``)."""
    if category in SOCIAL_WORKER_ONLY:
        to_assigned = ["accept", "assign_worker"]
    elif variant == "team":
        to_assigned = ["accept", "claim_team"]
    elif variant == "release":
        to_assigned = ["accept", "claim", "release", "claim"]
    else:
        to_assigned = ["accept", "claim"]
    done = [*to_assigned, "check_in", "check_out"]
    if status == "closed":
        if variant == "reopen":
            return [*done, "reopen", "check_in", "check_out", "confirm"]
        if variant == "station_close":
            return [*to_assigned, "close"]
        if variant == "auto":
            return [*done, "auto_close"]
        return [*done, "confirm"]
    return {
        "new": [],
        "accepted": ["accept", "escalate"] if variant == "overdue_escalated" else ["accept"],
        "offered": (
            ["accept", "decline_all"]
            if variant == "round2"
            else ["accept", "expire", "expire", "expire"]
            if variant == "escalated"
            else ["accept"]
        ),
        "assigned": to_assigned,
        "in_progress": [*to_assigned, "check_in"],
        "done": done,
        "rejected": ["reject"],
        "cancelled": (
            ["accept", "cancel"]
            if variant == "after_accept"
            else ["merge"]
            if variant == "merge"
            else ["cancel"]
        ),
    }[status]


def gap(demo: Demo, step: str, urgency: str) -> int:
    """Minutes between the previous event and this one. Answers to an offer come before it
    expires (60 minutes, 15 when urgent); the worker's expiry job runs a minute after."""
    r = demo.rng.randint
    fast = urgency != "normal"
    ttl = current_app.config["OFFER_TTL_URGENT_MINUTES" if fast else "OFFER_TTL_MINUTES"]
    return {
        "expire": int(ttl) + 1,
        "auto_close": reminders.auto_close_days() * 24 * 60 + r(1, 60),
        "accept": r(3, 25) if fast else r(20, 300),
        "reject": r(30, 240),
        "cancel": r(30, 600),
        "merge": r(10, 90),
        "decline_all": r(2, 10) if fast else r(5, 40),
        "escalate": r(8 * 60, 20 * 60),
        "claim": r(2, 12) if fast else r(5, 50),
        "claim_team": r(2, 12) if fast else r(10, 55),
        "assign_worker": r(5, 40),
        "release": r(120, 600),
        "check_in": r(60, 1800) if not fast else r(20, 90),
        "check_out": r(40, 180),
        "confirm": r(60, 2880),
        "close": r(600, 2880),
        "reopen": r(60, 600),
    }[step]


def tail(demo: Demo, status: str, variant: str) -> int:
    """Minutes between the last event and now."""
    r = demo.rng.randint
    if variant.startswith("overdue"):
        return r(26 * 60, 60 * 60)
    return {
        "new": r(8, 300),
        "accepted": r(30, 600),
        "offered": r(150, 400) if variant == "escalated" else r(5, 40),
        "assigned": r(60, 1200),
        "in_progress": r(20, 100),
        "done": r(180, 5 * 24 * 60),
        "closed": r(24 * 60, 50 * 24 * 60),
        "rejected": r(24 * 60, 30 * 24 * 60),
        "cancelled": r(24 * 60, 20 * 24 * 60),
    }[status]


# The demo station's requests the demo volunteer takes on, so their pages show tasks
# under way and done (two still open leave room under their limit of three for more).
DEMO_VOLUNTEER_TAKES = {
    ("assigned", "claim"): 1,
    ("in_progress", "claim"): 1,
    ("closed", "confirm"): 4,
}
DEMO_VOLUNTEER_SKILLS = ["shopping", "companionship", "tutoring", "medical_escort"]


def pick_category(demo: Demo, town: Town, status: str, variant: str, created: datetime):
    """(category, beneficiary or None). A request "accepted" and waiting is one only a
    social worker may take: any other is offered to volunteers as it is accepted."""
    rng = demo.rng
    if variant == "for_demo_volunteer":
        return rng.choice(DEMO_VOLUNTEER_SKILLS), None
    known = [p for p in town.beneficiaries if p.created_at < created]
    if variant in ("worker", "crisis") or status == "accepted":
        category = "crisis_intervention" if variant == "crisis" else "emotional_support"
        person = rng.choice(known) if known and variant == "worker" else None
        return category, person
    if known and rng.random() < 0.4:
        person = rng.choice(known)
        groups = set(person.special_groups)
        if groups & MINOR_GROUPS:
            choices = ["tutoring", "companionship", "resource_linking", "assistance_application"]
        elif "homeless" in groups:
            choices = ["needs_assessment", "resource_linking", "medical_escort"]
        elif "disabled" in groups:
            choices = ["policy_consultation", "medical_escort", "other", "shopping"]
        else:
            choices = [
                "shopping",
                "meal_delivery",
                "cleaning",
                "haircut",
                "medical_escort",
                "companionship",
                "safety_check",
                "assistance_application",
            ]
        return rng.choice(choices), person
    pool = [c for c in D.DESCRIPTIONS if c not in SOCIAL_WORKER_ONLY]
    weights = [
        6 if c in ("shopping", "companionship", "medical_escort", "meal_delivery") else 2
        for c in pool
    ]
    return rng.choices(pool, weights)[0], None


def plan_story(demo: Demo, township: str, status: str, variant: str, takes: dict) -> Story:
    rng = demo.rng
    for_demo = township == D.DEMO_STATION and takes.get((status, variant), 0) > 0
    if for_demo:
        takes[(status, variant)] -= 1
    town = demo.towns[township]
    # The shape of the story first: when it starts decides whom it can be about.
    probe = "crisis_intervention" if variant == "crisis" else "shopping"
    if status == "accepted" or variant == "worker":
        probe = "emotional_support"
    urgency = (
        "crisis"
        if variant == "crisis"
        else "urgent"
        if rng.random() < 0.15 or variant == "escalated"
        else "normal"
    )
    steps = path(status, variant, probe)
    gaps = [gap(demo, step, urgency) for step in steps]
    last = tail(demo, status, variant)
    created = demo.now - timedelta(minutes=sum(gaps) + last)
    if last > 24 * 60:
        # Older requests: start them in daytime, Beijing time.
        local_hour = demo.local(created).hour
        if local_hour < 7 or local_hour > 20:
            created -= timedelta(hours=(local_hour - 10) % 24)
    times, t = [], created
    for minutes in gaps:
        t = t + timedelta(minutes=minutes)
        times.append(t)
    category, person = pick_category(
        demo, town, status, "for_demo_volunteer" if for_demo else variant, created
    )
    worker = rng.choice(demo.workers_of(town))
    story = Story(town, status, variant, worker, steps, times, created)
    story.for_demo_volunteer = for_demo
    story.fields = intake_fields(demo, story, category, person, urgency)
    return story


def intake_fields(
    demo: Demo, story: Story, category: str, person: Beneficiary | None, urgency: str
) -> dict:
    rng, town, variant = demo.rng, story.town, story.variant
    village = person.village if person is not None and person.village is not None else None
    village = village or rng.choice(town.villages)
    channel = "sms" if variant == "sms" else "hotline" if variant == "hotline" else None
    if channel is None:
        channel = (
            rng.choice(["proxy", "visit", "hotline"])
            if person is not None
            else rng.choices(["web", "web", "sms", "hotline"], [5, 3, 2, 2])[0]
        )
    staff = channel in ("proxy", "visit", "hotline") and rng.random() < 0.8
    submitter = story.worker if staff else None
    if person is not None:
        phone = person.phone or person.guardian_phone or demo.mobile()
        for_whom = "self" if person.phone and channel != "proxy" else "family"
        contact_name = person.name if for_whom == "self" else person.guardian_name or person.name
        groups = list(person.special_groups)
    else:
        phone = demo.mobile()
        for_whom = rng.choices(["self", "family", "neighbour"], [5, 3, 2])[0]
        contact_name = demo.person_name(rng.choice(["old", "mid"]), rng.choice("FM"))
        groups = ["elderly_alone"] if rng.random() < 0.3 and category != "tutoring" else []
    if category == "tutoring" and person is None:
        # Tutoring is asked for children: in this county mostly left-behind ones.
        groups, for_whom = ["left_behind_child"], "family"
        contact_name = demo.person_name("old", rng.choice("FM"))
    minor = bool(set(groups) & MINOR_GROUPS)
    texts = D.CHILD_DESCRIPTIONS if minor else D.DESCRIPTIONS
    gps = channel == "web" and rng.random() < 0.6
    lat, lon = demo.jitter(village.lat, village.lon, 0.6) if gps else (None, None)
    wanted_at, wanted_note = None, "越快越好"
    if story.status in ("offered", "accepted", "new") and not variant.startswith("overdue"):
        local_day = demo.local(demo.now).date() + timedelta(days=rng.randint(1, 3))
        wanted = datetime.combine(local_day, datetime.min.time()) + timedelta(
            hours=rng.choice([9, 10, 14, 15])
        )
        wanted_at = wanted - LOCAL_OFFSET
        wanted_note = rng.choice(["", "上午", "下午", "周末都行"])
    return {
        "category": category,
        "description": rng.choice(texts.get(category) or D.DESCRIPTIONS[category]),
        "special_groups": groups,
        "for_whom": for_whom,
        "urgency": urgency,
        "lat": lat,
        "lon": lon,
        "village_id": village.id,
        "address": person.address if person is not None else demo.house_address(village),
        "wanted_at": wanted_at,
        "wanted_note": wanted_note,
        "contact_phone": phone,
        "contact_name": contact_name,
        "channel": channel,
        "language": "zh",
        "consent": True,
        "consent_by": contact_name if for_whom != "self" else "",
        "consent_method": (
            {"visit": "visit", "sms": "sms"}.get(channel, "phone") if for_whom != "self" else ""
        ),
        "by": submitter,
        "beneficiary": person,
        "actor_label": "staff" if submitter else "sms" if channel == "sms" else "resident",
    }


def plan_all(demo: Demo) -> list[Story]:
    takes = dict(DEMO_VOLUNTEER_TAKES)
    stories = [plan_story(demo, *entry, takes) for entry in request_plan(demo)]
    _make_the_duplicate(demo, stories)
    return stories


def _make_the_duplicate(demo: Demo, stories: list[Story]) -> None:
    """The merged request is the same person asking again for the same help while the
    first is still open (an "accepted" one at the demo station, made a day or two ago):
    intake marks it a possible duplicate, and the worker merges it."""
    duplicate = next(s for s in stories if s.variant == "merge")
    first = next(
        s
        for s in stories
        if s.town is duplicate.town and s.status == "accepted" and s.variant == "overdue"
    )
    same = ("category", "special_groups", "for_whom", "village_id", "address", "contact_phone")
    duplicate.fields.update({key: first.fields[key] for key in same})
    duplicate.fields.update(contact_name=first.fields["contact_name"], beneficiary=None)
    duplicate.fields["description"] = first.fields["description"]
    duplicate.created = first.created + timedelta(minutes=demo.rng.randint(120, 600))
    duplicate.times = [duplicate.created + timedelta(minutes=demo.rng.randint(10, 90))]
    duplicate.duplicate_of = first
