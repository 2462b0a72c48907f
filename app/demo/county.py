"""The county's places and people: regions, stations, staff, volunteers and their teams.

Inserted directly, as no use case makes them: regions and stations (set up by the
county), staff accounts, and each volunteer's account and profile as ``volunteers.sign_up``
and ``confirm_phone`` leave them (pending, phone confirmed; sign_up itself would hash 200
passwords at 0.1 s each and run an SMS code flow for each). A team's skills, reach, task
limit and weekly times are set on the row, as no use case edits them yet.

Through the use cases: approval (``admin.approve``), vetting for children
(``admin.set_vetted``), suspension (``admin.suspend``), team creation
(``admin.create_team``) and membership (``admin.add_member``), each at its own time.
"""

from __future__ import annotations

from datetime import timedelta

from app.demo import data as D
from app.demo.state import Demo, Town, km_to_deg
from app.extensions import db
from app.models import Region, Station, User, VolunteerProfile
from app.services import admin
from app.services.volunteers import VOLUNTEER_SKILLS

VOLUNTEER_COUNT = 200


def build_geography(demo: Demo) -> None:
    rng = demo.rng
    lat0, lon0 = D.COUNTY_CENTRE
    county = Region(code=D.COUNTY_CODE, name=D.COUNTY_NAME, level="county", lat=lat0, lon=lon0)
    centre = Station(
        name=f"{D.COUNTY_NAME}社会工作指导中心",
        kind="county_centre",
        region=county,
        lat=lat0 + 0.0021,
        lon=lon0 - 0.0017,
        address=f"{D.COUNTY_NAME}文昌路88号（县民政局三楼）",
        phone=f"+86{D.PHONE_AREA}6120101",
    )
    demo.county, demo.centre = county, centre
    db.session.add_all([county, centre])
    stations = 1
    serial = {"street": 0, "town": 100, "xiang": 200}
    for name, kind, (east, north), villages in D.TOWNSHIPS:
        serial[kind] += 1
        prefix = f"{D.COUNTY_CODE[:6]}{serial[kind]:03d}"
        dlat, dlon = km_to_deg(lat0, east, north)
        tlat, tlon = round(lat0 + dlat, 6), round(lon0 + dlon, 6)
        township = Region(
            code=f"{prefix}000", name=name, level="township", parent=county, lat=tlat, lon=tlon
        )
        slat, slon = demo.jitter(tlat, tlon, 0.3)
        station = Station(
            name=f"{name}社工站",
            kind="township_station",
            region=township,
            parent=centre,
            lat=slat,
            lon=slon,
            address=(
                f"{D.COUNTY_NAME}{name}{rng.choice(D.STREETS)}{rng.randint(1, 99)}号"
                f"（{rng.choice(D.STATION_PLACES)}）"
            ),
            phone=f"+86{D.PHONE_AREA}{rng.randint(5, 8)}{rng.randint(0, 999999):06d}",
            auto_offer=name != D.DEMO_STATION,
        )
        stations += 1
        town = Town(name=name, region=township, station=station)
        demo.towns[name] = town
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
            vlat, vlon = demo.jitter(tlat, tlon, spread)
            village = Region(
                code=f"{prefix}{number:03d}",
                name=vname,
                level="village",
                parent=township,
                lat=vlat,
                lon=vlon,
            )
            town.villages.append(village)
            demo.village_town[vname] = town
            db.session.add(village)
            demo.counts["villages"] += 1
            if vname in D.ROOM_VILLAGES:
                room = Station(
                    name=f"{vname}社工室",
                    kind="village_room",
                    region=village,
                    parent=station,
                    lat=vlat,
                    lon=vlon,
                    address=f"{name}{vname}{rng.choice(D.ROOM_PLACES)}",
                    phone=station.phone,
                )
                db.session.add(room)
                stations += 1
                demo.village_station[id(village)] = room
    demo.counts["stations"] = stations
    db.session.flush()


def _new_user(demo: Demo, *, username, phone, name, roles, station=None, created_at) -> User:
    user = User(
        username=username,
        phone=phone,
        name=name,
        password_hash=demo.password_hash,
        station=station,
        created_at=created_at,
        # Confirmed by SMS code when they signed up (issue 13).
        phone_confirmed_at=created_at,
    )
    for role in roles:
        user.add_role(role)
    demo.used_phones.add(phone)
    demo.used_names.add(name)
    db.session.add(user)
    return user


def build_staff(demo: Demo) -> None:
    for username, phone, name, roles, township in D.STAFF:
        station = demo.centre if township is None else demo.towns[township].station
        created = demo.now - timedelta(days=demo.rng.randint(120, 400))
        user = _new_user(
            demo,
            username=username,
            phone=phone,
            name=name,
            roles=roles,
            station=station,
            created_at=created,
        )
        demo.staff[username] = user
        if township is not None:
            town = demo.towns[township]
            if "social_worker" in roles:
                town.workers.append(user)
            if "station_admin" in roles and town.admin is None:
                town.admin = user
    demo.county_worker = demo.staff["xianshegong"]
    db.session.flush()


