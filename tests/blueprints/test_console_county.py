"""The county supervisor's read-only view, the access log and masking, over HTTP."""

from __future__ import annotations

from app.extensions import db
from app.models import HelpRequest
from app.services.codes import code_text
from tests import factories
from tests.console_support import audit_entries, events, post, request_at, text
from tests.factories import shows_code


def test_county_view_counts_every_station_and_lists_escalations(client, world, login_as):
    login_as("county_supervisor")
    request_at(world.station_a)
    request_at(world.station_b)
    request_at(world.station_b, minutes_ago=30 * 60)  # overdue
    escalated = request_at(world.station_b, status="offered", escalated=True)
    page = text(client.get("/station/county"))
    assert world.station_a.name in page and world.station_b.name in page
    row = page[page.index(world.station_b.name) :].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:6]] == ["2", "3", "1", "1", "0"]
    assert code_text(escalated.code) in page


def test_supervisor_reads_request_pages_but_cannot_act(client, world, login_as):
    login_as("county_supervisor")
    r = request_at(world.station_a, contact_phone="+8613800138002")
    page = text(client.get(f"/station/r/{r.id}"))
    assert f"#{r.id}" in page and 'id="actions"' not in page
    assert not shows_code(page, r.code)  # only those who work on it see the resident's code
    assert "138********" in page and "8002" not in page and "13800138002" not in page
    for action in ("accept", "note", "close", "escalate"):
        assert (
            post(client, f"/station/r/{r.id}/{action}", page="/station/county").status_code == 403
        )
    assert db.session.get(HelpRequest, r.id).status == "new" and events(r.id) == []


def test_supervisor_acknowledges_and_moves_an_escalated_request(client, world, login_as):
    login_as("county_supervisor")
    r = request_at(world.station_a, escalated=True)
    ack = post(
        client,
        f"/station/county/r/{r.id}/ack",
        {"ack-note": "请柳林镇协助"},
        page="/station/county",
    )
    assert ack.status_code == 302
    assert events(r.id, "acknowledge")[0].note == "请柳林镇协助"
    moved = post(
        client,
        f"/station/county/r/{r.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert moved.status_code == 302
    assert db.session.get(HelpRequest, r.id).station_id == world.station_b.id
    assert len(events(r.id, "reassign_station")) == 1


def test_supervisor_cannot_acknowledge_what_is_not_escalated(client, world, login_as):
    login_as("county_supervisor")
    r = request_at(world.station_a)
    response = post(client, f"/station/county/r/{r.id}/ack", page="/station/county")
    assert response.status_code == 422 and events(r.id) == []


def test_workers_cannot_open_the_county_view(client, world, login_as):
    login_as("social_worker")
    r = request_at(world.station_a, escalated=True)
    assert client.get("/station/county").status_code == 403
    assert post(client, f"/station/county/r/{r.id}/ack").status_code == 403


def test_viewing_a_request_about_a_child_is_logged(client, world, login_as):
    worker = login_as("social_worker")
    child = request_at(world.station_a, special_groups=["left_behind_child"])
    adult = request_at(world.station_a)
    client.get(f"/station/r/{child.id}")
    client.get(f"/station/r/{adult.id}")
    entries = audit_entries("view_minor_request")
    assert [(e.actor_id, e.object_id, e.station_id) for e in entries] == [
        (worker.id, child.id, world.station_a.id)
    ]


def test_minors_names_and_phones_masked_outside_the_serving_station(client, world, login_as):
    person = factories.make_beneficiary(
        world.station_a, name="张小明", special_groups=["left_behind_child"]
    )
    r = request_at(
        world.station_a,
        beneficiary_id=person.id,
        contact_name="张小明",
        contact_phone="+8613800138003",
        special_groups=["left_behind_child"],
    )
    login_as("county_supervisor")
    page = text(client.get(f"/station/r/{r.id}"))
    assert "张小明" not in page and "张" in page and "138********" in page and "8003" not in page


def test_serving_worker_sees_full_phone_and_name(client, world, login_as):
    login_as("social_worker")
    r = request_at(
        world.station_a,
        contact_name="张小明",
        contact_phone="+8613800138003",
        special_groups=["left_behind_child"],
    )
    page = text(client.get(f"/station/r/{r.id}"))
    assert "张小明" in page and "13800138003" in page


def test_station_admin_reads_the_access_log_of_their_station(client, world, login_as):
    person = factories.make_beneficiary(world.station_a, name="刘奶奶")
    elsewhere = factories.make_beneficiary(world.station_b, name="陈爷爷")
    reader = factories.make_user(roles=("social_worker",), station=world.station_b, name="外站社工")
    from app.services import audit

    audit.log_access(reader, "view_beneficiary", "beneficiary", elsewhere.id, world.station_b.id)
    admin = login_as("station_admin", name="周站长")
    client.get(f"/station/ledger/{person.id}")
    page = text(client.get("/station/audit"))
    assert "周站长" in page and f"#{person.id}" in page
    assert "外站社工" not in page
    assert admin.id == audit_entries("view_beneficiary")[-1].actor_id


def test_social_workers_cannot_read_the_access_log(client, world, login_as):
    login_as("social_worker")
    assert client.get("/station/audit").status_code == 403
