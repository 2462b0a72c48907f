"""Issue 16: a resident's request filed, followed and confirmed by someone who only ever
reads SMS and answers with digits, through Twilio's signed webhook; a volunteer takes the
offer with its digits; every reply comes in the language the person asked in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Claim, HelpRequest, InboundMessage, Offer, Station
from app.services import claims, console, offers
from app.services.codes import code_text
from tests import factories
from tests.sms_support import inbound_params, post_signed, signed_fixture  # noqa: F401
from tests.volunteer_support import fast_passwords, sms_to, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

RESIDENT = "+8613912345678"
STRANGER = "+8613700001111"
_sids = iter(range(10_000))


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """Offers' clocks start at once (the suite may run during Shanghai's quiet hours)."""
    monkeypatch.setattr(offers, "quiet_hours_end", lambda now: None)


def text(client, phone: str, body: str) -> str:
    """Send a text as Twilio would; the answer texted back (the TwiML reply)."""
    sid = f"SM{next(_sids):032d}"
    response = post_signed(client, "/sms/inbound", inbound_params(phone, body, sid))
    assert response.status_code == 200
    found = re.search(r"<Message>(.*)</Message>", response.get_data(as_text=True), re.S)
    assert found, response.get_data(as_text=True)
    return found.group(1)


def last_sms(phone: str, template: str) -> str:
    texts = sms_to(phone, template)
    assert texts, f"no {template} to {phone}"
    return texts[-1].body


def test_a_request_filed_followed_and_confirmed_with_digits_alone(client, signed, world):
    factories.make_beneficiary(world.room_a1, world.village_a1, phone=RESIDENT)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    volunteer = volunteer_near(world, 1, phone="+8613822220001", name="王晓明")
    db.session.commit()

    # Filed: the words of the need, once.
    received = text(client, RESIDENT, "我母亲腿脚不便，想请人帮忙买米和油")
    request = db.session.scalars(select(HelpRequest)).one()
    code = code_text(request.code)
    assert re.fullmatch(r"\d{4} \d{4}", code)
    assert f"编号{code}" in received
    assert "1天内" in received and "0371 1234 5678" in received  # when, and whom to call
    assert "查进度回0" in received and "http" not in received  # no link needed
    assert len(received) <= 70

    # Followed: 0.
    assert "我们已收到您的求助" in text(client, RESIDENT, "0")

    # The station takes it on; the volunteer takes the offer with its four digits.
    console.edit(
        request,
        worker,
        category="shopping",
        urgency="normal",
        village_id=world.village_a1.id,
        address="",
        lat=None,
        lon=None,
    )
    console.accept(request, worker)
    db.session.commit()
    offer = db.session.scalars(select(Offer).where(Offer.volunteer_id == volunteer.id)).one()
    invitation = last_sms(volunteer.phone, "volunteer_offer")
    assert re.fullmatch(r"[1-9]\d{3}", offer.reply_code)
    assert f"接单回{offer.reply_code}" in invitation and f"不接回0{offer.reply_code}" in invitation
    assert "前有效" in invitation
    taken = text(client, volunteer.phone, offer.reply_code)
    assert "由您负责" in taken
    claimed = last_sms(RESIDENT, "request_claimed")
    assert code in claimed and "晓明" in claimed and "查进度回0" in claimed and len(claimed) <= 70

    # Followed again: 0 says who is coming.
    assert "晓明会来帮您" in text(client, RESIDENT, "０")

    # Done: the text says how to answer, and 1 confirms it.
    claim = db.session.scalars(select(Claim)).one()
    claims.check_in(claim, actor=volunteer)
    claims.check_out(claim, actor=volunteer, outcome="买了米和油送到家", hours="1")
    db.session.commit()
    done = last_sms(RESIDENT, "request_done_confirm")
    assert code in done and "解决了请回1" in done and "没解决请回2" in done and len(done) <= 70
    assert "解决了请回1" in text(client, RESIDENT, "0")  # the status reply says it too
    thanks = text(client, RESIDENT, "1")
    assert "已办结" in thanks and code in thanks
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "closed"
    # Everything the resident ever sent after the first text was a digit.
    bodies = db.session.scalars(
        select(InboundMessage.body)
        .where(InboundMessage.from_phone == RESIDENT)
        .order_by(InboundMessage.id)
    ).all()
    assert all(re.fullmatch(r"[0-9０-９]", body) for body in bodies[1:])


def test_two_says_it_was_not_solved_and_the_station_follows_up(client, signed, world):
    request = factories.make_request(world.station_a, status="done", contact_phone=RESIDENT)
    db.session.commit()
    answer = text(client, RESIDENT, "2")
    assert "重新打开" in answer and code_text(request.code) in answer
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "assigned"


def test_replies_come_in_the_language_of_the_request_whatever_the_keyword(client, signed, world):
    request = factories.make_request(
        world.station_a, status="done", contact_phone=RESIDENT, language="en"
    )
    db.session.commit()
    assert text(client, RESIDENT, "0").startswith("[Linli] Request ")
    assert "Solved? Reply 1" in text(client, RESIDENT, "查询")
    assert "[Linli] To" not in text(client, RESIDENT, "帮助")  # the resident's help
    assert text(client, RESIDENT, "帮助").startswith("[Linli] Need help?")
    assert text(client, RESIDENT, "是").startswith("[Linli] Need help?")
    assert text(client, RESIDENT, "１").startswith("[Linli] Thank you!")
    assert db.session.get(HelpRequest, request.id).status == "closed"


def test_a_stranger_learns_nothing_and_changes_nothing_with_a_code(client, signed, world):
    request = factories.make_request(world.station_a, status="done", contact_phone=RESIDENT)
    db.session.commit()
    by_code = text(client, STRANGER, code_text(request.code))
    unknown = text(client, STRANGER, "1111 2222")
    assert "没有找到" in by_code and by_code == unknown
    assert "求助请直接发短信" in text(client, STRANGER, "1")  # nothing of theirs to confirm
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "done"
    # The owner's number gets the status by the code too.
    assert "解决了请回1" in text(client, RESIDENT, request.code)
    count = db.session.scalar(select(func.count()).select_from(HelpRequest))
    assert count == 1  # digits never file a request


def test_a_station_without_a_phone_gives_no_number_rather_than_a_hotline(client, signed, world):
    # Stations must have a phone now (Station's validator); one saved before that rule
    # may still lack it, so the row is changed as old data would be, past the validator.
    db.session.execute(update(Station).where(Station.id == world.county_centre.id).values(phone=""))
    db.session.commit()
    received = text(client, RESIDENT, "家里水管坏了，需要人来修")
    request = db.session.scalars(select(HelpRequest)).one()
    assert request.station_id == world.county_centre.id
    assert "1天内" in received and code_text(request.code) in received
    assert not re.search(r"电话|12345|0371", received)
    assert "110/120" in received


def test_the_offer_can_be_declined_as_it_says(client, signed, world):
    volunteer = volunteer_near(world, 1, phone="+8613822220002")
    request = factories.make_request(
        world.station_a, status="accepted", category="shopping", village=world.village_a1
    )
    db.session.commit()
    offers.send_offers(request)
    db.session.commit()
    offer = db.session.scalars(select(Offer)).one()
    answer = text(client, volunteer.phone, f"0{offer.reply_code}")
    assert "谢绝" in answer
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == "declined"


@pytest.mark.parametrize(
    "body", ["No water since this morning", "Need help with shopping", "No heat"]
)
def test_words_that_look_like_an_old_reply_are_a_residents_request(client, signed, world, body):
    """'No water' parses like "decline WATER" (an old letter-code reply); from someone with
    no account it is a resident asking, and files a request."""
    answer = text(client, STRANGER, body)
    (filed,) = db.session.scalars(select(HelpRequest)).all()
    assert filed.contact_phone == STRANGER and filed.description == body
    assert code_text(filed.code) in answer
