"""The volunteer's pages over HTTP: sign-up, nearby tasks, gated details, offers, hours."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Claim, HelpRequest, Offer, TeamMember, User
from app.services import claims, offers
from tests import factories
from tests.conftest import csrf_token_from
from tests.volunteer_support import (
    fast_passwords,
    north_of,
    post_form,
    request_in_a1,
    sign_in,
    sms_to,
    volunteer_near,
)

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

PRIVATE = {
    "contact_name": "王秀英",
    "contact_phone": "+8613812345678",
    "address": "杏花社区3号楼2单元501",
    "description": "王奶奶腿脚不便，需要代购降压药",
}


def private_bits(html: str) -> list[str]:
    found = [v for v in ("王秀英", "13812345678", "3号楼2单元501", "降压药") if v in html]
    return found


def signup_data(world, **overrides):
    data = {
        "name": "李志愿",
        "phone": "139 1111 2222",
        "password": "helping-hands-1",
        "skills": ["shopping", "meal_delivery"],
        "slots": ["0-morning", "5-afternoon"],
        "village_id": str(world.village_a2.id),
        "radius_km": "5",
        "team_id": "",
        "lat": "",
        "lon": "",
    }
    data.update(overrides)
    return data


# --- sign-up ------------------------------------------------------------------------------


def test_sign_up_waits_for_approval_and_says_so(client, world):
    leader = volunteer_near(world, 1)
    team = factories.make_team(world.station_a, leader, name="桃园助老队")
    page = client.get("/v/signup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "报名当志愿者" in html and "桃园助老队" in html
    assert "危机介入" not in html  # social-worker-only skills are not offered
    response = client.post(
        "/v/signup",
        data={**signup_data(world, team_id=str(team.id)), "csrf_token": csrf_token_from(html)},
    )
    # The phone is confirmed by SMS code first (issue 13), then the account waits.
    assert response.headers["Location"].endswith("/v/signup/confirm")
    code = re.search(r"\d{6}", sms_to("+8613911112222", "signup_code")[0].body).group(0)
    response = post_form(client, "/v/signup/confirm", "/v/signup/confirm", {"code": code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/v/pending")
    user = db.session.scalars(select(User).where(User.phone == "+8613911112222")).one()
    profile = user.volunteer
    assert user.has_role("volunteer") and profile.status == "pending"
    assert profile.skills == ["shopping", "meal_delivery"]
    assert profile.availability == [
        {"day": 0, "start": "08:00", "end": "12:00"},
        {"day": 5, "start": "12:00", "end": "18:00"},
    ]
    assert (profile.home_lat, profile.home_lon) == (world.village_a2.lat, world.village_a2.lon)
    assert profile.radius_km == 5 and user.station_id == world.station_a.id
    # The team takes them in once approved (issue 13): not while they wait.
    assert db.session.get(TeamMember, (team.id, user.id)) is None
    assert profile.wanted_team_id == team.id
    pending = client.get("/v/pending").get_data(as_text=True)
    assert "正在等社工站审核" in pending and "东风街道社工站" in pending
    tasks = client.get("/v/tasks").get_data(as_text=True)
    assert "等社工站审核" in tasks


def test_sign_up_with_the_phones_location(client, world):
    page = client.get("/v/signup").get_data(as_text=True)
    where = north_of(world.village_b1, 0.5)
    data = signup_data(world, village_id="", lat=str(where["lat"]), lon=str(where["lon"]))
    response = client.post("/v/signup", data={**data, "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.phone == "+8613911112222")).one()
    assert abs(user.volunteer.home_lat - where["lat"]) < 1e-6
    assert user.station_id == world.station_b.id  # the nearest station


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"skills": []}, "skills", "请至少勾选一项"),
        ({"slots": []}, "slots", "请至少勾选一个"),
        ({"phone": "12345"}, "phone", "手机号"),
        ({"village_id": ""}, "village_id", "请选择您住的村"),
        ({"password": "short"}, "password", "至少要 8 位"),
        ({"name": ""}, "name", "请填写您的姓名"),
    ],
)
def test_sign_up_mistakes_are_shown_next_to_the_field(client, world, overrides, field, message):
    page = client.get("/v/signup").get_data(as_text=True)
    data = {**signup_data(world, **overrides), "csrf_token": csrf_token_from(page)}
    response = client.post("/v/signup", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    block = re.search(rf'id="field-{field}".*?(?=id="field-|</form>)', html, re.S)
    assert block and message in block.group(0), html[:200]
    assert db.session.scalar(select(User).where(User.phone == "+8613911112222")) is None


def test_a_phone_number_signs_up_once(client, world):
    volunteer_near(world, 1, phone="+8613911112222")
    page = client.get("/v/signup").get_data(as_text=True)
    response = client.post(
        "/v/signup", data={**signup_data(world), "csrf_token": csrf_token_from(page)}
    )
    # The page answers as for a new number (issue 13); the SMS tells the number's owner.
    assert response.headers["Location"].endswith("/v/signup/confirm")
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert "已有账号" in sms_to("+8613911112222", "signup_already_registered")[0].body


# --- nearby tasks ---------------------------------------------------------------------------


def test_nearby_tasks_nearest_first_without_personal_data(client, world):
    volunteer = volunteer_near(world, 0)
    near = request_in_a1(world, status="offered", category="shopping", **PRIVATE)
    further = request_in_a1(
        world, status="offered", category="companionship", **north_of(world.village_a1, 3)
    )
    request_in_a1(world, status="offered", category="emotional_support")  # social workers only
    request_in_a1(world, status="offered", category="haircut")  # not a listed skill
    request_in_a1(world, status="offered", **north_of(world.village_a1, 40))  # too far
    request_in_a1(world, status="accepted")  # not offered yet
    sign_in(client, volunteer)
    page = client.get("/v/tasks")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    links = re.findall(r'href="/v/t/(\d+)"', html)
    assert links == [str(near.id), str(further.id)]
    assert "代购" in html and "亲情陪伴" in html and "杏花社区" in html and "公里" in html
    assert private_bits(html) == []
    assert 'hx-trigger="every 30s"' in html

    fragment = client.get("/v/tasks", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and re.findall(r'href="/v/t/(\d+)"', body) == links
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_empty_list_says_what_to_do(client, world):
    sign_in(client, volunteer_near(world, 0))
    html = client.get("/v/tasks").get_data(as_text=True)
    assert "附近暂时没有可接的任务" in html and "发短信给您" in html


def test_children_tasks_only_for_vetted_volunteers(client, world):
    child_task = request_in_a1(
        world, status="offered", category="tutoring", special_groups=["left_behind_child"]
    )
    plain = volunteer_near(world, 0, skills=("tutoring",))
    sign_in(client, plain)
    assert f"/v/t/{child_task.id}" not in client.get("/v/tasks").get_data(as_text=True)
    vetted = volunteer_near(world, 0, skills=("tutoring",), vetted_for_children=True)
    sign_in(client, vetted)
    assert f"/v/t/{child_task.id}" in client.get("/v/tasks").get_data(as_text=True)


def test_details_are_gated_until_the_claim_is_accepted(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world, status="offered", **PRIVATE)
    sign_in(client, volunteer)
    before = client.get(f"/v/t/{task.id}").get_data(as_text=True)
    assert "代购" in before and "杏花社区" in before and "接单后才显示" in before
    assert private_bits(before) == []
    response = post_form(client, f"/v/t/{task.id}", f"/v/t/{task.id}/claim", {"claim_for": "me"})
    assert response.status_code == 302
    claim = db.session.scalars(select(Claim).where(Claim.request_id == task.id)).one()
    assert response.headers["Location"].endswith(f"/v/c/{claim.id}")
    after = client.get(f"/v/c/{claim.id}").get_data(as_text=True)
    assert set(private_bits(after)) == {"王秀英", "13812345678", "3号楼2单元501", "降压药"}
    assert 'href="tel:+8613812345678"' in after


def test_someone_elses_claim_and_offer_stay_hidden(client, world):
    owner, other = volunteer_near(world, 0), volunteer_near(world, 1)
    task = request_in_a1(world, **PRIVATE)
    [offer, _] = offers.send_offers(task)
    claim = claims.claim(task, volunteer=owner)
    sign_in(client, other)
    assert client.get(f"/v/c/{claim.id}").status_code == 404
    assert client.get(f"/v/o/{offer.id}").status_code == 404
    html = client.get(f"/v/t/{task.id}").get_data(as_text=True)
    assert "这个任务您不能接" in html and private_bits(html) == []


# --- offers from the SMS link --------------------------------------------------------------------


def test_an_offer_link_accept_and_the_loser_is_told_kindly(client, world):
    first, second = volunteer_near(world, 0), volunteer_near(world, 1)
    task = request_in_a1(world, **PRIVATE)
    sent = {o.volunteer_id: o for o in offers.send_offers(task)}
    db.session.commit()
    sign_in(client, first)
    page = client.get(f"/v/o/{sent[first.id].id}").get_data(as_text=True)
    assert "好的，我来做" in page and sent[first.id].reply_code in page
    assert private_bits(page) == []
    response = post_form(
        client, f"/v/o/{sent[first.id].id}", f"/v/o/{sent[first.id].id}/accept", {}
    )
    won = db.session.scalars(select(Claim).filter_by(volunteer_id=first.id)).one()
    assert (response.status_code, response.headers["Location"]) == (302, f"/v/c/{won.id}")

    sign_in(client, second)
    late = post_form(client, f"/v/o/{sent[second.id].id}", f"/v/o/{sent[second.id].id}/accept", {})
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "不好意思，这个任务刚刚被别人接走了。谢谢您愿意帮忙！" in html
    assert private_bits(html) == []
    stored = db.session.get(HelpRequest, task.id)
    assert stored.assigned_volunteer_id == first.id


def test_declining_an_offer(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world)
    [offer] = offers.send_offers(task)
    db.session.commit()
    sign_in(client, volunteer)
    response = post_form(client, f"/v/o/{offer.id}", f"/v/o/{offer.id}/decline", {})
    assert response.status_code == 302
    assert db.session.get(Offer, offer.id).status == "declined"
    assert "婉拒" in client.get(f"/v/o/{offer.id}").get_data(as_text=True)


# --- hours and the certificate ---------------------------------------------------------------------


def test_my_hours_and_the_printable_certificate(client, world):
    volunteer = volunteer_near(world, 0, name="李志愿")
    team = factories.make_team(world.station_a, volunteer, name="东风志愿服务队")
    for category, hours in (("shopping", "1.5"), ("companionship", "2")):
        task = request_in_a1(world, status="offered", category=category)
        claim = claims.claim(task, volunteer=volunteer)
        claims.check_out(claim, actor=volunteer, outcome="做好了", hours=hours)
    sign_in(client, volunteer)
    html = client.get("/v/hours").get_data(as_text=True)
    assert "3.50" in html and "共记录 2 次服务" in html
    cert = client.get("/v/hours/certificate").get_data(as_text=True)
    for expected in (
        "志愿服务记录证明",
        "李志愿",
        f"LL-V{volunteer.id:06d}",
        team.name,
        "代购、亲情陪伴",
        "3.50",
        "东风街道社工站",
        "出具日期",
        "志愿服务记录与证明出具办法",
    ):
        assert expected in cert, expected
    assert "身份证" not in cert


def test_volunteer_pages_need_a_volunteer(client, login_as):
    login_as("social_worker")
    for url in ("/v/tasks", "/v/mine", "/v/hours", "/v/hours/certificate"):
        assert client.get(url).status_code == 403


def test_the_sign_up_page_lists_villages_under_their_township(client, world):
    """A volunteer without location on picks a village from a list grouped by township
    (it once drew each township as one option whose text was a Python list)."""
    page = client.get("/v/signup").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="village_id".*?</select>', page, re.S).group(0)
    assert '<optgroup label="东风街道">' in select_html
    assert f'<option value="{world.village_a2.id}">桃园村</option>' in select_html
    assert "[(" not in select_html and "&#39;" not in select_html


@pytest.mark.parametrize(("lat", "lon"), [("0", "0"), ("-90", "180")])
def test_a_sign_up_located_outside_china_needs_a_village(client, world, lat, lon):
    page = client.get("/v/signup").get_data(as_text=True)
    data = {
        "name": "李志愿",
        "phone": "139 1111 2222",
        "password": "helping-hands-1",
        "skills": ["shopping"],
        "slots": ["0-morning"],
        "village_id": "",
        "radius_km": "5",
        "team_id": "",
        "lat": lat,
        "lon": lon,
        "csrf_token": csrf_token_from(page),
    }
    response = client.post("/v/signup", data=data)
    assert response.status_code == 422
    assert "请选择您住的村" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id)).where(User.phone == "+8613911112222")) == 0