def build_volunteers(demo: Demo) -> None:
    """200 volunteers: signed up, then approved (most), vetted (some) or suspended (few)."""
    rng = demo.rng
    weights = [4 if n == D.DEMO_STATION else 2 if n in D.STAFFED else 1 for n in demo.towns]
    names = list(demo.towns)
    liulin = demo.towns[D.DEMO_STATION]
    fixed = {
        0: ("zhiyuanzhe", "+8613703740101", "张浩然", "young", liulin.villages[1]),
        1: ("duizhang", "+8613703740102", "刘宇航", "young", liulin.villages[0]),
    }
    skills_pool, skill_weights = list(D.SKILL_WEIGHTS), list(D.SKILL_WEIGHTS.values())
    decisions = []  # (when, volunteer number, what, profile, by whom)
    for i in range(VOLUNTEER_COUNT):
        if i in fixed:
            username, phone, name, age, village = fixed[i]
        else:
            town = demo.towns[rng.choices(names, weights)[0]]
            village = rng.choice(town.villages)
            age = rng.choices(["young", "mid", "old"], [3, 5, 2])[0]
            gender = rng.choice("FFM")
            username, phone, name = None, demo.mobile(), demo.person_name(age, gender)
        town = demo.village_town[village.name]
        skills = set()
        while len(skills) < rng.randint(2, 4):
            skills.add(rng.choices(skills_pool, skill_weights)[0])
        if age == "young" and rng.random() < 0.5:
            skills.add("tutoring")
        if i in fixed:
            skills |= {"shopping", "companionship", "tutoring", "medical_escort"}
        roll = rng.random()
        outcome = (
            "approved" if i in fixed or roll < 0.86 else "pending" if roll < 0.98 else "suspended"
        )
        approved_at = None
        if outcome == "pending":
            signed_up = demo.now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        else:
            # Approved before any request of the stories (the last 60 days) was made.
            approved_at = demo.now - timedelta(days=rng.randint(90, 300))
            signed_up = approved_at - timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 9))
        user = _new_user(
            demo,
            username=username,
            phone=phone,
            name=name,
            roles=("volunteer",),
            created_at=signed_up,
        )
        home_lat, home_lon = demo.jitter(village.lat, village.lon, 0.8)
        profile = VolunteerProfile(
            user=user,
            station_id=town.station.id,
            skills=sorted(skills, key=VOLUNTEER_SKILLS.index),
            availability=(
                [{"day": d, "start": "08:00", "end": "20:00"} for d in range(7)]
                if i in fixed
                else rng.choice(D.AVAILABILITY)
            ),
            home_lat=home_lat,
            home_lon=home_lon,
            home_village_id=village.id,
            radius_km=float(10 if i in fixed else rng.choice([3, 5, 5, 8, 8, 10, 12, 15])),
            open_task_limit=3 if i in fixed else rng.choice([2, 2, 2, 3]),
        )
        db.session.add(profile)
        town.volunteers.append(user)
        approver = town.admin or demo.workers_of(town)[0]
        if approved_at is not None:
            vetted = i in fixed or rng.random() < (0.5 if "tutoring" in skills else 0.15)
            what = "vetted" if vetted else "approved"
            decisions.append((approved_at, i, what, profile, approver))
            if outcome == "suspended":
                later = demo.now - timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 9))
                decisions.append((later, i, "suspended", profile, approver))
        demo.counts["volunteers"] += 1
    db.session.flush()
    for when, _i, what, profile, by in sorted(decisions, key=lambda d: (d[0], d[1])):
        demo.at(demo.local_daytime(when))
        if what == "suspended":
            admin.suspend(profile, by)
            continue
        admin.approve(profile, by)
        if what == "vetted":
            admin.set_vetted(profile, by, True)


def _approved(town_volunteers: list[User]) -> list[User]:
    return [v for v in town_volunteers if v.volunteer.status == "approved"]


def build_teams(demo: Demo) -> None:
    """Each team is set up by its station's admin (or worker) once its people are approved,
    and before the requests' stories begin."""
    rng = demo.rng
    for name, kind, township, skills in D.TEAMS:
        if township is None:
            pool = [v for n in D.COUNTY_TEAM_TOWNS for v in demo.towns[n].volunteers]
            actor = demo.county_worker
        else:
            town = demo.towns[township]
            pool = town.volunteers
            actor = town.admin or town.workers[0]
        approved = _approved(pool)
        if name == D.TEAMS[0][0]:
            leader = next(v for v in approved if v.username == "duizhang")
        else:
            free = [v for v in approved if not v.has_role("team_leader")]
            leader = rng.choice(free)
        others = [v for v in approved if v is not leader and v.username != "duizhang"]
        members = rng.sample(others, min(len(others), rng.randint(4, 9)))
        if name == D.TEAMS[0][0]:
            demo_volunteer = next(v for v in approved if v.username == "zhiyuanzhe")
            if demo_volunteer not in members:
                members.append(demo_volunteer)
        last_approval = max(v.volunteer.approved_at for v in (leader, *members))
        formed = min(
            last_approval + timedelta(days=rng.randint(1, 30)),
            demo.now - timedelta(days=rng.randint(60, 80)),
        )
        demo.at(demo.local_daytime(formed))
        team = admin.create_team(actor, name=name, kind=kind, leader_id=leader.id)
        # What the team does, how far it goes, how much it takes on: no use case sets
        # these yet (the team page edits members and leader only).
        team.skills = skills
        team.radius_km = 25.0 if kind == "social_org" else float(rng.choice([10, 12, 15]))
        team.open_task_limit = 8 if kind == "social_org" else 5
        team.availability = D.TEAM_WINDOWS.get(name, [])
        for member in members:
            admin.add_member(team, actor, member.id)
        demo.team_members[team.id] = [leader, *members]
        if township is not None:
            demo.towns[township].teams.append(team)
        demo.counts["teams"] += 1
