"""Offers: the top candidates get an SMS with a reply code; rounds widen, then escalate."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import offers as offer_jobs
from app.models import HelpRequest, Offer, RequestEvent
from app.models.base import utcnow
from app.services import ServiceError, claims, offers
from app.services.codes import code_text
from tests import factories
from tests.volunteer_support import all_sms, fast_passwords, request_in_a1, sms_to, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def offers_of(request):
    return list(
        db.session.scalars(
            select(Offer).where(Offer.request_id == request.id).order_by(Offer.round, Offer.rank)
        )
    )


def expire_all_pending():
    for offer in db.session.scalars(select(Offer).where(Offer.status == "pending")):
        offer.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """Offers' clocks start at once (the suite may run during Shanghai's quiet hours)."""
    monkeypatch.setattr(offers, "quiet_hours_end", lambda now: None)


def test_the_best_three_get_an_offer_and_an_sms(app, world):
    volunteers = [volunteer_near(world, km) for km in (1, 2, 3, 4)]
    request = request_in_a1(world, contact_name="王秀英", address="杏花社区3号楼2单元501")
    sent = offers.send_offers(request)
    assert [o.volunteer_id for o in sent] == [v.id for v in volunteers[:3]]
    assert request.status == "offered" and request.offer_round == 1
    ttl = app.config["OFFER_TTL_MINUTES"]
    for offer in sent:
        assert offer.status == "pending" and len(offer.reply_code) == 4 and offer.reasons
        assert timedelta(minutes=ttl - 1) < offer.expires_at - utcnow() <= timedelta(minutes=ttl)
    assert sms_to(volunteers[3].phone) == []
    texts = [sms_to(v.phone, "volunteer_offer")[0].body for v in volunteers[:3]]
    for text, offer in zip(texts, sent, strict=True):
        assert f"接单回{offer.reply_code}，不接回0{offer.reply_code}" in text and "前有效" in text
        assert f"/v/o/{offer.id}" in text
        assert "代购" in text and "杏花社区" in text and "公里" in text
        assert len(text) <= 134
    event = db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == request.id)
    ).all()[-1]
    assert (event.action, event.from_status, event.to_status) == ("offer", "accepted", "offered")


def test_the_offer_sms_carries_no_personal_data(world):
    volunteer = volunteer_near(world, 1)
    request = request_in_a1(
        world,
        contact_name="王秀英",
        contact_phone="+8613812345678",
        address="杏花社区3号楼2单元501",
        description="王秀英奶奶腿脚不便，需要代购药品",
    )
    offers.send_offers(request)
    text = sms_to(volunteer.phone, "volunteer_offer")[0].body
    for private in (
        "王秀英",
        "13812345678",
        "5678",
        "3号楼",
        "501",
        "腿脚",
        request.code,
        code_text(request.code),
    ):
        assert private not in text


def test_urgent_offers_expire_sooner(app, world):
    volunteer_near(world, 1)
    request = request_in_a1(world, urgency="urgent")
    [offer] = offers.send_offers(request)
    minutes = app.config["OFFER_TTL_URGENT_MINUTES"]
    assert offer.expires_at - utcnow() <= timedelta(minutes=minutes)


def test_reply_codes_are_unique_among_a_volunteers_open_offers(world, monkeypatch):
    volunteer = volunteer_near(world, 1)
    codes = iter(["AAAA", "AAAA", "AAAA", "CCCC"])
    monkeypatch.setattr(offers, "new_reply_code", lambda: next(codes))
    first = offers.send_offers(request_in_a1(world))
    second = offers.send_offers(request_in_a1(world))
    assert [o.reply_code for o in first + second] == ["AAAA", "CCCC"]
    assert all(o.volunteer_id == volunteer.id for o in first + second)


def test_expiry_starts_a_wider_round_then_escalates(app, world):
    app.config["OFFER_MAX_ROUNDS"] = 3
    near = volunteer_near(world, 2, radius_km=5)
    # 7 km away with a 5 km radius: reached only when round 2 looks 1.5 × as far.
    further = volunteer_near(world, 7, radius_km=5)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = request_in_a1(world)
    [first] = offers.send_offers(request)
    assert first.volunteer_id == near.id
    db.session.commit()

    expire_all_pending()
    assert offer_jobs.expire_offers() == 1
    request = db.session.get(HelpRequest, request.id)
    round_two = [o for o in offers_of(request) if o.round == 2]
    assert [o.volunteer_id for o in round_two] == [further.id]
    assert offers_of(request)[0].status == "expired"
    assert request.offer_round == 2 and not request.escalated
    assert sms_to(worker.phone) == []

    # Round 3 finds nobody new, and it was the last: the workers are told.
    expire_all_pending()
    offer_jobs.expire_offers()
    request = db.session.get(HelpRequest, request.id)
    assert request.escalated and request.status == "offered"
    [alert] = sms_to(worker.phone, "offer_unmatched")
    assert code_text(request.code) in alert.body and "/station/r/" in alert.body
    # Escalation is recorded once, and the workers are not texted again.
    offer_jobs.expire_offers()
    assert len(sms_to(worker.phone)) == 1
    events = db.session.scalars(
        select(RequestEvent.action).where(RequestEvent.request_id == request.id)
    ).all()
    assert events.count("escalate") == 1


def test_nobody_fits_escalates_at_once(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = request_in_a1(world, category="haircut")
    assert offers.send_offers(request) == []
    assert request.escalated and request.status == "accepted"
    assert len(sms_to(worker.phone, "offer_unmatched")) == 1


def test_social_worker_only_requests_alert_the_workers(world):
    volunteer_near(world, 1, skills=("crisis_intervention",))
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    other_station = factories.make_user(roles=("social_worker",), station=world.station_b)
    request = request_in_a1(world, category="crisis_intervention", urgency="crisis")
    assert offers.send_offers(request) == []
    assert offers_of(request) == []
    [alert] = sms_to(worker.phone, "offer_social_worker_only")
    assert alert.crisis and code_text(request.code) in alert.body
    assert sms_to(other_station.phone) == []


def test_a_room_without_workers_alerts_its_township_station(world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    request = factories.make_request(world.room_a1, village=world.village_a1, status="accepted")
    offers.send_offers(request)
    assert len(sms_to(worker.phone, "offer_unmatched")) == 1


def test_offering_a_new_request_is_refused_by_the_state_machine(world):
    request = request_in_a1(world, status="new")
    with pytest.raises(ServiceError):
        offers.send_offers(request)


def test_when_everyone_declines_the_next_round_starts(world):
    first = volunteer_near(world, 1)
    second = volunteer_near(world, 2)
    app_batch = 1
    db.session.commit()
    from flask import current_app

    current_app.config["OFFER_BATCH_SIZE"] = app_batch
    try:
        request = request_in_a1(world)
        [offer] = offers.send_offers(request)
        assert offer.volunteer_id == first.id
        claims.decline_offer_by_code(first.phone, offer.reply_code.lower())
        assert offer.status == "declined"
        assert [o.volunteer_id for o in offers_of(request) if o.status == "pending"] == [second.id]
    finally:
        current_app.config["OFFER_BATCH_SIZE"] = 3


def test_auto_offer_accepts_and_offers_normal_requests(world):
    volunteer = volunteer_near(world, 1)
    world.station_a.auto_offer = True
    normal = request_in_a1(world, status="new")
    urgent = request_in_a1(world, status="new", urgency="urgent")
    crisis_kind = request_in_a1(world, status="new", category="emotional_support")
    elsewhere = factories.make_request(world.station_b, village=world.village_b1, status="new")
    db.session.commit()
    assert offer_jobs.auto_offer_new_requests() == 1
    statuses = {
        r.id: db.session.get(HelpRequest, r.id).status
        for r in (normal, urgent, crisis_kind, elsewhere)
    }
    assert statuses == {
        normal.id: "offered",
        urgent.id: "new",
        crisis_kind.id: "new",
        elsewhere.id: "new",
    }
    actions = db.session.scalars(
        select(RequestEvent.actor_label).where(
            RequestEvent.request_id == normal.id, RequestEvent.action == "accept"
        )
    ).all()
    assert actions == ["system"]
    assert len(sms_to(volunteer.phone, "volunteer_offer")) == 1


def test_the_worker_runs_the_matching_jobs(app):
    from app.jobs.scheduler import _jobs

    names = {job.run for job in _jobs()}
    assert offer_jobs.expire_offers in names and offer_jobs.auto_offer_new_requests in names


def test_all_sms_templates_fit_two_segments(world):
    volunteer_near(world, 1)
    offers.send_offers(request_in_a1(world, wanted_at=utcnow() + timedelta(days=1)))
    for message in all_sms("volunteer_offer"):
        assert len(message.body) <= 134


def test_an_offer_made_in_the_quiet_hours_runs_from_the_morning(app, world, monkeypatch):
    from datetime import datetime

    from app.services.notifications import limits

    monkeypatch.setattr(offers, "quiet_hours_end", limits.quiet_hours_end)
    late = datetime(2026, 11, 28, 23, 30) - timedelta(hours=8)  # 23:30 in Shanghai
    monkeypatch.setattr(offers, "utcnow", lambda: late)
    volunteer_near(world, 1)
    [normal] = offers.send_offers(request_in_a1(world))
    morning = datetime(2026, 11, 29, 8, 0) - timedelta(hours=8)
    assert normal.expires_at == morning + timedelta(minutes=app.config["OFFER_TTL_MINUTES"])
    [urgent] = offers.send_offers(request_in_a1(world, urgency="urgent"))
    assert urgent.expires_at == late + timedelta(minutes=app.config["OFFER_TTL_URGENT_MINUTES"])


def test_a_request_left_offered_with_no_open_offer_moves_on(app, world):
    """Declines racing each other (or the expiry) can leave no open offer behind."""
    volunteers = [volunteer_near(world, km) for km in (1, 2, 3, 4)]
    request = request_in_a1(world)
    for offer in offers.send_offers(request):
        offer.status = "declined"  # what the racing declines left behind
    db.session.commit()
    offer_jobs.expire_offers()
    request = db.session.get(HelpRequest, request.id)
    assert request.status == "offered" and request.offer_round == 2
    assert [o.volunteer_id for o in offers.pending_offers(request)] == [volunteers[3].id]
    for offer in offers.pending_offers(request):
        offer.status = "declined"
    request.offer_round = app.config["OFFER_MAX_ROUNDS"]
    db.session.commit()
    offer_jobs.expire_offers()
    assert db.session.get(HelpRequest, request.id).escalated
