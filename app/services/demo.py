"""``flask seed-demo``: a realistic demo county (清源县) with its stations, people and requests.

Deterministic (one ``random.Random`` with a fixed seed; times are relative to now so the
demo always looks current) and idempotent: the county's region code is the marker, so a
second run adds nothing. Every status change goes through ``app.services.workflow``; the
workflow's clock is set back while seeding, so each event, each request timestamp
(accepted_at, assigned_at, …) and the escalation time tell one consistent story.

Rows are added in bulk and committed once: the whole county takes a few seconds.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    Beneficiary,
    Claim,
    HelpRequest,
    Offer,
    OutboxMessage,
    Region,
    ServiceRecord,
    Station,
    Team,
    TeamMember,
    User,
    Visit,
    VolunteerProfile,
)
from app.models.base import utcnow
from app.models.vocab import CATEGORIES, MINOR_GROUPS, SOCIAL_WORKER_ONLY
from app.services import demo_data as D
from app.services import workflow
from app.services.codes import ALPHABET

SEED = 20260301
DEMO_PASSWORD = "linli2026"
LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai, no daylight saving

VOLUNTEER_COUNT = 200
BENEFICIARY_COUNT = 60


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


DEMO_STATION = "柳林镇"  # the township whose station the demo worker and admin run
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

# Staff: (username, phone, name, roles, township name or None for the county centre)
_STAFF = [
    ("shegong", "+8613703740001", "李晓燕", ("social_worker",), "柳林镇"),
    ("zhanzhang", "+8613703740002", "王建华", ("station_admin", "social_worker"), "柳林镇"),
    ("dudao", "+8613703740003", "陈志刚", ("county_supervisor",), None),
    ("shegong2", "+8613703740004", "赵雨桐", ("social_worker",), "柳林镇"),
    ("xianshegong", "+8613703740005", "周丽娟", ("social_worker",), None),
    ("chengguan", "+8613703740006", "刘海燕", ("social_worker",), "城关街道"),
    ("chengguan-zz", "+8613703740007", "孙卫东", ("station_admin",), "城关街道"),
    ("shiqiao", "+8613703740008", "郭思琪", ("social_worker",), "石桥镇"),
    ("gucheng", "+8613703740009", "马俊杰", ("social_worker",), "古城镇"),
    ("mafang", "+8613703740010", "杨佳怡", ("social_worker",), "马坊镇"),
    ("dongcheng", "+8613703740011", "黄宏伟", ("social_worker",), "东城街道"),
    ("shuanghe", "+8613703740012", "高静", ("social_worker",), "双河镇"),
]
STAFFED = ["柳林镇", "城关街道", "石桥镇", "古城镇", "马坊镇", "东城街道", "双河镇"]

VOLUNTEER_SKILLS = [c for c in CATEGORIES if c not in SOCIAL_WORKER_ONLY]
# Weights: everyday help is what most volunteers offer.
_SKILL_WEIGHTS = {
    "shopping": 10,
    "companionship": 10,
    "meal_delivery": 7,
    "cleaning": 7,
    "medical_escort": 5,
    "tutoring": 5,
    "haircut": 3,
    "safety_check": 3,
    "policy_consultation": 2,
    "resource_linking": 2,
    "needs_assessment": 1,
    "assistance_application": 2,
    "other": 2,
}
_AVAILABILITY = [
    [{"day": d, "start": "18:30", "end": "21:00"} for d in range(5)],
    [
        {"day": d, "start": s, "end": e}
        for d in (5, 6)
        for s, e in (("08:00", "12:00"), ("14:00", "18:00"))
    ],
    [{"day": d, "start": "08:00", "end": "11:30"} for d in range(7)],
    [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    [
        {"day": 1, "start": "14:00", "end": "17:00"},
        {"day": 3, "start": "14:00", "end": "17:00"},
        {"day": 5, "start": "09:00", "end": "12:00"},
    ],
]
_MOBILE_PREFIXES = (
    "135 136 137 138 139 150 151 152 158 159 182 183 187 188 130 131 132 155 156 185 186 "
    "133 153 180 189 177 199"
).split()


# --- public entry point -----------------------------------------------------------------


def seed_demo(if_empty: bool = False) -> list[str]:
    """Build the demo county unless it is there. Returns the lines to print."""
    marker = db.session.scalar(select(Region.id).where(Region.code == D.COUNTY_CODE))
    if marker is not None:
        return [
            f"Demo data already present ({D.COUNTY_NAME} {D.COUNTY_CODE}): nothing added.",
            *login_lines(),
        ]
    if if_empty and db.session.scalar(select(func.count(Region.id))):
        return ["The database already has regions: demo data not added (--if-empty)."]
    builder = _Builder()
    summary = builder.build()
    db.session.commit()
    return [summary, *login_lines()]


def login_lines() -> list[str]:
    lines = [f"Demo logins (phone number or username; password for all: {DEMO_PASSWORD})"]
    for login in DEMO_LOGINS:
        lines.append(
            f"  {login.national_phone} / {login.username:<10}  {login.label} — {login.station}"
        )
    return lines


# --- building -----------------------------------------------------------------------------


@dataclass
class _Town:
    name: str
    region: Region
    station: Station
    villages: list[Region] = field(default_factory=list)
    workers: list[User] = field(default_factory=list)
    admin: User | None = None
    volunteers: list[User] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    beneficiaries: list[Beneficiary] = field(default_factory=list)


class _Clock:
    """The workflow's clock while seeding: every event lands at the time we choose."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def __call__(self) -> datetime:
        return self.at


