"""Twilio's webhooks: signed inbound texts (commands, new requests) and delivery reports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.jobs.sms import dispatch_pending
from app.models import (
    Claim,
    HelpRequest,
    InboundMessage,
    Offer,
    OutboxMessage,
    RequestEvent,
    SmsOptOut,
)
from app.models.base import utcnow
from app.services.codes import code_text
from tests import factories
from tests.factories import shows_code
from tests.sms_support import (  # noqa: F401 - fixtures
    add_message,
    inbound_params,
    post_signed,
    reload,
    signature,
    signed_fixture,
)

RESIDENT = "+8613912345678"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _text(client, from_phone, body, sid="SM" + "a" * 32, **kwargs):
    return post_signed(client, "/sms/inbound", inbound_params(from_phone, body, sid), **kwargs)


def _reply(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    assert xml.startswith("<?xml") and "<Response><Message>" in xml
    return xml


# --- signatures ---------------------------------------------------------------------------


def test_a_forged_or_unsigned_text_is_refused(client, signed, world):
    params = inbound_params(RESIDENT, "救命", "SM" + "f" * 32)
    forged = client.post(
        "/sms/inbound", data=params, headers={"X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl"}
    )
    assert forged.status_code == 403
    assert client.post("/sms/inbound", data=params).status_code == 403
    wrong_key = _text(client, RESIDENT, "救命", token="not-our-token")
    assert wrong_key.status_code == 403
    assert _count(InboundMessage) == 0 and _count(HelpRequest) == 0


def test_a_signature_over_changed_parameters_is_refused(client, signed, world):
    params = inbound_params(RESIDENT, "需要买菜", "SM" + "b" * 32)
    good = signature("http://localhost/sms/inbound", params)
    params["Body"] = "改过的内容"
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": good})
    assert response.status_code == 403


def test_behind_a_proxy_the_public_url_is_what_is_signed(app, client, signed, world, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://linli.example.org")
    as_seen_here = _text(client, RESIDENT, "帮帮忙", base="http://localhost")
    assert as_seen_here.status_code == 403
    public = _text(client, RESIDENT, "帮帮忙", base="https://linli.example.org")
    assert public.status_code == 200


def test_without_an_auth_token_every_webhook_is_refused(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    assert _text(client, RESIDENT, "你好", token="").status_code == 403


# --- texts from residents ------------------------------------------------------------------


def test_a_text_from_an_unknown_number_becomes_a_new_request(client, signed, world):
    xml = _reply(_text(client, RESIDENT, "我家老人腿摔伤了，需要有人帮忙买药"))
    request = db.session.scalars(select(HelpRequest)).one()
    assert (request.status, request.channel) == ("new", "sms")
    assert request.contact_phone == RESIDENT
    assert request.description == "我家老人腿摔伤了，需要有人帮忙买药"
    assert code_text(request.code) in xml and "已收到" in xml
    stored = db.session.scalars(select(InboundMessage)).one()
    assert stored.request_id == request.id and stored.command == "text"
    assert stored.reply and code_text(request.code) in stored.reply
    # The TwiML reply is the confirmation: no second SMS with the same text.
    assert _count(OutboxMessage) == 0


def test_a_text_from_a_person_in_the_ledger_goes_to_their_station(client, signed, world):
    person = factories.make_beneficiary(world.room_a1, world.village_a1, phone=RESIDENT)
    db.session.commit()
    _reply(_text(client, RESIDENT, "水管坏了，家里没人能修"))
    request = db.session.scalars(select(HelpRequest)).one()
    assert request.beneficiary_id == person.id
    assert request.village_id == world.village_a1.id
    assert request.station_id == world.room_a1.id  # their station, the room of the village


def test_an_english_text_from_an_unknown_number_gets_an_english_answer(client, signed, world):
    xml = _reply(_text(client, RESIDENT, "My mother needs help with shopping"))
    request = db.session.scalars(select(HelpRequest)).one()
    assert "Request received" in xml and code_text(request.code) in xml
    assert request.language == "en"


def test_a_retried_webhook_is_handled_once(client, signed, world):
    first = _reply(_text(client, RESIDENT, "需要人陪我去医院", sid="SM" + "c" * 32))
    again = _reply(_text(client, RESIDENT, "需要人陪我去医院", sid="SM" + "c" * 32))
    assert first == again
    assert _count(InboundMessage) == 1 and _count(HelpRequest) == 1


def test_a_second_text_joins_the_open_request(client, signed, world):
    _reply(_text(client, RESIDENT, "需要人帮忙打扫卫生", sid="SM" + "1" * 32))
    xml = _reply(_text(client, RESIDENT, "地址是杏花社区3号楼", sid="SM" + "2" * 32))
    request = db.session.scalars(select(HelpRequest)).one()
    assert code_text(request.code) in xml and "补充" in xml
    note = db.session.scalars(
        select(RequestEvent).where(RequestEvent.action == "sms_received")
    ).one()
    assert note.note == "地址是杏花社区3号楼" and note.request_id == request.id


# --- commands -------------------------------------------------------------------------------


def test_stop_opts_out_and_start_opts_back_in(client, signed, world):
    xml = _reply(_text(client, RESIDENT, "ＳＴＯＰ", sid="SM" + "3" * 32))  # full width
    assert "退订" in xml
    assert db.session.get(SmsOptOut, RESIDENT) is not None
    message = add_message(RESIDENT, "会被拦下")
    dispatch_pending()
    assert reload(message).status == "suppressed"
    assert _count(HelpRequest) == 0  # a command, not a request
    xml = _reply(_text(client, RESIDENT, "开始", sid="SM" + "4" * 32))
    assert "恢复" in xml
    assert db.session.get(SmsOptOut, RESIDENT) is None
    later = add_message(RESIDENT, "又能收到了")
    dispatch_pending()
    assert reload(later).status == "sent"


def test_chinese_opt_out_words(client, signed, world):
    for n, word in enumerate(("TD", "td", "退订")):
        db.session.query(SmsOptOut).delete()
        _reply(_text(client, f"+86139000000{n:02d}", word, sid=f"SM{n:032d}"))
        assert db.session.get(SmsOptOut, f"+86139000000{n:02d}") is not None, word


def test_help_answers_in_the_senders_language(client, signed, world):
    volunteer = factories.make_volunteer(world.station_a, phone="+8613811112222", language="en")
    db.session.commit()
    english = _reply(_text(client, volunteer.phone, "help", sid="SM" + "5" * 32))
    assert "<Message>[Linli] To take a task reply its code, e.g. 4821." in english
    chinese = _reply(_text(client, RESIDENT, "帮助", sid="SM" + "6" * 32))
    assert "求助请直接发短信写明情况和地址" in chinese
    assert _count(HelpRequest) == 0


def test_an_empty_text_gets_the_help_text_not_an_empty_request(client, signed, world):
    xml = _reply(_text(client, RESIDENT, "  ", sid="SM" + "4" * 31 + "9"))
    assert "求助请直接发短信写明情况和地址" in xml
    assert _count(HelpRequest) == 0 and _count(InboundMessage) == 1


def test_a_volunteer_chatting_gets_the_help_text_not_a_request(client, signed, world):
    volunteer = factories.make_volunteer(world.station_a, phone="+8613811113333")
    db.session.commit()
    xml = _reply(_text(client, volunteer.phone, "今天下午我有空", sid="SM" + "7" * 32))
    assert "接单请回" in xml
    assert _count(HelpRequest) == 0


def _offered_request(world, *volunteers, code="K7M3"):
    request = factories.make_request(world.station_a, status="offered")
    for volunteer in volunteers:
        db.session.add(
            Offer(
                request_id=request.id,
                volunteer_id=volunteer.id,
                reply_code=code,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    db.session.commit()
    return request


def test_y_code_claims_the_offer_once(client, signed, world):
    first = factories.make_volunteer(world.station_a, phone="+8613822220001")
    second = factories.make_volunteer(world.station_a, phone="+8613822220002")
    request = _offered_request(world, first, second)
    xml = _reply(_text(client, first.phone, "y k7m3", sid="SM" + "8" * 32))
    assert "谢谢您" in xml and f"#{request.id}" in xml and not shows_code(xml, request.code)
    stored = db.session.get(HelpRequest, request.id)
    assert stored.status == "assigned" and stored.assigned_volunteer_id == first.id
    claim = db.session.scalars(select(Claim)).one()
    assert (claim.volunteer_id, claim.via) == (first.id, "sms")
    late = _reply(_text(client, second.phone, "是 K7M3", sid="SM" + "9" * 32))
    assert "别人接走" in late and "由您负责" not in late
    assert _count(Claim) == 1
    assert db.session.get(HelpRequest, request.id).assigned_volunteer_id == first.id


def test_n_code_declines_the_offer(client, signed, world):
    volunteer = factories.make_volunteer(world.station_a, phone="+8613822220003")
    request = _offered_request(world, volunteer, code="QX4M")
    xml = _reply(_text(client, volunteer.phone, "否 QX4M", sid="SM" + "d" * 32))
    assert "谢绝" in xml and "QX4M" in xml
    offer = db.session.scalars(select(Offer).where(Offer.request_id == request.id)).one()
    assert offer.status == "declined"
    assert db.session.get(HelpRequest, request.id).status != "assigned"


def test_an_unknown_code_is_answered_plainly(client, signed, world):
    volunteer = factories.make_volunteer(world.station_a, phone="+8613822220004")
    db.session.commit()
    xml = _reply(_text(client, volunteer.phone, "Y 9999", sid="SM" + "e" * 32))
    assert "没有找到" in xml
    assert _count(Claim) == 0
    assert db.session.scalars(select(InboundMessage)).one().command == "accept"


def test_y_without_a_code_asks_for_it(client, signed, world):
    volunteer = factories.make_volunteer(world.station_a, phone="+8613822220005")
    db.session.commit()
    xml = _reply(_text(client, volunteer.phone, "是", sid="SM" + "0" * 31 + "1"))
    assert "请回任务短信里的4位编号" in xml


# --- delivery reports -----------------------------------------------------------------------


def _status(client, params, path="/sms/status", **kwargs):
    return post_signed(client, path, params, **kwargs)


def _sent_message(phone=RESIDENT, **kwargs):
    return add_message(
        phone, status="sent", provider_id="SM" + "5" * 32, sent_at=utcnow(), **kwargs
    )


def test_delivery_reports_update_the_message(client, signed, world):
    message = _sent_message()
    base = {"MessageSid": message.provider_id, "AccountSid": "AC1", "To": RESIDENT}
    assert _status(client, {**base, "MessageStatus": "delivered"}).status_code == 204
    stored = reload(message)
    assert stored.status == "delivered" and stored.delivered_at is not None
    # A late "sent" report never undoes "delivered".
    assert _status(client, {**base, "MessageStatus": "sent"}).status_code == 204
    assert reload(message).status == "delivered"


def test_an_undelivered_report_keeps_the_error_code_and_flags_the_request(client, signed, world):
    request = factories.make_request(world.station_a, contact_phone=RESIDENT)
    message = _sent_message(request_id=request.id)
    params = {
        "MessageSid": message.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30005",
    }
    assert _status(client, params).status_code == 204
    stored = reload(message)
    assert (stored.status, stored.error_code) == ("undelivered", "30005")
    assert "unknown or inactive" in stored.last_error
    assert db.session.get(HelpRequest, request.id).sms_unreachable is True


def test_a_failed_report_with_21610_opts_the_number_out(client, signed, world):
    message = _sent_message()
    params = {"MessageSid": message.provider_id, "MessageStatus": "failed", "ErrorCode": "21610"}
    assert _status(client, params).status_code == 204
    assert reload(message).status == "failed"
    assert db.session.get(SmsOptOut, RESIDENT) is not None


def test_a_report_that_beats_the_worker_finds_the_row_by_our_id(client, signed, world):
    message = add_message(RESIDENT, status="sending", leased_at=utcnow())
    params = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "sent"}
    response = _status(client, params, path=f"/sms/status?m={message.id}")
    assert response.status_code == 204
    stored = reload(message)
    assert (stored.status, stored.provider_id) == ("sent", "SM" + "7" * 32)


def test_a_forged_delivery_report_is_refused(client, signed, world):
    message = _sent_message()
    params = {"MessageSid": message.provider_id, "MessageStatus": "failed", "ErrorCode": "30005"}
    response = client.post("/sms/status", data=params, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 403
    assert reload(message).status == "sent"
