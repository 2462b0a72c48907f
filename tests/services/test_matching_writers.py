"""Every writer of a volunteer's home point, radius, skills or windows keeps the reach cell,
the skill bits and the packed windows that matching reads from its index (models/reach.py,
models/windows.py): sign-up (and signing up again,
which rewrites the profile), the model itself in any order of setting, the demo county,
the matching bench's loader. (The county bench's loader: tests/benchmarks; the migration's
backfill: tests/test_migrations.py.)"""

from __future__ import annotations

import math
import random
from datetime import datetime

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import User, VolunteerProfile
from app.models.reach import REACH_CLASSES, reach_cell
from app.models.vocab import CATEGORIES, CATEGORY_BITS, skills_mask
from app.models.windows import pack
from app.services import volunteers
from benchmarks import matching as matching_bench
from tests.volunteer_support import fast_passwords

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

WEEK = [{"day": 0, "start": "08:00", "end": "12:00"}]


def _stored_cells_agree() -> int:
    """Each stored profile's cell, bits and packed windows are what its stored point,
    radius, skills and windows give; how many profiles have a point."""
    db.session.flush()
    db.session.expire_all()
    with_point = 0
    for profile in db.session.scalars(select(VolunteerProfile)):
        expected = reach_cell(profile.home_lat, profile.home_lon, profile.radius_km)
        assert (profile.reach_cell, profile.skill_bits) == (expected, skills_mask(profile.skills))
        assert (profile.window_code or b"") == pack(profile.availability)
        with_point += profile.home_lat is not None
    return with_point


def test_every_category_has_its_own_bit():
    assert set(CATEGORY_BITS) == set(CATEGORIES)
    bits = list(CATEGORY_BITS.values())
    assert len(set(bits)) == len(bits) and all(b & (b - 1) == 0 for b in bits)
    assert skills_mask(["shopping", "not-a-code"]) == CATEGORY_BITS["shopping"]


