"""The second outside tester's volunteer-side findings (issue 13, g11).

A. A volunteer or team leader suspended after taking a task on can no longer start it,
   finish it (hours, a service record, an SMS to the resident) or hand it to a member; they
   may still give it back, so the station can offer it again. A member the team gave the
   task to before the leader's suspension, themselves approved, may still do it.
B. Sign-up joins only a team of the volunteer's own station.
C. A member removed from the team (or whose team was stopped) loses the task the team gave
   them: no name, phone or address, no check-in or check-out.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Claim, HelpRequest, ServiceRecord, TeamMember, User
from app.services import admin, claims
from tests import factories
from tests.conftest import csrf_token_from
from tests.console_support import events, post, text
from tests.volunteer_support import (
    fast_passwords,
    post_form,
    request_in_a1,
    sign_in,
    sms_to,
    volunteer_near,
)

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

SUSPENDED = "您的志愿者账号已暂停"
PHONE = "+8613812345678"
ADDRESS = "杏花社区3号楼2单元501"


def _task(world, **kwargs):
    return request_in_a1(
        world,
        status="offered",
        contact_name="王秀英",
        contact_phone=PHONE,
        address=ADDRESS,
        **kwargs,
    )


def _suspend(user) -> None:
    user.volunteer.status = "suspended"
    db.session.commit()


def _nothing_recorded(task, status: str = "assigned") -> None:
    """No service record, no confirmation SMS, and the task still ``status``."""
    assert db.session.scalar(select(ServiceRecord)) is None
    assert db.session.get(HelpRequest, task.id).status == status
    assert sms_to(PHONE, "request_done_confirm") == []


def _team_claim(world, *, dispatched: bool):
    leader = volunteer_near(world, 0, roles=("volunteer", "team_leader"))
    member = volunteer_near(world, 1, name="张队员")
    team = factories.make_team(world.station_a, leader, members=[member], skills=["cleaning"])
    task = _task(world, category="cleaning")
    claim = claims.claim(task, team=team)
    if dispatched:
        claims.dispatch(claim, actor=leader, member=member)
    db.session.commit()
    return leader, member, team, task, claim


# --- A: suspended after the claim ---------------------------------------------------------


def test_a_suspended_volunteer_cannot_start_or_finish_but_may_give_back(client, world):
    volunteer = volunteer_near(world, 0)
    task = _task(world)
    claim = claims.claim(task, volunteer=volunteer)
    db.session.commit()
    _suspend(volunteer)
    sign_in(client, volunteer)
    page = f"/v/c/{claim.id}"

    html = client.get(page).get_data(as_text=True)
    assert SUSPENDED in html
    assert "我到了，开始服务" not in html and "完成，提交记录" not in html
    assert ADDRESS not in html and "13812345678" not in html
    assert SUSPENDED in client.get("/v/mine").get_data(as_text=True)

    started = post_form(client, page, f"{page}/check-in", {})
    assert started.status_code == 422 and SUSPENDED in started.get_data(as_text=True)
    assert db.session.get(Claim, claim.id).checked_in_at is None
    finished = post_form(client, page, f"{page}/check-out", {"outcome": "买好了", "hours": "24"})
    assert finished.status_code == 422 and SUSPENDED in finished.get_data(as_text=True)
    _nothing_recorded(task)

    back = post_form(client, page, f"{page}/release", {"reason": "账号暂停了"})
    assert back.status_code == 302
    assert db.session.get(HelpRequest, task.id).status == "offered"
    assert db.session.get(Claim, claim.id).status == "released"


def test_a_suspended_leader_cannot_hand_out_start_or_finish_the_team_task(client, world):
    leader, member, _team, task, claim = _team_claim(world, dispatched=False)
    _suspend(leader)
    sign_in(client, leader)
    page = f"/v/c/{claim.id}"

    html = client.get(page).get_data(as_text=True)
    assert SUSPENDED in html and "派给队员" not in html and "我到了，开始服务" not in html

    given = post_form(client, page, f"{page}/dispatch", {"member": str(member.id)})
    assert given.status_code == 422 and SUSPENDED in given.get_data(as_text=True)
    assert db.session.get(Claim, claim.id).dispatched_to_id is None
    assert sms_to(member.phone, "task_dispatched") == []
    for action, data in (("check-in", {}), ("check-out", {"outcome": "打扫了", "hours": "3"})):
        refused = post_form(client, page, f"{page}/{action}", data)
        assert refused.status_code == 422, action
    _nothing_recorded(task)


def test_the_member_given_the_task_before_the_leader_was_suspended_may_finish(client, world):
    leader, member, team, task, claim = _team_claim(world, dispatched=True)
    _suspend(leader)
    page = f"/v/c/{claim.id}"

    sign_in(client, leader)
    refused = post_form(client, page, f"{page}/check-out", {"outcome": "打扫了", "hours": "3"})
    assert refused.status_code == 422 and SUSPENDED in refused.get_data(as_text=True)
    _nothing_recorded(task)

    sign_in(client, member)
    html = client.get(page).get_data(as_text=True)
    assert ADDRESS in html and SUSPENDED not in html
    done = post_form(client, page, f"{page}/check-out", {"outcome": "打扫了厨房", "hours": "2"})
    assert done.status_code == 302
    record = db.session.scalars(select(ServiceRecord)).one()
    assert (record.volunteer_id, record.team_id) == (member.id, team.id)


def test_a_suspended_member_cannot_do_the_task_given_to_them(client, world):
    _leader, member, _team, task, claim = _team_claim(world, dispatched=True)
    _suspend(member)
    sign_in(client, member)
    page = f"/v/c/{claim.id}"
    html = client.get(page).get_data(as_text=True)
    assert SUSPENDED in html and ADDRESS not in html
    refused = post_form(client, page, f"{page}/check-out", {"outcome": "打扫了", "hours": "3"})
    assert refused.status_code == 422
    _nothing_recorded(task)


# --- B: sign-up and another station's team -----------------------------------------------


def _signup(client, world, team, village):
    html = client.get("/v/signup").get_data(as_text=True)
    data = {
        "name": "李志愿",
        "phone": "139 1111 2222",
        "password": "helping-hands-1",
        "skills": ["shopping"],
        "slots": ["0-morning"],
        "village_id": str(village.id),
        "radius_km": "5",
        "team_id": str(team.id),
        "lat": "",
        "lon": "",
    }
    return client.post("/v/signup", data={**data, "csrf_token": csrf_token_from(html)})


def test_sign_up_with_another_stations_team_is_refused_next_to_the_field(client, world):
    leader = volunteer_near(world, 1)
    team_a = factories.make_team(world.station_a, leader, name="东风助老队")
    db.session.commit()
    response = _signup(client, world, team_a, world.village_b1)  # 河口村 is 柳林镇's
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "这个服务队不在您所在的社工站" in html
    assert db.session.scalar(select(User).where(User.phone == "+8613911112222")) is None
    assert sms_to("+8613911112222", "signup_code") == []


def test_sign_up_with_own_stations_team_still_works(client, world):
    leader = volunteer_near(world, 1)
    team_a = factories.make_team(world.station_a, leader, name="东风助老队")
    db.session.commit()
    page = client.get("/v/signup").get_data(as_text=True)
    # The list says whose team it is: the team stands under its station's name.
    group = page.index('<optgroup label="东风街道社工站">')
    assert group < page.index("东风助老队") < page.index("</optgroup>", group)
    response = _signup(client, world, team_a, world.village_a2)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == "+8613911112222"))
    assert user.volunteer.wanted_team_id == team_a.id


def test_approval_joins_no_team_of_another_station(world):
    leader = volunteer_near(world, 1)
    team_a = factories.make_team(world.station_a, leader)
    admin_b = factories.make_user(roles=("station_admin",), station=world.station_b)
    newcomer = factories.make_volunteer(station=world.station_b, status="pending")
    newcomer.volunteer.wanted_team_id = team_a.id  # stored before this fix
    db.session.commit()
    admin.approve(newcomer.volunteer, admin_b)
    db.session.commit()
    assert newcomer.volunteer.status == "approved"
    assert db.session.get(TeamMember, (team_a.id, newcomer.id)) is None
    assert newcomer.volunteer.wanted_team_id is None


# --- C: removed from the team -------------------------------------------------------------


@pytest.mark.parametrize("how", ["removed", "team_stopped"])
def test_a_member_out_of_the_team_loses_the_task_it_gave_them(client, world, how):
    leader, member, team, task, claim = _team_claim(world, dispatched=True)
    page = f"/v/c/{claim.id}"
    sign_in(client, member)
    assert ADDRESS in client.get(page).get_data(as_text=True)
    post_form(client, page, f"{page}/check-in", {})  # started: it stays on the team
    assert db.session.get(HelpRequest, task.id).status == "in_progress"

    if how == "removed":
        admin.remove_member(team, leader, member.id)
    else:
        team.active = False
    db.session.commit()

    html = client.get(page).get_data(as_text=True)
    assert ADDRESS not in html and "王秀英" not in html and "13812345678" not in html
    assert "我到了，开始服务" not in html and "完成，提交记录" not in html
    for action, data in (("check-in", {}), ("check-out", {"outcome": "打扫了", "hours": "3"})):
        refused = post_form(client, page, f"{page}/{action}", data)
        assert refused.status_code == 422, action
    _nothing_recorded(task, "in_progress")  # started before the member left


# --- A, on suspension: tasks not yet started go back to the station -----------------------


def test_suspending_gives_back_the_tasks_not_yet_started_and_tells_the_station(
    client, world, login_as
):
    volunteer = volunteer_near(world, 0)
    volunteer_near(world, 1)  # someone to offer the task to again
    waiting, started = _task(world), _task(world)
    waiting_claim = claims.claim(waiting, volunteer=volunteer)
    started_claim = claims.claim(started, volunteer=volunteer)
    claims.check_in(started_claim, actor=volunteer)
    db.session.commit()

    login_as("station_admin")
    response = post(client, f"/station/volunteers/{volunteer.id}/suspend")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "1 个还没开始的任务已退回" in page and "1 个已开始的任务" in page

    assert db.session.get(HelpRequest, waiting.id).status == "offered"
    gone = db.session.get(Claim, waiting_claim.id)
    assert gone.status == "released" and "暂停" in gone.release_reason
    assert db.session.get(HelpRequest, started.id).status == "in_progress"
    assert db.session.get(Claim, started_claim.id).status == "active"
    timeline = events(waiting.id, "release")
    assert len(timeline) == 1 and "暂停" in timeline[0].note


def test_suspending_a_leader_gives_back_the_team_task_nobody_was_given(client, world, login_as):
    leader, member, _team, _task1, kept = _team_claim(world, dispatched=True)
    open_task = _task(world, category="cleaning")
    waiting = claims.claim(open_task, team=_team)
    db.session.commit()

    login_as("station_admin")
    assert post(client, f"/station/volunteers/{leader.id}/suspend").status_code == 302
    assert db.session.get(Claim, waiting.id).status == "released"
    assert db.session.get(HelpRequest, open_task.id).status != "assigned"
    # The member it was given to before, approved, still does it.
    assert db.session.get(Claim, kept.id).status == "active"
    assert db.session.get(Claim, kept.id).dispatched_to_id == member.id


def test_a_task_not_yet_started_goes_back_to_the_leader_when_the_member_leaves(
    client, world, login_as
):
    leader, member, team, task, claim = _team_claim(world, dispatched=True)
    login_as("station_admin")
    removed = post(client, f"/station/teams/{team.id}/remove", {"volunteer_id": str(member.id)})
    assert removed.status_code == 302
    stored = db.session.get(Claim, claim.id)
    assert stored.dispatched_to_id is None and stored.status == "active"
    assert db.session.get(HelpRequest, task.id).assigned_volunteer_id is None
    [event] = events(task.id, "dispatch")[1:]
    assert "张队员" in event.note and not event.public

    sign_in(client, member)
    assert f"/v/c/{claim.id}" not in client.get("/v/mine").get_data(as_text=True)
    assert client.get(f"/v/c/{claim.id}").status_code == 404
    sign_in(client, leader)
    assert "派给队员" in client.get(f"/v/c/{claim.id}").get_data(as_text=True)
