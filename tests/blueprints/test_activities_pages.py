"""Community activities over HTTP (issue 18): a worker posts and manages, a volunteer
signs up, withdraws and checks in; everyone not entitled is refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, ActivitySignup, ServiceRecord
from app.models.base import utcnow
from app.services import activities, wording
from tests import factories
from tests.activities_support import make_worker, move_start, post
from tests.conftest import csrf_token_from
from tests.volunteer_support import post_form, sign_in


def _token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return csrf_token_from(page.get_data(as_text=True))


def test_a_worker_posts_an_activity_with_the_form(client, world):
    worker = make_worker(world.station_a)
    sign_in(client, worker)
    day = wording.to_local(utcnow() + timedelta(days=2)).date().isoformat()
    data = {
        "title": "防诈骗讲座",
        "kind": "anti_fraud",
        "day": day,
        "time": "09:30",
        "minutes": "90",
        "village_id": str(world.village_a2.id),
        "volunteer_capacity": "4",
        "special_groups": ["elderly_alone"],
    }
    response = post_form(client, "/station/activities/new", "/station/activities/new", data)
    assert response.status_code == 302
    activity = db.session.scalar(select(Activity))
    assert (activity.title, activity.minutes, activity.volunteer_capacity) == ("防诈骗讲座", 90, 4)
    assert activity.special_groups == ["elderly_alone"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"报名 {activity.code}" in page
    assert "code-big" not in page  # the check-in code is shown on the day only (review 2)


def test_a_bad_form_is_answered_next_to_the_field(client, world):
    sign_in(client, make_worker(world.station_a))
    data = {"title": "义诊", "kind": "health_check", "day": "tomorrow", "time": "09:30"}
    response = post_form(client, "/station/activities/new", "/station/activities/new", data)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Activity.id))) == 0


def test_volunteers_sign_up_withdraw_and_check_in_on_their_phones(client, world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, capacity=1)
    a = factories.make_volunteer(world.station_a)
    page = f"/v/activities/{activity.id}"
    sign_in(client, a)
    assert activity.title in client.get("/v/activities").get_data(as_text=True)
    assert post_form(client, page, f"{page}/sign-up", {}).status_code == 302
    assert activities.signup_of(activity, a).status == "signed_up"
    move_start(activity, timedelta(minutes=30))
    db.session.commit()
    wrong = post_form(client, page, f"{page}/check-in", {"code": "0000"})
    assert wrong.status_code == 422
    right = post_form(client, page, f"{page}/check-in", {"code": activity.checkin_code})
    assert right.status_code == 302
    assert activities.signup_of(activity, a).status == "attended"


def test_the_worker_ticks_the_roster_closes_and_the_hours_are_counted(client, world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, minutes=60)
    a = factories.make_volunteer(world.station_a)
    signup = activities.sign_up(activity, a)
    move_start(activity, timedelta(minutes=10))
    sign_in(client, worker)
    page = f"/station/activities/{activity.id}"
    assert (
        post_form(client, page, f"{page}/roster/{signup.id}", {"present": "1"}).status_code == 302
    )
    assert post_form(client, page, f"{page}/head-count", {"head_count": "12"}).status_code == 302
    move_start(activity, timedelta(minutes=-10))
    closed = post_form(client, page, f"{page}/close", {f"hours_{signup.id}": "1.5"})
    assert closed.status_code == 302
    hours = db.session.execute(
        select(ServiceRecord.volunteer_id, ServiceRecord.hours, ServiceRecord.person_times)
    ).all()
    assert sorted(hours, key=str) == sorted([(a.id, pytest.approx(1.5), 0), (None, 0, 12)], key=str)
    again = post_form(client, page, f"{page}/close", {})
    assert again.status_code == 422
    assert db.session.scalar(select(func.count(ServiceRecord.id))) == 2


@pytest.mark.parametrize("who", ["other_worker", "volunteer", "county", "stranger"])
def test_people_not_entitled_cannot_manage_an_activity(client, world, who):
    activity = post(make_worker(world.station_a), world.village_a1)
    v = factories.make_volunteer(world.station_a)
    activities.sign_up(activity, v)
    signup_id = activities.signup_of(activity, v).id
    users = {
        "other_worker": (make_worker(world.station_b), "/station/activities"),
        "volunteer": (factories.make_volunteer(world.station_a), "/v/activities"),
        "county": (
            factories.make_user(roles=("county_supervisor",), station=world.county_centre),
            "/station/county",
        ),
    }
    page = f"/station/activities/{activity.id}"
    if who in users:
        user, own_page = users[who]
        sign_in(client, user)
        token = _token(client, own_page)
    else:  # a real token, so the refusal is the sign-in's, not the CSRF check's
        token = _token(client, "/login")
    assert client.get(page).status_code in (302, 403, 404)
    for action in ("close", "cancel", f"roster/{signup_id}"):
        response = client.post(f"{page}/{action}", data={"csrf_token": token, "present": "1"})
        if who == "stranger":
            assert response.status_code == 302, action
            assert "/login" in response.headers["Location"], action
        else:
            assert response.status_code in (403, 404), action
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).status == "scheduled"
    assert db.session.get(ActivitySignup, signup_id).status == "signed_up"
    if who != "other_worker":  # who posts for their own station only
        assert client.get("/station/activities/new").status_code in (302, 403)


def test_an_approved_team_leader_manages_the_teams_activities_only(client, world):
    leader = factories.make_volunteer(world.station_a, roles=("volunteer", "team_leader"))
    factories.make_team(world.station_a, leader)
    theirs = post(leader, world.village_a1, title="队里的义剪")
    station_own = post(make_worker(world.station_a), world.village_a1, title="站里的义诊")
    sign_in(client, leader)
    listed = client.get("/station/activities").get_data(as_text=True)
    assert "队里的义剪" in listed and "站里的义诊" not in listed
    assert client.get(f"/station/activities/{theirs.id}").status_code == 200
    assert client.get(f"/station/activities/{station_own.id}").status_code == 404


def test_a_volunteer_cannot_open_a_closed_activity_they_were_not_part_of(client, world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1)
    activities.cancel(activity, worker)
    sign_in(client, factories.make_volunteer(world.station_a))
    assert client.get(f"/v/activities/{activity.id}").status_code == 404


def test_the_public_page_lists_upcoming_activities_with_no_personal_data(client, world):
    worker = make_worker(world.station_a, name="社工王芳")
    activity = post(worker, world.village_a1, title="重阳义剪进社区", capacity=2)
    volunteer = factories.make_volunteer(world.station_a, name="志愿者李明")
    activities.sign_up(activity, volunteer)
    person = factories.make_beneficiary(world.station_a, world.village_a1, name="独居老人赵奶奶")
    activities.add_resident(activity, worker, person.id)
    held = post(worker, world.village_a2, title="已取消的活动")
    activities.cancel(held, worker)
    page = client.get(f"/s/{world.station_a.id}/activities")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "重阳义剪进社区" in text and world.village_a1.name in text
    assert "已取消的活动" not in text
    for private in (
        "社工王芳",
        "志愿者李明",
        "独居老人赵奶奶",
        volunteer.phone[-8:],
        person.phone[-8:],
    ):
        assert private not in text
    assert client.get("/s/999999/activities").status_code == 404


def test_the_dashboards_show_activities_held_and_their_person_times(client, world, login_as):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, kind="anti_fraud", minutes=60)
    volunteer = factories.make_volunteer(world.station_a)
    activities.sign_up(activity, volunteer)
    # under way and closed now: it ends now, in this month, even in a month's first hours
    move_start(activity, timedelta(minutes=-30))
    activities.check_in_by_code(volunteer, activity.checkin_code)
    activities.set_head_count(activity, 9)
    activities.close(activity, worker)
    sign_in(client, worker)
    page = client.get("/station/stats?fresh=1").get_data(as_text=True)
    assert 'id="fig-activities-held">1<' in page
    assert 'id="fig-activity-person-times">9<' in page
    login_as("county_supervisor")
    county = client.get("/station/county/stats?fresh=1").get_data(as_text=True)
    assert 'id="fig-activity-person-times">9<' in county


@pytest.mark.parametrize("field", ["minutes", "volunteer_capacity", "resident_capacity"])
def test_a_superscript_digit_is_refused_next_to_the_field_not_a_500(client, world, field):
    sign_in(client, make_worker(world.station_a))
    day = wording.to_local(utcnow() + timedelta(days=2)).date().isoformat()
    data = {"title": "义诊", "kind": "health_check", "day": day, "time": "09:30", field: "²"}
    response = post_form(client, "/station/activities/new", "/station/activities/new", data)
    assert response.status_code == 422
    assert f'id="field-{field}"' in (html := response.get_data(as_text=True))
    chunk = html.split(f'id="field-{field}"', 1)[1].split("</div>", 1)[0]
    assert "请填写整数。" in chunk
    assert db.session.scalar(select(func.count(Activity.id))) == 0


def test_a_superscript_head_count_is_refused_next_to_the_field(client, world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1)
    move_start(activity, timedelta(minutes=10))
    db.session.commit()
    sign_in(client, worker)
    page = f"/station/activities/{activity.id}"
    response = post_form(client, page, f"{page}/head-count", {"head_count": "²"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    chunk = html.split('id="field-head_count"', 1)[1].split("</div>", 1)[0]
    assert "请填写整数。" in chunk
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).head_count == 0


def _page_statements(app, client, activity, worker, volunteers: int) -> int:
    """Add sign-ups and people served until there are ``volunteers`` of each; the
    statements the console activity page then takes."""
    from tests.blueprints.test_console_statements import counted_statements

    while len(activity.signups) < volunteers:
        activities.sign_up(activity, factories.make_volunteer(activity.station))
        person = factories.make_beneficiary(activity.station, activity.village)
        db.session.flush()
        activities.add_resident(activity, worker, person.id)
        db.session.flush()
        db.session.refresh(activity)
    db.session.commit()
    page = f"/station/activities/{activity.id}"
    client.get(page)  # warm: first-request work is not the page's
    with counted_statements(app) as seen:
        response = client.get(page)
    assert response.status_code == 200
    return len(seen)


def test_the_activity_page_takes_the_same_statements_for_2_and_8_volunteers(app, client, world):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, capacity=20, resident_capacity=20)
    sign_in(client, worker)
    few = _page_statements(app, client, activity, worker, 2)
    many = _page_statements(app, client, activity, worker, 8)
    assert many == few


@pytest.mark.parametrize("typed", ["abc", "²", "1.3", "-1", "NaN", "1e999"])
def test_hours_that_cannot_be_counted_are_refused_at_close_and_nothing_is_counted(
    client, world, typed
):
    worker = make_worker(world.station_a)
    activity = post(worker, world.village_a1, minutes=15)
    signup = activities.sign_up(activity, factories.make_volunteer(world.station_a))
    move_start(activity, timedelta(minutes=10))
    activities.tick_roster(activity, signup.id, present=True, by=worker)
    move_start(activity, timedelta(minutes=-20))
    db.session.commit()
    assert activity.duration_hours == Decimal("0.25")
    sign_in(client, worker)
    page = f"/station/activities/{activity.id}"
    response = post_form(client, page, f"{page}/close", {f"hours_{signup.id}": typed})
    assert response.status_code == 422
    assert "1.25" in response.get_data(as_text=True)  # the most that may be written
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).status == "scheduled"
    assert db.session.scalar(select(func.count(ServiceRecord.id))) == 0
