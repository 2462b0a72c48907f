"""Issue 13 in the station console: a request whose resident's or volunteer's text has not
got through for an hour is flagged in the queue; the request page lists its texts and lets
the worker send a failed one again, or give one up. Both are written on the timeline."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Offer, OutboxMessage
from app.models.base import utcnow
from app.services.codes import code_text
from tests import factories
from tests.console_support import events, post, request_at, text


def stuck_text(request, *, minutes_ago: int = 90, status: str = "pending", **kwargs):
    message = OutboxMessage(
        to_phone=kwargs.pop("to_phone", request.contact_phone),
        body=kwargs.pop("body", f"【邻里】您的求助已收到，编号{request.code}"),
        template=kwargs.pop("template", "request_received"),
        request_id=request.id,
        status=status,
        attempts=kwargs.pop("attempts", 8),
        error_code=kwargs.pop("error_code", "20503"),
        last_error=kwargs.pop("last_error", "Twilio is busy or down: HTTP 503"),
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        next_attempt_at=utcnow() + timedelta(minutes=30),
        **kwargs,
    )
    db.session.add(message)
    db.session.flush()
    return message


def queue_item(page: str, code: str) -> str:
    start = page.index(code_text(code))
    end = page.find("</li>", start)
    return page[start:end]


def test_the_queue_flags_a_request_whose_text_is_stuck_for_an_hour(client, world, login_as):
    login_as("social_worker")
    stuck = request_at(world.station_a, minutes_ago=100)
    recent = request_at(world.station_a, minutes_ago=40)
    fine = request_at(world.station_a, minutes_ago=100)
    stuck_text(stuck)
    stuck_text(recent, minutes_ago=30)
    stuck_text(fine, status="delivered")

    page = text(client.get("/station/"))

    assert "短信未送达" in queue_item(page, stuck.code)
    assert "短信未送达" not in queue_item(page, recent.code)
    assert "短信未送达" not in queue_item(page, fine.code)
    assert page.count("badge-sms-undelivered") == 1
    # The queue's htmx refresh carries the same flag.
    fragment = text(client.get("/station/", headers={"HX-Request": "true"}))
    assert fragment.count("badge-sms-undelivered") == 1


def test_a_volunteers_failed_offer_text_flags_the_request_too(client, world, login_as):
    login_as("social_worker")
    volunteer = factories.make_volunteer(world.station_a, name="王热心")
    r = request_at(world.station_a, status="offered", minutes_ago=120)
    db.session.add(
        Offer(
            request_id=r.id,
            volunteer_id=volunteer.id,
            reply_code="K7M3",
            status="pending",
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    stuck_text(
        r,
        status="failed",
        to_phone=volunteer.phone,
        user_id=volunteer.id,
        template="volunteer_offer",
        body="【邻里】新任务：代购",
    )
    page = text(client.get("/station/?tab=offered"))
    assert "短信未送达" in queue_item(page, r.code)
    detail = text(client.get(f"/station/r/{r.id}"))
    assert "王热心" in detail and "【邻里】新任务：代购" in detail


def test_the_request_page_lists_its_texts_with_resend_and_give_up(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, minutes_ago=120)
    failed = stuck_text(r, status="failed")
    waiting = stuck_text(r)
    sent = stuck_text(r, status="delivered", body="【邻里】志愿者已接下您的求助")

    page = text(client.get(f"/station/r/{r.id}"))

    assert 'id="sms"' in page and "短信" in page
    assert "超过一小时" in page  # the warning above the list
    assert f"/station/r/{r.id}/sms/{failed.id}/resend" in page
    assert f"/station/r/{r.id}/sms/{failed.id}/give-up" in page
    assert f"/station/r/{r.id}/sms/{waiting.id}/give-up" in page
    assert f"/station/r/{r.id}/sms/{waiting.id}/resend" not in page
    assert f"/sms/{sent.id}/" not in page
    assert "【邻里】志愿者已接下您的求助" in page


def test_resend_from_the_request_page(client, world, login_as):
    worker = login_as("social_worker", name="刘社工")
    r = request_at(world.station_a, minutes_ago=60 * 26)
    message = stuck_text(r, minutes_ago=60 * 26, status="failed")

    response = post(client, f"/station/r/{r.id}/sms/{message.id}/resend")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/station/r/{r.id}#sms")
    stored = db.session.get(OutboxMessage, message.id)
    assert (stored.status, stored.attempts) == ("pending", 0)
    assert stored.next_attempt_at <= utcnow()
    [event] = events(r.id, "sms_resent")
    assert event.actor_id == worker.id and not event.public
    page = text(client.get(f"/station/r/{r.id}"))
    assert "重新发送了短信" in page and "刘社工" in page


def test_give_up_from_the_request_page_clears_the_flag(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, minutes_ago=120)
    message = stuck_text(r)
    assert "badge-sms-undelivered" in text(client.get("/station/"))

    response = post(client, f"/station/r/{r.id}/sms/{message.id}/give-up")

    assert response.status_code == 302
    stored = db.session.get(OutboxMessage, message.id)
    assert stored.status == "failed" and stored.given_up_at is not None
    assert len(events(r.id, "sms_given_up")) == 1
    assert "badge-sms-undelivered" not in text(client.get("/station/"))
    page = text(client.get(f"/station/r/{r.id}"))
    assert "已放弃" in page
    # Given up, it can still be sent again.
    assert f"/station/r/{r.id}/sms/{message.id}/resend" in page


def test_a_refused_resend_says_why(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a)
    message = stuck_text(r, status="delivered")
    response = post(client, f"/station/r/{r.id}/sms/{message.id}/resend")
    assert response.status_code == 422
    assert "只有没发出去的短信" in text(response)
    assert db.session.get(OutboxMessage, message.id).status == "delivered"


def test_texts_of_another_station_or_request_are_out_of_reach(client, world, login_as):
    login_as("social_worker")
    mine = request_at(world.station_a)
    theirs = request_at(world.station_b)
    their_text = stuck_text(theirs, status="failed")
    for url in (
        f"/station/r/{theirs.id}/sms/{their_text.id}/resend",
        f"/station/r/{mine.id}/sms/{their_text.id}/resend",
        f"/station/r/{mine.id}/sms/{their_text.id}/give-up",
    ):
        assert post(client, url).status_code == 404, url
    stored = db.session.get(OutboxMessage, their_text.id)
    assert stored.status == "failed" and stored.given_up_at is None


def test_the_county_supervisor_sees_the_texts_but_no_buttons(client, world, login_as):
    login_as("county_supervisor")
    r = request_at(world.station_a, minutes_ago=120)
    message = stuck_text(r, status="failed")
    page = text(client.get(f"/station/r/{r.id}"))
    assert 'id="sms"' in page
    assert f"/sms/{message.id}/resend" not in page
    assert r.contact_phone[3:] not in page  # the phone stays masked
