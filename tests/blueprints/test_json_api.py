"""The JSON API beside Open311 (issue 19): a request's public timeline, a station's open
requests for its own key only, the county's figures for a county key only."""

from __future__ import annotations

from app.extensions import db
from app.services import workflow
from tests import factories
from tests.open311_support import all_strings, make_key


def test_timeline_says_what_happened_never_who_or_the_notes(client, world):
    worker = factories.make_user(roles=("social_worker",), station=world.station_a, name="李社工")
    request = factories.make_request(world.station_a)
    workflow.record_event(request, "created", actor_label="resident", to_status="new")
    workflow.transition(request, "accept", actor=worker, note="电话 13912345678 联系了张奶奶")
    workflow.record_event(request, "note", actor=worker, note="内部备注", public=False)
    db.session.commit()
    data = client.get(f"/api/v1/requests/{request.id}/timeline").get_json()
    assert [step["action"] for step in data["steps"]] == ["created", "accept"]
    assert data["steps"][1]["status"] == "accepted"
    text = " ".join(all_strings(data))
    assert "李社工" not in text and "13912345678" not in text and "内部备注" not in text
    assert client.get("/api/v1/requests/999/timeline").status_code == 404


def test_a_station_key_reads_its_own_open_requests_only(client, world):
    secret, _key = make_key(world.station_a)
    mine = factories.make_request(world.station_a, contact_name="王大妈")
    factories.make_request(world.station_a, status="closed")
    factories.make_request(world.station_b)
    db.session.commit()
    response = client.get(f"/api/v1/stations/{world.station_a.id}/open-requests?api_key={secret}")
    assert response.status_code == 200
    data = response.get_json()
    assert [r["service_request_id"] for r in data["requests"]] == [str(mine.id)]
    assert "王大妈" not in " ".join(all_strings(data))
    other = client.get(f"/api/v1/stations/{world.station_b.id}/open-requests?api_key={secret}")
    assert other.status_code == 403
    room = client.get(f"/api/v1/stations/{world.room_a1.id}/open-requests?api_key={secret}")
    assert room.status_code == 403
    assert client.get(f"/api/v1/stations/{world.station_a.id}/open-requests").status_code == 403


def test_county_figures_for_a_county_key_only(client, world):
    county_secret, _c = make_key(world.county_centre)
    station_secret, _s = make_key(world.station_a)
    factories.make_request(world.station_a)
    db.session.commit()
    response = client.get(f"/api/v1/figures?api_key={county_secret}")
    assert response.status_code == 200
    figures = response.get_json()
    assert figures["requests_received"] == 1
    assert {row["station_id"] for row in figures["stations"]} >= {world.station_a.id}
    assert client.get(f"/api/v1/figures?api_key={station_secret}").status_code == 403
    assert client.get("/api/v1/figures").status_code == 403
    assert client.get(f"/api/v1/figures?api_key={county_secret}&month=2026-13").status_code == 400


def test_openapi_document_and_reference_page(client, world):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/figures" in document["paths"]
    page = client.get("/api/")
    assert page.status_code == 200
    assert "/open311/v2/requests.json" in page.get_data(as_text=True)
