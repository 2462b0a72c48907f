"""Requests done and counted, over HTTP (issue 15 item 1): a volunteer's, a team member's and
a station social worker's check-out, a request the station closes with work done, and a
reopened request done again; each writes exactly the service records the counting rule
says, and a form sent twice never writes two."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Claim, HelpRequest
from app.services import claims, tracking
from app.services.codes import code_text
from tests import factories
from tests.conftest import csrf_token_from
from tests.console_support import outbox, text
from tests.sources_support import records, what
from tests.volunteer_support import fast_passwords, post_form, sign_in, volunteer_near

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)

GROUPS = ["elderly_alone", "dibao"]  # bits 4 and 16
RESIDENT = "+8613812345678"


def counted_request(world, *, status="offered", category="shopping", **kwargs) -> HelpRequest:
    person = factories.make_beneficiary(world.station_a, world.village_a1, special_groups=GROUPS)
    return factories.make_request(
        world.station_a,
        village=world.village_a1,
        status=status,
        category=category,
        beneficiary_id=person.id,
        special_groups=GROUPS,
        contact_phone=RESIDENT,
        **kwargs,
    )


def claim_of(request: HelpRequest) -> Claim:
    return db.session.scalars(select(Claim).where(Claim.request_id == request.id)).one()


def expected(request: HelpRequest, source: str, hours: str, **who) -> dict:
    return {
        "source": source,
        "station_id": request.station_id,
        "village_id": request.village_id,
        "beneficiary_id": request.beneficiary_id,
        "category": request.category,
        "special_groups": GROUPS,
        "groups_mask": 20,
        "hours": hours,
        "person_times": 1,
        "volunteer_id": who.get("volunteer_id"),
        "team_id": who.get("team_id"),
        "worker_id": who.get("worker_id"),
    }


def act(client, request_id: int, action: str, data: dict | None = None):
    page = f"/station/r/{request_id}"
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(f"{page}/{action}", data={**(data or {}), "csrf_token": token})


def assign_to_worker(client, world, login_as, request: HelpRequest, **worker_kwargs):
    """The station admin gives the request to one of the station's social workers."""
    worker = factories.make_user(
        roles=("social_worker",), station=world.station_a, name="周社工", **worker_kwargs
    )
    login_as("station_admin")
    response = act(client, request.id, "assign", {"assign-target": f"worker:{worker.id}"})
    assert response.status_code == 302
    return worker


# --- volunteers and teams ------------------------------------------------------------------


def test_a_volunteer_check_out_writes_one_claim_record(client, world):
    volunteer = volunteer_near(world, 0)
    task = counted_request(world)
    sign_in(client, volunteer)
    claimed = post_form(client, f"/v/t/{task.id}", f"/v/t/{task.id}/claim", {"claim_for": "me"})
    assert claimed.status_code == 302
    claim = claim_of(task)
    page = f"/v/c/{claim.id}"
    data = {"outcome": "买好了菜", "hours": "1.5"}
    assert post_form(client, page, f"{page}/check-out", data).status_code == 302
    again = client.post(
        f"{page}/check-out",
        data={**data, "csrf_token": csrf_token_from(client.get("/v/hours").get_data(as_text=True))},
    )
    assert again.status_code == 422
    [record] = records()
    assert what(record) == expected(task, "claim", "1.50", volunteer_id=volunteer.id)
    assert record.claim_id == claim.id and record.request_id == task.id


def test_a_team_members_check_out_writes_one_claim_record_with_the_team(client, world):
    leader = volunteer_near(world, 0, roles=("volunteer", "team_leader"))
    member = volunteer_near(world, 1)
    team = factories.make_team(world.station_a, leader, members=[member], skills=["shopping"])
    task = counted_request(world)
    claim = claims.claim(task, team=team)
    claims.dispatch(claim, actor=leader, member=member)
    sign_in(client, member)
    page = f"/v/c/{claim.id}"
    done = post_form(client, page, f"{page}/check-out", {"outcome": "送了菜", "hours": "2"})
    assert done.status_code == 302
    [record] = records()
    assert what(record) == expected(task, "claim", "2.00", volunteer_id=member.id, team_id=team.id)


# --- a station social worker's own work ----------------------------------------------------


def test_the_assigned_worker_starts_and_finishes_and_one_worker_record_is_written(
    client, world, login_as
):
    task = counted_request(world, status="accepted", category="emotional_support")
    worker = assign_to_worker(client, world, login_as, task)
    sign_in(client, worker)
    page = text(client.get(f"/station/r/{task.id}"))
    assert "开始服务" in page and "完成服务" in page and 'id="my-work"' in page

    assert act(client, task.id, "start").status_code == 302
    stored = db.session.get(HelpRequest, task.id)
    assert stored.status == "in_progress" and claim_of(task).checked_in_at is not None
    twice = act(client, task.id, "start")
    assert twice.status_code == 422 and db.session.get(HelpRequest, task.id).status == "in_progress"

    data = {"finish-outcome": "上门谈心一次，情绪稳定", "finish-hours": "1.5"}
    done = act(client, task.id, "finish", data)
    assert done.status_code == 302
    shown = text(client.get(f"/station/r/{task.id}"))
    assert "已完成，记录服务时长 1.5 小时" in shown and 'id="my-work"' not in shown
    again = act(client, task.id, "finish", data)
    assert again.status_code == 422
    [record] = records()
    assert what(record) == expected(task, "worker", "1.50", worker_id=worker.id)
    assert record.claim_id == claim_of(task).id
    assert db.session.get(HelpRequest, task.id).status == "done"
    [confirm] = outbox("request_done_confirm")
    assert confirm.to_phone == RESIDENT and code_text(task.code) in confirm.body