def _km_to_deg(lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    return north_km / 110.574, east_km / (111.320 * math.cos(math.radians(lat)))


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


class _Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.now = utcnow().replace(microsecond=0)
        self.clock = _Clock(self.now)
        self.password_hash = generate_password_hash(DEMO_PASSWORD)
        self.towns: dict[str, _Town] = {}
        self.village_station: dict[int, Station] = {}
        self.village_town: dict[str, _Town] = {}
        self.county: Region | None = None
        self.centre: Station | None = None
        self.county_worker: User | None = None
        self.staff: dict[str, User] = {}
        self.used_phones: set[str] = set(
            p for p in db.session.scalars(select(User.phone)) if p is not None
        )
        self.used_codes: set[str] = set(db.session.scalars(select(HelpRequest.code)))
        self.used_names: set[str] = set()
        self.reply_codes: dict[int, set[str]] = defaultdict(set)
        self.profiles: dict[int, VolunteerProfile] = {}
        self.open_tasks: dict[int, int] = defaultdict(int)
        self.requests: list[HelpRequest] = []
        self.after_flush: list = []
        self.counts: dict[str, int] = defaultdict(int)
        self.demo_offers = 0
        self.demo_wins = 0
        self.demo_volunteer_id: int | None = None

    # ---- small helpers

    def local(self, t: datetime) -> datetime:
        return t + LOCAL_OFFSET

    def jitter(self, lat: float, lon: float, km: float) -> tuple[float, float]:
        r = km * math.sqrt(self.rng.random())
        a = self.rng.random() * 2 * math.pi
        dlat, dlon = _km_to_deg(lat, r * math.cos(a), r * math.sin(a))
        return round(lat + dlat, 6), round(lon + dlon, 6)

    def mobile(self) -> str:
        while True:
            phone = f"+86{self.rng.choice(_MOBILE_PREFIXES)}{self.rng.randint(0, 99999999):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def person_name(self, age: str, gender: str) -> str:
        for _attempt in range(8):
            name = self.rng.choice(D.SURNAMES) + self.rng.choice(D.GIVEN[(age, gender)])
            if name not in self.used_names:
                break
        self.used_names.add(name)
        return name

    def tracking_code(self) -> str:
        while True:
            code = "".join(self.rng.choice(ALPHABET) for _ in range(7))
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def reply_code(self, volunteer_id: int) -> str:
        while True:
            code = "".join(self.rng.choice(ALPHABET) for _ in range(4))
            if code not in self.reply_codes[volunteer_id]:
                self.reply_codes[volunteer_id].add(code)
                return code

    def house_address(self, village: Region) -> str:
        if village.name.endswith("社区"):
            estate = self.rng.choice(["幸福", "和谐", "建业", "金桂", "阳光", "丽景"])
            return (
                f"{village.name}{estate}小区{self.rng.randint(1, 18)}号楼"
                f"{self.rng.randint(1, 4)}单元{self.rng.randint(1, 6)}0{self.rng.randint(1, 4)}室"
            )
        groups = "一二三四五六七八"
        return f"{village.name}{self.rng.choice(groups)}组{self.rng.randint(1, 60)}号"

    @contextmanager
    def backdated(self):
        with mock.patch.object(workflow, "utcnow", self.clock):
            yield

    # ---- the county

    def build(self) -> str:
        self.build_geography()
        db.session.flush()
        self.build_staff()
        self.build_volunteers()
        db.session.flush()
        self.build_teams()
        self.build_beneficiaries()
        db.session.flush()
        with self.backdated():
            self.build_requests()
        db.session.flush()
        for step in self.after_flush:
            step()
        self.build_outbox()
        db.session.flush()
        c = self.counts
        return (
            f"Demo county {D.COUNTY_NAME} ({D.COUNTY_CODE}): {len(self.towns)} townships, "
            f"{c['villages']} villages, {c['stations']} stations, {len(self.staff)} staff, "
            f"{c['volunteers']} volunteers in {c['teams']} teams, {c['beneficiaries']} "
            f"beneficiaries, {len(self.requests)} requests, {c['outbox']} SMS sent."
        )

    def build_geography(self) -> None:
        lat0, lon0 = D.COUNTY_CENTRE
        county = Region(code=D.COUNTY_CODE, name=D.COUNTY_NAME, level="county", lat=lat0, lon=lon0)
        self.county = county
        centre = Station(
            name=f"{D.COUNTY_NAME}社会工作指导中心",
            kind="county_centre",
            region=county,
            lat=lat0 + 0.0021,
            lon=lon0 - 0.0017,
            address=f"{D.COUNTY_NAME}文昌路88号（县民政局三楼）",
            phone=f"+86{D.PHONE_AREA}6120101",
        )
        self.centre = centre
        db.session.add_all([county, centre])
        stations = 1
        serial = {"street": 0, "town": 100, "xiang": 200}
        for name, kind, (east, north), villages in D.TOWNSHIPS:
            serial[kind] += 1
            prefix = f"{D.COUNTY_CODE[:6]}{serial[kind]:03d}"
            dlat, dlon = _km_to_deg(lat0, east, north)
            tlat, tlon = round(lat0 + dlat, 6), round(lon0 + dlon, 6)
            township = Region(
                code=f"{prefix}000", name=name, level="township", parent=county, lat=tlat, lon=tlon
            )
            slat, slon = self.jitter(tlat, tlon, 0.3)
            station = Station(
                name=f"{name}社工站",
                kind="township_station",
                region=township,
                parent=centre,
                lat=slat,
                lon=slon,
                address=(
                    f"{D.COUNTY_NAME}{name}{self.rng.choice(D.STREETS)}{self.rng.randint(1, 99)}号"
                    f"（{self.rng.choice(D.STATION_PLACES)}）"
                ),
                phone=f"+86{D.PHONE_AREA}{self.rng.randint(5, 8)}{self.rng.randint(0, 999999):06d}",
                auto_offer=name != DEMO_STATION,
            )
            stations += 1
            town = _Town(name=name, region=township, station=station)
            self.towns[name] = town
            db.session.add_all([township, station])
            community, village_no = 0, 200
            spread = 1.4 if kind == "street" else 3.6
            for vname in villages:
                if vname.endswith("社区"):
                    community += 1
                    number = community
                else:
                    village_no += 1
                    number = village_no
                vlat, vlon = self.jitter(tlat, tlon, spread)
                village = Region(
                    code=f"{prefix}{number:03d}",
                    name=vname,
                    level="village",
                    parent=township,
                    lat=vlat,
                    lon=vlon,
                )
                town.villages.append(village)
                self.village_town[vname] = town
                db.session.add(village)
                self.counts["villages"] += 1
                if vname in D.ROOM_VILLAGES:
                    room = Station(
                        name=f"{vname}社工室",
                        kind="village_room",
                        region=village,
                        parent=station,
                        lat=vlat,
                        lon=vlon,
                        address=f"{name}{vname}{self.rng.choice(D.ROOM_PLACES)}",
                        phone=station.phone,
                    )
                    db.session.add(room)
                    stations += 1
                    self.village_station[id(village)] = room
        self.counts["stations"] = stations

    def station_for(self, village: Region) -> Station:
        """The routing rule of DESIGN.md: the village's room, else its township's station."""
        room = self.village_station.get(id(village))
        return room if room is not None else self.village_town[village.name].station

    def new_user(self, *, username, phone, name, roles, station=None) -> User:
        user = User(
            username=username,
            phone=phone,
            name=name,
            password_hash=self.password_hash,
            station=station,
            created_at=self.now - timedelta(days=self.rng.randint(120, 400)),
        )
        # Demo volunteers signed up and confirmed their phones by SMS code (issue 13).
        user.phone_confirmed_at = user.created_at
        for role in roles:
            user.add_role(role)
        self.used_phones.add(phone)
        self.used_names.add(name)
        db.session.add(user)
        return user

    def build_staff(self) -> None:
        for username, phone, name, roles, township in _STAFF:
            station = self.centre if township is None else self.towns[township].station
            user = self.new_user(
                username=username, phone=phone, name=name, roles=roles, station=station
            )
            self.staff[username] = user
            if township is not None:
                town = self.towns[township]
                if "social_worker" in roles:
                    town.workers.append(user)
                if "station_admin" in roles and town.admin is None:
                    town.admin = user
        self.county_worker = self.staff["xianshegong"]

    def workers_of(self, town: _Town) -> list[User]:
        return town.workers or [self.county_worker]

    def build_volunteers(self) -> None:
        weights = [4 if n == DEMO_STATION else 2 if n in STAFFED else 1 for n in self.towns]
        names = list(self.towns)
        liulin = self.towns[DEMO_STATION]
        fixed = {
            0: ("zhiyuanzhe", "+8613703740101", "张浩然", "young", liulin.villages[1]),
            1: ("duizhang", "+8613703740102", "刘宇航", "young", liulin.villages[0]),
        }
        skills_pool = list(_SKILL_WEIGHTS)
        skill_weights = list(_SKILL_WEIGHTS.values())
        for i in range(VOLUNTEER_COUNT):
            if i in fixed:
                username, phone, name, age, village = fixed[i]
                gender = "M"
            else:
                town = self.towns[self.rng.choices(names, weights)[0]]
                village = self.rng.choice(town.villages)
                age = self.rng.choices(["young", "mid", "old"], [3, 5, 2])[0]
                gender = self.rng.choice("FFM")
                username, phone, name = None, self.mobile(), self.person_name(age, gender)
            town = self.village_town[village.name]
            user = self.new_user(username=username, phone=phone, name=name, roles=("volunteer",))
            skills = set()
            while len(skills) < self.rng.randint(2, 4):
                skills.add(self.rng.choices(skills_pool, skill_weights)[0])
            if age == "young" and self.rng.random() < 0.5:
                skills.add("tutoring")
            if i in fixed:
                skills |= {"shopping", "companionship", "tutoring", "medical_escort"}
            roll = self.rng.random()
            status = (
                "approved"
                if i in fixed or roll < 0.86
                else "pending"
                if roll < 0.98
                else "suspended"
            )
            home_lat, home_lon = self.jitter(village.lat, village.lon, 0.8)
            approver = town.admin or self.workers_of(town)[0]
            profile = VolunteerProfile(
                user=user,
                station_id=None,  # set after the flush below
                skills=sorted(skills, key=VOLUNTEER_SKILLS.index),
                availability=(
                    [{"day": d, "start": "08:00", "end": "20:00"} for d in range(7)]
                    if i in fixed
                    else self.rng.choice(_AVAILABILITY)
                ),
                home_lat=home_lat,
                home_lon=home_lon,
                home_village_id=None,
                radius_km=float(10 if i in fixed else self.rng.choice([3, 5, 5, 8, 8, 10, 12, 15])),
                open_task_limit=3 if i in fixed else self.rng.choice([2, 2, 2, 3]),
                status=status,
                vetted_for_children=status == "approved"
                and (i in fixed or self.rng.random() < (0.5 if "tutoring" in skills else 0.15)),
                approved_at=(
                    self.now - timedelta(days=self.rng.randint(8, 300))
                    if status in ("approved", "suspended")
                    else None
                ),
            )
            db.session.add(profile)
            if profile.approved_at is not None and profile.approved_at < user.created_at:
                # Signed up and confirmed the phone by SMS code before the approval.
                user.created_at = profile.approved_at - timedelta(days=3)
                user.phone_confirmed_at = user.created_at
            town.volunteers.append(user)
            self.after_flush_profile(
                profile, town, village, approver if status != "pending" else None
            )
            self.counts["volunteers"] += 1

    def after_flush_profile(self, profile, town, village, approver) -> None:
        # Ids exist only after the flush that follows build_volunteers.
        self._pending_profiles = getattr(self, "_pending_profiles", [])
        self._pending_profiles.append((profile, town, village, approver))

    def build_teams(self) -> None:
        for profile, town, village, approver in self._pending_profiles:
            profile.station_id = town.station.id
            profile.home_village_id = village.id
            profile.approved_by_id = approver.id if approver is not None else None
            self.profiles[profile.user_id] = profile
            if profile.user.username == "zhiyuanzhe":
                self.demo_volunteer_id = profile.user_id
        for name, kind, township, skills in D.TEAMS:
            if township is None:
                pool = self.towns["城关街道"].volunteers + self.towns["东城街道"].volunteers
                station = self.centre
            else:
                pool = self.towns[township].volunteers
                station = self.towns[township].station
            approved = [v for v in pool if self.profiles[v.id].status == "approved"]
            if name == D.TEAMS[0][0]:
                leader = next(v for v in approved if v.username == "duizhang")
            else:
                free = [v for v in approved if not v.has_role("team_leader")]
                leader = self.rng.choice(free)
            leader.add_role("team_leader")
            others = [v for v in approved if v is not leader and v.username != "duizhang"]
            members = self.rng.sample(others, min(len(others), self.rng.randint(4, 9)))
            if name == D.TEAMS[0][0]:
                demo_volunteer = next(v for v in approved if v.username == "zhiyuanzhe")
                if demo_volunteer not in members:
                    members.append(demo_volunteer)
            team = Team(
                name=name,
                kind=kind,
                station_id=station.id,
                leader_id=leader.id,
                skills=skills,
                lat=station.lat,
                lon=station.lon,
                radius_km=25.0 if kind == "social_org" else float(self.rng.choice([10, 12, 15])),
                open_task_limit=8 if kind == "social_org" else 5,
                availability=D.TEAM_WINDOWS.get(name, []),
            )
            joined = self.now - timedelta(days=self.rng.randint(30, 365))
            for member in (leader, *members):
                team.members.append(TeamMember(user_id=member.id, joined_at=joined))
            db.session.add(team)
            team._demo_members = [leader, *members]  # type: ignore[attr-defined]
            if township is not None:
                self.towns[township].teams.append(team)
            self.counts["teams"] += 1

    # ---- the ledger

    def build_beneficiaries(self) -> None:
        plan = (
            [(["left_behind_child"], "child")] * 9
            + [(["child_in_difficulty"], "child")] * 6
            + [(["elderly_alone"], "old")] * 10
            + [(["elderly_alone", "dibao"], "old")] * 5
            + [(["disabled"], "mid")] * 5
            + [(["disabled", "dibao"], "old")] * 4
            + [(["dibao"], "mid")] * 8
            + [(["tekun"], "old")] * 4
            + [(["tekun", "elderly_alone"], "old")] * 4
            + [(["homeless"], "mid")] * 5
        )
        assert len(plan) == BENEFICIARY_COUNT
        names = list(self.towns)
        weights = [6 if n == DEMO_STATION else 2 if n in STAFFED else 0.3 for n in names]
        notes = {
            "left_behind_child": "父母在浙江打工，一年回来一次，由祖辈照看",
            "child_in_difficulty": "父亲去世，母亲改嫁，现由亲属抚养",
            "elderly_alone": "子女在外地工作，老人独自居住",
            "disabled": "肢体残疾二级，出行需要轮椅",
            "dibao": "家庭收入低，已纳入低保",
            "tekun": "无劳动能力、无生活来源、无法定赡养人",
            "homeless": "流浪人员，救助站多次劝导返乡未果",
        }
        modes = ["overdue", "due_soon", "ok", "ok", "never", "overdue", "ok", "due_soon"]
        for index, (groups, age) in enumerate(plan):
            gender = self.rng.choice("FM")
            if groups == ["homeless"]:
                town = self.towns[self.rng.choice(["城关街道", "东城街道"])]
                village = None
            else:
                town = self.towns[self.rng.choices(names, weights)[0]]
                village = self.rng.choice(town.villages)
            station = self.station_for(village) if village is not None else town.station
            birth = {
                "child": (2011, 2019),
                "old": (1936, 1958),
                "mid": (1965, 1988),
            }[age]
            person = Beneficiary(
                name=self.person_name(age, gender),
                gender={"F": "female", "M": "male"}[gender],
                birth_year=self.rng.randint(*birth),
                phone=None if age == "child" or self.rng.random() < 0.2 else self.mobile(),
                special_groups=list(groups),
                village=village,
                station=station,
                responsible_worker=self.rng.choice(self.workers_of(town)),
                address=(
                    self.house_address(village)
                    if village is not None
                    else self.rng.choice(D.HOMELESS_PLACES)
                ),
                notes="；".join(notes[g] for g in groups),
                created_at=self.now - timedelta(days=self.rng.randint(90, 500)),
            )
            if village is not None:
                person.lat, person.lon = self.jitter(village.lat, village.lon, 0.5)
            if set(groups) & MINOR_GROUPS or (age == "old" and person.phone is None):
                relations = D.GUARDIAN_RELATIONS if age == "child" else D.CONTACT_RELATIONS
                relation = self.rng.choice(sorted(relations))
                person.guardian_name = self.person_name(
                    "old" if relation in ("祖父", "祖母", "外祖母") else "mid", relations[relation]
                )
                person.guardian_relation = relation
                person.guardian_phone = self.mobile()
            interval = (
                7
                if "homeless" in groups
                else 14
                if set(groups) & (MINOR_GROUPS | {"elderly_alone"})
                else self.rng.choice([30, 30, 60])
            )
            person.visit_interval_days = interval
            mode = modes[index % len(modes)]
            if mode == "never":
                person.created_at = self.now - timedelta(days=self.rng.randint(2, 12))
                due = self.local(person.created_at).date() + timedelta(days=7)
                person.next_visit_due = due
            else:
                days_ago = {
                    "overdue": interval + self.rng.randint(2, 15),
                    "due_soon": interval - self.rng.randint(0, 3),
                    "ok": self.rng.randint(1, max(2, interval - 5)),
                }[mode]
                last = self.local_daytime(self.now - timedelta(days=days_ago))
                person.last_visit_at = last
                person.next_visit_due = self.local(last).date() + timedelta(days=interval)
                for k in range(self.rng.randint(1, 3)):
                    self.add_visit(person, last - timedelta(days=interval * k), station)
            db.session.add(person)
            town.beneficiaries.append(person)
            self.counts["beneficiaries"] += 1

    def local_daytime(self, t: datetime) -> datetime:
        """The same local day at a plausible working hour (09:00–17:00 Beijing time)."""
        local = self.local(t)
        local = local.replace(hour=self.rng.randint(9, 16), minute=self.rng.choice([0, 15, 30, 45]))
        result = local - LOCAL_OFFSET
        return result if result < self.now else t

    def add_visit(self, person: Beneficiary, at: datetime, station: Station) -> None:
        visit = Visit(
            beneficiary=person,
            worker=person.responsible_worker,
            station_id=station.id,
            visited_at=at,
            living_conditions=self.rng.choices(["good", "fair", "poor"], [5, 4, 1])[0],
            health=self.rng.choices(["good", "fair", "poor", "needs_care"], [3, 5, 2, 1])[0],
            needs_found=self.rng.choice(D.VISIT_NEEDS),
            follow_up=self.rng.choice(D.VISIT_FOLLOW_UPS),
        )
        db.session.add(visit)

    # ---- requests

    def request_plan(self) -> list[tuple[str, str, str]]:
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
            plan += [(DEMO_STATION, status, v) for v in variants]
        for n, town in enumerate(STAFFED[1:]):
            statuses = [
                "new",
                "accepted",
                "offered",
                "assigned",
                "in_progress",
                "done",
                "closed",
                "closed",
            ]
            if n == 1:
                statuses[-1] = "rejected"
            if n in (2, 4):
                statuses[-1] = "cancelled"
            for status in statuses:
                variant = {"closed": "confirm", "assigned": "claim", "in_progress": "claim"}.get(
                    status, "plain" if status != "cancelled" else "resident"
                )
                if status == "done":
                    variant = "claim"
                if status == "new":
                    variant = "web"
                plan.append((town, status, variant))
        others = [n for n in self.towns if n not in STAFFED]
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

    def build_requests(self) -> None:
        for township, status, variant in self.request_plan():
            self.build_request(self.towns[township], status, variant)

    def pick_category(self, town: _Town, status: str, variant: str):
        """(category, beneficiary or None)."""
        if variant in ("worker", "crisis"):
            category = "crisis_intervention" if variant == "crisis" else "emotional_support"
            person = (
                self.rng.choice(town.beneficiaries)
                if town.beneficiaries and variant == "worker"
                else None
            )
            return category, person
        if town.beneficiaries and self.rng.random() < 0.4:
            person = self.rng.choice(town.beneficiaries)
            groups = set(person.special_groups)
            if groups & MINOR_GROUPS:
                choices = [
                    "tutoring",
                    "companionship",
                    "resource_linking",
                    "assistance_application",
                ]
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
            return self.rng.choice(choices), person
        pool = [c for c in D.DESCRIPTIONS if c not in SOCIAL_WORKER_ONLY]
        weights = [
            6 if c in ("shopping", "companionship", "medical_escort", "meal_delivery") else 2
            for c in pool
        ]
        return self.rng.choices(pool, weights)[0], None

    def build_request(self, town: _Town, status: str, variant: str) -> None:
        rng = self.rng
        category, person = self.pick_category(town, status, variant)
        if variant == "crisis":
            urgency = "crisis"
        else:
            urgency = "urgent" if rng.random() < 0.15 or variant == "escalated" else "normal"
        if person is not None and person.village is not None:
            village = person.village
        else:
            village = rng.choice(town.villages)
        station = self.station_for(village)
        workers = self.workers_of(town)
        worker = rng.choice(workers)
        channel = "sms" if variant == "sms" else "hotline" if variant == "hotline" else None
        if channel is None:
            channel = (
                rng.choice(["proxy", "visit", "hotline"])
                if person is not None
                else rng.choices(["web", "web", "sms", "hotline"], [5, 3, 2, 2])[0]
            )
        submitter = (
            worker if channel in ("proxy", "visit", "hotline") and rng.random() < 0.8 else None
        )
        if person is not None:
            phone = person.phone or person.guardian_phone or self.mobile()
            for_whom = "self" if person.phone and channel != "proxy" else "family"
            contact_name = (
                person.name if for_whom == "self" else f"{person.guardian_name or person.name}"
            )
            groups = list(person.special_groups)
        else:
            phone = self.mobile()
            for_whom = rng.choices(["self", "family", "neighbour"], [5, 3, 2])[0]
            contact_name = self.person_name(rng.choice(["old", "mid"]), rng.choice("FM"))
            groups = (
                ["elderly_alone"] if rng.random() < 0.3 and category not in ("tutoring",) else []
            )
        if category == "tutoring" and person is None:
            # Tutoring is asked for children: in this county mostly left-behind ones.
            groups = ["left_behind_child"]
            for_whom = "family"
            contact_name = self.person_name("old", rng.choice("FM"))
        minor = bool(set(groups) & MINOR_GROUPS)
        texts = D.CHILD_DESCRIPTIONS if minor else D.DESCRIPTIONS
        description = rng.choice(texts.get(category) or D.DESCRIPTIONS[category])
        lat, lon = (
            (person.lat, person.lon)
            if person is not None and person.lat is not None
            else self.jitter(village.lat, village.lon, 0.6)
        )
        req = HelpRequest(
            code=self.tracking_code(),
            category=category,
            description=description,
            special_groups=groups,
            for_whom=for_whom,
            urgency=urgency,
            lat=lat,
            lon=lon,
            location_source="gps" if channel == "web" and rng.random() < 0.6 else "village",
            address=person.address if person is not None else self.house_address(village),
            village=village,
            contact_name=contact_name,
            contact_phone=phone,
            language="zh",
            channel=channel,
            submitter=submitter,
            consent=True,
            consent_by=contact_name if for_whom != "self" else "",
            consent_method=(
                {"visit": "visit", "sms": "sms"}.get(channel, "phone") if for_whom != "self" else ""
            ),
            beneficiary=person,
            station=station,
            status="new",
            offer_round=0,
            escalated=False,
        )
        db.session.add(req)
        self.requests.append(req)
        steps = self.path(status, variant, category)
        gaps = [self.gap(step, urgency) for step in steps]
        tail = self.tail(status, variant, urgency)
        created = self.now - timedelta(minutes=sum(gaps) + tail)
        if tail > 24 * 60:
            # Older requests: start them in daytime, Beijing time.
            local_hour = self.local(created).hour
            if local_hour < 7 or local_hour > 20:
                created -= timedelta(hours=(local_hour - 10) % 24)
        req.created_at = created
        self.clock.at = created
        workflow.record_event(
            req,
            "created",
            actor=submitter,
            actor_label="staff" if submitter else "sms" if channel == "sms" else "resident",
            to_status="new",
            note=f"由{submitter.name}代为提交" if submitter else "",
            at=created,
        )
        self.outbox(req, created + timedelta(seconds=20), "request_received")
        state = _Story(req=req, worker=worker, town=town, minor=minor)
        t = created
        for step, gap in zip(steps, gaps, strict=True):
            t = t + timedelta(minutes=gap)
            self.clock.at = t
            self.do_step(state, step, t)
        req.updated_at = max(event.at for event in req.events)
        if status in ("offered", "accepted", "new") and not variant.startswith("overdue"):
            local_day = self.local(self.now).date() + timedelta(days=rng.randint(1, 3))
            wanted = datetime.combine(local_day, datetime.min.time()) + timedelta(
                hours=rng.choice([9, 10, 14, 15])
            )
            req.wanted_at = wanted - LOCAL_OFFSET
            req.wanted_note = rng.choice(["", "上午", "下午", "周末都行"])
        elif state.check_in is not None:
            req.wanted_at = state.check_in.replace(minute=0)
        elif not variant.startswith("overdue"):
            req.wanted_note = "越快越好"
        assert req.status == status, (req.status, status, variant)

    def path(self, status: str, variant: str, category: str) -> list[str]:
        worker_only = category in SOCIAL_WORKER_ONLY
        to_assigned = (
            ["accept", "assign_worker"]
            if worker_only
            else ["accept", "offer", "claim_team"]
            if variant == "team"
            else ["accept", "offer", "claim", "release", "offer", "claim"]
            if variant == "release"
            else ["accept", "offer", "claim"]
        )
        done = [*to_assigned, "check_in", "check_out"]
        paths = {
            "new": [],
            "accepted": ["accept", "escalate_late"]
            if variant == "overdue_escalated"
            else ["accept"],
            "offered": (
                ["accept", "offer", "expire", "offer"]
                if variant == "round2"
                else ["accept", "offer", "expire", "offer", "expire", "escalate"]
                if variant == "escalated"
                else ["accept", "offer"]
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
        }
        if status == "closed":
            if variant == "reopen":
                return [*done, "reopen", "check_in", "check_out", "confirm"]
            if variant == "auto":
                return [*done, "auto_close"]
            if variant == "station_close":
                return [*to_assigned, "close"]
            return [*done, "confirm"]
        return paths[status]

    def gap(self, step: str, urgency: str) -> int:
        """Minutes between the previous event and this one."""
        r = self.rng.randint
        fast = urgency != "normal"
        return {
            "accept": r(3, 25) if fast else r(20, 300),
            "reject": r(30, 240),
            "cancel": r(30, 600),
            "merge": r(10, 90),
            "offer": r(2, 15),
            "expire": 61,
            "escalate": 1,
            "escalate_late": r(8 * 60, 20 * 60),
            "claim": r(5, 50),
            "claim_team": r(10, 90),
            "assign_worker": r(5, 40),
            "release": r(120, 600),
            "check_in": r(60, 1800) if not fast else r(20, 90),
            "check_out": r(40, 180),
            "confirm": r(60, 2880),
            "auto_close": 7 * 24 * 60 + r(1, 60),
            "close": r(600, 2880),
            "reopen": r(60, 600),
        }[step]

    def tail(self, status: str, variant: str, urgency: str) -> int:
        """Minutes between the last event and now."""
        r = self.rng.randint
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

    # ---- one step of a story

    @staticmethod
    def merge_into(req: HelpRequest, target: HelpRequest, t: datetime) -> None:
        req.merged_into_id = target.id
        req.updated_at = t  # an explicit value keeps the column's onupdate away

    def finish_task(self, claim: Claim | None) -> None:
        if claim is not None and claim.volunteer_id is not None:
            self.open_tasks[claim.volunteer_id] = max(0, self.open_tasks[claim.volunteer_id] - 1)

    def candidates(self, state: _Story, exclude: set[int]) -> list[tuple[User, float]]:
        req = state.req
        found = []
        for town in self.towns.values():
            for volunteer in town.volunteers:
                profile = self.profiles[volunteer.id]
                if volunteer.id in exclude or profile.status != "approved":
                    continue
                if req.category not in profile.skills or (
                    state.minor and not profile.vetted_for_children
                ):
                    continue
                if self.open_tasks[volunteer.id] >= profile.open_task_limit:
                    continue
                distance = _distance_km(profile.home_lat, profile.home_lon, req.lat, req.lon)
                if distance <= profile.radius_km:
                    found.append((volunteer, round(distance, 2)))
        found.sort(key=lambda pair: pair[1])
        if not found:
            # A thin area: the station widened the circle by hand.
            for town in self.towns.values():
                for volunteer in town.volunteers:
                    profile = self.profiles[volunteer.id]
                    if profile.status == "approved" and volunteer.id not in exclude:
                        if state.minor and not profile.vetted_for_children:
                            continue
                        distance = _distance_km(
                            profile.home_lat, profile.home_lon, req.lat, req.lon
                        )
                        found.append((volunteer, round(distance, 2)))
            found.sort(key=lambda pair: pair[1])
        return found

    def do_step(self, state: _Story, step: str, t: datetime) -> None:
        req, rng = state.req, self.rng
        worker = state.worker
        if step == "accept":
            workflow.transition(req, "accept", actor=worker)
        elif step == "reject":
            workflow.transition(req, "reject", actor=worker, note=rng.choice(D.REJECT_NOTES))
        elif step == "cancel":
            if req.status == "new":
                workflow.transition(
                    req, "cancel", actor_label="resident", note=rng.choice(D.CANCEL_NOTES)
                )
            else:
                workflow.transition(req, "cancel", actor=worker, note=rng.choice(D.CANCEL_NOTES))
        elif step == "merge":
            target = next(
                (
                    r
                    for r in reversed(self.requests)
                    if r.station is req.station and r is not req and r.status in ("new", "accepted")
                ),
                None,
            )
            workflow.transition(
                req,
                "merge",
                actor=worker,
                note=f"与{target.code}重复，已合并" if target else "重复提交",
            )
            if target is not None:
                self.after_flush.append(
                    lambda req=req, target=target, t=t: self.merge_into(req, target, t)
                )
        elif step == "offer":
            req.offer_round += 1
            exclude = {o.volunteer_id for o in state.offers if o.volunteer_id}
            found = self.candidates(state, exclude)
            chosen = found[:3]
            demo = next((pair for pair in found if pair[0].username == "zhiyuanzhe"), None)
            if demo is not None and demo not in chosen and self.demo_offers < 10:
                # The demo volunteer should have offers to show: put them in the round.
                chosen = [*chosen[:2], demo]
            self.demo_offers += demo in chosen
            for rank, (volunteer, distance) in enumerate(chosen, start=1):
                offer = Offer(
                    request=req,
                    volunteer_id=volunteer.id,
                    round=req.offer_round,
                    rank=rank,
                    score=round(1.0 / (1.0 + distance) + 0.5 - 0.1 * rank, 3),
                    distance_km=distance,
                    reasons=[f"距离 {distance:.1f} 公里", "技能对口", "这个时间有空"],
                    reply_code=self.reply_code(volunteer.id),
                    status="pending",
                    created_at=t,
                    expires_at=t + timedelta(minutes=60 if req.urgency == "normal" else 15),
                )
                db.session.add(offer)
                state.offers.append(offer)
                self.outbox(
                    req, t + timedelta(seconds=30), "offer", volunteer=volunteer, offer=offer
                )
            teams = (
                [tm for tm in state.town.teams if req.category in tm.skills]
                if not state.minor
                else []
            )
            if teams and req.offer_round == 1:
                team = teams[0]
                offer = Offer(
                    request=req,
                    team_id=team.id,
                    round=req.offer_round,
                    rank=len(chosen) + 1,
                    score=0.4,
                    distance_km=round(_distance_km(team.lat, team.lon, req.lat, req.lon), 2),
                    reasons=["本地志愿服务队", "技能对口"],
                    reply_code=self.reply_code(-team.id),
                    status="pending",
                    created_at=t,
                    expires_at=t + timedelta(minutes=60 if req.urgency == "normal" else 15),
                )
                db.session.add(offer)
                state.offers.append(offer)
            actor = worker if req.offer_round == 1 else None
            workflow.transition(
                req,
                "offer",
                actor=actor,
                note=f"第{req.offer_round}轮：发给{len(chosen)}位志愿者",
                public=True,
            )
        elif step == "expire":
            for offer in state.offers:
                if offer.status == "pending":
                    offer.status = rng.choice(["expired", "expired", "declined"])
                    if offer.status == "declined":
                        offer.responded_at = t - timedelta(minutes=rng.randint(5, 40))
        elif step in ("escalate", "escalate_late"):
            note = (
                "两轮派单都没有志愿者接单，请社工跟进"
                if req.status == "offered"
                else "本站暂无驻站社工，已升级到县指导中心"
            )
            workflow.escalate(req, note=note)
        elif step in ("claim", "claim_team"):
            pending = [o for o in state.offers if o.status == "pending"]
            wanted_team = step == "claim_team"
            winner = next((o for o in pending if (o.team_id is not None) == wanted_team), None)
            demo_offer = next(
                (o for o in pending if o.volunteer_id == self.demo_volunteer_id), None
            )
            if not wanted_team and demo_offer is not None and self.demo_wins < 5:
                winner = demo_offer  # the demo volunteer's own tasks and service hours
                self.demo_wins += 1
            if winner is None:
                winner = pending[0] if pending else None
            if winner is None:
                volunteer, _d = self.candidates(state, set())[0]
                winner = Offer(
                    request=req,
                    volunteer_id=volunteer.id,
                    round=req.offer_round,
                    reply_code=self.reply_code(volunteer.id),
                    status="pending",
                    created_at=t,
                    expires_at=t + timedelta(minutes=60),
                    reasons=[],
                )
                db.session.add(winner)
                state.offers.append(winner)
            for offer in pending:
                if offer is not winner:
                    offer.status = "closed"
            winner.status = "accepted"
            winner.responded_at = t
            via = rng.choice(["web", "sms"])
            if winner.team_id is not None:
                team = next(tm for tm in state.town.teams if tm.id == winner.team_id)
                leader = team._demo_members[0]
                member = rng.choice(team._demo_members[1:] or [leader])
                claim = Claim(
                    request=req,
                    team_id=team.id,
                    dispatched_to_id=member.id,
                    via="web",
                    claimed_at=t,
                )
                req.assigned_team_id = team.id
                req.assigned_volunteer_id = member.id
                state.doer = member
                workflow.transition(req, "claim", actor=leader, actor_label="team_leader")
            else:
                volunteer = next(
                    v
                    for town in self.towns.values()
                    for v in town.volunteers
                    if v.id == winner.volunteer_id
                )
                claim = Claim(request=req, volunteer_id=volunteer.id, via=via, claimed_at=t)
                req.assigned_volunteer_id = volunteer.id
                req.assigned_team_id = None
                state.doer = volunteer
                workflow.transition(
                    req,
                    "claim",
                    actor=volunteer,
                    actor_label="sms" if via == "sms" else "volunteer",
                )
                self.open_tasks[volunteer.id] += 1
            db.session.add(claim)
            state.claim = claim
            self.outbox(req, t + timedelta(seconds=30), "helper_found", helper=state.doer)
        elif step == "assign_worker":
            claim = Claim(request=req, worker_id=worker.id, via="assign", claimed_at=t)
            req.assigned_worker_id = worker.id
            db.session.add(claim)
            state.claim = claim
            state.doer = worker
            workflow.transition(
                req,
                "assign",
                actor=worker,
                note=(
                    "危机介入，驻站社工立即上门"
                    if req.category == "crisis_intervention"
                    else "心理支持类求助，由驻站社工本人跟进"
                ),
            )
        elif step == "release":
            claim = state.claim
            claim.status = "released"
            self.finish_task(claim)
            claim.released_at = t
            claim.release_reason = "家里临时有事，去不了了"
            req.assigned_volunteer_id = None
            req.assigned_team_id = None
            workflow.transition(
                req, "release", actor=state.doer, actor_label="volunteer", note=claim.release_reason
            )
        elif step == "check_in":
            claim = state.claim
            claim.checked_in_at = t
            claim.checkin_lat, claim.checkin_lon = self.jitter(req.lat, req.lon, 0.05)
            state.check_in = t
            workflow.transition(
                req,
                "check_in",
                actor=state.doer,
                actor_label="volunteer" if state.doer is not worker else "",
            )
        elif step == "check_out":
            claim = state.claim
            claim.checked_out_at = t
            claim.status = "done"
            self.finish_task(claim)
            started = state.check_in or t
            hours = max(Decimal("0.5"), Decimal(round((t - started).total_seconds() / 1800)) / 2)
            outcome = rng.choice(D.OUTCOMES[req.category])
            req.outcome = outcome
            record = ServiceRecord(
                request=req,
                volunteer_id=claim.dispatched_to_id or claim.volunteer_id,
                team_id=claim.team_id,
                station_id=req.station.id,
                beneficiary_id=req.beneficiary.id if req.beneficiary is not None else None,
                category=req.category,
                special_groups=list(req.special_groups),
                started_at=started,
                ended_at=t,
                hours=hours,
                person_times=1,
                outcome=outcome,
                welfare_note=rng.choice(D.WELFARE_NOTES),
                created_at=t,
            )
            db.session.add(record)
            self.after_flush.append(
                lambda record=record, claim=claim: setattr(record, "claim_id", claim.id)
            )
            workflow.transition(
                req,
                "check_out",
                actor=state.doer,
                actor_label="volunteer" if state.doer is not worker else "",
                note=outcome,
            )
            self.outbox(req, t + timedelta(seconds=30), "done_confirm")
        elif step == "reopen":
            workflow.transition(
                req, "reopen", actor_label="resident", note="药没有买全，还差一盒降压药"
            )
            state.claim = Claim(
                request=req,
                volunteer_id=state.claim.volunteer_id,
                team_id=state.claim.team_id,
                dispatched_to_id=state.claim.dispatched_to_id,
                worker_id=state.claim.worker_id,
                via="assign",
                claimed_at=t,
            )
            db.session.add(state.claim)
        elif step == "confirm":
            workflow.transition(req, "confirm", actor_label="resident")
            if rng.random() < 0.7:
                rating = rng.choices([5, 4, 3], [6, 3, 1])[0]
                req.rating = rating
                req.rating_comment = rng.choice(D.RATING_COMMENTS[rating])
                workflow.record_event(
                    req,
                    "rated",
                    actor_label="resident",
                    note=f"{rating}星",
                    at=t + timedelta(minutes=1),
                )
        elif step == "auto_close":
            workflow.transition(
                req, "auto_close", actor_label="system", note="7天内未确认，系统自动办结"
            )
        elif step == "close":
            claim = state.claim
            claim.status = "done"
            self.finish_task(claim)
            workflow.transition(
                req, "close", actor=worker, note="家属已接老人去城里住，服务不再需要"
            )
        else:  # pragma: no cover - a typo in a path
            raise ValueError(step)

    # ---- SMS already sent

    def outbox(self, req: HelpRequest, at: datetime, kind: str, **extra) -> None:
        self._outbox = getattr(self, "_outbox", [])
        self._outbox.append((req, at, kind, extra))

    def build_outbox(self) -> None:
        from app.services import links, wording
        from app.services.notifications.templates import render

        for req, at, kind, extra in getattr(self, "_outbox", []):
            if at > self.now:
                continue
            village = wording.place_label(req)
            category = wording.category_label(req.category)
            user_id = None
            if kind == "request_received":
                to = req.contact_phone
                try:
                    body = render(
                        "request_received", "zh", code=req.code, link=links.tracking_link(req.code)
                    )
                except (KeyError, IndexError):
                    body = f"【邻里】您的求助已收到，编号{req.code}。查看进度：{links.tracking_link(req.code)}"
            elif kind == "offer":
                volunteer, offer = extra["volunteer"], extra["offer"]
                to, user_id = volunteer.phone, volunteer.id
                body = (
                    f"【邻里】{village}有一项{category}求助，距您{offer.distance_km:.1f}公里。"
                    f"回复 Y {offer.reply_code} 接单，详情：{links.tasks_link()}"
                )
            elif kind == "helper_found":
                to = req.contact_phone
                body = f"【邻里】已为您找到志愿者{extra['helper'].first_name}，将按约定时间上门。编号{req.code}。"
            else:  # done_confirm
                to = req.contact_phone
                body = (
                    "【邻里】服务已完成，如没有解决请回复 N，满意请打开 "
                    f"{links.tracking_link(req.code)} 确认并评价。"
                )
            if not to:
                continue
            db.session.add(
                OutboxMessage(
                    to_phone=to,
                    body=body,
                    template=kind,
                    language="zh",
                    request_id=req.id,
                    user_id=user_id,
                    status="sent",
                    attempts=1,
                    next_attempt_at=at,
                    created_at=at,
                    sent_at=at + timedelta(seconds=2),
                )
            )
            self.counts["outbox"] += 1


@dataclass
class _Story:
    req: HelpRequest
    worker: User
    town: _Town
    minor: bool
    offers: list[Offer] = field(default_factory=list)
    claim: Claim | None = None
    doer: User | None = None
    check_in: datetime | None = None
