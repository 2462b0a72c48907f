"""Every writer of a volunteer's home point, radius or skills keeps the reach cell and the
skill bits that matching searches by (models/reach.py): sign-up (and signing up again,
which rewrites the profile), the model itself in any order of setting, the demo county,
the matching bench's loader. (The county bench's loader: tests/benchmarks; the migration's
backfill: tests/test_migrations.py.)"""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import User, VolunteerProfile
from app.models.reach import REACH_CLASSES, reach_cell
from app.models.vocab import CATEGORIES, CATEGORY_BITS, skills_mask
from app.services import volunteers
from benchmarks import matching as matching_bench
from tests.volunteer_support import fast_passwords

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

WEEK = [{"day": 0, "start": "08:00", "end": "12:00"}]


def _stored_cells_agree() -> int:
    """Each stored profile's cell and bits are what its stored point, radius and skills
    give; how many profiles have a point."""
    db.session.flush()
    db.session.expire_all()
    with_point = 0
    for profile in db.session.scalars(select(VolunteerProfile)):
        expected = reach_cell(profile.home_lat, profile.home_lon, profile.radius_km)
        assert (profile.reach_cell, profile.skill_bits) == (expected, skills_mask(profile.skills))
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
    # Every class but the last (a radius beyond 30 km): the bench's radii stop at 30.
    assert len({row["reach_cell"] // 10**10 for row in rows}) == len(REACH_CLASSES) - 1