def test_a_worker_may_finish_straight_from_assigned(client, world, login_as):
    task = counted_request(world, status="accepted", category="emotional_support")
    worker = assign_to_worker(client, world, login_as, task)
    sign_in(client, worker)
    response = act(
        client, task.id, "finish", {"finish-outcome": "电话里解决了", "finish-hours": "1"}
    )
    assert response.status_code == 302
    assert [r.source for r in records()] == ["worker"]
    assert db.session.get(HelpRequest, task.id).status == "done"


NOT_A_NUMBER = "请用数字填写时长，例如 1.5。"
OUT_OF_RANGE = "时长要大于 0，最多 24 小时。"
BAD_HOURS = [
    ("abc", NOT_A_NUMBER),
    ("1,5", NOT_A_NUMBER),
    ("0", OUT_OF_RANGE),
    ("25", OUT_OF_RANGE),
    ("1e3", OUT_OF_RANGE),
    ("NaN", OUT_OF_RANGE),
    ("-1", OUT_OF_RANGE),
]


@pytest.mark.parametrize(("hours", "message"), BAD_HOURS)
def test_worker_hours_out_of_range_are_refused_in_chinese(client, world, login_as, hours, message):
    task = counted_request(world, status="accepted", category="emotional_support")
    worker = assign_to_worker(client, world, login_as, task)
    sign_in(client, worker)
    response = act(client, task.id, "finish", {"finish-outcome": "做了", "finish-hours": hours})
    assert response.status_code == 422 and message in text(response)
    assert records() == [] and db.session.get(HelpRequest, task.id).status == "assigned"
    assert outbox("request_done_confirm") == []


def test_a_reopened_request_done_again_is_a_second_service(client, world, login_as):
    task = counted_request(world, status="accepted", category="emotional_support")
    worker = assign_to_worker(client, world, login_as, task)
    sign_in(client, worker)
    first = {"finish-outcome": "第一次上门", "finish-hours": "1"}
    assert act(client, task.id, "finish", first).status_code == 302
    tracking.not_solved(db.session.get(HelpRequest, task.id), note="还是没解决")
    db.session.commit()
    assert db.session.get(HelpRequest, task.id).status == "assigned"
    assert act(client, task.id, "start").status_code == 302
    second = {"finish-outcome": "第二次上门，解决了", "finish-hours": "2"}
    assert act(client, task.id, "finish", second).status_code == 302
    assert [(r.source, str(r.hours), r.worker_id) for r in records()] == [
        ("worker", "1.00", worker.id),
        ("worker", "2.00", worker.id),
    ]
    assert len(outbox("request_done_confirm")) == 2


def test_only_the_assigned_worker_records_the_work(client, world, login_as):
    task = counted_request(world, status="accepted", category="emotional_support")
    assign_to_worker(client, world, login_as, task)
    for role in ("social_worker", "station_admin"):  # a colleague, the station's admin
        login_as(role)
        page = text(client.get(f"/station/r/{task.id}"))
        assert 'id="my-work"' not in page
        for action, data in (
            ("start", {}),
            ("finish", {"finish-outcome": "做了", "finish-hours": "1"}),
        ):
            response = act(client, task.id, action, data)
            assert response.status_code == 422, (role, action)
            assert "只有被指派的社工本人可以记录这项服务。" in text(response)
    stored = db.session.get(HelpRequest, task.id)
    assert stored.status == "assigned" and claim_of(task).checked_in_at is None
    assert records() == [] and outbox("request_done_confirm") == []


def test_other_stations_volunteers_and_the_county_cannot_record_the_work(client, world, login_as):
    task = counted_request(world, status="accepted", category="emotional_support")
    assign_to_worker(client, world, login_as, task)
    finish = {"finish-outcome": "做了", "finish-hours": "1"}
    login_as("social_worker", station=world.station_b)
    csrf = csrf_token_from(client.get("/station/").get_data(as_text=True))
    for action in ("start", "finish", "close"):
        response = client.post(
            f"/station/r/{task.id}/{action}",
            data={**finish, "close-outcome": "办完", "close-served": "y", "csrf_token": csrf},
        )
        assert response.status_code == 404, action
    for role in ("volunteer", "county_supervisor"):
        login_as(role)
        csrf = csrf_token_from(client.get("/").get_data(as_text=True))
        for action in ("start", "finish"):
            response = client.post(
                f"/station/r/{task.id}/{action}", data={**finish, "csrf_token": csrf}
            )
            assert response.status_code == 403, (role, action)
    assert db.session.get(HelpRequest, task.id).status == "assigned"
    assert records() == []


