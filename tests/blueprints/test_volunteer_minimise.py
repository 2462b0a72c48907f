"""Issue 13, what outside testing found on the volunteer side: unknown task ids are 404, a
person's details leave the volunteer's view when the request ends, only approved volunteers
join teams, and the resident's own time note waits for the claim like the description."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Claim,
    HelpRequest,
    Offer,
    OutboxMessage,
    TeamMember,
    User,
    VolunteerProfile,
)
from app.models.base import utcnow
from app.services import claims, offers, wording, workflow
from tests import factories
from tests.conftest import csrf_token_from
from tests.console_support import post, text
from tests.volunteer_support import (
    all_sms,
    fast_passwords,
    post_form,
    request_in_a1,
    sign_in,
    volunteer_near,
)

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

CHILD = {
    "contact_name": "刘小雨",
    "contact_phone": "+8613812345678",
    "address": "杏花社区3号楼2单元501",
    "description": "刘小雨的奶奶请人辅导作业",
    "category": "tutoring",
    "special_groups": ["left_behind_child"],
}
SECRETS = ("刘小雨", "13812345678", "138 1234 5678", "3号楼2单元501")


def secrets_in(html: str) -> list[str]:
    return [s for s in SECRETS if s in html]


def volunteer_pages(client, claim: Claim) -> dict[str, str]:
    """Every volunteer page or fragment that could show the person of ``claim``."""
    urls = [
        "/v/tasks",
        f"/v/t/{claim.request_id}",
        "/v/mine",
        f"/v/c/{claim.id}",
        "/v/hours",
        "/v/hours/certificate",
    ]
    pages = {url: client.get(url) for url in urls}
    pages["/v/tasks (htmx)"] = client.get("/v/tasks", headers={"HX-Request": "true"})
    for url, response in pages.items():
        assert response.status_code == 200, url
    return {url: text(response) for url, response in pages.items()}


def tutor(world):
    return volunteer_near(world, 0, skills=("tutoring",), vetted_for_children=True)


# --- item 3: an unknown task is a 404 ------------------------------------------------------


def test_a_task_that_does_not_exist_is_not_found(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world, status="offered")
    sign_in(client, volunteer)
    assert client.get(f"/v/t/{task.id}").status_code == 200
    missing = client.get(f"/v/t/{task.id + 1000}")
    assert missing.status_code == 404
    assert "这个任务您不能接" not in text(missing)


# --- item 16: details leave when the request ends ---------------------------------------------


def test_details_stay_while_done_and_leave_when_the_request_closes(client, world):
    volunteer = tutor(world)
    task = request_in_a1(world, status="offered", **CHILD)
    claim = claims.claim(task, volunteer=volunteer)
    claims.check_out(claim, actor=volunteer, outcome="辅导了数学作业", hours="2")
    sign_in(client, volunteer)
    waiting = text(client.get(f"/v/c/{claim.id}"))  # 待确认: the doer may still need to call
    assert "刘小雨" in waiting and "13812345678" in waiting

    workflow.transition(db.session.get(HelpRequest, task.id), "confirm", actor_label="resident")
    db.session.commit()
    pages = volunteer_pages(client, claim)
    for url, html in pages.items():
        assert secrets_in(html) == [], url
    closed = pages[f"/v/c/{claim.id}"]
    assert "学业辅导" in closed and "已办结" in closed
    assert "服务对象的个人信息已不再显示" in closed
    # The record keeps what the hours page and the certificate need.
    ended = db.session.scalars(select(Claim).where(Claim.id == claim.id)).one()
    day = wording.local_date(ended.checked_out_at).isoformat()
    for url in ("/v/hours", "/v/hours/certificate"):
        assert "学业辅导" in pages[url] and "2.00" in pages[url] and day in pages[url], url


@pytest.mark.parametrize("ending", ["close", "cancel", "release"])
def test_a_claim_that_ended_keeps_no_details(client, world, ending):
    volunteer = tutor(world)
    task = request_in_a1(world, status="offered", **CHILD)
    claim = claims.claim(task, volunteer=volunteer)
    sign_in(client, volunteer)
    assert "刘小雨" in text(client.get(f"/v/c/{claim.id}"))
    stored = db.session.get(HelpRequest, task.id)
    if ending == "release":
        claims.release(claim, actor=volunteer, reason="临时有事")
    elif ending == "close":
        workflow.transition(stored, "close", actor=factories.make_user(roles=("social_worker",)))
    else:  # given back, then the station cancels the request
        claims.release(claim, actor=volunteer, reason="临时有事")
        workflow.transition(stored, "cancel", actor=factories.make_user(roles=("social_worker",)))
    db.session.commit()
    for url, html in volunteer_pages(client, claim).items():
        assert secrets_in(html) == [], url


def test_team_leader_and_member_lose_the_details_when_it_closes(client, world):
    leader = volunteer_near(
        world, 0, roles=("volunteer", "team_leader"), skills=("tutoring",), vetted_for_children=True
    )
    member = tutor(world)
    team = factories.make_team(world.station_a, leader, members=[member], skills=["tutoring"])
    task = request_in_a1(world, status="offered", **CHILD)
    claim = claims.claim(task, team=team)
    claims.dispatch(claim, actor=leader, member=member)
    claims.check_out(claim, actor=member, outcome="辅导了作业", hours="1")
    workflow.transition(db.session.get(HelpRequest, task.id), "auto_close")
    db.session.commit()
    for person in (leader, member):
        sign_in(client, person)
        for url, html in volunteer_pages(client, claim).items():
            assert secrets_in(html) == [], (person.name, url)


# --- item 16: only approved volunteers join a team -----------------------------------------


def signup_form(world, team) -> dict:
    return {
        "name": "李新人",
        "phone": "139 1111 2222",
        "password": "helping-hands-1",
        "skills": ["shopping"],
        "slots": ["0-morning"],
        "village_id": str(world.village_a2.id),
        "radius_km": "5",
        "team_id": str(team.id),
        "lat": "",
        "lon": "",
    }


def test_a_new_volunteer_joins_the_chosen_team_only_once_approved(client, world, login_as):
    leader = volunteer_near(world, 1)
    team = factories.make_team(world.station_a, leader, name="桃园助老队")
    page = text(client.get("/v/signup"))
    response = client.post(
        "/v/signup", data={**signup_form(world, team), "csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.phone == "+8613911112222")).one()
    assert db.session.get(TeamMember, (team.id, user.id)) is None
    assert db.session.get(VolunteerProfile, user.id).wanted_team_id == team.id
    message = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.to_phone == user.phone, OutboxMessage.template == "signup_code"
        )
    ).one()
    code = re.search(r"\d{6}", message.body).group(0)
    confirm_page = text(client.get("/v/signup/confirm"))
    confirmed = client.post(
        "/v/signup/confirm", data={"code": code, "csrf_token": csrf_token_from(confirm_page)}
    )
    assert confirmed.status_code == 302
    assert "审核通过后加入“桃园助老队”" in text(client.get("/v/pending"))

    login_as("station_admin")
    waiting = text(client.get("/station/volunteers?status=pending"))
    assert "想加入：桃园助老队" in waiting
    assert post(client, f"/station/volunteers/{user.id}/approve").status_code == 302
    assert db.session.get(TeamMember, (team.id, user.id)) is not None
    assert db.session.get(VolunteerProfile, user.id).wanted_team_id is None


@pytest.mark.parametrize(
    ("status", "message"),
    [("pending", "还在等待审核"), ("suspended", "已被暂停")],
)
def test_the_station_cannot_put_an_unapproved_volunteer_in_a_team(
    client, world, login_as, status, message
):
    login_as("station_admin")
    leader = factories.make_volunteer(world.station_a, name="队长甲")
    team = factories.make_team(world.station_a, leader, name="助老服务队")
    outsider = factories.make_volunteer(world.station_a, status=status, name="待定乙")
    refused = post(client, f"/station/teams/{team.id}/add", {"volunteer_id": str(outsider.id)})
    assert refused.status_code == 422 and message in text(refused)
    assert db.session.get(TeamMember, (team.id, outsider.id)) is None
    made_leader = post(
        client, f"/station/teams/{team.id}/leader", {"volunteer_id": str(outsider.id)}
    )
    assert made_leader.status_code == 422 and message in text(made_leader)


def test_a_suspended_member_is_not_offered_for_dispatch(client, world):
    leader = volunteer_near(world, 0, roles=("volunteer", "team_leader"))
    active, paused = (
        volunteer_near(world, 1, name="张在岗"),
        volunteer_near(world, 1, name="赵暂停"),
    )
    team = factories.make_team(world.station_a, leader, members=[active, paused])
    db.session.get(VolunteerProfile, paused.id).status = "suspended"
    team.skills = ["shopping"]
    task = request_in_a1(world, status="offered")
    claim = claims.claim(task, team=team)
    sign_in(client, leader)
    page = text(client.get(f"/v/c/{claim.id}"))
    assert "张在岗" in page and "赵暂停" not in page


# --- item 16: the resident's time note waits for the claim ------------------------------------

NOTE = "周六上午，先打王阿姨电话"


def test_the_time_note_is_not_in_the_offer_sms_nor_before_the_claim(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world, wanted_note=NOTE)
    [offer] = offers.send_offers(task)
    [sms] = all_sms("volunteer_offer")
    assert NOTE not in sms.body and "王阿姨" not in sms.body
    assert "接单后商定时间" in sms.body
    sign_in(client, volunteer)
    for url in ("/v/tasks", f"/v/t/{task.id}", f"/v/o/{offer.id}"):
        html = text(client.get(url))
        assert "王阿姨" not in html and "接单后商定时间" in html, url
    taken = post_form(client, f"/v/o/{offer.id}", f"/v/o/{offer.id}/accept", {})
    assert taken.status_code == 302
    claim = db.session.scalars(select(Claim).where(Claim.request_id == task.id)).one()
    assert NOTE in text(client.get(f"/v/c/{claim.id}"))
    assert NOTE in text(client.get("/v/mine"))


def test_a_set_time_is_offered_and_the_note_joins_it_after_the_claim(client, world):
    volunteer = volunteer_near(world, 0)
    when = utcnow().replace(microsecond=0) + timedelta(days=2)
    task = request_in_a1(world, wanted_at=when, wanted_note=NOTE)
    [offer] = offers.send_offers(task)
    [sms] = all_sms("volunteer_offer")
    assert "王阿姨" not in sms.body
    assert wording.clock_text(when) in sms.body
    sign_in(client, volunteer)
    assert "王阿姨" not in text(client.get(f"/v/o/{offer.id}"))
    claims.accept_offer(db.session.get(Offer, offer.id), user=volunteer)
    db.session.commit()
    claim = db.session.scalars(select(Claim).where(Claim.request_id == task.id)).one()
    assert NOTE in text(client.get(f"/v/c/{claim.id}"))
