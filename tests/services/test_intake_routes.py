"""Each village's route is kept per process (issue 17): a post for a village read a minute
ago reads nothing; a region or station this process writes is seen at once; a change made
elsewhere (another process, an administrator's SQL) within a minute."""

from __future__ import annotations

import pytest
from sqlalchemy import event, update

from app.extensions import db
from app.models import OutboxMessage, Station
from app.services import ServiceError, geo, intake
from tests import factories


@pytest.fixture(autouse=True)
def _no_routes_kept():
    geo._routes.clear()
    yield
    geo._routes.clear()


def _ask(world, village, phone: str):
    return intake.submit_request(
        form_token=f"tok-route-{phone[-8:]}-0000",
        category="shopping",
        village_id=village.id,
        contact_phone=phone,
    )


def _reads(action) -> list[str]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return [s for s in statements if s == "SELECT"]


def test_a_second_post_for_the_village_reads_nothing(world):
    db.session.commit()
    assert len(_reads(lambda: _ask(world, world.village_a1, "+8613800000001"))) == 1
    db.session.commit()
    db.session.expunge_all()  # a new request's session: nothing loaded
    second = None

    def again():
        nonlocal second
        second = _ask(world, world.village_a1, "+8613800000002")
        db.session.commit()

    assert _reads(again) == []
    assert second.station_id == world.room_a1.id
    # The kept station lends its phone to the SMS without a read.
    sms = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()[-1]
    assert "0371 1234 5678" in sms.body


def test_a_station_written_here_is_seen_at_once(world):
    village = world.village_a2  # no room of its own: the township's station serves it
    db.session.commit()
    assert _ask(world, village, "+8613800000003").station_id == world.station_a.id
    room = factories.make_station("新建社工室", "village_room", village, world.station_a)
    db.session.commit()
    assert _ask(world, village, "+8613800000004").station_id == room.id


def test_a_change_made_elsewhere_is_seen_within_a_minute(world, monkeypatch):
    db.session.commit()
    assert _ask(world, world.village_a1, "+8613800000005").station_id == world.room_a1.id
    db.session.commit()
    # Another process moves the room away (SQL this process's session never flushed).
    db.session.execute(
        update(Station).where(Station.id == world.room_a1.id).values(region_id=world.village_b1.id)
    )
    db.session.commit()
    assert _ask(world, world.village_a1, "+8613800000006").station_id == world.room_a1.id
    clock = geo.monotonic() + geo.ROUTE_KEEP_SECONDS + 1
    monkeypatch.setattr(geo, "monotonic", lambda: clock)
    assert _ask(world, world.village_a1, "+8613800000007").station_id == world.station_a.id


def test_a_region_that_is_not_a_village_is_still_refused_when_kept(world):
    db.session.commit()
    for _ in range(2):
        with pytest.raises(ServiceError):
            _ask(world, world.township_a, "+8613800000008")
        db.session.rollback()
