"""Issue 13, item 11 seen from the volunteer's side: the tracking code and the phone's last
four digits open the resident's own page (cancel, confirm, rate), and a volunteer with a
claim holds the resident's phone. So nothing a volunteer reads carries the tracking code:
their pages and SMS name the task by its number."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.reminders import remind_volunteers
from app.models import Claim, HelpRequest, OutboxMessage
from app.services import claims, offers
from app.services.notifications.inbound import handle_inbound
from tests import factories
from tests.console_support import text
from tests.factories import shows_code
from tests.volunteer_support import fast_passwords, request_in_a1, sign_in, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def _bodies(phone: str) -> list[str]:
    return list(
        db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_phone == phone))
    )


def test_the_claim_page_names_the_task_by_number_not_by_tracking_code(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world, status="offered")
    claim = claims.claim(task, volunteer=volunteer)
    db.session.commit()
    sign_in(client, volunteer)
    page = text(client.get(f"/v/c/{claim.id}"))
    assert task.contact_phone.removeprefix("+86") in page  # the doer may call
    assert not shows_code(page, task.code)
    assert f"#{task.id}" in page
    for url in ("/v/mine", "/v/tasks", "/v/hours"):
        assert not shows_code(text(client.get(url)), task.code), url


def test_sms_to_the_volunteer_carry_no_tracking_code(app, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world)
    [offer] = offers.send_offers(task)
    db.session.commit()
    answer = handle_inbound(volunteer.phone, f"Y {offer.reply_code}", "SMtestreply1").reply
    db.session.commit()
    task = db.session.get(HelpRequest, task.id)
    assert task.status == "assigned"
    assert not shows_code(answer, task.code) and f"#{task.id}" in answer
    texts = _bodies(volunteer.phone)  # the offer itself
    assert texts and not any(shows_code(body, task.code) for body in texts)


def test_the_evening_reminder_carries_no_tracking_code(app, world):
    volunteer = factories.make_volunteer(world.station_a, phone="+8613700000001")
    wanted = datetime(2026, 11, 29, 9, 30) - timedelta(hours=8)
    task = factories.make_request(
        world.station_a, status="assigned", village=world.village_a1, wanted_at=wanted
    )
    task.assigned_volunteer_id = volunteer.id
    db.session.add(Claim(request_id=task.id, volunteer_id=volunteer.id, status="active", via="web"))
    db.session.commit()
    assert remind_volunteers(now=datetime(2026, 11, 28, 19, 0) - timedelta(hours=8)) == 1
    [body] = _bodies(volunteer.phone)
    assert not shows_code(body, task.code) and f"#{task.id}" in body
