"""What the demo builder carries from one part to the next: its dice, its clock, the county
as built so far, and the small helpers that invent plausible people and places."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.demo import data as D
from app.demo.clock import Clock
from app.extensions import db
from app.models import Beneficiary, Region, Station, Team, User

SEED = 20260301
DEMO_PASSWORD = "linli2026"
LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai, no daylight saving


@dataclass
class Town:
    name: str
    region: Region
    station: Station
    villages: list[Region] = field(default_factory=list)
    workers: list[User] = field(default_factory=list)
    admin: User | None = None
    volunteers: list[User] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    beneficiaries: list[Beneficiary] = field(default_factory=list)  # the stories' people
    history: list[Beneficiary] = field(default_factory=list)  # the year's (history.py)


def km_to_deg(lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    return north_km / 110.574, east_km / (111.320 * math.cos(math.radians(lat)))


class Demo:
    """The builder's state. ``now`` is the fixed moment the stories lead up to."""

    def __init__(self, now: datetime, clock: Clock) -> None:
        self.rng = random.Random(SEED)
        self.now = now
        self.clock = clock
        self.password_hash = generate_password_hash(DEMO_PASSWORD)
        self.towns: dict[str, Town] = {}
        self.village_station: dict[int, Station] = {}
        self.village_town: dict[str, Town] = {}
        self.county: Region | None = None
        self.centre: Station | None = None
        self.county_worker: User | None = None
        self.staff: dict[str, User] = {}
        self.team_members: dict[int, list[User]] = {}  # leader first
        self.used_phones: set[str] = {
            p for p in db.session.scalars(select(User.phone)) if p is not None
        }
        self.used_names: set[str] = set()
        self.counts: dict[str, int] = defaultdict(int)

    # ---- time

    def at(self, when: datetime) -> datetime:
        """Move the clock: whatever a use case does next happens at ``when``."""
        return self.clock.move_to(when)

    def local(self, t: datetime) -> datetime:
        return t + LOCAL_OFFSET

    def local_daytime(self, t: datetime) -> datetime:
        """The same local day at a plausible working hour (09:00–17:00 Beijing time)."""
        local = self.local(t)
        local = local.replace(hour=self.rng.randint(9, 16), minute=self.rng.choice([0, 15, 30, 45]))
        result = local - LOCAL_OFFSET
        return result if result < self.now else t

    # ---- places and people

    def station_for(self, village: Region) -> Station:
        """The routing rule of DESIGN.md: the village's room, else its township's station."""
        room = self.village_station.get(id(village))
        return room if room is not None else self.village_town[village.name].station

    def workers_of(self, town: Town) -> list[User]:
        """Who acts for the town's station: its own workers, else the county centre's."""
        return town.workers or [self.county_worker]

    def jitter(self, lat: float, lon: float, km: float) -> tuple[float, float]:
        r = km * math.sqrt(self.rng.random())
        a = self.rng.random() * 2 * math.pi
        dlat, dlon = km_to_deg(lat, r * math.cos(a), r * math.sin(a))
        return round(lat + dlat, 6), round(lon + dlon, 6)

    def mobile(self) -> str:
        while True:
            phone = f"+86{self.rng.choice(D.MOBILE_PREFIXES)}{self.rng.randint(0, 99999999):08d}"
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

    def house_address(self, village: Region) -> str:
        if village.name.endswith("社区"):
            estate = self.rng.choice(["幸福", "和谐", "建业", "金桂", "阳光", "丽景"])
            return (
                f"{village.name}{estate}小区{self.rng.randint(1, 18)}号楼"
                f"{self.rng.randint(1, 4)}单元{self.rng.randint(1, 6)}0{self.rng.randint(1, 4)}室"
            )
        groups = "一二三四五六七八"
        return f"{village.name}{self.rng.choice(groups)}组{self.rng.randint(1, 60)}号"
