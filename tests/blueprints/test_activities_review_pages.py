"""Community activities over HTTP after the outside review (issue 18, part 1): the check-in
route is rate-limited and keeps to its own activity, a bad hours field is a refusal (not
a 500), the check-in code is shown on the day only, and a manager's own row has no tick."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import ServiceRecord
from app.services import activities
from tests import factories
from tests.activities_support import make_worker, move_start, post
from tests.conftest import csrf_token_from
from tests.volunteer_support import post_form, sign_in


def test_web_check_in_guesses_are_limited_and_locked(client, world):
    activity = post(make_worker(world.station_a), world.village_a1, capacity=2)
    volunteer = factories.make_volunteer(world.station_a)
    neighbour = factories.make_volunteer(world.station_a)
    for person in (volunteer, neighbour):
        activities.sign_up(activity, person)
    move_start(activity, timedelta(minutes=30))
    db.session.commit()
    sign_in(client, volunteer)
    page = f"/v/activities/{activity.id}"
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    wrong = "1234" if activity.checkin_code != "1234" else "4321"
    statuses = [
        client.post(f"{page}/check-in", data={"csrf_token": token, "code": wrong}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429
    db.session.expire_all()
    signup = activities.signup_of(activity, volunteer)
    assert signup.failed_checkins >= 5 and signup.status == "signed_up"  # locked by then
    sign_in(client, neighbour)  # the same address (the station's Wi-Fi): not limited
    answer = post_form(client, page, f"{page}/check-in", {"code": activity.checkin_code})
    assert answer.status_code == 302


def test_web_check_in_uses_the_activity_in_its_address(client, world):
    worker = make_worker(world.station_a)
    first, second = post(worker, world.village_a1), post(worker, world.village_a1)
    volunteer = factories.make_volunteer(world.station_a)
    for activity in (first, second):
        activities.sign_up(activity, volunteer)
        move_start(activity, timedelta(minutes=30))
    db.session.commit()
    sign_in(client, volunteer)
    page = f"/v/activities/{first.id}"
    answer = post_form(client, page, f"{page}/check-in", {"code": second.checkin_code})
    assert answer.status_code == 422
    db.session.expire_all()
    assert activities.signup_of(second, volunteer).status == "signed_up"


def test_nan_hours_at_close_are_refused_next_to_the_form(client, world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, minutes=15)
    volunteer = factories.make_volunteer(world.station_a)
    signup = activities.sign_up(activity, volunteer)
    move_start(activity, timedelta(minutes=-10))
    activities.tick_roster(activity, signup.id, present=True, by=worker)
    db.session.commit()
    sign_in(client, worker)
    page = f"/station/activities/{activity.id}"
    for raw in ("NaN", "Infinity", "12", "-1", "abc"):
        answer = post_form(client, page, f"{page}/close", {f"hours_{signup.id}": raw})
        assert answer.status_code == 422, raw
    assert db.session.scalar(select(func.count(ServiceRecord.id))) == 0
    assert (
        post_form(client, page, f"{page}/close", {f"hours_{signup.id}": "1.25"}).status_code == 302
    )


def test_the_check_in_code_shows_on_the_day_and_a_leader_has_no_tick_for_himself(client, world):
    leader = factories.make_volunteer(world.station_a, roles=("volunteer", "team_leader"))
    factories.make_team(world.station_a, leader)
    activity = post(leader, world.village_a1, minutes=60)
    own = activities.sign_up(activity, leader)
    other = activities.sign_up(activity, factories.make_volunteer(world.station_a))
    db.session.commit()
    sign_in(client, leader)
    page = f"/station/activities/{activity.id}"
    html = client.get(page).get_data(as_text=True)
    assert "code-big" not in html  # three days ahead: not yet
    move_start(activity, timedelta(minutes=30))
    db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert f'class="code-big">{activity.checkin_code}<' in html
    assert f"/roster/{other.id}" in html and f"/roster/{own.id}" not in html
    assert post_form(client, page, f"{page}/roster/{own.id}", {"present": "1"}).status_code == 422


def test_the_public_page_shows_the_sms_words_and_the_form_says_the_title_is_public(client, world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1)
    db.session.commit()
    public = client.get(f"/s/{world.station_a.id}/activities").get_data(as_text=True)
    assert f"报名 {activity.code}" in public and "签到码" not in public
    sign_in(client, worker)
    form = client.get("/station/activities/new").get_data(as_text=True)
    assert "公开页面" in form


def test_withdrawing_after_the_start_says_so_plainly(client, world):
    activity = post(make_worker(world.station_a), world.village_a1)
    volunteer = factories.make_volunteer(world.station_a)
    activities.sign_up(activity, volunteer)
    move_start(activity, timedelta(minutes=-5))
    db.session.commit()
    sign_in(client, volunteer)
    page = f"/v/activities/{activity.id}"
    answer = post_form(client, page, f"{page}/withdraw", {})
    assert answer.status_code == 422 and "不能再退出" in answer.get_data(as_text=True)
