"""Issue 13, item 17: when an edit moves a request to another station, the old station's
open offers are withdrawn, the people offered it are told, and the new station's rules
apply from there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs import sms
from app.models import Claim, HelpRequest, Offer, OutboxMessage, RequestEvent
from app.services import ServiceError, claims, console, offers
from tests import factories
from tests.volunteer_support import fast_passwords, request_in_a1, sms_to, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """Offers' clocks start at once (the suite may run during Shanghai's quiet hours)."""
    monkeypatch.setattr(offers, "quiet_hours_end", lambda now: None)


def _offer_of(request, user) -> Offer:
    return db.session.scalars(
        select(Offer).where(Offer.request_id == request.id, Offer.volunteer_id == user.id)
    ).one()


def _events(request, action):
    return list(
        db.session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == request.id, RequestEvent.action == action)
            .order_by(RequestEvent.id)
        )
    )


def _mark_sent(user) -> None:
    for message in sms_to(user.phone, "volunteer_offer"):
        message.status = "sent"
    db.session.flush()


def test_open_offers_are_withdrawn_and_those_who_got_them_are_told(world):
    first, second, third = (volunteer_near(world, km) for km in (1, 2, 3))
    request = request_in_a1(world)
    offers.send_offers(request)
    for volunteer in (first, second):
        _mark_sent(volunteer)  # the worker has sent these two; the third still waits
    claims.decline_offer(_offer_of(request, first), user=first)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)

    withdrawn = offers.withdraw_open_offers(request, by=worker, reason="改由柳林镇社工站安排")
    db.session.commit()

    assert withdrawn == 2
    assert _offer_of(request, first).status == "declined"  # answered already: left alone
    assert _offer_of(request, second).status == "withdrawn"
    assert _offer_of(request, third).status == "withdrawn"
    # The one who had the offer by SMS is told it is no longer theirs to take.
    [told] = sms_to(second.phone, "offer_withdrawn")
    code = _offer_of(request, second).reply_code
    assert code in told.body and "代购" in told.body and "杏花社区" in told.body
    assert "不用再接" in told.body and len(told.body) <= 134
    # The one whose offer SMS never went out gets neither: the offer SMS is held back.
    assert sms_to(third.phone, "offer_withdrawn") == []
    [unsent] = sms_to(third.phone, "volunteer_offer")
    assert unsent.status == "suppressed" and "withdrawn" in unsent.last_error
    assert sms_to(first.phone, "offer_withdrawn") == []
    # The timeline says who withdrew what and why, for the staff only.
    [event] = _events(request, "withdraw_offers")
    assert event.actor_id == worker.id and not event.public
    assert "改由柳林镇社工站安排" in event.note and "2" in event.note


def test_a_withdrawn_offer_cannot_be_taken_any_more(world):
    volunteer = volunteer_near(world, 1)
    request = request_in_a1(world)
    [offer] = offers.send_offers(request)
    offers.withdraw_open_offers(request, by=None, reason="moved")
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        claims.accept_offer_by_code(volunteer.phone, offer.reply_code)
    assert refused.value.message == "这个任务已撤回，不用再接了。谢谢您！"
    db.session.rollback()
    assert db.session.get(HelpRequest, request.id).status != "assigned"
    assert db.session.scalars(select(Claim).where(Claim.request_id == request.id)).all() == []


def test_the_team_leader_is_told_for_the_team(world):
    leader = volunteer_near(world, 1, skills=("cleaning",))
    team = factories.make_team(world.station_a, leader, skills=["cleaning"])
    request = request_in_a1(world, category="cleaning")
    sent = offers.send_offers(request)
    team_offer = next(o for o in sent if o.team_id == team.id)
    for message in db.session.scalars(select(OutboxMessage)):
        message.status = "sent"
    offers.withdraw_open_offers(request, by=None, reason="moved")
    db.session.commit()
    assert db.session.get(Offer, team_offer.id).status == "withdrawn"
    [body] = [m.body for m in sms_to(leader.phone, "offer_withdrawn")]  # one, to the leader
    assert team_offer.reply_code in body


def test_an_unsent_offer_sms_is_not_sent_after_the_withdrawal(app, world):
    volunteer = volunteer_near(world, 1)
    request = request_in_a1(world)
    offers.send_offers(request)
    offers.withdraw_open_offers(request, by=None, reason="moved")
    db.session.commit()
    assert sms.dispatch_pending() == 0
    assert [m.status for m in sms_to(volunteer.phone)] == ["suppressed"]


# --- the edit that re-routes ---------------------------------------------------------------


def _move_to_b(request, worker):
    """The worker corrects the village: it lies in township B, served by station B."""
    return console.edit(
        request,
        worker,
        category=request.category,
        urgency=request.urgency,
        village_id=_village_b1(),
        address=request.address or "",
        lat=None,
        lon=None,
    )


def _village_b1():
    from app.models import Region

    return db.session.scalars(select(Region.id).where(Region.name == "河口村")).one()


def test_moving_an_offered_request_hands_it_to_the_new_station_to_dispatch(world):
    near_a = volunteer_near(world, 1)
    request = request_in_a1(world)
    offers.send_offers(request)
    _mark_sent(near_a)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)

    _move_to_b(request, worker)
    db.session.commit()

    stored = db.session.get(HelpRequest, request.id)
    assert stored.station_id == world.station_b.id
    assert _offer_of(request, near_a).status == "withdrawn"
    assert len(sms_to(near_a.phone, "offer_withdrawn")) == 1
    # Station B does not offer on its own: the request waits in its "To dispatch" list,
    # with a fresh count of offer rounds.
    assert stored.status == "accepted" and stored.offer_round == 0
    [back] = _events(request, "withdraw_offers")
    assert (back.from_status, back.to_status) == ("offered", "accepted")
    assert world.station_b.name in back.note
    assert len(_events(request, "reassign_station")) == 1
    # The new station's workers can offer it again as usual.
    factories.make_volunteer(world.station_b, lat=34.91, lon=113.81)
    assert len(offers.send_offers(stored)) == 1


def test_a_station_that_offers_on_its_own_offers_the_moved_request_at_once(world):
    world.station_b.auto_offer = True
    near_a = volunteer_near(world, 1)
    near_b = factories.make_volunteer(world.station_b, lat=34.91, lon=113.81, radius_km=5)
    request = request_in_a1(world)
    offers.send_offers(request)
    assert {o.volunteer_id for o in offers.pending_offers(request)} == {near_a.id}
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)

    _move_to_b(request, worker)
    db.session.commit()

    stored = db.session.get(HelpRequest, request.id)
    assert stored.status == "offered" and stored.offer_round == 1
    assert {o.volunteer_id for o in offers.pending_offers(stored)} == {near_b.id}
    assert _offer_of(request, near_a).status == "withdrawn"
    assert len(sms_to(near_b.phone, "volunteer_offer")) == 1


def test_a_claim_already_made_stays_with_its_volunteer(world):
    doer = volunteer_near(world, 1)
    request = request_in_a1(world)
    [offer] = offers.send_offers(request)
    claims.accept_offer(offer, user=doer)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)

    _move_to_b(request, worker)
    db.session.commit()

    stored = db.session.get(HelpRequest, request.id)
    assert stored.station_id == world.station_b.id
    assert stored.status == "assigned" and stored.assigned_volunteer_id == doer.id
    [claim] = db.session.scalars(select(Claim).where(Claim.request_id == request.id)).all()
    assert claim.status == "active"
    assert sms_to(doer.phone, "offer_withdrawn") == []
    assert _events(request, "withdraw_offers") == []


def test_an_edit_that_keeps_the_station_leaves_the_offers_alone(world):
    volunteer = volunteer_near(world, 1)
    request = request_in_a1(world)
    [offer] = offers.send_offers(request)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    console.edit(
        request,
        worker,
        category=request.category,
        urgency="urgent",
        village_id=request.village_id,
        address="",
        lat=None,
        lon=None,
    )
    db.session.commit()
    assert db.session.get(Offer, offer.id).status == "pending"
    assert db.session.get(HelpRequest, request.id).status == "offered"
    assert sms_to(volunteer.phone, "offer_withdrawn") == []


def test_a_team_offer_keeps_open_only_its_own_leaders_text(world):
    """A volunteer's offer text whose own offer was withdrawn is closed, even while another
    team's offer on the same request is open and that team's leader has texts of their own:
    "a team this text's recipient leads" is the recipient's, not anyone's with a text."""
    from datetime import timedelta

    from app.models.base import utcnow
    from app.services.notifications.dispatch import closed_offers

    volunteer = volunteer_near(world, 1)
    leader = factories.make_user(roles=("volunteer",), station=world.station_a)
    team = factories.make_team(world.station_a, leader)
    request = request_in_a1(world)
    now = utcnow()
    later = now + timedelta(hours=4)
    db.session.add_all(
        [
            Offer(
                request_id=request.id,
                volunteer_id=volunteer.id,
                reply_code="A1",
                status="withdrawn",
                expires_at=later,
            ),
            Offer(
                request_id=request.id,
                team_id=team.id,
                reply_code="B2",
                status="pending",
                expires_at=later,
            ),
        ]
    )
    texts = [
        OutboxMessage(
            to_phone=user.phone,
            body="offer",
            template="volunteer_offer",
            request_id=request.id,
            user_id=user.id,
        )
        for user in (volunteer, leader)
    ]
    db.session.add_all(texts)
    db.session.flush()
    volunteers_text, leaders_text = texts

    assert closed_offers(texts, now) == {volunteers_text.id}
