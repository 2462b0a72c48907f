"""The beneficiary ledger, care plans and home visits, over HTTP."""

from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.models import AuditLog, Beneficiary, HelpRequest, Visit
from app.services import ledger
from app.services.codes import code_text
from tests import factories
from tests.console_support import audit_entries, post, text
from tests.sources_support import tokens


def test_search_by_name_village_and_group(client, world, login_as):
    login_as("social_worker")
    factories.make_beneficiary(
        world.station_a, world.village_a1, name="王秀英", special_groups=["elderly_alone"]
    )
    factories.make_beneficiary(
        world.station_a, world.village_a2, name="李建国", special_groups=["disabled"]
    )
    factories.make_beneficiary(world.station_b, world.village_b1, name="王大山")
    everyone = text(client.get("/station/ledger"))
    assert "王秀英" in everyone and "李建国" in everyone and "王大山" not in everyone
    by_name = text(client.get("/station/ledger?q=王"))
    assert "王秀英" in by_name and "李建国" not in by_name
    by_village = text(client.get(f"/station/ledger?village={world.village_a2.id}"))
    assert "李建国" in by_village and "王秀英" not in by_village
    by_group = text(
        client.get("/station/ledger?group=elderly_alone", headers={"HX-Request": "true"})
    )
    assert "王秀英" in by_group and "李建国" not in by_group and "<html" not in by_group


def test_add_a_person_and_open_the_record_is_logged(client, world, login_as):
    worker = login_as("social_worker")
    bad = post(
        client, "/station/ledger/new", {"name": "", "phone": "12"}, page="/station/ledger/new"
    )
    assert bad.status_code == 422 and db.session.query(Beneficiary).count() == 0
    response = post(
        client,
        "/station/ledger/new",
        {
            "name": "赵桂兰",
            "phone": "138 0013 8005",
            "village_id": str(world.village_a1.id),
            "special_groups": ["elderly_alone", "dibao"],
            "guardian_name": "赵强",
            "guardian_relation": "儿子",
            "guardian_phone": "13800138006",
            "notes": "耳背，说话要大声",
        },
        page="/station/ledger/new",
    )
    assert response.status_code == 302
    person = db.session.query(Beneficiary).one()
    assert person.phone == "+8613800138005" and person.special_groups == ["elderly_alone", "dibao"]
    page = text(client.get(f"/station/ledger/{person.id}"))
    assert "赵桂兰" in page and "赵强" in page and "耳背" in page
    entry = db.session.query(AuditLog).filter_by(action="view_beneficiary").one()
    assert (entry.actor_id, entry.object_id) == (worker.id, person.id)


def test_record_shows_requests_of_the_person(client, world, login_as):
    login_as("social_worker")
    person = factories.make_beneficiary(world.station_a, name="孙大爷")
    r = factories.make_request(world.station_a, beneficiary_id=person.id)
    page = text(client.get(f"/station/ledger/{person.id}"))
    assert code_text(r.code) in page


def test_care_plan_sets_the_next_visit(client, world, login_as):
    login_as("social_worker")
    person = factories.make_beneficiary(world.station_a)
    bad = post(client, f"/station/ledger/{person.id}/plan", {"visit_interval_days": "0"})
    assert bad.status_code == 422
    assert (
        post(client, f"/station/ledger/{person.id}/plan", {"visit_interval_days": "14"}).status_code
        == 302
    )
    stored = db.session.get(Beneficiary, person.id)
    assert stored.visit_interval_days == 14
    assert stored.next_visit_due == ledger.local_today() + timedelta(days=14)


