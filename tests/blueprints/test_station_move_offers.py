"""Issue 13, item 17 over HTTP: a worker's edit moves a request to another station; the
offers sent for it are withdrawn, and the volunteer's offer page says so."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import HelpRequest, Offer
from app.services import offers
from tests.console_support import post, request_at, text
from tests.volunteer_support import (
    fast_passwords,
    post_form,
    sign_in,
    sms_to,
    volunteer_near,
)

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    monkeypatch.setattr(offers, "quiet_hours_end", lambda now: None)


def _edit_village(client, r, village):
    return post(
        client,
        f"/station/r/{r.id}/edit",
        {
            "edit-category": r.category,
            "edit-urgency": r.urgency,
            "edit-address": r.address or "",
            "edit-lat": "",
            "edit-lon": "",
            "edit-village_id": str(village.id),
        },
    )


def test_moving_an_offered_request_withdraws_its_offers(client, world, login_as):
    login_as("social_worker")
    volunteer = volunteer_near(world, 1)
    r = request_at(world.station_a, village=world.village_a2, status="accepted")
    [offer] = offers.send_offers(r)
    for message in sms_to(volunteer.phone):
        message.status = "sent"

    response = _edit_village(client, r, world.village_a1)

    assert response.status_code == 302, text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert stored.station_id == world.room_a1.id and stored.status == "accepted"
    assert db.session.get(Offer, offer.id).status == "withdrawn"
    assert len(sms_to(volunteer.phone, "offer_withdrawn")) == 1
    page = text(client.get(response.headers["Location"]))
    assert f"现由{world.room_a1.name}负责" in page  # the flash after the move
    assert "撤回" in page  # the timeline: offers withdrawn


def test_the_volunteer_sees_the_offer_was_withdrawn(client, world):
    volunteer = volunteer_near(world, 1)
    r = request_at(world.station_a, village=world.village_a1, status="accepted")
    [offer] = offers.send_offers(r)
    offers.withdraw_open_offers(r, by=None, reason="moved")
    db.session.commit()
    sign_in(client, volunteer)
    page = text(client.get(f"/v/o/{offer.id}"))
    assert "撤回" in page and "好的，我来做" not in page
    late = post_form(client, f"/v/o/{offer.id}", f"/v/o/{offer.id}/accept", {})
    assert late.status_code == 409 and "撤回" in text(late)
    assert db.session.get(HelpRequest, r.id).status == "accepted"


def test_staff_see_why_a_held_back_offer_sms_was_not_sent(client, world, login_as):
    login_as("social_worker")
    volunteer = volunteer_near(world, 1)
    r = request_at(world.station_a, village=world.village_a2, status="accepted")
    offers.send_offers(r)  # the offer SMS still waits in the outbox
    assert _edit_village(client, r, world.village_a1).status_code == 302
    [held] = sms_to(volunteer.phone, "volunteer_offer")
    assert held.status == "suppressed"
    page = text(client.get("/sms/sent?show=problems"))
    assert held.body in page
    assert "未发送：求助已转到其他社工站，派单已撤回" in page
    assert "已退订" not in page  # it was not the volunteer's STOP
