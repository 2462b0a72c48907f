"""The station worker's queue and request page, over HTTP."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import HelpRequest
from app.services.codes import code_text
from tests import factories
from tests.console_support import events, outbox, post, request_at, text
from tests.factories import shows_code


def test_queue_lists_own_station_and_rooms_most_urgent_first(client, world, login_as):
    login_as("social_worker")
    old_normal = request_at(world.station_a, minutes_ago=90, description="老人要买米")
    crisis = request_at(world.room_a1, minutes_ago=3, urgency="crisis", description="情绪崩溃")
    urgent = request_at(world.station_a, minutes_ago=30, urgency="urgent", description="药吃完了")
    other = request_at(world.station_b, minutes_ago=10, description="别的镇的求助")
    page = text(client.get("/station/"))
    assert not shows_code(page, other.code)
    positions = [page.index(code_text(r.code)) for r in (crisis, urgent, old_normal)]
    assert positions == sorted(positions)
    assert 'hx-trigger="every 20s"' in page


def test_tabs_show_counts_and_filter_by_status(client, world, login_as):
    login_as("social_worker")
    request_at(world.station_a, status="new")
    offered = request_at(world.station_a, status="offered")
    request_at(world.station_a, status="assigned", escalated=True)
    request_at(world.station_b, status="offered")
    page = text(client.get("/station/?tab=offered"))
    assert code_text(offered.code) in page
    assert 'class="count">1</span>' in page  # one offered in station A, not B's
    escalated = text(client.get("/station/?tab=escalated"))
    assert escalated.count("queue-item") == 1


def test_fragment_polling_highlights_what_arrived_since_last_look(client, world, login_as):
    login_as("social_worker")
    seen = request_at(world.station_a, minutes_ago=30)
    client.get("/station/")  # the worker looks: last seen = now
    fresh = HelpRequest(code="FRESH77", category="shopping", station_id=world.station_a.id)
    db.session.add(fresh)
    db.session.commit()
    fragment = text(client.get("/station/", headers={"HX-Request": "true"}))
    assert "<html" not in fragment and 'id="queue"' in fragment
    item = fragment[fragment.index("FRESH77") - 600 : fragment.index("FRESH77")]
    assert "is-fresh" in item
    assert (
        "is-fresh"
        not in fragment[
            fragment.index(code_text(seen.code)) - 600 : fragment.index(code_text(seen.code))
        ]
    )
    # The next full page still marks it (arrived since the last full look), then it is seen.
    assert "is-fresh" in text(client.get("/station/"))
    assert "is-fresh" not in text(client.get("/station/"))


def test_overdue_tab_uses_response_targets(client, world, login_as):
    login_as("social_worker")
    late_normal = request_at(world.station_a, minutes_ago=25 * 60)
    late_urgent = request_at(world.station_a, minutes_ago=150, urgency="urgent")
    on_time = request_at(world.station_a, minutes_ago=60, urgency="urgent")
    accepted_late = request_at(world.station_a, minutes_ago=26 * 60, status="accepted")
    page = text(client.get("/station/?tab=overdue"))
    assert code_text(late_normal.code) in page and code_text(late_urgent.code) in page
    assert not shows_code(page, on_time.code) and not shows_code(page, accepted_late.code)
    assert "badge-overdue" in text(client.get("/station/"))


def test_request_page_shows_timeline_distance_and_no_map_without_tiles(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, village=world.village_a2, description="腿脚不便需要买菜")
    from app.services import workflow

    workflow.record_event(r, "created", actor_label="resident")
    page = text(client.get(f"/station/r/{r.id}"))
    assert "腿脚不便需要买菜" in page
    assert "34.75000, 113.59000" in page
    assert f"距{world.station_a.name} 1.4公里" in page  # distance to the station, as text
    assert "leaflet.js" not in page and "request-map" not in page


def test_request_page_loads_leaflet_only_with_a_tile_url(app, client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a)
    app.config["MAP_TILE_URL"] = "https://tiles.example.cn/{z}/{x}/{y}.png"
    try:
        page = text(client.get(f"/station/r/{r.id}"))
    finally:
        app.config["MAP_TILE_URL"] = ""
    # under its content-hashed name (app/web/assets.py)
    assert (
        re.search(r"vendor/leaflet/leaflet\.[0-9a-f]{12}\.js", page) and 'id="request-map"' in page
    )
    assert "leaflet" not in text(client.get("/station/"))


def test_accept_then_accept_again_is_refused(client, world, login_as):
    worker = login_as("social_worker")
    r = request_at(world.station_a, category="crisis_intervention")  # stays accepted
    response = post(client, f"/station/r/{r.id}/accept")
    assert response.status_code == 302
    assert db.session.get(HelpRequest, r.id).status == "accepted"
    assert events(r.id, "accept")[0].actor_id == worker.id
    again = post(client, f"/station/r/{r.id}/accept")
    assert again.status_code == 422
    # the refusal names the step as a verb, not by its timeline label
    assert "该求助当前为“已受理”，现在不能受理。" in text(again)
    assert len(events(r.id, "accept")) == 1


def test_reject_needs_a_reason_and_texts_the_resident(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, contact_phone="+8613800138001")
    empty = post(client, f"/station/r/{r.id}/reject", {"reject-reason": " "})
    assert empty.status_code == 422
    assert db.session.get(HelpRequest, r.id).status == "new"
    done = post(client, f"/station/r/{r.id}/reject", {"reject-reason": "本站不做房屋维修"})
    assert done.status_code == 302
    assert db.session.get(HelpRequest, r.id).status == "rejected"
    sms = outbox("request_rejected")
    assert len(sms) == 1 and sms[0].to_phone == "+8613800138001"
    assert "本站不做房屋维修" in sms[0].body and code_text(r.code) in sms[0].body


def test_edit_category_urgency_and_place_is_noted(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a)
    response = post(
        client,
        f"/station/r/{r.id}/edit",
        {
            "edit-category": "medical_escort",
            "edit-urgency": "urgent",
            "edit-village_id": str(world.village_a2.id),
            "edit-address": "3号楼2单元",
            "edit-lat": "",
            "edit-lon": "",
        },
    )
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, r.id)
    assert (stored.category, stored.urgency, stored.village_id) == (
        "medical_escort",
        "urgent",
        world.village_a2.id,
    )
    assert stored.address == "3号楼2单元"
    [edit] = events(r.id, "edit")
    assert edit.note.startswith("类别：代购 → 助医陪诊; 紧急程度：一般 → 紧急; 村（社区）：")


def test_edit_of_a_closed_request_is_refused(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, status="closed")
    response = post(
        client, f"/station/r/{r.id}/edit", {"edit-category": "cleaning", "edit-urgency": "normal"}
    )
    assert response.status_code == 422
    assert db.session.get(HelpRequest, r.id).category == "shopping"
    assert events(r.id, "edit") == []


def test_escalate_alerts_the_county_supervisor_once(client, world, login_as):
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    login_as("social_worker")
    r = request_at(world.station_a)
    assert (
        post(client, f"/station/r/{r.id}/escalate", {"escalate-note": "无人接单"}).status_code
        == 302
    )
    assert db.session.get(HelpRequest, r.id).escalated is True
    sms = outbox("request_escalated")
    assert [m.to_phone for m in sms] == [supervisor.phone]
    again = post(client, f"/station/r/{r.id}/escalate")
    assert again.status_code == 422 and len(outbox("request_escalated")) == 1


def test_merge_suggests_nearby_duplicates_and_merges(client, world, login_as):
    login_as("social_worker")
    first = request_at(world.station_a, minutes_ago=60, lat=34.7600, lon=113.6000)
    dup = request_at(world.station_a, lat=34.7630, lon=113.6010)  # ~350 m away
    far = request_at(world.station_a, minutes_ago=30, lat=34.80, lon=113.60)  # ~4 km
    other_kind = request_at(world.station_a, category="cleaning", lat=34.7601, lon=113.6)
    page = text(client.get(f"/station/r/{dup.id}"))
    suggestions = page[page.index("merge-target") - 2000 :]
    assert first.code in suggestions  # the merge form's value
    assert not shows_code(page, far.code) and not shows_code(page, other_kind.code)
    response = post(client, f"/station/r/{dup.id}/merge", {"merge-target": first.code})
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, dup.id)
    assert stored.status == "cancelled" and stored.merged_into_id == first.id
    assert db.session.get(HelpRequest, first.id).status == "new"


def test_merge_into_a_closed_request_is_refused(client, world, login_as):
    login_as("social_worker")
    closed = request_at(world.station_a, status="closed")
    r = request_at(world.station_a)
    response = post(client, f"/station/r/{r.id}/merge", {"merge-target": closed.code})
    assert response.status_code == 422
    assert db.session.get(HelpRequest, r.id).status == "new"


def test_notes_internal_or_public(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a)
    post(client, f"/station/r/{r.id}/note", {"note-note": "已电话联系家属"})
    post(client, f"/station/r/{r.id}/note", {"note-note": "志愿者明天上午到", "note-public": "y"})
    notes = events(r.id, "note")
    assert [(n.note, n.public) for n in notes] == [
        ("已电话联系家属", False),
        ("志愿者明天上午到", True),
    ]
    empty = post(client, f"/station/r/{r.id}/note", {"note-note": ""})
    assert empty.status_code == 422 and len(events(r.id, "note")) == 2
    assert "已电话联系家属" in text(client.get(f"/station/r/{r.id}"))


def test_close_with_outcome_only_when_the_state_machine_allows(client, world, login_as):
    login_as("social_worker")
    busy = request_at(world.station_a, status="in_progress")
    fresh = request_at(world.station_a, status="new")
    refused = post(client, f"/station/r/{fresh.id}/close", {"close-outcome": "已解决"})
    assert refused.status_code == 422
    assert db.session.get(HelpRequest, fresh.id).status == "new"
    done = post(client, f"/station/r/{busy.id}/close", {"close-outcome": "已送医，家属陪同"})
    assert done.status_code == 302
    stored = db.session.get(HelpRequest, busy.id)
    assert stored.status == "closed" and stored.outcome == "已送医，家属陪同"


def test_assign_directly_to_a_volunteer(client, world, login_as):
    login_as("social_worker")
    volunteer = factories.make_volunteer(world.station_a, name="李志愿")
    r = request_at(world.station_a, status="accepted")
    page = text(client.get(f"/station/r/{r.id}"))
    assert f"volunteer:{volunteer.id}" in page
    response = post(
        client, f"/station/r/{r.id}/assign", {"assign-target": f"volunteer:{volunteer.id}"}
    )
    assert response.status_code == 302, text(response)
    stored = db.session.get(HelpRequest, r.id)
    assert stored.status == "assigned" and stored.assigned_volunteer_id == volunteer.id
    assert len(events(r.id, "assign")) == 1


def test_assign_refused_for_a_new_request_and_for_strangers(client, world, login_as):
    login_as("social_worker")
    volunteer = factories.make_volunteer(world.station_a)
    pending = factories.make_volunteer(world.station_a, status="pending")
    r = request_at(world.station_a, status="new")
    refused = post(
        client, f"/station/r/{r.id}/assign", {"assign-target": f"volunteer:{volunteer.id}"}
    )
    assert refused.status_code == 422
    r2 = request_at(world.station_a, status="accepted")
    wrong = post(client, f"/station/r/{r2.id}/assign", {"assign-target": f"volunteer:{pending.id}"})
    assert wrong.status_code == 422
    assert db.session.get(HelpRequest, r.id).status == "new"
    assert db.session.get(HelpRequest, r2.id).status == "accepted"


def test_offer_again_sends_offers_or_escalates(client, world, login_as):
    login_as("social_worker")
    factories.make_volunteer(world.station_a, skills=("shopping",))
    r = request_at(world.station_a, status="accepted")
    response = post(client, f"/station/r/{r.id}/offer")
    assert response.status_code == 302
    assert db.session.get(HelpRequest, r.id).status == "offered"
    refused = post(client, f"/station/r/{request_at(world.station_a).id}/offer")
    assert refused.status_code == 422


def test_candidates_with_reasons_on_the_request_page(client, world, login_as):
    login_as("social_worker")
    factories.make_volunteer(world.station_a, name="王热心", skills=("shopping",))
    r = request_at(world.station_a, status="accepted")
    page = text(client.get(f"/station/r/{r.id}"))
    section = page[page.index('id="candidates"') :]
    assert "王热心" in section[:3000]


def test_worker_of_station_b_cannot_see_or_act_on_station_a(client, world, login_as):
    login_as("social_worker", station=world.station_b)
    r = request_at(world.station_a)
    assert not shows_code(text(client.get("/station/")), r.code)
    assert client.get(f"/station/r/{r.id}").status_code == 404
    for action in ("accept", "reject", "note", "close", "escalate", "merge", "edit", "offer"):
        response = post(client, f"/station/r/{r.id}/{action}", {f"{action}-note": "x"})
        assert response.status_code == 404, action
    assert db.session.get(HelpRequest, r.id).status == "new"
    assert events(r.id) == []
    assert client.get("/station/r/999999").status_code == 404


def test_room_worker_sees_only_the_room(client, world, login_as):
    login_as("social_worker", station=world.room_a1)
    in_room = request_at(world.room_a1)
    township = request_at(world.station_a)
    page = text(client.get("/station/"))
    assert code_text(in_room.code) in page and not shows_code(page, township.code)
    assert client.get(f"/station/r/{township.id}").status_code == 404


def test_volunteers_and_residents_cannot_open_the_console(client, world, login_as):
    login_as("volunteer")
    r = request_at(world.station_a)
    assert client.get("/station/").status_code == 403
    assert client.get(f"/station/r/{r.id}").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, world):
    assert client.get("/station/").status_code == 302


def test_assign_to_a_team_or_to_a_social_worker(client, world, login_as):
    worker = login_as("social_worker")
    leader = factories.make_volunteer(world.station_a, name="队长")
    team = factories.make_team(world.station_a, leader, skills=["shopping"])
    for_team = request_at(world.station_a, status="accepted")
    for_worker = request_at(world.station_a, status="offered", category="crisis_intervention")
    assert (
        post(
            client, f"/station/r/{for_team.id}/assign", {"assign-target": f"team:{team.id}"}
        ).status_code
        == 302
    )
    assert db.session.get(HelpRequest, for_team.id).assigned_team_id == team.id
    response = post(
        client,
        f"/station/r/{for_worker.id}/assign",
        {"assign-target": f"worker:{worker.id}", "assign-note": "我亲自上门"},
    )
    assert response.status_code == 302
    stored = db.session.get(HelpRequest, for_worker.id)
    assert stored.status == "assigned" and stored.assigned_worker_id == worker.id


def test_cannot_assign_a_worker_of_another_station(client, world, login_as):
    login_as("social_worker")
    stranger = factories.make_user(roles=("social_worker",), station=world.station_b)
    r = request_at(world.station_a, status="accepted")
    response = post(client, f"/station/r/{r.id}/assign", {"assign-target": f"worker:{stranger.id}"})
    assert response.status_code == 422
    assert db.session.get(HelpRequest, r.id).status == "accepted"


def test_a_look_at_the_queue_rewrites_the_session_only_when_a_request_came_in(
    client, world, login_as
):
    """What is "new since you last looked" is kept as the newest request's id: a look with
    nothing new sends no cookie (it was signed and sent again at every look), and the
    first look after a request came in moves the mark on."""
    login_as("social_worker")
    request_at(world.station_a, minutes_ago=30)
    client.get("/station/")  # the first look: the mark is set
    again = client.get("/station/")
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    arrived = request_at(world.station_a, status="new")
    db.session.commit()
    looked = client.get("/station/")
    assert "Set-Cookie" in looked.headers and "is-fresh" in text(looked)
    with client.session_transaction() as session:
        assert session["console_seen_up_to"] == arrived.id
    assert "Set-Cookie" not in client.get("/station/").headers
