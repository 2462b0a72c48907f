"""Claim, release, check in/out and the team path over HTTP, as a volunteer uses them."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Claim, HelpRequest, Offer, ServiceRecord
from app.services.codes import code_text
from tests import factories
from tests.volunteer_support import (
    fast_passwords,
    post_form,
    request_in_a1,
    sign_in,
    sms_to,
    volunteer_near,
)

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def take(client, task) -> Claim:
    response = post_form(client, f"/v/t/{task.id}", f"/v/t/{task.id}/claim", {"claim_for": "me"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return db.session.scalars(select(Claim).where(Claim.request_id == task.id)).one()


def test_claim_then_release_offers_it_again(client, world):
    volunteer, other = volunteer_near(world, 0), volunteer_near(world, 1)
    task = request_in_a1(world, status="offered")
    sign_in(client, volunteer)
    claim = take(client, task)
    mine = client.get("/v/mine").get_data(as_text=True)
    assert f"/v/c/{claim.id}" in mine and "已接单" in mine

    page = f"/v/c/{claim.id}"
    empty = post_form(client, page, f"{page}/release", {"reason": ""})
    assert empty.status_code == 422 and "请说一下为什么要退回" in empty.get_data(as_text=True)
    assert db.session.get(HelpRequest, task.id).status == "assigned"

    response = post_form(client, page, f"{page}/release", {"reason": "家里老人生病了"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/v/mine")
    stored = db.session.get(HelpRequest, task.id)
    assert stored.status == "offered" and stored.assigned_volunteer_id is None
    assert db.session.get(Claim, claim.id).release_reason == "家里老人生病了"
    offered_to = db.session.scalars(
        select(Offer.volunteer_id).where(Offer.request_id == task.id, Offer.status == "pending")
    ).all()
    assert offered_to == [other.id]
    assert "您手上没有任务" in client.get("/v/mine").get_data(as_text=True)


def test_check_in_and_check_out(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world, status="offered", contact_phone="+8613812345678")
    sign_in(client, volunteer)
    claim = take(client, task)
    page = f"/v/c/{claim.id}"
    html = client.get(page).get_data(as_text=True)
    assert "我到了，开始服务" in html and "data-geolocate" in html

    response = post_form(client, page, f"{page}/check-in", {"lat": "34.766", "lon": "113.606"})
    assert response.status_code == 302
    stored = db.session.get(Claim, claim.id)
    assert stored.checked_in_at is not None and stored.checkin_lat == pytest.approx(34.766)
    assert db.session.get(HelpRequest, task.id).status == "in_progress"

    bad = post_form(client, page, f"{page}/check-out", {"outcome": "买好了菜", "hours": "两个小时"})
    assert bad.status_code == 422
    assert "请用数字填写时长" in bad.get_data(as_text=True)
    assert db.session.scalar(select(ServiceRecord)) is None

    done = post_form(
        client,
        page,
        f"{page}/check-out",
        {"outcome": "买好了菜", "hours": "1.5", "welfare_note": "老人精神不错"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/v/hours")
    record = db.session.scalars(select(ServiceRecord)).one()
    assert record.hours == Decimal("1.50") and record.person_times == 1
    assert record.welfare_note == "老人精神不错" and record.volunteer_id == volunteer.id
    assert db.session.get(HelpRequest, task.id).status == "done"
    [confirm] = sms_to("+8613812345678", "request_done_confirm")
    assert code_text(task.code) in confirm.body
    assert "1.50" in client.get("/v/hours").get_data(as_text=True)


def test_check_in_without_location_still_works(client, world):
    volunteer = volunteer_near(world, 0)
    task = request_in_a1(world, status="offered")
    sign_in(client, volunteer)
    claim = take(client, task)
    response = post_form(client, f"/v/c/{claim.id}", f"/v/c/{claim.id}/check-in", {})
    assert response.status_code == 302
    assert db.session.get(Claim, claim.id).checkin_lat is None


def test_a_team_leader_claims_for_the_team_and_dispatches(client, world):
    leader = volunteer_near(world, 0, roles=("volunteer", "team_leader"), skills=("companionship",))
    member = volunteer_near(world, 1, name="张队员")
    outsider = volunteer_near(world, 1)
    team = factories.make_team(
        world.station_a, leader, members=[member], skills=["cleaning"], name="杏花清洁队"
    )
    task = request_in_a1(world, status="offered", category="cleaning", address="杏花社区8号楼")
    sign_in(client, leader)
    tasks = client.get("/v/tasks").get_data(as_text=True)
    assert f"/v/t/{task.id}" in tasks and "给您的服务队" in tasks
    page = client.get(f"/v/t/{task.id}").get_data(as_text=True)
    assert "替服务队接单" in page
    response = post_form(client, f"/v/t/{task.id}", f"/v/t/{task.id}/claim", {"claim_for": "team"})
    assert response.status_code == 302
    claim = db.session.scalars(select(Claim).where(Claim.request_id == task.id)).one()
    assert claim.team_id == team.id
    claim_page = client.get(f"/v/c/{claim.id}").get_data(as_text=True)
    assert "派给队员" in claim_page and "张队员" in claim_page

    wrong = post_form(
        client, f"/v/c/{claim.id}", f"/v/c/{claim.id}/dispatch", {"member": str(outsider.id)}
    )
    assert wrong.status_code == 422 and "不在您的服务队" in wrong.get_data(as_text=True)
    given = post_form(
        client, f"/v/c/{claim.id}", f"/v/c/{claim.id}/dispatch", {"member": str(member.id)}
    )
    assert given.status_code == 302
    assert db.session.get(Claim, claim.id).dispatched_to_id == member.id
    assert len(sms_to(member.phone, "task_dispatched")) == 1

    sign_in(client, member)
    mine = client.get("/v/mine").get_data(as_text=True)
    assert f"/v/c/{claim.id}" in mine
    detail = client.get(f"/v/c/{claim.id}").get_data(as_text=True)
    assert "队长把这个任务派给了您" in detail and "杏花社区8号楼" in detail
    assert "派给队员" not in detail and "退回任务" not in detail
    done = post_form(
        client,
        f"/v/c/{claim.id}",
        f"/v/c/{claim.id}/check-out",
        {"outcome": "打扫了厨房", "hours": "2"},
    )
    assert done.status_code == 302
    record = db.session.scalars(select(ServiceRecord)).one()
    assert (record.volunteer_id, record.team_id) == (member.id, team.id)

    sign_in(client, outsider)
    assert client.get(f"/v/c/{claim.id}").status_code == 404


def test_a_lost_race_over_http_is_a_kind_refusal(client, world):
    winner, loser = volunteer_near(world, 0), volunteer_near(world, 1)
    task = request_in_a1(world, status="offered")
    sign_in(client, winner)
    take(client, task)
    sign_in(client, loser)
    response = post_form(client, "/v/tasks", f"/v/t/{task.id}/claim", {"claim_for": "me"})
    assert response.status_code == 409
    assert "这个任务您已经不能再接了" in response.get_data(as_text=True)
    assert db.session.get(HelpRequest, task.id).assigned_volunteer_id == winner.id