# --- the station closes --------------------------------------------------------------------


def in_progress_with_volunteer(world) -> tuple[HelpRequest, object]:
    volunteer = volunteer_near(world, 0)
    task = counted_request(world)
    claim = claims.claim(task, volunteer=volunteer)
    claims.check_in(claim, actor=volunteer)
    db.session.commit()
    return task, volunteer


def test_closing_in_progress_with_service_given_counts_one_for_the_doer(client, world, login_as):
    task, volunteer = in_progress_with_volunteer(world)
    login_as("station_admin")
    page = text(client.get(f"/station/r/{task.id}"))
    assert "已提供服务（计入服务人次）" in page and 'id="close-counted"' not in page
    data = {"close-outcome": "志愿者做完了但忘了签退", "close-served": "y", "close-hours": "2"}
    assert act(client, task.id, "close", data).status_code == 302
    assert act(client, task.id, "close", data).status_code == 422
    [record] = records()
    assert what(record) == expected(task, "station_close", "2.00", volunteer_id=volunteer.id)
    assert record.claim_id == claim_of(task).id
    assert db.session.get(HelpRequest, task.id).status == "closed"


def test_closing_a_worker_assigned_request_names_the_worker_not_the_closer(client, world, login_as):
    task = counted_request(world, status="accepted", category="emotional_support")
    worker = assign_to_worker(client, world, login_as, task)
    data = {"close-outcome": "社工已上门", "close-served": "y", "close-hours": ""}
    assert act(client, task.id, "close", data).status_code == 302
    [record] = records()
    assert what(record) == expected(task, "station_close", "0.00", worker_id=worker.id)


def test_closing_without_service_given_counts_nothing(client, world, login_as):
    task, _volunteer = in_progress_with_volunteer(world)
    login_as("station_admin")
    data = {"close-outcome": "居民说不需要了", "close-hours": "3"}
    assert act(client, task.id, "close", data).status_code == 302
    assert records() == [] and db.session.get(HelpRequest, task.id).status == "closed"


def test_closing_after_the_check_out_counts_nothing_more(client, world, login_as):
    task, volunteer = in_progress_with_volunteer(world)
    claims.check_out(claim_of(task), actor=volunteer, outcome="买好了", hours="1")
    db.session.commit()
    login_as("station_admin")
    page = text(client.get(f"/station/r/{task.id}"))
    assert "已提供服务（计入服务人次）" not in page and 'id="close-counted"' in page
    data = {"close-outcome": "居民没有确认，站里办结", "close-served": "y", "close-hours": "5"}
    assert act(client, task.id, "close", data).status_code == 302
    assert [(r.source, str(r.hours)) for r in records()] == [("claim", "1.00")]


def test_closing_with_bad_hours_is_refused_and_nothing_changes(client, world, login_as):
    task, _volunteer = in_progress_with_volunteer(world)
    login_as("station_admin")
    for hours, message in BAD_HOURS:
        data = {"close-outcome": "做完了", "close-served": "y", "close-hours": hours}
        response = act(client, task.id, "close", data)
        assert response.status_code == 422 and message in text(response), hours
    assert records() == [] and db.session.get(HelpRequest, task.id).status == "in_progress"


def test_a_close_sent_twice_counts_once(client, world, login_as):
    task, _volunteer = in_progress_with_volunteer(world)
    login_as("station_admin")
    page = f"/station/r/{task.id}"
    csrf = csrf_token_from(client.get(page).get_data(as_text=True))
    data = {"close-outcome": "做完了", "close-served": "y", "close-hours": "1", "csrf_token": csrf}
    first = client.post(f"{page}/close", data=data)
    again = client.post(f"{page}/close", data=data)
    assert first.status_code == 302 and again.status_code == 422
    assert "已办结" in text(again)
    assert len(records()) == 1


def test_closing_a_teams_work_names_the_team_and_its_leader(client, world, login_as):
    leader = volunteer_near(world, 0, roles=("volunteer", "team_leader"))
    team = factories.make_team(world.station_a, leader, skills=["shopping"])
    task = counted_request(world)
    claims.check_in(claims.claim(task, team=team), actor=leader)
    db.session.commit()
    login_as("station_admin")
    data = {"close-outcome": "服务队做完了", "close-served": "y", "close-hours": "3"}
    assert act(client, task.id, "close", data).status_code == 302
    [record] = records()
    assert what(record) == expected(
        task, "station_close", "3.00", volunteer_id=leader.id, team_id=team.id
    )


def test_closing_after_a_release_names_who_took_it_next(client, world, login_as):
    first, second = volunteer_near(world, 0), volunteer_near(world, 1)
    task = counted_request(world)
    claims.release(claims.claim(task, volunteer=first), actor=first, reason="临时有事")
    claims.claim(task, volunteer=second)
    db.session.commit()
    login_as("station_admin")
    data = {"close-outcome": "第二位志愿者做完了", "close-served": "y", "close-hours": "1"}
    assert act(client, task.id, "close", data).status_code == 302
    [record] = records()
    assert what(record) == expected(task, "station_close", "1.00", volunteer_id=second.id)
