"""Intake marks a repeat from the same phone for the same help (issue 13, item 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import OutboxMessage, RequestEvent
from app.services import intake
from app.services.codes import code_text
from app.services.notifications.limits import segment_count
from tests import factories

PHONE = "+8613800138000"


def _texts(template: str) -> list[OutboxMessage]:
    return db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.template == template)
    ).all()


def test_a_repeat_is_marked_and_the_phones_owner_is_told_in_their_language(world):
    earlier = factories.make_request(
        world.station_a,
        contact_phone=PHONE,
        category="emotional_support",
        created_ago=timedelta(hours=2),
        language="en",
    )
    repeat = intake.submit_request(
        category="emotional_support", village_id=world.village_a2.id, contact_phone=PHONE
    )
    db.session.commit()
    assert repeat.possible_duplicate_of_id == earlier.id
    [event] = db.session.scalars(
        db.select(RequestEvent).where(RequestEvent.action == "possible_duplicate")
    ).all()
    assert (event.request_id, event.public, event.actor_label) == (repeat.id, False, "system")
    [text] = _texts("duplicate_still_open")
    assert text.to_phone == PHONE and text.request_id == repeat.id
    assert (
        text.language == "en" and code_text(earlier.code) in text.body and "still open" in text.body
    )
    assert "emotional" not in text.body.lower()
    assert segment_count(text.body) <= 2


def test_said_new_keeps_the_mark_but_sends_no_text(world):
    earlier = factories.make_request(world.station_a, contact_phone=PHONE, category="shopping")
    with pytest.raises(intake.AskIfNew) as asked:  # the asker filed the earlier one here
        intake.submit_request(
            category="shopping",
            village_id=world.village_a2.id,
            contact_phone=PHONE,
            asker_filed=[earlier.id],
        )
    assert asked.value.earlier.id == earlier.id
    repeat = intake.submit_request(
        category="shopping",
        village_id=world.village_a2.id,
        contact_phone=PHONE,
        asker_filed=[earlier.id],
        confirmed_new=True,
    )
    db.session.flush()
    assert repeat.possible_duplicate_of_id == earlier.id
    assert _texts("duplicate_still_open") == []
    assert [m.template for m in db.session.scalars(db.select(OutboxMessage))] == [
        "request_received"
    ]


def test_no_mark_for_other_help_other_phones_old_or_closed_requests(world):
    factories.make_request(world.station_a, contact_phone=PHONE, category="cleaning")
    factories.make_request(world.station_a, category="shopping")  # another phone
    factories.make_request(
        world.station_a, contact_phone=PHONE, category="shopping", created_ago=timedelta(hours=25)
    )
    factories.make_request(world.station_a, contact_phone=PHONE, status="closed")
    created = intake.submit_request(
        category="shopping", village_id=world.village_a2.id, contact_phone=PHONE
    )
    nobody = intake.submit_request(category="shopping", village_id=world.village_a2.id)
    db.session.flush()
    assert created.possible_duplicate_of_id is None
    assert nobody.possible_duplicate_of_id is None
    assert _texts("duplicate_still_open") == []


def test_find_open_duplicate_among_the_browsers_own_requests_only(world):
    mine = factories.make_request(
        world.station_a, contact_phone=PHONE, category="shopping", created_ago=timedelta(hours=2)
    )
    someone_elses = factories.make_request(
        world.station_a, contact_phone=PHONE, category="shopping"
    )
    assert intake.find_open_duplicate(PHONE, "shopping").id == someone_elses.id
    assert intake.find_open_duplicate(PHONE, "shopping", among=[mine.id]).id == mine.id
    assert intake.find_open_duplicate(PHONE, "shopping", among=[]) is None
    assert intake.find_open_duplicate(PHONE, "shopping", among=[someone_elses.id + 100]) is None
