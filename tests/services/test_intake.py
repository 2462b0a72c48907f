"""Intake as a service: routing, the first event, the SMS, duplicates, geocoding."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import OutboxMessage, RequestEvent
from app.services import ServiceError, geo, intake
from app.services.codes import code_text
from tests import factories
from tests.public_support import fake_geocoder, fake_geocoder_server, geocoder_config  # noqa: F401


def test_a_request_is_created_new_routed_and_announced(world):
    created = intake.submit_request(
        category="meal_delivery",
        description="每天中午送一份饭",
        village_id=world.village_a2.id,
        contact_phone="+8613800138000",
        special_groups=["elderly_alone", "not-a-group"],
    )
    db.session.commit()
    assert created.status == "new"
    assert created.station_id == world.station_a.id
    assert (created.lat, created.lon, created.location_source) == (34.75, 113.59, "village")
    assert created.special_groups == ["elderly_alone"]
    assert len(created.code) == 8 and created.code.isdigit()
    events = db.session.scalars(db.select(RequestEvent)).all()
    assert [(e.action, e.to_status, e.actor_label) for e in events] == [
        ("created", "new", "resident")
    ]
    sms = db.session.scalars(db.select(OutboxMessage)).one()
    assert sms.to_phone == "+8613800138000"
    assert sms.template == "request_received"
    assert sms.request_id == created.id
    assert code_text(created.code) in sms.body
    # what happens next, without the link: when, whom to call, how to follow by SMS
    assert "1天内" in sms.body and "0371 1234 5678" in sms.body and "查进度回0" in sms.body


def test_gps_coordinates_win_over_the_village(world):
    created = intake.submit_request(
        category="shopping", village_id=world.village_a2.id, lat=34.7512, lon=113.5911
    )
    assert (created.lat, created.lon, created.location_source) == (34.7512, 113.5911, "gps")
    assert created.station_id == world.station_a.id


def test_no_place_and_no_phone_goes_to_the_county_centre_without_sms(world):
    # What the SMS helper does for a text from an unknown number.
    created = intake.submit_request(category="other", channel="sms", actor_label="sms")
    db.session.flush()
    assert created.station_id == world.county_centre.id
    assert db.session.scalars(db.select(OutboxMessage)).all() == []


def test_bad_values_are_refused(world):
    with pytest.raises(ServiceError) as error:
        intake.submit_request(category="magic")
    assert error.value.field == "category"
    with pytest.raises(ServiceError) as error:
        intake.submit_request(category="shopping", village_id=world.township_a.id)
    assert error.value.field == "village"


def test_a_ledger_person_lends_their_groups_and_village(world):
    person = factories.make_beneficiary(
        world.station_b, world.village_b1, special_groups=["disabled"]
    )
    worker = factories.make_user(roles=("social_worker",), station=world.station_b)
    created = intake.submit_request(
        category="cleaning",
        beneficiary=person,
        channel="visit",
        by=worker,
        consent_by="本人",
        consent_method="spoken_in_person",
        actor_label="visit",
    )
    assert created.village_id == world.village_b1.id
    assert created.station_id == world.station_b.id
    assert created.special_groups == ["disabled"]
    assert created.submitter_id == worker.id
    assert created.events[0].actor_id == worker.id


def test_open_duplicates_are_found_within_24_hours_only(world):
    phone = "+8613800138000"
    old = factories.make_request(
        world.station_a, contact_phone=phone, category="shopping", created_ago=timedelta(hours=25)
    )
    assert intake.find_open_duplicate(phone, "shopping") is None
    recent = factories.make_request(world.station_a, contact_phone=phone, category="shopping")
    assert intake.find_open_duplicate(phone, "shopping").id == recent.id
    assert intake.find_open_duplicate(phone, "cleaning") is None
    assert intake.find_open_duplicate("+8613900139000", "shopping") is None
    recent.status = "cancelled"
    db.session.flush()
    assert intake.find_open_duplicate(phone, "shopping") is None
    assert old.id != recent.id


def test_a_form_token_finds_its_request(world):
    created = intake.submit_request(category="shopping", form_token="tok-1")
    db.session.flush()
    assert intake.request_for_token("tok-1").id == created.id
    assert intake.request_for_token("tok-2") is None
    assert intake.request_for_token("") is None


def test_an_address_alone_is_geocoded_when_a_geocoder_is_set(app, world, fake_geocoder):  # noqa: F811 (fixture imported from tests.public_support)
    fake_geocoder.add("河口村 渡口边", 34.9123, 113.8111)
    with geocoder_config(app, fake_geocoder, "baidu"):
        created = intake.submit_request(category="shopping", address="河口村 渡口边")
    assert created.location_source == "geocoder"
    assert geo.distance_km(34.9123, 113.8111, created.lat, created.lon) < 0.00001
    assert created.station_id == world.station_b.id


def test_with_the_geocoder_off_the_village_centroid_stands_in(world, fake_geocoder):  # noqa: F811 (fixture imported from tests.public_support)
    fake_geocoder.add("渡口边", 34.9123, 113.8111)
    created = intake.submit_request(
        category="shopping", address="渡口边", village_id=world.village_b1.id
    )
    assert (created.lat, created.lon, created.location_source) == (34.91, 113.81, "village")
    assert fake_geocoder.requests == []


def test_nul_characters_never_reach_the_database(world):
    # The SMS helper passes texts straight in: PostgreSQL would refuse a NUL.
    created = intake.submit_request(
        category="other", description="买\x00米", address="\x00", contact_name="王\x00"
    )
    db.session.commit()
    assert (created.description, created.address, created.contact_name) == ("买米", "", "王")