def test_a_radius_falls_in_the_smallest_class_that_holds_it():
    cells = {r: reach_cell(34.76, 113.6, r) // 10**10 for r in (0.5, 1, 1.01, 3, 29.9, 30, 45)}
    assert cells == {0.5: 0, 1: 0, 1.01: 1, 3: 1, 29.9: 5, 30: 5, 45: 6}
    assert len(REACH_CLASSES) == 7
    assert reach_cell(None, 113.6, 5.0) is None


def test_the_model_keeps_the_cell_whatever_is_set_and_in_what_order(app):
    profile = VolunteerProfile(skills=["shopping"], home_lat=34.76, home_lon=113.6)
    # No radius given: the column's default (5 km) is what it will store.
    assert profile.reach_cell == reach_cell(34.76, 113.6, 5.0)
    profile.radius_km = 30.0
    assert profile.reach_cell == reach_cell(34.76, 113.6, 30.0)
    profile.home_lon = 114.2
    profile.home_lat = 35.1
    assert profile.reach_cell == reach_cell(35.1, 114.2, 30.0)
    profile.home_lat = None
    assert profile.reach_cell is None
    profile.skills = ["cleaning", "tutoring"]
    assert profile.skill_bits == CATEGORY_BITS["cleaning"] | CATEGORY_BITS["tutoring"]
    reverse = VolunteerProfile(radius_km=2.0, home_lon=113.6, home_lat=34.76)
    assert reverse.reach_cell == reach_cell(34.76, 113.6, 2.0)
    assert profile.window_code is None  # no windows set: none accepted, as []
    profile.availability = WEEK
    assert profile.window_code == pack(WEEK) and len(profile.window_code) == 4
    profile.availability = []
    assert profile.window_code == b""


def test_sign_up_and_signing_up_again_keep_the_cell(world):
    phone = "+8613912345670"
    volunteers.sign_up(
        name="王芳",
        phone=phone,
        password="long-enough-1",
        skills=["shopping", "companionship"],
        availability=WEEK,
        radius_km=3,
        lat=34.77,
        lon=113.61,
    )
    user = db.session.scalar(select(User).where(User.phone == phone))
    assert user.volunteer.reach_cell == reach_cell(34.77, 113.61, 3.0)
    assert _stored_cells_agree() == 1
    # Not yet confirmed: signing up again with the number rewrites the profile.
    volunteers.sign_up(
        name="王芳",
        phone=phone,
        password="long-enough-1",
        skills=["cleaning"],
        availability=WEEK,
        radius_km=20,
        village_id=world.village_a1.id,
    )
    user = db.session.scalar(select(User).where(User.phone == phone))
    village = world.village_a1
    assert user.volunteer.reach_cell == reach_cell(village.lat, village.lon, 20.0)
    assert user.volunteer.skill_bits == CATEGORY_BITS["cleaning"]
    assert _stored_cells_agree() == 1


def test_the_demo_county_keeps_the_cell(app):
    demo.seed_demo(now=datetime(2026, 11, 30, 9, 0), months=0)
    assert _stored_cells_agree() > 20


def test_the_matching_bench_loads_the_cell_the_model_would_keep():
    rows = list(matching_bench._profiles(random.Random(3), range(1, 400)))
    for row in rows:
        assert row["reach_cell"] == reach_cell(row["home_lat"], row["home_lon"], row["radius_km"])
        assert row["skill_bits"] == skills_mask(row["skills"])
        assert row["window_code"] == pack(row["availability"])
    # Every class but the last (a radius beyond 30 km): the bench's radii stop at 30.
    assert len({row["reach_cell"] // 10**10 for row in rows}) == len(REACH_CLASSES) - 1


def _keys(ranges) -> set[int]:
    return {key for low, high in ranges for key in range(low, high + 1)}


@pytest.mark.parametrize("factor", [1.0, 2.0])
def test_the_cells_read_hold_everyone_within_reach_and_fewer_than_the_box(factor):
    """Each class is read in the cells its reach's disc touches (the last class, a radius
    beyond 30 km, in the whole box): every point the pre-filter's quick distance puts
    within a class's reach, on the disc's edge too, is in a cell read; the 30 km class
    reads fewer cells than its box."""
    from app.models import reach
    from app.services import geo
    from app.services.matching import prefilter

    rng = random.Random(8)
    lat, lon = 34.76, 113.6
    kx = prefilter._KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat))
    ky = prefilter._KM_PER_DEG_LAT
    reach_km = [largest * factor + prefilter.REACH_MARGIN_KM for largest, _ in REACH_CLASSES]
    box_km = 30.0 * factor
    read = _keys(
        reach.ranges_for_place(
            lat,
            lon,
            [r + prefilter._CELL_SLACK_KM for r in reach_km],
            box_km + prefilter._CELL_SLACK_KM,
            geo.bounding_box,
            (ky, kx),
        )
    )
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, box_km)
    for radius in (1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0, 30.0, 45.0):
        reach_here = radius * factor + prefilter.REACH_MARGIN_KM
        for _ in range(400):
            angle = rng.uniform(0, 2 * math.pi)
            km = reach_here * (1.0 if rng.random() < 0.3 else math.sqrt(rng.random()))
            point = (lat + km * math.sin(angle) / ky, lon + km * math.cos(angle) / kx)
            if not (min_lat <= point[0] <= max_lat and min_lon <= point[1] <= max_lon):
                continue  # outside the box: matching never looks there
            assert reach_cell(*point, radius) in read, (radius, km, angle)
    thirty = reach.reach_class(30.0)
    in_box = reach.ranges_for_place(
        lat, lon, [math.inf] * len(REACH_CLASSES), box_km, geo.bounding_box, (ky, kx)
    )
    clipped = {key for key in read if key // 10**10 == thirty}
    assert len(clipped) < len({key for key in _keys(in_box) if key // 10**10 == thirty})
