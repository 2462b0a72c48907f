"""Home visits with their minutes and phone welfare calls 电话慰问 on the ledger record, over
HTTP: each writes exactly the service record the counting rule says (issue 15 item 1)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import intake
from tests import factories
from tests.conftest import csrf_token_from
from tests.console_support import text
from tests.sources_support import calls, records, tokens, visits, what

GROUPS = ["elderly_alone", "dibao"]  # bits 4 and 16


def person_in_a1(world, **kwargs):
    return factories.make_beneficiary(
        world.station_a, world.village_a1, name="王秀英", special_groups=GROUPS, **kwargs
    )


def visit_data(**extra) -> dict:
    return {"living_conditions": "fair", "health": "good", "follow_up": "下月再访", **extra}


def post_visit(client, person, **extra):
    page = f"/station/ledger/{person.id}/visit"
    return client.post(page, data={**tokens(client, page), **visit_data(**extra)})


def post_call(client, person, **data):
    page = f"/station/ledger/{person.id}"
    return client.post(f"{page}/call", data={**tokens(client, page), **data})


# --- home visits ---------------------------------------------------------------------------


def test_a_visit_with_minutes_writes_one_visit_record(client, world, login_as):
    worker = login_as("social_worker")
    person = person_in_a1(world)
    form = text(client.get(f"/station/ledger/{person.id}/visit"))
    assert "用时（分钟）" in form
    response = post_visit(client, person, minutes="45")
    assert response.status_code == 302
    [visit] = visits()
    assert visit.minutes == 45
    [record] = records()
    assert what(record) == {
        "source": "visit",
        "station_id": world.station_a.id,
        "village_id": world.village_a1.id,
        "beneficiary_id": person.id,
        "category": "home_visit",
        "special_groups": GROUPS,
        "groups_mask": 20,
        "hours": "0.75",
        "person_times": 1,
        "volunteer_id": None,
        "team_id": None,
        "worker_id": worker.id,
    }
    assert (record.visit_id, record.call_id, record.request_id) == (visit.id, None, None)
    page = text(client.get(f"/station/ledger/{person.id}"))
    assert "45分钟" in page and "入户走访" in page


def test_a_visit_without_minutes_counts_with_no_hours(client, world, login_as):
    login_as("social_worker")
    person = person_in_a1(world)
    assert post_visit(client, person, minutes="").status_code == 302
    [record] = records()
    assert (record.source, str(record.hours), record.person_times) == ("visit", "0.00", 1)
    assert visits()[0].minutes is None


@pytest.mark.parametrize("minutes", ["abc", "0", "601", "1e3", "-5", "1.5", "４５"])
def test_visit_minutes_out_of_range_are_refused_in_chinese(client, world, login_as, minutes):
    login_as("social_worker")
    person = person_in_a1(world)
    response = post_visit(client, person, minutes=minutes)
    assert response.status_code == 422
    assert "分钟数须为 1 到 600 的整数。" in text(response)
    assert visits() == [] and records() == []


def test_a_visit_sent_twice_is_recorded_once(client, world, login_as):
    login_as("social_worker")
    person = person_in_a1(world)
    page = f"/station/ledger/{person.id}/visit"
    data = {**tokens(client, page), **visit_data(minutes="30")}
    first = client.post(page, data=data)
    again = client.post(page, data=data)
    assert (first.status_code, again.status_code) == (302, 302)
    assert again.headers["Location"].endswith(f"/station/ledger/{person.id}")
    assert "已经记录过了" in text(client.get(f"/station/ledger/{person.id}"))
    assert len(visits()) == 1 and len(records()) == 1


def test_a_refused_visit_keeps_its_token_for_the_corrected_send(client, world, login_as):
    login_as("social_worker")
    person = person_in_a1(world)
    page = f"/station/ledger/{person.id}/visit"
    data = {**tokens(client, page), **visit_data(minutes="abc")}
    refused = client.post(page, data=data)
    assert refused.status_code == 422 and data["form_token"] in text(refused)
    fixed = client.post(page, data={**data, "minutes": "20"})
    assert fixed.status_code == 302
    assert [str(r.hours) for r in records()] == ["0.33"]


def test_a_visit_without_a_form_token_is_refused(client, world, login_as):
    login_as("social_worker")
    person = person_in_a1(world)
    page = f"/station/ledger/{person.id}/visit"
    data = {**tokens(client, page), **visit_data()}
    for token in ("", "x", "<script>alert(1)</script>-long-enough-to-pass"):
        response = client.post(page, data={**data, "form_token": token})
        assert response.status_code == 422
        assert "此表单已过期，请刷新页面后重新提交。" in text(response)
    assert visits() == [] and records() == []


# --- welfare calls -------------------------------------------------------------------------


def test_a_call_that_reached_the_person_counts_one(client, world, login_as):
    worker = login_as("social_worker", name="李社工")
    person = person_in_a1(world)
    page = text(client.get(f"/station/ledger/{person.id}"))
    assert "电话慰问" in page and "还没有电话慰问记录。" in page
    response = post_call(client, person, outcome="reached", minutes="10", note="老人说腿好多了")
    assert response.status_code == 302
    [call] = calls()
    assert (call.outcome, call.minutes, call.worker_id, call.station_id) == (
        "reached",
        10,
        worker.id,
        world.station_a.id,
    )
    [record] = records()
    assert what(record) == {
        "source": "call",
        "station_id": world.station_a.id,
        "village_id": world.village_a1.id,
        "beneficiary_id": person.id,
        "category": "welfare_call",
        "special_groups": GROUPS,
        "groups_mask": 20,
        "hours": "0.17",
        "person_times": 1,
        "volunteer_id": None,
        "team_id": None,
        "worker_id": worker.id,
    }
    assert record.call_id == call.id
    shown = text(client.get(f"/station/ledger/{person.id}"))
    assert "已与本人通话" in shown and "李社工" in shown and "10分钟" in shown
    assert "老人说腿好多了" in shown


def test_a_call_to_the_guardian_counts_and_no_answer_is_logged_uncounted(client, world, login_as):
    login_as("social_worker")
    person = person_in_a1(world)
    assert post_call(client, person, outcome="no_answer", minutes="").status_code == 302
    assert post_call(client, person, outcome="wrong_number").status_code == 302
    assert records() == []
    assert [c.outcome for c in calls()] == ["no_answer", "wrong_number"]
    assert post_call(client, person, outcome="reached_guardian", minutes="5").status_code == 302
    assert [(r.source, str(r.hours)) for r in records()] == [("call", "0.08")]
    shown = text(client.get(f"/station/ledger/{person.id}"))
    assert "无人接听" in shown and "已与监护人或家属通话" in shown


def test_a_call_sent_twice_is_logged_once(client, world, login_as):
    login_as("social_worker")
    person = person_in_a1(world)
    page = f"/station/ledger/{person.id}"
    data = {**tokens(client, page), "outcome": "reached", "minutes": "15"}
    first = client.post(f"{page}/call", data=data)
    again = client.post(f"{page}/call", data=data)
    assert (first.status_code, again.status_code) == (302, 302)
    assert len(calls()) == 1 and len(records()) == 1


@pytest.mark.parametrize("minutes", ["abc", "0", "601", "1e3", ""])
def test_call_minutes_are_checked_in_chinese_and_nothing_is_written(
    client, world, login_as, minutes
):
    login_as("social_worker")
    person = person_in_a1(world)
    response = post_call(client, person, outcome="reached", minutes=minutes)
    assert response.status_code == 422
    expected = "请填写用了多少分钟。" if minutes == "" else "分钟数须为 1 到 600 的整数。"
    assert expected in text(response)
    assert calls() == [] and records() == []


def test_a_call_needs_an_outcome_from_the_list(client, world, login_as):
    login_as("social_worker")
    person = person_in_a1(world)
    for outcome in ("", "served_anyway"):
        response = post_call(client, person, outcome=outcome, minutes="5")
        assert response.status_code == 422 and "请选择通话结果。" in text(response)
    assert calls() == [] and records() == []


# --- who may record ------------------------------------------------------------------------


def csrf_of(client, page: str = "/station/ledger") -> str:
    return csrf_token_from(client.get(page).get_data(as_text=True))


def test_another_stations_worker_gets_404_and_writes_nothing(client, world, login_as):
    person = person_in_a1(world)
    for role in ("social_worker", "station_admin"):
        login_as(role, station=world.station_b)
        base = {"csrf_token": csrf_of(client), "form_token": intake.new_form_token()}
        call = client.post(
            f"/station/ledger/{person.id}/call", data={**base, "outcome": "reached", "minutes": "5"}
        )
        visit = client.post(f"/station/ledger/{person.id}/visit", data={**base, **visit_data()})
        assert (call.status_code, visit.status_code) == (404, 404), role
        assert person.name not in text(call) + text(visit)
    assert calls() == [] and visits() == [] and records() == []


def test_volunteers_and_the_county_are_refused(client, world, login_as):
    person = person_in_a1(world)
    for role in ("volunteer", "county_supervisor"):
        login_as(role)
        base = {"csrf_token": csrf_of(client, "/"), "form_token": intake.new_form_token()}
        call = client.post(
            f"/station/ledger/{person.id}/call", data={**base, "outcome": "reached", "minutes": "5"}
        )
        visit = client.post(f"/station/ledger/{person.id}/visit", data={**base, **visit_data()})
        assert (call.status_code, visit.status_code) == (403, 403), role
    assert calls() == [] and visits() == [] and records() == []


def test_a_stranger_is_sent_to_sign_in(client, world):
    person = person_in_a1(world)
    db.session.commit()
    csrf = csrf_of(client, "/ask")
    response = client.post(
        f"/station/ledger/{person.id}/call",
        data={"csrf_token": csrf, "outcome": "reached", "minutes": "5"},
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert calls() == [] and records() == []
