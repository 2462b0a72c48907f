"""Issue 13: an offer round reaches real people, once each. A volunteer who sent 退订 takes
no offer slot (the web feed still shows the task); a volunteer who also leads a team gets
one offer and one SMS per round, not one as a volunteer and one as the team's leader."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.sms import dispatch_pending
from app.models import Offer, OutboxMessage, RequestEvent
from app.services import offers, volunteers
from app.services.notifications import delivery, limits
from tests import factories
from tests.volunteer_support import fast_passwords, request_in_a1, sms_to, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    """Offers' clocks start at once and their texts go out (the suite may run during
    Shanghai's quiet hours, 21:00-08:00, when the sender holds offers till the morning)."""
    monkeypatch.setattr(offers, "quiet_hours_end", lambda now: None)
    monkeypatch.setattr(limits, "quiet_hours_end", lambda now: None)


def offers_of(request) -> list[Offer]:
    return list(
        db.session.scalars(
            select(Offer).where(Offer.request_id == request.id).order_by(Offer.round, Offer.rank)
        )
    )


def round_note(request) -> str:
    return db.session.scalars(
        select(RequestEvent.note).where(
            RequestEvent.request_id == request.id, RequestEvent.action == "offer"
        )
    ).all()[-1]


def offer_sms() -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "volunteer_offer"))
    )


def test_an_opted_out_volunteer_takes_no_slot_and_the_next_one_is_texted(world):
    opted_out = volunteer_near(world, 1)
    others = [volunteer_near(world, km) for km in (2, 3, 4)]
    delivery.opt_out(opted_out.phone)
    request = request_in_a1(world)

    sent = offers.send_offers(request)

    assert [o.volunteer_id for o in sent] == [v.id for v in others]
    assert opted_out.id not in {o.volunteer_id for o in offers_of(request)}
    assert sms_to(opted_out.phone) == []
    assert {m.to_phone for m in offer_sms()} == {v.phone for v in others}
    assert "已发给 3 位" in round_note(request)


def test_the_count_says_who_was_really_reached(world):
    opted_out = volunteer_near(world, 1)
    texted = volunteer_near(world, 2)
    delivery.opt_out(opted_out.phone)
    request = request_in_a1(world)

    sent = offers.send_offers(request)

    assert [o.volunteer_id for o in sent] == [texted.id]
    note = round_note(request)
    assert "已发给 1 位" in note and "已发给 2 位" not in note
    assert "1 位退订了短信" in note  # the worker learns why the circle is small
    # Sending the outbox texts exactly the one counted.
    db.session.commit()
    assert dispatch_pending() == 1
    assert [m.to_phone for m in offer_sms() if m.status == "sent"] == [texted.phone]


def test_an_opted_out_volunteer_still_sees_the_task_on_the_web(world):
    opted_out = volunteer_near(world, 1)
    volunteer_near(world, 2)
    delivery.opt_out(opted_out.phone)
    request = request_in_a1(world)
    offers.send_offers(request)
    db.session.commit()

    feed = volunteers.nearby_tasks(opted_out)

    assert [t.request.id for t in feed] == [request.id]
    assert feed[0].offer is None  # seen on the web, not offered by SMS


def test_nobody_reachable_by_sms_escalates(world):
    only = volunteer_near(world, 1)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    delivery.opt_out(only.phone)
    request = request_in_a1(world)

    assert offers.send_offers(request) == []

    assert request.escalated
    assert len(sms_to(worker.phone, "offer_unmatched")) == 1
    assert sms_to(only.phone) == []


def team_led_by(world, leader, **kwargs):
    return factories.make_team(
        world.station_a,
        leader,
        skills=["shopping", "companionship"],
        lat=leader.volunteer.home_lat,
        lon=leader.volunteer.home_lon,
        **kwargs,
    )


def test_a_volunteer_who_leads_a_team_is_offered_once_per_round(world):
    leader = volunteer_near(world, 1)
    team = team_led_by(world, leader)
    other = volunteer_near(world, 3)
    request = request_in_a1(world)

    sent = offers.send_offers(request)

    assert len(sent) == 2
    mine = [o for o in sent if o.volunteer_id == leader.id or o.team_id == team.id]
    assert len(mine) == 1
    assert [o.volunteer_id for o in sent if o not in mine] == [other.id]
    assert len(sms_to(leader.phone, "volunteer_offer")) == 1
    assert len(sms_to(other.phone, "volunteer_offer")) == 1
    assert "已发给 2 位" in round_note(request)


def test_a_team_leader_with_an_open_offer_is_not_offered_again_for_the_team(world):
    leader = volunteer_near(world, 1)
    team = team_led_by(world, leader, active=False)
    request = request_in_a1(world)
    [first] = offers.send_offers(request)
    assert first.volunteer_id == leader.id

    # The team comes back and the worker offers again while the first offer is still
    # open: a new round, and the same person is not texted a second time as its leader.
    team.active = True
    db.session.flush()
    offers.send_offers(request)

    assert len(sms_to(leader.phone, "volunteer_offer")) == 1
    assert [o.id for o in offers_of(request) if o.status == "pending"] == [first.id]
