"""Proxy and hotline intake: a signed-in worker or village volunteer files for someone."""

from __future__ import annotations

from app.extensions import db
from app.models import HelpRequest, OutboxMessage, RequestEvent, VolunteerProfile
from app.services.codes import code_text
from tests import factories
from tests.conftest import csrf_token_from
from tests.public_support import HX, open_form, post_ask


def _proxy_data(world, **overrides):
    data = {
        "channel": "hotline",
        "contact_name": "张桂兰",
        "phone": "",
        "category": "medical_escort",
        "for_whom": "neighbour",
        "special_groups": ["elderly_alone"],
        "description": "下周二要去县医院复查，没人陪",
        "township": str(world.township_b.id),
        "village": str(world.village_b1.id),
        "consent_by": "本人",
        "consent_method": "spoken_phone",
        "consent": "y",
        "wanted_when": "asap",
    }
    data.update(overrides)
    return data  # None values are dropped by post_ask, after the defaults


def test_only_workers_and_volunteers_may_file_for_someone(client, world, login_as):
    response = client.get("/proxy")
    assert (response.status_code, response.headers["Location"]) == (302, "/login?next=%2Fproxy")
    login_as("county_supervisor")
    assert client.get("/proxy").status_code == 403


def test_a_social_worker_files_a_hotline_call_with_consent(client, world, login_as):
    worker = login_as("social_worker", station=world.station_b)
    html, _csrf, _token = open_form(client, "/proxy")
    assert "热线来电" in html and "谁表示同意" in html
    response = post_ask(client, world, path="/proxy", **_proxy_data(world))
    assert response.status_code == 303
    created = db.session.scalars(db.select(HelpRequest)).one()
    assert (created.channel, created.submitter_id) == ("hotline", worker.id)
    assert (created.consent, created.consent_by, created.consent_method) == (
        True,
        "本人",
        "spoken_phone",
    )
    assert created.contact_phone is None
    assert created.station_id == world.station_b.id
    assert created.special_groups == ["elderly_alone"]
    event = db.session.scalars(db.select(RequestEvent)).one()
    assert (event.actor_id, event.actor_label) == (worker.id, "hotline")
    assert db.session.scalars(db.select(OutboxMessage)).all() == []  # no phone, no SMS
    page = client.get("/ask/done").get_data(as_text=True)
    assert code_text(created.code) in page and "请记下这个编号交给本人" in page


def test_consent_must_be_recorded(client, world, login_as):
    login_as("social_worker", station=world.station_b)
    response = post_ask(
        client, world, path="/proxy", **_proxy_data(world, consent=None, consent_by="")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请先征得对方同意，再勾选。" in html
    assert "请写明是谁同意的" in html
    assert db.session.scalars(db.select(HelpRequest)).all() == []


def _approved_profile(user, station, status="approved"):
    db.session.add(
        VolunteerProfile(
            user_id=user.id,
            station_id=station.id,
            skills=["shopping"],
            availability=[],
            home_lat=station.lat,
            home_lon=station.lon,
            status=status,
        )
    )
    db.session.commit()


def test_a_village_volunteer_files_over_htmx_with_a_phone(client, world, login_as):
    volunteer = login_as("volunteer", station=world.station_a)
    _approved_profile(volunteer, world.station_a)
    response = post_ask(
        client,
        world,
        path="/proxy",
        htmx=True,
        **_proxy_data(world, channel="proxy", phone="139 0013 9000"),
    )
    assert response.headers["HX-Redirect"] == "/ask/done"
    created = db.session.scalars(db.select(HelpRequest)).one()
    assert (created.channel, created.submitter_id) == ("proxy", volunteer.id)
    assert created.contact_phone == "+8613900139000"
    assert db.session.scalars(db.select(OutboxMessage)).one().to_phone == "+8613900139000"


def test_a_bad_phone_on_the_proxy_form_is_refused(client, world, login_as):
    login_as("social_worker", station=world.station_b)
    response = post_ask(client, world, path="/proxy", htmx=True, **_proxy_data(world, phone="555"))
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<form id="proxy-form"')


def test_a_ledger_person_of_a_visible_station_can_be_linked(client, world, login_as):
    person = factories.make_beneficiary(
        world.station_b, world.village_b1, name="王德福", special_groups=["disabled"]
    )
    hidden = factories.make_beneficiary(world.station_a, world.village_a1, name="外站的人")
    login_as("social_worker", station=world.station_b)
    html, _csrf, _token = open_form(client, "/proxy")
    assert "王德福" in html and "外站的人" not in html
    response = post_ask(
        client,
        world,
        path="/proxy",
        **_proxy_data(world, beneficiary=str(person.id), township="", village="", channel="visit"),
    )
    assert response.status_code == 303
    created = db.session.scalars(db.select(HelpRequest)).one()
    assert created.beneficiary_id == person.id
    assert created.village_id == world.village_b1.id
    assert set(created.special_groups) == {"elderly_alone", "disabled"}
    # Someone else's ledger is out of reach.
    response = post_ask(
        client, world, path="/proxy", **_proxy_data(world, beneficiary=str(hidden.id))
    )
    assert response.status_code == 403
    assert len(db.session.scalars(db.select(HelpRequest)).all()) == 1


def test_the_phone_check_knows_the_proxy_phone_is_optional(client, world, login_as):
    login_as("social_worker", station=world.station_b)
    html, csrf, _token = open_form(client, "/proxy")
    assert 'name="phone_optional" value="1"' in html
    response = client.post(
        "/ask/phone", data={"phone": "", "phone_optional": "1"}, headers={**HX, "X-CSRFToken": csrf}
    )
    assert response.status_code == 200
    assert "has-error" not in response.get_data(as_text=True)


def test_the_navigation_leads_workers_and_volunteers_to_the_proxy_form(client, world, login_as):
    volunteer = login_as("volunteer", station=world.station_a)
    assert 'href="/proxy"' not in client.get("/").get_data(as_text=True)  # not approved yet
    _approved_profile(volunteer, world.station_a)
    assert 'href="/proxy"' in client.get("/").get_data(as_text=True)
    login_as("social_worker")
    assert 'href="/proxy"' in client.get("/").get_data(as_text=True)


def test_an_unapproved_volunteer_may_not_file_for_someone(client, world, login_as):
    pending = login_as("volunteer", station=world.station_a)
    _approved_profile(pending, world.station_a, status="pending")
    page = client.get("/proxy")
    assert page.status_code == 403
    token = csrf_token_from(client.get("/ask").get_data(as_text=True))
    data = {**_proxy_data(world, channel="proxy"), "csrf_token": token}
    response = client.post("/proxy", data=data)
    assert response.status_code == 403
    login_as("volunteer", station=world.station_a)  # no volunteer profile at all
    assert client.get("/proxy").status_code == 403
    assert db.session.scalars(db.select(HelpRequest)).all() == []


def test_filing_for_someone_is_rate_limited(client, world, login_as):
    login_as("social_worker", station=world.station_b)
    html, csrf, token = open_form(client, "/proxy")
    data = {"csrf_token": csrf, "form_token": token, "phone": "bad"}
    codes = [client.post("/proxy", data=data).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429
