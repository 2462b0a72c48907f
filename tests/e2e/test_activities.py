"""Community activities on 360-px phones (issue 18): the demo worker posts an activity, two
volunteers sign up on their phones, one checks in by texting the code, the worker closes
it; the volunteer's hours and the month's person-times change by exactly what was done.
The pages pass axe, the tap-target check and fit the phone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from tests.e2e.journey_support import DEMO_VOLUNTEER, DEMO_WORKER, Steps, check_page, read_db
from tests.e2e.support import login, new_phone_context

pytestmark = pytest.mark.e2e

HEAD_COUNT = 7


def _month_and_hours(live_server, volunteer_ids):
    """The worker's month (person-times, hours) and each volunteer's hours, now."""

    def count():
        from app.extensions import db
        from app.models import User
        from app.services import stats, volunteers, wording

        worker = db.session.scalar(select(User).where(User.username == DEMO_WORKER))
        today = wording.local_today()
        month = stats.figures(
            stats.station_scope(worker), stats.month_period(today.year, today.month)
        )
        hours = {
            v: volunteers.total_hours(volunteers.service_records(db.session.get(User, v)))
            for v in volunteer_ids
        }
        return month.total.person_times, month.total.hours, hours

    return read_db(live_server, count)


def _second_volunteer(live_server) -> tuple[int, str, int]:
    """(id, phone, demo volunteer's id): another approved volunteer of his station."""

    def find():
        from app.extensions import db
        from app.models import User, VolunteerProfile

        me = db.session.scalar(select(User).where(User.username == DEMO_VOLUNTEER))
        other = db.session.scalars(
            select(User)
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(
                VolunteerProfile.station_id == me.volunteer.station_id,
                VolunteerProfile.status == "approved",
                User.id != me.id,
                User.username.is_(None),
            )
            .order_by(User.id)
        ).first()
        return other.id, other.phone, me.id

    return read_db(live_server, find)


def _text(live_server, phone: str, body: str) -> str:
    """A text arrives (what the SMS webhook does, without Twilio's signature)."""

    def receive():
        from app.extensions import db
        from app.services.notifications.inbound import handle_inbound

        reply = handle_inbound(phone, body, None).reply
        db.session.commit()
        return reply

    return read_db(live_server, receive)


def _activity(live_server, title: str) -> dict:
    def find():
        from app.extensions import db
        from app.models import Activity

        a = db.session.scalar(select(Activity).where(Activity.title == title))
        return {"id": a.id, "code": a.code, "checkin": a.checkin_code, "minutes": a.minutes}

    return read_db(live_server, find)


def test_post_sign_up_check_in_by_sms_and_close(browser, live_server):
    from app.models.base import utcnow
    from app.services import wording

    steps = Steps("activity")
    other_id, other_phone, me_id = _second_volunteer(live_server)
    before = _month_and_hours(live_server, [me_id, other_id])
    title = f"浏览器测试义剪{utcnow():%H%M%S}"
    starts = read_db(live_server, lambda: wording.to_local(utcnow() + timedelta(hours=1)))

    worker = new_phone_context(browser, base_url=live_server.url).new_page()
    login(worker, DEMO_WORKER, DEMO_PASSWORD)
    worker.goto("/station/activities/new")
    check_page(worker, "c-activity-new")
    worker.locator("input[name=title]").fill(title)
    worker.locator("select[name=kind]").select_option("haircut")
    worker.locator("input[name=day]").fill(starts.date().isoformat())
    worker.locator("input[name=time]").fill(f"{starts:%H:%M}")
    worker.locator("input[name=minutes]").fill("90")
    worker.locator("select[name=village_id]").select_option(index=1)
    worker.locator("input[name=volunteer_capacity]").fill("2")
    worker.get_by_role("button", name="发布", exact=True).click()
    expect(worker.locator("h1")).to_have_text(title)
    steps.shot(worker, "posted")
    activity = _activity(live_server, title)

    volunteers = []
    for who in (DEMO_VOLUNTEER, other_phone[3:]):
        phone = new_phone_context(browser, base_url=live_server.url).new_page()
        login(phone, who, DEMO_PASSWORD)
        phone.goto("/v/activities")
        phone.get_by_role("link", name=title).click()
        phone.get_by_role("button", name="报名").click()
        expect(phone.locator(".badge")).to_have_text("已报名")
        volunteers.append(phone)
    check_page(volunteers[0], "v-activity")
    steps.shot(volunteers[0], "signed-up")
    volunteers[1].goto("/v/activities")
    check_page(volunteers[1], "v-activities")

    reply = _text(live_server, "+8613703740101", f"签到 {activity['checkin']}")
    assert "已签到" in reply, reply

    def begun():  # an hour later: under way, so it may be closed (not before its start)
        from app.extensions import db
        from app.models import Activity

        db.session.get(Activity, activity["id"]).starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()

    read_db(live_server, begun)

    worker.goto(f"/station/activities/{activity['id']}")
    check_page(worker, "c-activity")
    worker.locator("input[name=head_count]").fill(str(HEAD_COUNT))
    worker.get_by_role("button", name="保存").click()
    worker.get_by_role("button", name="结束活动").click()
    expect(worker.locator(".badge").first).to_have_text("已开展")
    steps.shot(worker, "closed")

    after = _month_and_hours(live_server, [me_id, other_id])
    assert after[0] - before[0] == HEAD_COUNT  # person-times: the residents served
    assert after[1] - before[1] == Decimal("1.50")  # hours: the one volunteer checked in
    assert after[2][me_id] - before[2][me_id] == Decimal("1.50")
    assert after[2][other_id] == before[2][other_id]  # signed up, never came: nothing
    volunteers[0].goto("/v/hours")
    expect(volunteers[0].locator(".list-item").first).to_contain_text(title)
    check_page(volunteers[0], "v-hours-activity")

    public = new_phone_context(browser, base_url=live_server.url).new_page()
    public.goto("/s/1/activities")
    check_page(public, "public-activities")
