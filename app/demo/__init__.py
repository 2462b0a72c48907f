"""``flask seed-demo``: a realistic demo county (清源县) with its stations, people and
requests, made by the app's own use cases so it can only show what the rules allow.

Deterministic: one ``random.Random`` with a fixed seed makes every choice, and a fixed
clock (``clock.frozen_at``) and seeded codes (``clock.seeded_codes``) make every use case
stamp and name things the same way on every run, relative to ``now``. Idempotent: the
county's region code is the marker, so a second run adds nothing.

Never commits (a service rule): the ``seed-demo`` command commits the whole county once.

    county.py    regions, stations, staff, volunteers (approved by admin.approve), teams
    ledger.py    the people the stations look after, their care plans and visits
    requests.py  what each of the 100 requests is and when each step of its story is due
    stories.py   the steps played through intake, console, offers, claims and tracking
    history.py   twelve months of visits, calls and requests before them (issue 15)
    activities.py  community activities held and upcoming, with sign-ups (issue 18)
    wishes.py    the demo station's micro-wish board and resources ledger (issue 18)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.demo import activities as demo_activities
from app.demo import county, history, ledger, requests, stories, wishes
from app.demo import data as D
from app.demo.clock import frozen_at, seeded_codes
from app.demo.state import DEMO_PASSWORD, Demo
from app.extensions import db
from app.models import OutboxMessage, Region
from app.models.base import utcnow
from app.services.notifications import delivery

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "DemoLogin", "login_lines", "seed_demo"]


@dataclass(frozen=True)
class DemoLogin:
    role: str  # the role code the account holds
    label: str  # what the printed line calls it
    username: str
    phone: str  # E.164
    station: str  # where the person works or volunteers

    @property
    def national_phone(self) -> str:
        return self.phone[3:] if self.phone.startswith("+86") else self.phone


DEMO_LOGINS: list[DemoLogin] = [
    DemoLogin(
        "social_worker", "Social worker 驻站社工", "shegong", "+8613703740001", "柳林镇社工站"
    ),
    DemoLogin("station_admin", "Station admin 站长", "zhanzhang", "+8613703740002", "柳林镇社工站"),
    DemoLogin(
        "county_supervisor",
        "County supervisor 县级督导",
        "dudao",
        "+8613703740003",
        "清源县社会工作指导中心",
    ),
    DemoLogin("volunteer", "Volunteer 志愿者", "zhiyuanzhe", "+8613703740101", "柳林镇张庄村"),
    DemoLogin(
        "team_leader",
        "Team leader 志愿服务队队长",
        "duizhang",
        "+8613703740102",
        "柳林镇青年志愿者服务队",
    ),
]


def seed_demo(
    if_empty: bool = False, *, now: datetime | None = None, months: int = history.MONTHS
) -> list[str]:
    """Build the demo county unless it is there (flushes; the caller commits). Returns
    the lines to print. ``now``: the moment the stories lead up to (default: this minute).
    ``months``: of history before it (0: the stories' weeks alone, for their tests)."""
    marker = db.session.scalar(select(Region.id).where(Region.code == D.COUNTY_CODE))
    if marker is not None:
        return [
            f"Demo data already present ({D.COUNTY_NAME} {D.COUNTY_CODE}): nothing added.",
            *login_lines(),
        ]
    if if_empty and db.session.scalar(select(func.count(Region.id))):
        return ["The database already has regions: demo data not added (--if-empty)."]
    now = (now or utcnow()).replace(second=0, microsecond=0)
    return [build(now, months), *login_lines()]


def build(now: datetime, months: int = history.MONTHS) -> str:
    before = db.session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))
    with frozen_at(now) as clock:
        demo = Demo(now, clock)
        with seeded_codes(demo.rng):
            county.build_geography(demo)
            county.build_staff(demo)
            county.build_volunteers(demo)
            county.build_teams(demo)
            ledger.build_beneficiaries(demo)
            planned = requests.plan_all(demo)
            stories.play(demo, planned)
            year = history.build(demo, months)
            board = wishes.build_wishes(demo)
            held = demo_activities.build(demo)  # issue 18: last, its dice change nothing
        # The county's weeks of texts went out as they happened: none is sent again now.
        sms = delivery.record_sent_earlier(before)
    c = demo.counts
    return (
        f"Demo county {D.COUNTY_NAME} ({D.COUNTY_CODE}): {len(demo.towns)} townships, "
        f"{c['villages']} villages, {c['stations']} stations, {len(demo.staff)} staff, "
        f"{c['volunteers']} volunteers in {c['teams']} teams, "
        f"{c['beneficiaries'] + year['people']} beneficiaries, {len(planned)} requests "
        f"under way or lately done; over {months} months {year['requests']} more requests, "
        f"{year['visits']} home visits and {year['calls']} welfare calls; "
        f"{board['wishes']} micro-wishes and {board['resources']} donations; "
        f"{held['held']} community activities held, {held['upcoming']} upcoming; {sms} SMS sent."
    )


def login_lines() -> list[str]:
    lines = [f"Demo logins (phone number or username; password for all: {DEMO_PASSWORD})"]
    for login in DEMO_LOGINS:
        lines.append(
            f"  {login.national_phone} / {login.username:<10}  {login.label} — {login.station}"
        )
    return lines
