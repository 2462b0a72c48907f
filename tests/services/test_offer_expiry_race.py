"""The expiry job's unit and a volunteer's "yes" at the same moment: the job reads the
request again before it offers anew or escalates, so a taken request stays taken and no
one is told that nobody took it (found by review in issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import HelpRequest, Offer, OutboxMessage, User
from app.models.base import utcnow
from app.services import claims, offers
from tests import factories
from tests.volunteer_support import fast_passwords, request_in_a1, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    monkeypatch.setattr(offers, "quiet_hours_end", lambda now: None)


def test_a_request_taken_while_its_offers_expire_is_not_escalated(world, app):
    factories.make_user(roles=("social_worker",), station=world.station_a)
    first, second = volunteer_near(world, 1), volunteer_near(world, 2)
    request = request_in_a1(world)
    made = offers.send_offers(request)
    request.offer_round = offers._max_rounds()  # the last round: next is escalation
    lapsed = next(o for o in made if o.volunteer_id == first.id)
    taken_id = next(o for o in made if o.volunteer_id == second.id).id
    lapsed.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    request_id = request.id

    in_the_job = db.session.get(HelpRequest, request_id)  # the unit has loaded it
    assert in_the_job.status == "offered"
    with app.app_context():  # meanwhile, another request: the second volunteer says yes
        claims.accept_offer(db.session.get(Offer, taken_id), user=db.session.get(User, second.id))
        db.session.commit()
    offers.expire_offers_of(in_the_job)  # its lapsed offer was closed by the claim
    db.session.commit()

    db.session.expire_all()
    stored = db.session.get(HelpRequest, request_id)
    assert (stored.status, stored.escalated) == ("assigned", False)
    texts = db.session.scalars(
        select(OutboxMessage.template).where(OutboxMessage.request_id == request_id)
    ).all()
    assert "offer_unmatched" not in texts
    assert db.session.get(Offer, taken_id).status == "accepted"