def test_a_visit_logs_the_welfare_check_and_moves_the_plan(client, world, login_as):
    worker = login_as("social_worker")
    person = factories.make_beneficiary(
        world.station_a, visit_interval_days=30, next_visit_due=date.today() - timedelta(days=3)
    )
    bad = post(
        client,
        f"/station/ledger/{person.id}/visit",
        {"living_conditions": ""},
        page=f"/station/ledger/{person.id}/visit",
    )
    assert bad.status_code == 422 and db.session.query(Visit).count() == 0
    page = f"/station/ledger/{person.id}/visit"
    response = client.post(
        page,
        data={
            **tokens(client, page),
            "living_conditions": "fair",
            "health": "good",
            "needs_found": "",
            "follow_up": "下月再访",
        },
    )
    assert response.status_code == 302
    visit = db.session.query(Visit).one()
    assert (visit.worker_id, visit.living_conditions, visit.follow_up) == (
        worker.id,
        "fair",
        "下月再访",
    )
    stored = db.session.get(Beneficiary, person.id)
    assert stored.next_visit_due == ledger.local_today() + timedelta(days=30)


def test_a_visit_can_open_a_request(client, world, login_as):
    login_as("social_worker")
    person = factories.make_beneficiary(world.station_a, world.village_a1, name="钱奶奶")
    page = f"/station/ledger/{person.id}/visit"
    response = client.post(
        page,
        data={
            **tokens(client, page),
            "living_conditions": "poor",
            "health": "needs_care",
            "needs_found": "膝盖痛，需要陪同去卫生院",
            "request_category": "medical_escort",
            "request_urgency": "urgent",
        },
    )
    assert response.status_code == 302
    r = db.session.query(HelpRequest).one()
    assert (r.channel, r.category, r.beneficiary_id, r.status) == (
        "visit",
        "medical_escort",
        person.id,
        "new",
    )
    assert r.station_id == world.station_a.id
    assert response.headers["Location"].endswith(f"/station/r/{r.id}")
    assert db.session.query(Visit).one().spawned_request_id == r.id


def test_visits_due_and_overdue_list(client, world, login_as):
    login_as("social_worker")
    late = factories.make_beneficiary(
        world.station_a, name="过期张", next_visit_due=date.today() - timedelta(days=5)
    )
    soon = factories.make_beneficiary(
        world.station_a, name="快到李", next_visit_due=date.today() + timedelta(days=3)
    )
    factories.make_beneficiary(
        world.station_a, name="远期王", next_visit_due=date.today() + timedelta(days=40)
    )
    factories.make_beneficiary(
        world.station_b, name="外站赵", next_visit_due=date.today() - timedelta(days=5)
    )
    page = text(client.get("/station/visits"))
    assert page.index(late.name) < page.index(soon.name)
    assert "远期王" not in page and "外站赵" not in page


def test_export_is_logged(client, world, login_as):
    worker = login_as("social_worker")
    factories.make_beneficiary(world.station_a, name="周阿姨")
    response = client.get("/station/ledger/export.csv")
    assert response.status_code == 200 and "周阿姨" in text(response)
    entry = audit_entries("export")[0]
    assert entry.actor_id == worker.id and entry.detail["rows"] == "1"


def test_station_b_cannot_open_or_change_station_a_people(client, world, login_as):
    login_as("social_worker", station=world.station_b)
    person = factories.make_beneficiary(world.station_a, name="吴奶奶")
    assert client.get(f"/station/ledger/{person.id}").status_code == 404
    assert client.get(f"/station/ledger/{person.id}/visit").status_code == 404
    assert (
        post(client, f"/station/ledger/{person.id}/plan", {"visit_interval_days": "7"}).status_code
        == 404
    )
    assert "吴奶奶" not in text(client.get("/station/ledger"))
    assert db.session.get(Beneficiary, person.id).visit_interval_days is None
    assert audit_entries("view_beneficiary") == []


def test_export_cells_never_run_as_spreadsheet_formulas(client, world, login_as):
    login_as("social_worker")
    factories.make_beneficiary(world.station_a, name='=HYPERLINK("http://x")')
    factories.make_beneficiary(world.station_a, name="@SUM(A1)")
    body = text(client.get("/station/ledger/export.csv"))
    assert "'=HYPERLINK" in body and "'@SUM(A1)" in body
    assert "\n=" not in body and "\n@" not in body
