"""Where offered requests lie dense, a place's nearby search learns a smaller first ring
(app/services/nearby.py, ``first_ring``): the same list from a quarter of the box at each
halving; and a ring made too small grows back. Every list is checked against sorting
every offered request in reach by distance."""

import random
from contextlib import contextmanager

import pytest

from app.extensions import db
from app.services import geo, nearby, volunteers
from tests import factories
from tests.blueprints.test_volunteer_statements import _offered_around
from tests.statements_support import each_statement
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

    with each_statement(app, seen):
        yield boxes


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
    return nearby._ring_key(volunteer, place, sorted(SKILLS))


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


@pytest.mark.parametrize("spread_km", [0.3, 2, 8])
def test_whatever_ring_a_place_has_learnt_the_list_is_the_nearest(app, world, spread_km):
    """A learnt ring from another time (any size the learning can give, from the smallest
    to the whole reach) gives the same list as the default one, dense or sparse."""
    volunteer = volunteer_near(world, 1, skills=SKILLS, radius_km=10)
    home = (volunteer.volunteer.home_lat, volunteer.volunteer.home_lon)
    made = _offered_around(world, home, 70, spread_km=spread_km, seed=int(spread_km * 10))
    wanted = _nearest_in_reach(volunteer, made)
    rings = [nearby.SMALLEST_FIRST_RING * 2**k for k in range(7)]  # 1/64 ... 1
    assert rings[-1] == 1.0
    for ring in rings:
        nearby._first_rings[_key(volunteer)] = ring
        ids, boxes = _search(app, volunteer)
        assert ids == wanted, ring
        assert boxes[0] == pytest.approx(10 * ring)


def test_two_volunteers_at_one_point_each_keep_their_own_ring(app, world):
    """Children's cases nearest, plain ones farther: the vetted volunteer's list is the
    children's, the other's the plain ones, and they need different rings. Each keeps their
    own, read in one statement at every search once learnt (a ring shared by the point
    was pulled back and forth, a wider box every other search)."""
    vetted = volunteer_near(world, 1, skills=SKILLS, radius_km=10, vetted_for_children=True)
    plain = volunteer_near(world, 1, skills=SKILLS, radius_km=10)
    home = (vetted.volunteer.home_lat, vetted.volunteer.home_lon)
    assert home == (plain.volunteer.home_lat, plain.volunteer.home_lon)
    rng = random.Random(3)
    for _ in range(15):
        factories.make_request(
            world.station_a,
            status="offered",
            category="shopping",
            special_groups=["left_behind_child"],
            lat=home[0] + rng.uniform(-0.15, 0.15) / 110.574,
            lon=home[1] + rng.uniform(-0.15, 0.15) / 91.0,
        )
    for i in range(20):
        factories.make_request(
            world.station_a,
            status="offered",
            category="shopping",
            lat=home[0] + 1.8 / 110.574,
            lon=home[1] + (i - 10) * 0.01 / 91.0,
        )
    db.session.commit()
    nearby.forget_first_rings()
    default = {v.id: _search(app, v)[0] for v in (vetted, plain)}
    nearby.forget_first_rings()
    seen = {vetted.id: [], plain.id: []}
    for _ in range(8):
        for volunteer in (vetted, plain):
            ids, boxes = _search(app, volunteer)
            assert ids == default[volunteer.id]
            seen[volunteer.id].append(boxes)
    # each halves (one step a search) or widens once, then stays: one statement a search
    for volunteer in (vetted, plain):
        settled = seen[volunteer.id][-3:]
        assert settled[0] == settled[1] == settled[2], seen[volunteer.id]
        assert len(settled[0]) == 1, seen[volunteer.id]
    assert seen[vetted.id][-1] != seen[plain.id][-1]  # they needed different rings
    assert _key(vetted) != _key(plain)


def test_the_places_kept_are_bounded_and_no_ring_is_smaller_than_the_smallest(monkeypatch):
    monkeypatch.setattr(nearby, "FIRST_RINGS_KEPT", 3)
    monkeypatch.setattr(nearby, "_first_rings", {})
    places = [(i, None, 10.0, ("shopping",), 34.0, 113.0) for i in range(6)]
    for place in places[:5]:  # the rows needed lie at the place itself: any ring may halve
        nearby._learn_first_ring(place, nearby.FIRST_RING, 0, 0.0)
    assert list(nearby._first_rings) == places[2:5]  # the longest unchanged went first
    assert set(nearby._first_rings.values()) == {nearby.FIRST_RING / 2}
    # a change keeps a place: the next one learnt pushes out the one unchanged longest
    nearby._learn_first_ring(places[2], nearby.FIRST_RING / 2, 0, 0.0)
    nearby._learn_first_ring(places[5], nearby.FIRST_RING, 0, 0.0)
    assert list(nearby._first_rings) == [places[4], places[2], places[5]]
    # one back at the default ring is not kept
    nearby._learn_first_ring(places[5], nearby.FIRST_RING / 4, 1, None)
    assert places[5] not in nearby._first_rings
    nearby._first_rings[places[4]] = nearby.SMALLEST_FIRST_RING
    nearby._learn_first_ring(places[4], nearby.SMALLEST_FIRST_RING, 0, 0.0)
    assert nearby._first_rings[places[4]] == nearby.SMALLEST_FIRST_RING
