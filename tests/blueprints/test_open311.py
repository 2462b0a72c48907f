"""Open311 GeoReport v2 (issue 19): every endpoint in JSON and XML, every error, requests
filed through the API going the way of every request, and what a reader never sees."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, HelpRequest, OutboxMessage, RequestEvent
from app.models.vocab import RESIDENT_CATEGORIES
from tests import factories
from tests.open311_support import FORMATS, make_key, read

V2 = "/open311/v2"


def _post(client, fmt, secret, **fields):
    data = {"api_key": secret, "service_code": "shopping", "lat": "34.766", "long": "113.606"}
    data.update(fields)
    return client.post(f"{V2}/requests.{fmt}", data=data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_both_formats(client, world, fmt):
    response = client.get(f"{V2}/discovery.{fmt}")
    assert response.status_code == 200
    assert response.mimetype == ("application/json" if fmt == "json" else "text/xml")
    data = read(response, fmt)
    endpoint = data["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2")
    assert "GeoReport_v2" in endpoint["specification"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_resident_categories_with_metadata(client, world, fmt):
    services = read(client.get(f"{V2}/services.{fmt}"), fmt)
    assert [s["service_code"] for s in services] == list(RESIDENT_CATEGORIES)
    assert all(str(s["metadata"]).lower() == "true" for s in services)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_who_it_is_for_and_the_wanted_time(client, world, fmt):
    definition = read(client.get(f"{V2}/services/meal_delivery.{fmt}"), fmt)
    codes = [a["code"] for a in definition["attributes"]]
    assert {"for_whom", "special_groups", "wanted_at", "village_code"} <= set(codes)
    groups = next(a for a in definition["attributes"] if a["code"] == "special_groups")
    assert groups["datatype"] == "multivaluelist"
    assert {"key": "left_behind_child"}.items() <= groups["values"][0].items()


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_is_the_county_or_township_code(client, world, fmt):
    assert client.get(f"{V2}/services.{fmt}?jurisdiction_id={world.county.code}").status_code == 200
    other = factories.make_request(world.station_b, village=world.village_b1)
    mine = factories.make_request(world.station_a, village=world.village_a2)
    found = read(client.get(f"{V2}/requests.{fmt}?jurisdiction_id={world.township_a.code}"), fmt)
    ids = [r["service_request_id"] for r in found]
    assert str(mine.id) in ids and str(other.id) not in ids
    response = client.get(f"{V2}/services.{fmt}?jurisdiction_id={world.village_a1.code}")
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_files_a_request_through_intake_with_channel_api(client, world, fmt):
    secret, key = make_key(world.station_a)
    response = _post(
        client,
        fmt,
        secret,
        description="帮老人买米",
        phone="13800138000",
        first_name="三",
        last_name="张",
        **{
            "attribute[for_whom]": "family",
            "attribute[special_groups][]": ["elderly_alone", "disabled"],
            "attribute[wanted_at]": "2026-12-01T09:00:00+08:00",
            "attribute[village_code]": world.village_a1.code,
        },
    )
    assert response.status_code == 201
    answer = read(response, fmt)
    request_id = int(answer[0]["service_request_id"])
    filed = db.session.get(HelpRequest, request_id)
    assert filed.channel == "api"
    assert filed.station_id == world.room_a1.id  # routed by its village, like any other
    assert filed.contact_name == "张三" and filed.contact_phone == "+8613800138000"
    assert filed.for_whom == "family"
    assert filed.special_groups == ["elderly_alone", "disabled"]
    assert filed.wanted_at.isoformat() == "2026-12-01T01:00:00"
    assert filed.submitter_id == key.created_by_id
    created = db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == filed.id)
    ).first()
    assert created.actor_id == key.created_by_id and key.created_by.name in created.note


def test_a_request_filed_by_api_is_in_the_workers_queue_and_its_sms_go_out(client, world, login_as):
    from app.jobs import sms

    secret, _key = make_key(world.station_a)
    response = _post(client, "json", secret, phone="13800138000", description="买米")
    request_id = int(response.get_json()[0]["service_request_id"])
    filed = db.session.get(HelpRequest, request_id)
    login_as("social_worker", station=world.station_a)
    from app.services.codes import code_text

    assert code_text(filed.code) in client.get("/station/").get_data(as_text=True)
    texts = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.request_id == request_id)
    ).all()
    assert [t.to_phone for t in texts] == ["+8613800138000"]
    assert sms.dispatch_pending() >= 1
    db.session.expire_all()
    assert db.session.get(OutboxMessage, texts[0].id).status == "sent"


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters(client, world, fmt):
    shopping = factories.make_request(world.station_a, category="shopping")
    cleaning = factories.make_request(world.station_a, category="cleaning", status="closed")
    from datetime import timedelta

    old = factories.make_request(world.station_a, created_ago=timedelta(days=120))

    def ids(query: str) -> set[str]:
        response = client.get(f"{V2}/requests.{fmt}?{query}")
        assert response.status_code == 200
        return {r["service_request_id"] for r in read(response, fmt)}

    assert ids("") == {str(shopping.id), str(cleaning.id)}  # the last 90 days
    assert ids("service_code=cleaning") == {str(cleaning.id)}
    assert ids("status=closed") == {str(cleaning.id)}
    assert ids("status=open") == {str(shopping.id)}
    assert ids(f"service_request_id={old.id},{shopping.id}") == {str(old.id), str(shopping.id)}
    start = (old.created_at - timedelta(days=1)).isoformat() + "Z"
    end = (old.created_at + timedelta(days=1)).isoformat() + "Z"
    assert ids(f"start_date={start}&end_date={end}") == {str(old.id)}
    assert ids("start_date=2000-01-01T00:00:00Z&end_date=2000-01-02T00:00:00Z") == set()


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_and_its_token(client, world, fmt):
    request = factories.make_request(world.station_a, status="closed")
    data = read(client.get(f"{V2}/requests/{request.id}.{fmt}"), fmt)
    one = data[0]
    assert one["status"] == "closed"
    assert one["agency_responsible"] == world.station_a.name
    token = read(client.get(f"{V2}/tokens/{request.id}.{fmt}"), fmt)
    assert token[0]["service_request_id"] == str(request.id)


ERRORS_400 = [
    "status=maybe",
    "start_date=yesterday",
    "service_code=no_such_thing",
    "service_request_id=abc",
    "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",  # over 90 days
    "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", ERRORS_400)
def test_bad_filters_are_400_in_the_specifications_form(client, world, fmt, query):
    response = client.get(f"{V2}/requests.{fmt}?{query}")
    assert response.status_code == 400
    error = read(response, fmt)[0]
    assert str(error["code"]) == "400" and error["description"]


POST_400 = [
    {"service_code": "crisis_intervention"},  # not a resident's service
    {"service_code": ""},
    {"lat": "", "long": ""},
    {"lat": "north", "long": "113"},
    {"lat": "95", "long": "113"},
    {"phone": "12"},
    {"attribute[for_whom]": "the cat"},
    {"attribute[special_groups][]": "astronauts"},
    {"attribute[wanted_at]": "soon"},
    {"attribute[village_code]": "999999999999"},
    {"media_url": "javascript:alert(1)"},
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fields", POST_400)
def test_bad_posts_are_400_and_file_nothing(client, world, fmt, fields):
    secret, _key = make_key(world.station_a)
    response = _post(client, fmt, secret, **fields)
    assert response.status_code == 400, response.data
    assert db.session.scalar(select(HelpRequest.id)) is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_keys_are_403(client, world, fmt):
    secret, key = make_key(world.station_a)
    assert _post(client, fmt, "").status_code == 403
    assert _post(client, fmt, "lk_not-a-key").status_code == 403
    assert _post(client, fmt, secret + "x").status_code == 403
    db.session.get(ApiKey, key.id).revoked_at = factories.utcnow()
    db.session.commit()
    response = _post(client, fmt, secret)
    assert response.status_code == 403
    assert db.session.scalar(select(HelpRequest.id)) is None


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "path",
    [
        "requests/424242",
        "requests/abc",
        "tokens/424242",
        "services/no_such_service",
        "services/crisis_intervention",
        "no/such/endpoint",
    ],
)
def test_unknown_ids_are_404(client, world, fmt, path):
    response = client.get(f"{V2}/{path}.{fmt}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "404" in body and "<html" not in body


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_address_posted_to_is_404_in_the_apis_form(client, world, fmt):
    """No route of its own: the app's error handler answers under /open311/ (and no CSRF
    page, though the post carries no token)."""
    response = client.post(f"{V2}/no/such/endpoint.{fmt}", data={"api_key": "x"})
    assert response.status_code == 404
    assert read(response, fmt)[0]["code"] in (404, "404")
    assert "<html" not in response.get_data(as_text=True)


def test_api_answers_set_no_cookie_and_post_needs_no_csrf_token(client, world, app):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on: the API post is exempt
    secret, _key = make_key(world.station_a)
    for response in (
        client.get(f"{V2}/services.json"),
        client.get(f"{V2}/requests.xml"),
        client.get("/api/v1/figures"),
        _post(client, "json", secret),
        _post(client, "xml", "wrong"),
    ):
        assert "Set-Cookie" not in response.headers
    assert _post(client, "json", secret).status_code == 201


def test_rate_limit_counts_per_key(client, world, app, monkeypatch):
    from app.extensions import limiter

    monkeypatch.setitem(app.config, "OPEN311_WRITE_LIMIT", "2/minute")
    if not limiter.enabled:
        pytest.skip("rate limits are off in this run")
    first, _a = make_key(world.station_a, "A")
    second, _b = make_key(world.station_a, "B")
    assert [_post(client, "json", first).status_code for _ in range(2)] == [201, 201]
    refused = _post(client, "xml", first)
    assert refused.status_code == 429 and b"<errors>" in refused.data
    assert _post(client, "json", second).status_code == 201  # another key: its own count


def test_xml_escapes_what_people_type_and_drops_what_xml_cannot_hold(client, world):
    request = factories.make_request(
        world.station_a, description='<b>买菜</b> & "药" \x01\x0b 完', contact_name=""
    )
    secret, _key = make_key(world.station_a)  # only the serving station reads the words
    response = client.get(f"{V2}/requests/{request.id}.xml", headers={"X-Api-Key": secret})
    assert b"<b>" not in response.data
    assert read(response, "xml")[0]["description"] == '<b>买菜</b> & "药"  完'


def test_made_up_keys_buy_no_more_calls_from_one_address(client, world, app, monkeypatch):
    from app.extensions import limiter

    monkeypatch.setitem(app.config, "OPEN311_ADDRESS_LIMIT", "3/minute")
    if not limiter.enabled:
        pytest.skip("rate limits are off in this run")
    codes = [_post(client, "json", f"lk_made-up-{n}").status_code for n in range(4)]
    assert codes == [403, 403, 403, 429]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_address_alone_goes_to_the_county_centre_and_is_never_read_back(client, world, fmt):
    secret, _key = make_key(world.station_a)
    response = _post(client, fmt, secret, lat="", long="", address_string="幸福路 12 号 3 楼")
    assert response.status_code == 201
    filed = db.session.scalars(select(HelpRequest)).one()
    assert filed.station_id == world.county_centre.id  # offline: no geocoder, no village
    assert filed.address == "幸福路 12 号 3 楼"
    shown = client.get(f"{V2}/requests/{filed.id}.{fmt}").get_data(as_text=True)
    assert "幸福路" not in shown


def test_a_photo_link_is_kept_for_the_station_only(client, world):
    secret, _key = make_key(world.station_a)
    url = "https://photos.example.org/a.jpg"
    response = _post(client, "json", secret, media_url=url)
    request_id = response.get_json()[0]["service_request_id"]
    notes = db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == int(request_id))
    ).all()
    assert [(e.action, e.public) for e in notes if url in e.note] == [("note", False)]
    assert url not in client.get(f"{V2}/requests/{request_id}.json").get_data(as_text=True)
    timeline = client.get(f"/api/v1/requests/{request_id}/timeline").get_json()
    assert [step["action"] for step in timeline["steps"]] == ["created"]
