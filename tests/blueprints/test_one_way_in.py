"""Each action has one way in (issue 14): the web form and the SMS command call the same
use case and leave the same state behind.

A spy counts the calls to the use case, so a channel that grew its own copy of the rules
fails here even where the stored result happened to match.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Claim, HelpRequest, Offer, OutboxMessage, RequestEvent
from app.models.base import utcnow
from app.services import claims, intake
from app.services.codes import code_text
from tests import factories
from tests.public_support import PHONE_E164, post_ask
from tests.sms_support import inbound_params, post_signed, signed_fixture  # noqa: F401
from tests.volunteer_support import post_form, sign_in


@pytest.fixture
def spy(monkeypatch):
    """Wrap a module's function so every call is recorded (the channel's name for it)."""
    calls: list[str] = []

    def watch(module, name: str):
        real = getattr(module, name)

        def counted(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    watch.calls = calls
    return watch


def _text(client, phone: str, body: str, sid: str):
    response = post_signed(client, "/sms/inbound", inbound_params(phone, body, sid))
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- accepting an offer: the link in the SMS, or "Y <code>" -------------------------------


def _offered(world, phone: str, code: str):
    volunteer = factories.make_volunteer(world.station_a, phone=phone)
    other = factories.make_volunteer(world.station_a, phone=phone[:-2] + "9" + phone[-1])
    request = factories.make_request(world.station_a, status="offered", contact_phone=PHONE_E164)
    for person, reply in ((volunteer, code), (other, "ZZZZ")):
        db.session.add(
            Offer(
                request_id=request.id,
                volunteer_id=person.id,
                reply_code=reply,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    db.session.commit()
    return volunteer, request


def _after_acceptance(request_id: int) -> dict:
    """What accepting leaves behind, without ids and times."""
    db.session.expire_all()
    request = db.session.get(HelpRequest, request_id)
    claim = db.session.scalars(select(Claim).where(Claim.request_id == request_id)).one()
    return {
        "status": request.status,
        "assigned": request.assigned_volunteer_id is not None,
        "claim": (claim.status, claim.volunteer_id == request.assigned_volunteer_id),
        "offers": sorted(
            o.status
            for o in db.session.scalars(select(Offer).where(Offer.request_id == request_id))
        ),
        "events": [
            (e.action, e.to_status)
            for e in db.session.scalars(
                select(RequestEvent)
                .where(RequestEvent.request_id == request_id)
                .order_by(RequestEvent.id)
            )
        ],
        "sms": sorted(
            (m.template, m.to_phone == PHONE_E164)
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.request_id == request_id)
            )
        ),
    }


def test_accepting_by_the_web_page_and_by_sms_is_one_use_case(app, client, signed, world, spy):
    spy(claims, "accept_offer")
    web_volunteer, by_web = _offered(world, "+8613822221001", "K7M3")
    sign_in(client, web_volunteer)
    offer = db.session.scalars(
        select(Offer).where(Offer.request_id == by_web.id, Offer.reply_code == "K7M3")
    ).one()
    answer = post_form(client, f"/v/o/{offer.id}", f"/v/o/{offer.id}/accept", {})
    assert answer.status_code == 302
    assert spy.calls == ["accept_offer"]

    sms_volunteer, by_sms = _offered(world, "+8613822221002", "QX4M")
    reply = _text(app.test_client(), sms_volunteer.phone, "Y QX4M", "SM" + "a1" * 16)
    assert f"#{by_sms.id}" in reply
    assert spy.calls == ["accept_offer", "accept_offer"]

    web, sms = _after_acceptance(by_web.id), _after_acceptance(by_sms.id)
    assert web == sms
    assert web["status"] == "assigned"
    assert web["offers"] == ["accepted", "closed"]
    assert ("claim", "assigned") in web["events"]
    via = dict(db.session.execute(select(Claim.request_id, Claim.via)).all())
    assert (via[by_web.id], via[by_sms.id]) == ("web", "sms")


# --- asking for help: the form, or a text --------------------------------------------------


def test_asking_by_the_form_and_by_sms_is_one_use_case(app, client, signed, world, spy):
    spy(intake, "submit_request")
    form = post_ask(client, world, description="家里水管坏了")
    assert form.status_code == 303
    assert spy.calls == ["submit_request"]
    reply = _text(app.test_client(), "+8613912340000", "家里水管坏了", "SM" + "b2" * 16)
    assert spy.calls == ["submit_request", "submit_request"]

    by_form, by_sms = db.session.scalars(select(HelpRequest).order_by(HelpRequest.id)).all()
    assert (by_form.channel, by_sms.channel) == ("web", "sms")
    for made in (by_form, by_sms):
        assert made.status == "new"
        assert made.description == "家里水管坏了"
        assert [(e.action, e.to_status) for e in made.events] == [("created", "new")]
    # Who is told is the use case's parameter: the form's asker gets the SMS with the
    # code; the texter's confirmation is the reply itself, and nothing is queued twice.
    sent = dict(db.session.execute(select(OutboxMessage.request_id, OutboxMessage.template)).all())
    assert sent == {by_form.id: "request_received"}
    assert code_text(by_sms.code) in reply
