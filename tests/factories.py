"""Factories for the domain objects: plain functions that add to the session and flush."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import timedelta

from app.extensions import db
from app.models import (
    Beneficiary,
    HelpRequest,
    Region,
    Station,
    Team,
    TeamMember,
    User,
    VolunteerProfile,
)
from app.models.base import utcnow

_seq = itertools.count(1)
# Tracking codes of the requests made here: distinct within a test process. Drawn at random
# (as the app draws them, retrying a taken one), the thousands a run makes met a taken code
# now and then (the authorisation matrix alone makes a fresh county after every post that
# went through: of 10^8 codes, two of n requests share one with odds of about n²/2·10^-8).
# A random start, so that no test comes to rely on particular codes.
_codes = itertools.count(random.SystemRandom().randrange(10**7, 9 * 10**7))
PASSWORD = "demo-pass-123"


@dataclass
class World:
    county: Region
    township_a: Region
    township_b: Region
    village_a1: Region
    village_a2: Region
    village_b1: Region
    county_centre: Station
    station_a: Station
    room_a1: Station
    station_b: Station


def make_region(name: str, level: str, parent: Region | None, lat: float, lon: float) -> Region:
    n = next(_seq)
    region = Region(
        code=f"{411000000000 + n:012d}", name=name, level=level, parent=parent, lat=lat, lon=lon
    )
    db.session.add(region)
    return region


def make_station(
    name: str, kind: str, region: Region, parent: Station | None = None, **kwargs
) -> Station:
    station = Station(
        name=name,
        kind=kind,
        region=region,
        parent=parent,
        lat=kwargs.pop("lat", region.lat),
        lon=kwargs.pop("lon", region.lon),
        phone=kwargs.pop("phone", "+8637112345678"),
        **kwargs,
    )
    db.session.add(station)
    return station


def make_world() -> World:
    county = make_region("示范区", "county", None, 34.75, 113.62)
    township_a = make_region("东风街道", "township", county, 34.76, 113.60)
    township_b = make_region("柳林镇", "township", county, 34.90, 113.80)
    village_a1 = make_region("杏花社区", "village", township_a, 34.765, 113.605)
    village_a2 = make_region("桃园村", "village", township_a, 34.75, 113.59)
    village_b1 = make_region("河口村", "village", township_b, 34.91, 113.81)
    centre = make_station("示范区社会工作指导中心", "county_centre", county)
    station_a = make_station("东风街道社工站", "township_station", township_a, centre)
    room_a1 = make_station("杏花社区社工室", "village_room", village_a1, station_a)
    station_b = make_station("柳林镇社工站", "township_station", township_b, centre)
    db.session.flush()
    return World(
        county,
        township_a,
        township_b,
        village_a1,
        village_a2,
        village_b1,
        centre,
        station_a,
        room_a1,
        station_b,
    )


def make_phone() -> str:
    return f"+86139{next(_seq) % 100000000:08d}"


def make_user(
    roles=("volunteer",),
    station: Station | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    phone: str | None = None,
    **kwargs,
) -> User:
    n = next(_seq)
    user = User(
        username=kwargs.pop("username", f"user{n}"),
        phone=phone or make_phone(),
        name=name or f"测试用户{n}",
        station=station,
        **kwargs,
    )
    user.set_password(password)
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    db.session.flush()
    return user


def make_volunteer(
    station: Station | None = None,
    *,
    lat: float = 34.76,
    lon: float = 113.60,
    skills=("shopping", "companionship"),
    status: str = "approved",
    radius_km: float = 10.0,
    vetted_for_children: bool = False,
    availability=None,
    open_task_limit: int = 2,
    **kwargs,
) -> User:
    roles = kwargs.pop("roles", ("volunteer",))
    user = make_user(roles=roles, station=station, **kwargs)
    profile = VolunteerProfile(
        user_id=user.id,
        station_id=station.id if station else None,
        skills=list(skills),
        availability=availability
        if availability is not None
        else [{"day": d, "start": "00:00", "end": "23:59"} for d in range(7)],
        home_lat=lat,
        home_lon=lon,
        radius_km=radius_km,
        status=status,
        vetted_for_children=vetted_for_children,
        open_task_limit=open_task_limit,
    )
    db.session.add(profile)
    db.session.flush()
    return user


def make_team(station: Station, leader: User, members=(), **kwargs) -> Team:
    team = Team(
        name=kwargs.pop("name", f"志愿服务队{next(_seq)}"),
        station_id=station.id,
        leader_id=leader.id,
        lat=kwargs.pop("lat", station.lat),
        lon=kwargs.pop("lon", station.lon),
        **kwargs,
    )
    db.session.add(team)
    db.session.flush()
    for member in (leader, *members):
        db.session.add(TeamMember(team_id=team.id, user_id=member.id))
    db.session.flush()
    return team


def make_beneficiary(station: Station, village: Region | None = None, **kwargs) -> Beneficiary:
    person = Beneficiary(
        name=kwargs.pop("name", f"服务对象{next(_seq)}"),
        station_id=station.id,
        village_id=village.id if village else None,
        phone=kwargs.pop("phone", make_phone()),
        **kwargs,
    )
    db.session.add(person)
    db.session.flush()
    return person


def make_request(
    station: Station,
    *,
    status: str = "new",
    village: Region | None = None,
    category: str = "shopping",
    urgency: str = "normal",
    created_ago: timedelta = timedelta(minutes=5),
    **kwargs,
) -> HelpRequest:
    created = utcnow() - created_ago
    request = HelpRequest(
        code=kwargs.pop("code", None) or f"{next(_codes):08d}",
        category=category,
        urgency=urgency,
        status=status,
        station_id=station.id,
        village_id=village.id if village else None,
        lat=kwargs.pop("lat", village.lat if village else station.lat),
        lon=kwargs.pop("lon", village.lon if village else station.lon),
        contact_phone=kwargs.pop("contact_phone", make_phone()),
        description=kwargs.pop("description", "需要帮忙买菜和药"),
        consent=True,
        created_at=created,
        **kwargs,
    )
    db.session.add(request)
    db.session.flush()
    return request


def shows_code(text: str, code: str) -> bool:
    """Whether a page or SMS shows this tracking code, as stored or as read out in groups
    ("38061472" / "3806 1472")."""
    from app.services.codes import code_text

    return code in text or code_text(code) in text
