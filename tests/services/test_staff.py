"""One rule for which staff are told: a station's own, else the nearest station's above."""

from __future__ import annotations

from functools import partial

from sqlalchemy import null

from app.extensions import db
from app.services import staff, wording
from tests import factories
from tests.console_support import outbox


def test_a_stations_own_staff_are_told(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    admin = factories.make_user(roles=("station_admin",), station=world.station_a)
    factories.make_user(roles=("social_worker",), station=world.station_b)
    factories.make_user(roles=("volunteer",), station=world.station_a)
    assert staff.station_staff(world.station_a.id) == [worker, admin]
    assert staff.station_staff(world.station_a.id, ("social_worker",)) == [worker]


def test_a_station_without_staff_is_covered_by_the_nearest_above(world):
    township = factories.make_user(roles=("social_worker",), station=world.station_a)
    centre = factories.make_user(roles=("station_admin",), station=world.county_centre)
    assert staff.station_staff(world.room_a1.id) == [township]  # room -> township
    assert staff.station_staff(world.station_b.id) == [centre]  # township -> county centre
    # Only social workers wanted: the township's admin does not count, the walk goes on.
    assert staff.station_staff(world.station_b.id, ("social_worker",)) == []


def test_only_active_accounts_with_a_confirmed_phone(world):
    factories.make_user(roles=("social_worker",), station=world.station_b, active=False)
    above = factories.make_user(roles=("social_worker",), station=world.county_centre)
    # Station B has no active worker: the centre stands in for it, as in the console.
    assert staff.station_staff(world.station_b.id) == [above]
    # Station A's only worker cannot be texted: A is still theirs (the centre may not act
    # on A's requests), so nobody is texted rather than someone who cannot help.
    unconfirmed = factories.make_user(
        roles=("social_worker",), station=world.station_a, phone_confirmed_at=null()
    )
    assert staff.station_staff(world.station_a.id) == []
    unconfirmed.phone_confirmed_at = unconfirmed.created_at
    assert staff.station_staff(world.station_a.id) == [unconfirmed]
    assert staff.station_staff(None) == []


def test_a_supervisor_based_anywhere_in_the_county_is_told(world):
    at_township = factories.make_user(roles=("county_supervisor",), station=world.station_b)
    assert staff.county_supervisors(world.room_a1.id) == [at_township]


def test_county_supervisors_are_those_of_the_county_centre(world):
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    factories.make_user(roles=("social_worker",), station=world.county_centre)
    assert staff.county_supervisors(world.room_a1.id) == [supervisor]
    assert staff.county_supervisors(world.county_centre.id) == [supervisor]


def test_notify_staff_texts_each_in_their_language(world):
    zh = factories.make_user(roles=("social_worker",), station=world.station_a, language="zh")
    en = factories.make_user(roles=("station_admin",), station=world.station_a, language="en")
    left_out = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = factories.make_request(world.station_a, urgency="crisis")
    sent = staff.notify_staff(
        world.station_a,
        "request_overdue",
        exclude=[left_out, None],
        request_id=request.id,
        crisis=True,
        urgency=partial(wording.urgency_label, "crisis"),
        code=request.code,
        minutes=40,
        link="http://localhost/station/r/1",
    )
    db.session.flush()
    assert sent == outbox("request_overdue")
    by_user = {m.user_id: m for m in sent}
    assert set(by_user) == {zh.id, en.id}
    assert by_user[zh.id].body.startswith("【邻里】危机求助")
    assert by_user[en.id].body.startswith("[Linli] Crisis request")
    assert by_user[en.id].language == "en" and by_user[en.id].to_phone == en.phone
    assert all(m.crisis and m.request_id == request.id for m in sent)


def test_notify_the_county_supervisors(world):
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    factories.make_user(roles=("social_worker",), station=world.station_a)
    sent = staff.notify_staff(
        world.room_a1.id,
        "request_escalated",
        roles=staff.SUPERVISOR_ROLES,
        code="K7M3QXA",
        station="杏花社区社工室",
        link="http://localhost/station/county",
    )
    assert [m.user_id for m in sent] == [supervisor.id]
