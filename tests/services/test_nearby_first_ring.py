"""Where offered requests lie dense, a place's nearby search learns a smaller first ring
(app/services/nearby.py, ``first_ring``): the same list from a quarter of the box at each
halving; and a ring made too small grows back. Every list is checked against sorting
every offered request in reach by distance."""

import random
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from app.services import geo, nearby, volunteers
from tests.blueprints.test_volunteer_statements import _offered_around
from tests.volunteer_support import fast_passwords, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

SKILLS = ("shopping", "companionship")
LIMIT = 6


@contextmanager
def ring_boxes(app):
    """The half-height (km) of each ring box the nearby search reads, in order."""
    boxes: list[float] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        params = (context.compiled_parameters or [{}])[0] if context is not None else {}
        if "nearness" in statement and "min_lat" in params:
            boxes.append((params["max_lat"] - params["min_lat"]) / 2 * 110.574)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield boxes
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def _nearest_in_reach(volunteer, made) -> list[int]:
    profile = volunteer.volunteer
    home = (profile.home_lat, profile.home_lon)
    in_reach = sorted(
        (geo.approx_km(*home, r.lat, r.lon), r.id)
        for r in made
        if r.status == "offered"
        and r.category in SKILLS
        and geo.approx_km(*home, r.lat, r.lon) <= profile.radius_km
    )
    return [rid for _km, rid in in_reach[:LIMIT]]


def _search(app, volunteer) -> tuple[list[int], list[float]]:
    with ring_boxes(app) as boxes:
        found = volunteers.nearby_tasks(volunteer, limit=LIMIT)
    return [t.request.id for t in found], boxes


def _key(volunteer) -> tuple:
    profile = volunteer.volunteer
    place = (profile.home_lat, profile.home_lon, profile.radius_km, None)
    return nearby._ring_key(place, sorted(SKILLS))


def test_a_dense_place_reads_a_smaller_first_ring_for_the_same_list(app, world):
    volunteer = volunteer_near(world, 1, skills=SKILLS, radius_km=10)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    made = _offered_around(world, home, 90, spread_km=0.5, seed=7)
    wanted = _nearest_in_reach(volunteer, made)

    first_boxes = []
    for _ in range(4):
        ids, boxes = _search(app, volunteer)
        assert ids == wanted
        assert len(boxes) == 1  # the first ring was enough each time
        first_boxes.append(boxes[0])
    # 2.5 km (a quarter of the 10 km reach), then halved while the rows the list read
    # (its first chunk, all within a few hundred metres) lie inside the half ring's circle
    assert first_boxes[0] == pytest.approx(2.5)
    assert first_boxes[1] == pytest.approx(1.25)
    assert first_boxes[2] == pytest.approx(0.625)
    assert nearby.first_ring(_key(volunteer)) < nearby.FIRST_RING


def test_a_first_ring_made_too_small_grows_back_and_the_list_stays_right(app, world):
    volunteer = volunteer_near(world, 1, skills=SKILLS, radius_km=10)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    near = _offered_around(world, home, 60, spread_km=0.4, seed=11)
    far = _offered_around(world, home, 40, spread_km=6, seed=12)
    for _ in range(3):
        _search(app, volunteer)
    learnt = nearby.first_ring(_key(volunteer))
    assert learnt < nearby.FIRST_RING

    for request in near:  # the dense cluster taken: the near ones are no longer offered
        request.status = "assigned"
    db.session.commit()
    ids, boxes = _search(app, volunteer)
    assert ids == _nearest_in_reach(volunteer, near + far)
    assert len(boxes) >= 2  # the small ring was not enough: a wider one was read
    # the ring that answered is where the next search starts, and it gives the same list
    assert boxes[-1] == pytest.approx(10 * min(1.0, learnt * 4 ** (len(boxes) - 1)))
    assert nearby.first_ring(_key(volunteer)) == pytest.approx(boxes[-1] / 10)
    again, boxes_again = _search(app, volunteer)
    assert again == ids and len(boxes_again) == 1


def test_a_place_whose_first_ring_holds_enough_keeps_it(app, world):
    volunteer = volunteer_near(world, 1, skills=SKILLS, radius_km=10)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    made = _offered_around(world, home, 30, spread_km=2.4, seed=5)
    for _ in range(3):
        ids, boxes = _search(app, volunteer)
        assert ids == _nearest_in_reach(volunteer, made)
        assert boxes == [pytest.approx(2.5)]
    assert _key(volunteer) not in nearby._first_rings


def test_a_sparse_place_learns_to_read_its_whole_reach_at_once(app, world):
    """Nothing within the first ring: the whole reach answered, and is read at once next
    time (one statement, not two), for the same list."""
    volunteer = volunteer_near(world, 1, skills=SKILLS, radius_km=10)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    made = _offered_around(world, home, 40, spread_km=9, seed=9)
    for request in made:
        if geo.approx_km(*home, request.lat, request.lon) <= 4:
            request.status = "assigned"  # taken: none left within the first ring
    db.session.commit()
    wanted = _nearest_in_reach(volunteer, made)
    assert wanted
    first_ids, first_boxes = _search(app, volunteer)
    assert first_ids == wanted
    assert first_boxes == [pytest.approx(2.5), pytest.approx(10.0)]
    assert nearby.first_ring(_key(volunteer)) == 1.0
    ids, boxes = _search(app, volunteer)
    assert ids == wanted and boxes == [pytest.approx(10.0)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_whatever_ring_a_place_has_learnt_the_list_is_the_nearest(app, world, seed):
    """A learnt ring from another time (any size down to the smallest) gives the same list
    as the default one, whatever the spread."""
    rng = random.Random(seed)
    volunteer = volunteer_near(world, 1, skills=SKILLS, radius_km=10)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    made = _offered_around(world, home, 70, spread_km=rng.choice((0.3, 2, 8)), seed=seed)
    wanted = _nearest_in_reach(volunteer, made)
    for ring in (nearby.SMALLEST_FIRST_RING, nearby.FIRST_RING / 4, nearby.FIRST_RING):
        nearby._first_rings[_key(volunteer)] = ring
        ids, boxes = _search(app, volunteer)
        assert ids == wanted, ring
        assert boxes[0] == pytest.approx(10 * ring)


def test_the_places_kept_are_bounded_and_no_ring_is_smaller_than_the_smallest(monkeypatch):
    monkeypatch.setattr(nearby, "FIRST_RINGS_KEPT", 3)
    monkeypatch.setattr(nearby, "_first_rings", {})
    places = [(i, 0, 10.0, ("shopping",)) for i in range(5)]
    for place in places:  # the rows needed lie at the place itself: any ring may be halved
        nearby._learn_first_ring(place, nearby.FIRST_RING, 0, 0.0)
    assert list(nearby._first_rings) == places[2:]  # the longest kept went first
    assert set(nearby._first_rings.values()) == {nearby.FIRST_RING / 2}
    nearby._first_rings[places[4]] = nearby.SMALLEST_FIRST_RING
    nearby._learn_first_ring(places[4], nearby.SMALLEST_FIRST_RING, 0, 0.0)
    assert nearby._first_rings[places[4]] == nearby.SMALLEST_FIRST_RING
