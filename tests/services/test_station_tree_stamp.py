"""The station tree is read once per process and change (issue 17, provincial scale).

A signed-in request carries the tree's stamp, not the tree: triggers on ``station`` draw a
new stamp whenever a station is added, removed or moved under another parent, so a tree
kept under a stamp is never stale, whoever changed the stations (this process, another,
an administrator's SQL). Both databases: the triggers are each dialect's own.
"""

from flask import url_for
from sqlalchemy import delete, select, text, update

from app.extensions import db
from app.models import Station, StationTreeStamp
from app.services import access
from tests import factories
from tests.blueprints.test_volunteer_fixes import counted_statements
from tests.console_support import request_at

TREE_READ = "ORDER BY station.id"  # the whole tree as one text (access.station_tree_text)


def _tree_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if TREE_READ in " ".join(s.split())]


def _stamp():
    db.session.commit()
    return db.session.scalar(select(StationTreeStamp.stamp).where(StationTreeStamp.id == 1))


def _elsewhere(statement) -> None:
    """A change made on another connection: as another process or psql would make it."""
    with db.engine.begin() as connection:
        connection.execute(statement)


def test_the_stamp_changes_with_the_tree_and_only_with_it(world):
    first = _stamp()
    assert first is not None

    world.station_b.name = "另一个名字"
    world.station_b.phone = "0371-12345678"
    assert _stamp() == first  # the tree is ids and parents: a new name is not a new tree

    added = factories.make_station("新的村室", "village_room", world.village_b1, world.station_b)
    after_adding = _stamp()
    assert after_adding != first

    added.parent_id = world.station_a.id
    after_moving = _stamp()
    assert after_moving not in (first, after_adding)

    db.session.delete(added)
    assert _stamp() not in (first, after_adding, after_moving)


def test_a_move_made_elsewhere_changes_the_workers_scope_at_their_next_request(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    other = factories.make_user(roles=("social_worker",), station=world.station_b)
    db.session.commit()
    assert access.visible_station_ids(worker) == {world.station_a.id, world.room_a1.id}
    db.session.commit()  # the unit of work ends; the tree stays kept under its stamp
    assert access.visible_station_ids(worker) == {world.station_a.id, world.room_a1.id}
    db.session.commit()

    _elsewhere(
        update(Station).where(Station.id == world.room_a1.id).values(parent_id=world.station_b.id)
    )

    assert access.visible_station_ids(worker) == {world.station_a.id}
    assert access.visible_station_ids(other) == {world.station_b.id, world.room_a1.id}


def test_the_queue_follows_a_move_made_elsewhere_and_reads_the_tree_once(
    app, client, world, login_as
):
    login_as("social_worker", station=world.station_a)
    in_the_room = request_at(world.room_a1, minutes_ago=7)
    db.session.commit()
    with app.test_request_context():
        link = f'href="{url_for("console.request_page", request_id=in_the_room.id)}"'

    client.get("/station/")
    with counted_statements(app) as seen:
        page = client.get("/station/")
    assert link in page.get_data(as_text=True)
    assert not _tree_reads(seen), "the tree was read again, unchanged"

    room_id, station_b_id = world.room_a1.id, world.station_b.id
    _elsewhere(update(Station).where(Station.id == room_id).values(parent_id=station_b_id))
    with counted_statements(app) as seen:
        page = client.get("/station/")
    assert link not in page.get_data(as_text=True)  # the room is station B's now
    assert _tree_reads(seen), "a new stamp, so the tree is read again"


def test_a_volunteers_pages_never_read_the_tree(app, client, world):
    volunteer = factories.make_volunteer(world.station_a)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(volunteer.id)
        session["_fresh"] = True
    _elsewhere(update(StationTreeStamp).values(stamp=StationTreeStamp.stamp + 1))  # not kept
    with counted_statements(app) as seen:
        assert client.get("/v/tasks").status_code == 200
    assert not _tree_reads(seen)


def test_without_the_stamps_row_the_tree_is_read_afresh_each_time(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    _elsewhere(delete(StationTreeStamp))
    assert access.visible_station_ids(worker) == {world.station_a.id, world.room_a1.id}
    db.session.commit()

    # With no stamp there is nothing to keep a tree under: a change made without the
    # triggers (none can fire for a row that is gone) is still seen at once.
    _elsewhere(
        update(Station).where(Station.id == world.room_a1.id).values(parent_id=world.station_b.id)
    )
    db.session.execute(text("DELETE FROM station_tree_stamp"))  # the move re-made the row
    assert access.visible_station_ids(worker) == {world.station_a.id}
