"""Nearby tasks cost the same however many offered requests the county holds: the same
statements for 5 and 60 of them, and the ring-by-ring search finds exactly the nearest."""

import math
import random
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Offer
from app.models.base import utcnow
from app.services import geo, volunteers
from tests import factories
from tests.blueprints.test_console_statements import counted_statements
from tests.volunteer_support import fast_passwords, sign_in, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def _offered_around(world, place, n: int, *, spread_km: float, seed: int) -> list:
    rng = random.Random(seed)
    made = []
    for _ in range(n):
        lat, lon = place
        made.append(
            factories.make_request(
                world.station_a,
                status="offered",
                category=rng.choice(("shopping", "companionship", "tutoring")),
                lat=lat + rng.uniform(-spread_km, spread_km) / 110.574,
                lon=lon + rng.uniform(-spread_km, spread_km) / 91.0,
            )
        )
    db.session.commit()
    return made


def test_nearby_tasks_take_the_same_statements_for_5_and_60_offered(app, client, world):
    volunteer = volunteer_near(world, 1)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    _offered_around(world, home, 5, spread_km=3, seed=1)
    sign_in(client, volunteer)
    client.get("/v/tasks")
    with counted_statements(app) as few:
        first = client.get("/v/tasks").get_data(as_text=True)
    _offered_around(world, home, 55, spread_km=3, seed=2)
    client.get("/v/tasks")
    with counted_statements(app) as many:
        second = client.get("/v/tasks").get_data(as_text=True)
    shown = ('class="list-item task-item', "badge-offer")
    assert first.count(shown[0]) > 0 and second.count(shown[0]) == volunteers.NEARBY_LIMIT
    # the user (roles, station, profile); the led team; the open offers and their tasks;
    # at most two rings of the nearest; the shown tasks' rows
    assert len(many) <= len(few) + 1 and len(many) <= 7, (len(few), many)


def test_a_volunteer_with_open_offers_to_them_and_their_team_takes_no_more_statements(
    app, client, world
):
    """The open offers come with their tasks and teams joined: one statement, however
    many offers and whoever they went to."""
    from tests.blueprints.test_volunteer_task_order import offer_to

    volunteer = volunteer_near(world, 1)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    _offered_around(world, home, 12, spread_km=3, seed=3)
    offered = [
        factories.make_request(
            world.station_a, status="offered", category="shopping", lat=home[0], lon=home[1]
        )
        for _ in range(3)
    ]
    team = factories.make_team(world.station_a, volunteer, skills=["shopping"])
    offer_to(volunteer, offered[0], 1.0)
    offer_to(volunteer, offered[1], 2.0)
    db.session.add(
        Offer(
            request_id=offered[2].id,
            team_id=team.id,
            round=1,
            rank=1,
            distance_km=1.5,
            reasons=[],
            reply_code="K7M4",
            status="pending",
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.session.commit()
    sign_in(client, volunteer)
    client.get("/v/tasks")
    with counted_statements(app) as seen:
        page = client.get("/v/tasks").get_data(as_text=True)
    assert page.count("badge-offer") == 3
    # the user; the led team; the open offers with their tasks and teams (one statement,
    # three before); from home and from the team's place each, at most two rings and the
    # shown tasks' rows
    assert len(seen) <= 3 + 2 * 3, "\n".join(seen)


@pytest.mark.parametrize("spread_km", [1.5, 6.0, 19.0])
def test_the_rings_find_exactly_the_nearest_within_reach(world, spread_km):
    """Dense (the first ring is enough), middling and sparse (the whole radius): the same
    list as sorting every offered request in reach by distance."""
    volunteer = volunteer_near(world, 1, skills=("shopping", "companionship"), radius_km=10)
    profile = volunteer.volunteer
    home = (profile.home_lat, profile.home_lon)
    made = _offered_around(world, home, 80, spread_km=spread_km, seed=int(spread_km * 10))
    limit = 6
    found = volunteers.nearby_tasks(volunteer, limit=limit)
    in_reach = sorted(
        (
            (geo.approx_km(*home, r.lat, r.lon), r.id)
            for r in made
            if r.category in ("shopping", "companionship")
            and geo.approx_km(*home, r.lat, r.lon) <= profile.radius_km
        ),
    )
    assert [t.request.id for t in found] == [rid for _km, rid in in_reach[:limit]]


def test_a_full_first_ring_still_yields_to_nearer_tasks_just_outside_it(world):
    """The first ring (a quarter of the reach) full of tasks in its corners: tasks just
    past its edge are nearer than those corners, and come first."""
    volunteer = volunteer_near(world, 1, skills=("shopping",), radius_km=10)
    profile = volunteer.volunteer
    lat, lon = profile.home_lat, profile.home_lon
    east = 111.320 * math.cos(math.radians(lat))
    ring_km = profile.radius_km * volunteers.FIRST_RING  # 2.5 km
    corners = [
        factories.make_request(
            world.station_a,
            status="offered",
            lat=lat + sign_lat * (ring_km - 0.3 - i * 0.01) / 110.574,
            lon=lon + sign_lon * (ring_km - 0.3 - i * 0.01) / east,
        )
        for i in range(8)
        for sign_lat in (1, -1)
        for sign_lon in (1, -1)
    ]
    past_edge = [
        factories.make_request(
            world.station_a,
            status="offered",
            lat=lat + (ring_km + 0.3 + i * 0.05) / 110.574,
            lon=lon,
        )
        for i in range(3)
    ]
    db.session.commit()
    found = volunteers.nearby_tasks(volunteer, limit=6)
    # The first ring alone holds all the search asks for (32 corners for a limit of 6).
    assert [t.request.id for t in found[:3]] == [r.id for r in past_edge]
    assert {t.request.id for t in found[3:]} <= {r.id for r in corners}  # then the corners


def test_a_team_leaders_list_reads_the_teams_own_nearest_past_tasks_home_listed(world):
    """Home lists the shopping tasks at the team's base; from the base those come first
    too, and are skipped as listed. The base's nearer cleaning tasks must still be read
    (the search used to stop there, as enough tasks were listed from somewhere)."""
    volunteer = volunteer_near(world, 1, skills=("shopping",), radius_km=10)
    profile = volunteer.volunteer
    base = (profile.home_lat + 5 / 110.574, profile.home_lon)  # 5 km north of home
    team = factories.make_team(
        world.station_a,
        volunteer,
        skills=["shopping", "cleaning"],
        lat=base[0],
        lon=base[1],
        radius_km=10,
    )
    for i in range(8):
        factories.make_request(
            world.station_a,
            status="offered",
            category="shopping",
            lat=base[0] + i * 0.0001,
            lon=base[1],
        )
    cleaning = [
        factories.make_request(
            world.station_a,
            status="offered",
            category="cleaning",
            lat=base[0] - (1 + i * 0.1) / 110.574,
            lon=base[1],
        )
        for i in range(3)
    ]
    db.session.commit()
    found = volunteers.nearby_tasks(volunteer, limit=3, team=team)
    assert [t.request.id for t in found] == [r.id for r in cleaning]
