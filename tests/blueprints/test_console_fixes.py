"""Review fixes in the station console, over HTTP."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import HelpRequest, Offer
from app.services.codes import code_text
from tests import factories
from tests.console_support import audit_entries, events, post, request_at, text


def test_cannot_assign_a_team_or_volunteer_of_another_station(client, world, login_as):
    login_as("social_worker")
    leader_b = factories.make_volunteer(world.station_b, name="乙队长")
    team_b = factories.make_team(world.station_b, leader_b)
    volunteer_b = factories.make_volunteer(world.station_b, name="乙志愿")
    r = request_at(world.station_a, status="accepted")
    refusals = {
        f"team:{team_b.id}": "请从列表中选择由谁来做。",
        f"volunteer:{volunteer_b.id}": "请从列表中选择由谁来做。",
        "team:999999": "请从列表中选择由谁来做。",  # the same answer as for no such team
        "volunteer:999999": "请从列表中选择由谁来做。",
    }
    for target, message in refusals.items():
        response = post(client, f"/station/r/{r.id}/assign", {"assign-target": target})
        assert response.status_code == 422, target
        assert message in text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert stored.status == "accepted"
    assert stored.assigned_team_id is None and stored.assigned_volunteer_id is None
    assert events(r.id, "assign") == []


def test_accepting_starts_the_offers(client, world, login_as):
    login_as("social_worker")
    factories.make_volunteer(world.station_a, name="王热心", skills=("shopping",))
    r = request_at(world.station_a, category="shopping")
    response = post(client, f"/station/r/{r.id}/accept")
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert stored.status == "offered"
    assert len(events(r.id, "accept")) == 1 and len(events(r.id, "offer")) == 1
    assert db.session.query(Offer).filter_by(request_id=r.id).count() == 1
    page = text(client.get(f"/station/r/{r.id}"))
    assert "已接收，并已发给 1 位志愿者或服务队。" in page


def test_accepting_with_nobody_to_offer_escalates(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, category="shopping")
    assert post(client, f"/station/r/{r.id}/accept").status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert stored.status == "accepted" and stored.escalated


def test_accepting_a_social_worker_only_request_offers_nobody(client, world, login_as):
    login_as("social_worker")
    factories.make_volunteer(world.station_a, skills=("emotional_support",))
    r = request_at(world.station_a, category="emotional_support")
    assert post(client, f"/station/r/{r.id}/accept").status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert stored.status == "accepted" and not stored.escalated
    assert db.session.query(Offer).filter_by(request_id=r.id).count() == 0


def _edit(client, r, **extra):
    data = {
        "edit-category": r.category,
        "edit-urgency": r.urgency,
        "edit-address": r.address or "",
        "edit-lat": "",
        "edit-lon": "",
    }
    data.update(extra)
    return post(client, f"/station/r/{r.id}/edit", data)


def test_editing_the_village_reroutes_to_the_station_serving_it(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, village=world.village_a2)
    response = _edit(client, r, **{"edit-village_id": str(world.village_a1.id)})
    assert response.status_code == 302, text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert stored.village_id == world.village_a1.id
    assert stored.station_id == world.room_a1.id  # the village's own room
    assert (stored.lat, stored.lon) == (world.village_a1.lat, world.village_a1.lon)
    moved = events(r.id, "reassign_station")
    assert len(moved) == 1 and world.room_a1.name in moved[0].note
    page = text(client.get(f"/station/r/{r.id}"))
    assert world.room_a1.name in page


def test_the_edit_form_marks_a_child_involved(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a)
    page = text(client.get(f"/station/r/{r.id}"))
    box = re.search(r'<input[^>]*value="left_behind_child"[^>]*>', page).group(0)
    assert 'name="edit-special_groups"' in box and "checked" not in box
    response = _edit(client, r, **{"edit-special_groups": ["left_behind_child", "disabled"]})
    assert response.status_code == 302, text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert "left_behind_child" in stored.special_groups and stored.involves_minor
    assert stored.station_id == world.station_a.id
    assert "特殊群体" in events(r.id, "edit")[0].note
    page = text(client.get(f"/station/r/{r.id}"))
    box = re.search(r'<input[^>]*value="left_behind_child"[^>]*>', page).group(0)
    assert "checked" in box


def test_sms_unreachable_is_shown_near_the_contact_and_in_the_queue(client, world, login_as):
    login_as("social_worker")
    unreachable = request_at(world.station_a, sms_unreachable=True)
    fine = request_at(world.station_a)
    page = text(client.get(f"/station/r/{unreachable.id}"))
    assert "短信发不到这个号码" in page and 'id="sms-unreachable"' in page
    assert "短信发不到这个号码" not in text(client.get(f"/station/r/{fine.id}"))
    queue = text(client.get("/station/"))
    item = queue[
        queue.index(code_text(unreachable.code)) : queue.index(code_text(unreachable.code)) + 1500
    ]
    assert "短信不通" in item
    assert queue.count("badge-sms-unreachable") == 1


def test_the_visit_page_is_logged_in_the_access_log(client, world, login_as):
    worker = login_as("social_worker")
    person = factories.make_beneficiary(world.station_a, name="张奶奶")
    page = text(client.get(f"/station/ledger/{person.id}/visit"))
    assert "张奶奶" in page
    logged = audit_entries("view_beneficiary")
    assert [(e.actor_id, e.object_id) for e in logged] == [(worker.id, person.id)]


def test_odd_digits_in_ids_are_refused_not_errors(client, world, login_as):
    """'²' passes str.isdigit() but not int(): every id read from a form is plain ASCII."""
    login_as("social_worker")
    r = request_at(world.station_a, status="accepted")
    for target in ("volunteer:²", "team:²", "worker:١٢"):
        response = post(client, f"/station/r/{r.id}/assign", {"assign-target": target})
        assert response.status_code == 422, target
        assert "请从列表中选择由谁来做。" in text(response)
    assert client.get("/station/ledger?village=²").status_code == 200
    assert client.get("/station/ledger/export.csv?village=²").status_code == 200


def test_another_stations_unapproved_volunteer_is_answered_as_unknown(client, world, login_as):
    """Whether an id at another station exists, or is approved, is not told."""
    login_as("social_worker")
    pending_b = factories.make_volunteer(world.station_b, status="pending")
    pending_a = factories.make_volunteer(world.station_a, status="pending")
    r = request_at(world.station_a, status="accepted")
    answers = {
        target: text(post(client, f"/station/r/{r.id}/assign", {"assign-target": target}))
        for target in (f"volunteer:{pending_b.id}", "volunteer:999999", f"volunteer:{pending_a.id}")
    }
    assert "请从列表中选择由谁来做。" in answers[f"volunteer:{pending_b.id}"]
    assert "请从列表中选择由谁来做。" in answers["volunteer:999999"]
    assert "这位志愿者还没有通过审核。" in answers[f"volunteer:{pending_a.id}"]
