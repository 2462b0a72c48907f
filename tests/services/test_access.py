"""Station scoping: a worker sees their station and its rooms, never another station."""

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import HelpRequest
from app.services import ServiceError
from app.services.access import is_serving_worker, scope_to_stations, visible_station_ids
from app.services.phones import mask_phone, normalise_phone
from tests import factories


def test_township_worker_sees_station_and_rooms_only(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    assert visible_station_ids(worker) == {world.station_a.id, world.room_a1.id}


def test_room_worker_sees_the_room_only(world):
    worker = factories.make_user(roles=("social_worker",), station=world.room_a1)
    assert visible_station_ids(worker) == {world.room_a1.id}


def test_supervisor_sees_the_county(world):
    boss = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    assert visible_station_ids(boss) == {
        world.county_centre.id,
        world.station_a.id,
        world.room_a1.id,
        world.station_b.id,
    }


def test_volunteer_sees_no_station_data(world):
    volunteer = factories.make_volunteer(world.station_a)
    assert visible_station_ids(volunteer) == set()


def test_scoped_query(world):
    mine = factories.make_request(world.room_a1)
    theirs = factories.make_request(world.station_b)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    found = db.session.scalars(
        scope_to_stations(select(HelpRequest), HelpRequest.station_id, worker)
    ).all()
    assert mine in found and theirs not in found
    assert is_serving_worker(worker, world.room_a1.id)
    assert not is_serving_worker(worker, world.station_b.id)


def test_phone_normalising_and_masking(app):
    assert normalise_phone("138 0013 8000") == "+8613800138000"
    assert normalise_phone("+86 138-0013-8000") == "+8613800138000"
    assert mask_phone("+8613800138000") == "138********"
    for bad in ("", "12345", "abc", "1380013800"):
        with pytest.raises(ServiceError):
            normalise_phone(bad)


# ---- issue 13: the county centre's own workers (least privilege)


def test_centre_worker_reads_the_county_and_acts_on_the_centre_and_unstaffed_stations(world):
    from app.services.access import acting_station_ids

    factories.make_user(roles=("social_worker",), station=world.station_a)  # A has its own
    worker = factories.make_user(roles=("social_worker",), station=world.county_centre)
    assert visible_station_ids(worker) == {
        world.county_centre.id,
        world.station_a.id,
        world.room_a1.id,
        world.station_b.id,
    }
    # B has nobody: its alerts go up to the centre, so the centre stands in for it
    assert acting_station_ids(worker) == {world.county_centre.id, world.station_b.id}
    assert not is_serving_worker(worker, world.station_a.id)
    assert not is_serving_worker(worker, world.room_a1.id)
    assert is_serving_worker(worker, world.county_centre.id)


def test_a_centre_workers_staffed_stations_are_read_among_their_county_alone(world):
    """Which stations have staff of their own is asked for the centre's county, not for
    every worker of the province (issue 17: a province has thousands of staffed
    stations); the other county's staffed township changes nothing here."""
    from app.services.access import acting_station_ids

    other_county = factories.make_region("另一县", "county", None, 35.0, 114.0)
    other_township = factories.make_region("另一镇", "township", other_county, 35.1, 114.1)
    other_centre = factories.make_station("另一县中心", "county_centre", other_county)
    elsewhere = factories.make_station(
        "另一镇社工站", "township_station", other_township, other_centre
    )
    factories.make_user(roles=("social_worker",), station=elsewhere)
    factories.make_user(roles=("social_worker",), station=world.station_a)
    worker = factories.make_user(roles=("social_worker",), station=world.county_centre)
    colleague = factories.make_user(roles=("social_worker",), station=world.county_centre)
    db.session.commit()
    county = {world.station_a.id, world.room_a1.id, world.station_b.id}
    asked = []

    def parameters(conn, cursor, statement, params, context, executemany):
        if "user_role" in statement and "DISTINCT" in statement:
            values = params.values() if isinstance(params, dict) else params
            # The stations as one list parameter: "{1,2}" (PostgreSQL) or "[1,2]" (SQLite).
            listed = [v for v in values if isinstance(v, str) and v[:1] in "{["]
            asked.append({int(n) for v in listed for n in v.strip("{}[]").split(",") if n})

    event.listen(db.engine, "before_cursor_execute", parameters)
    try:
        acting = acting_station_ids(worker)
        # A page listing the centre's workers (whom to give a request to) asks for each:
        # the answer is the centre's, read once per unit of work.
        assert acting_station_ids(colleague) == acting
    finally:
        event.remove(db.engine, "before_cursor_execute", parameters)
    assert acting == {world.county_centre.id, world.station_b.id}
    assert len(asked) == 1 and asked[0] == county  # the county's stations, and no others


def test_centre_worker_acts_on_a_township_request_only_while_it_is_escalated(world):
    from app.services.access import may_act_on_request

    factories.make_user(roles=("social_worker",), station=world.station_a)
    worker = factories.make_user(roles=("social_worker",), station=world.county_centre)
    boss = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    township = factories.make_user(roles=("social_worker",), station=world.station_a)
    plain = factories.make_request(world.station_a)
    escalated = factories.make_request(world.station_a, escalated=True)
    finished = factories.make_request(world.station_a, escalated=True, status="closed")
    assert not may_act_on_request(worker, plain)
    assert may_act_on_request(worker, escalated)
    assert not may_act_on_request(worker, finished)
    assert not may_act_on_request(boss, escalated)  # the supervisor acts on the county page
    assert all(may_act_on_request(township, r) for r in (plain, escalated, finished))


def test_township_workers_keep_their_rooms(world):
    from app.services.access import acting_station_ids

    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    assert acting_station_ids(worker) == visible_station_ids(worker)
    assert is_serving_worker(worker, world.room_a1.id)


def test_a_lists_rights_are_each_lines_rights(world):
    """The queue decides its lines' rights for the list at once (requests_to_act_on,
    privacy.request_refs); each answer is the one-request answer."""
    from app.services import privacy
    from app.services.access import may_act_on_request, requests_to_act_on

    factories.make_user(roles=("social_worker",), station=world.station_a)
    readers = [
        factories.make_user(roles=("social_worker",), station=world.county_centre),
        factories.make_user(roles=("county_supervisor",), station=world.county_centre),
        factories.make_user(roles=("social_worker",), station=world.station_a),
        factories.make_user(roles=("station_admin",), station=world.room_a1),
        factories.make_user(roles=("social_worker",), station=world.station_b),
        factories.make_volunteer(world.station_a),
    ]
    requests = [
        factories.make_request(world.station_a),
        factories.make_request(world.station_a, escalated=True),
        factories.make_request(world.station_a, escalated=True, status="closed"),
        factories.make_request(world.room_a1, escalated=True),
        factories.make_request(world.station_b),
        factories.make_request(world.county_centre),
    ]
    for reader in readers:
        assert requests_to_act_on(reader, requests) == [
            r for r in requests if may_act_on_request(reader, r)
        ]
        assert privacy.request_refs(reader, requests) == {
            r.id: privacy.request_ref(reader, r) for r in requests
        }
    centre, boss = readers[0], readers[1]
    # B has its own worker here: the centre acts on what is escalated and on its own
    assert requests_to_act_on(centre, requests) == [requests[1], requests[3], requests[5]]
    codes = privacy.request_refs(boss, requests)
    assert codes[requests[1].id] != f"#{requests[1].id}"  # escalated: the supervisor's too
    assert codes[requests[0].id] == f"#{requests[0].id}"
