"""What the outside review of Open311 and the JSON API found (issue 19), each fixed: public
reads without words or a finer place, the professional categories hidden, body and rate
limits, errors in the specification's form, the jurisdiction of a filing, the date window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import HelpRequest
from tests import factories
from tests.open311_support import FORMATS, make_key, read

V2 = "/open311/v2"


def _post(client, secret, **fields):
    data = {"api_key": secret, "service_code": "shopping", "lat": "34.766", "long": "113.606"}
    data.update(fields)
    return client.post(f"{V2}/requests.json", data=data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_reads_have_no_words_but_the_serving_stations_key_does(client, world, fmt):
    filed = factories.make_request(
        world.station_a,
        village=world.village_a1,
        description="住幸福村5组8号, 女儿李小红 电话一三八零零一三八零零零",
        lat=34.76789,
        lon=113.60123,
    )
    mine, _a = make_key(world.station_a)
    theirs, _b = make_key(world.station_b)
    centre = (round(world.village_a1.lat, 3), round(world.village_a1.lon, 3))
    for headers in ({}, {"X-Api-Key": theirs}):
        for url in (f"{V2}/requests.{fmt}", f"{V2}/requests/{filed.id}.{fmt}"):
            row = read(client.get(url, headers=headers), fmt)[0]
            assert row["description"] in ("", None)
            assert (float(row["lat"]), float(row["long"])) == centre
    row = read(client.get(f"{V2}/requests/{filed.id}.{fmt}?api_key={mine}"), fmt)[0]
    assert "李小红" in row["description"]
    row = read(client.get(f"{V2}/requests.{fmt}", headers={"X-Api-Key": mine}), fmt)[0]
    assert "李小红" in row["description"]


@pytest.mark.parametrize(
    "category", ["crisis_intervention", "emotional_support", "needs_assessment"]
)
def test_professional_categories_are_unknown_to_the_public(client, world, category):
    hidden = factories.make_request(world.station_a, village=world.village_a1, category=category)
    db.session.commit()
    theirs, _b = make_key(world.station_b)
    mine, _a = make_key(world.station_a)
    for query in ("", f"?api_key={theirs}"):
        ids = [r["service_request_id"] for r in client.get(f"{V2}/requests.json{query}").json]
        assert str(hidden.id) not in ids
        for url in (
            f"{V2}/requests/{hidden.id}.json",
            f"{V2}/tokens/{hidden.id}.json",
            f"/api/v1/requests/{hidden.id}/timeline",
        ):
            assert client.get(url + query).status_code == 404, url
    ids = [r["service_request_id"] for r in client.get(f"{V2}/requests.json?api_key={mine}").json]
    assert str(hidden.id) in ids
    assert client.get(f"{V2}/requests/{hidden.id}.json?api_key={mine}").status_code == 200


def test_a_large_body_is_refused_with_413_in_the_apis_form(client, world):
    secret, _key = make_key(world.station_a)
    body = f"api_key={secret}&service_code=shopping&lat=34.7&long=113.6&x=" + "a" * 2_000_000
    for fmt in FORMATS:
        response = client.post(
            f"{V2}/requests.{fmt}", data=body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 413
        assert read(response, fmt)[0]["code"] in (413, "413")
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0


def test_a_photo_sized_body_passes_the_web_limit_but_not_more(app, client):
    """The API's tighter limit is its own: a web form still takes a 5 MB photo, and a body
    over the app-wide limit is refused before any route reads it."""
    photo = 5 * 1024 * 1024
    assert app.config["API_MAX_CONTENT_LENGTH"] < photo <= app.config["MAX_CONTENT_LENGTH"]

    def post_login(size):
        return client.post(
            "/login",
            data=b"x=" + b"a" * size,
            content_type="application/x-www-form-urlencoded",
        )

    assert post_login(photo).status_code == 400  # read, and refused for its missing CSRF token
    assert post_login(app.config["MAX_CONTENT_LENGTH"] + 1).status_code == 413


@pytest.fixture
def limits_on(app, monkeypatch):
    from app.extensions import limiter

    if not limiter.enabled:
        pytest.skip("rate limits are off in this run")
    return lambda name, value: monkeypatch.setitem(app.config, name, value)


def test_made_up_keys_count_against_the_address(client, world, limits_on):
    limits_on("OPEN311_READ_LIMIT", "3/minute")
    codes = [client.get(f"{V2}/services.json?api_key=lk_fake{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_address_cap_is_shared_across_the_apis_endpoints(client, world, limits_on):
    limits_on("OPEN311_ADDRESS_LIMIT", "4/minute")
    urls = [f"{V2}/services.json", f"{V2}/discovery.json", "/api/v1/requests/1/timeline"]
    codes = [client.get(urls[n % 3]).status_code for n in range(5)]
    assert codes[-1] == 429 and 429 not in codes[:4]


def test_a_live_key_has_its_own_count(client, world, limits_on):
    limits_on("OPEN311_READ_LIMIT", "2/minute")
    secret, _key = make_key(world.station_a)
    assert [client.get(f"{V2}/services.json").status_code for _ in range(3)][-1] == 429
    headers = {"X-Api-Key": secret}
    assert client.get(f"{V2}/services.json", headers=headers).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_method_is_answered_in_the_apis_form(client, world, fmt):
    response = client.delete(f"{V2}/requests.{fmt}")
    assert response.status_code == 405
    assert read(response, fmt)[0]["description"] == "这个接口不接受该请求方法。"
    assert client.put("/api/v1/figures").mimetype == "application/json"


def test_an_unexpected_error_is_answered_in_the_apis_form(client, world, app, monkeypatch):
    from app.services import open311

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.config, "SHOW_ERROR_PAGES", True)
    monkeypatch.setattr(open311, "services", broken)
    response = client.get(f"{V2}/services.xml")
    assert response.status_code == 500 and response.mimetype == "text/xml"
    assert b"boom" not in response.data and b"<errors>" in response.data


def test_a_nul_byte_is_refused_in_the_apps_words(client, world):
    response = client.get(f"{V2}/requests.json?jurisdiction_id=41%00")
    assert response.status_code in (400, 404)
    assert all(ord(ch) > 127 or ch in " .0123456789%()" for ch in response.json[0]["description"])


def test_filing_outside_the_named_jurisdiction_is_refused(client, world):
    secret, _key = make_key(world.station_a)
    village_b = {"lat": "", "long": "", "attribute[village_code]": world.village_b1.code}
    refused = _post(client, secret, jurisdiction_id=world.township_a.code, **village_b)
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0
    fine = _post(client, secret, jurisdiction_id=world.township_b.code, **village_b)
    assert fine.status_code == 201


def test_start_date_alone_reads_90_days_from_it(client, world):
    old = factories.make_request(world.station_a, created_ago=timedelta(days=200))
    recent = factories.make_request(world.station_a, created_ago=timedelta(days=5))
    start = (old.created_at - timedelta(days=1)).date().isoformat()
    ids = [
        r["service_request_id"] for r in client.get(f"{V2}/requests.json?start_date={start}").json
    ]
    assert str(old.id) in ids and str(recent.id) not in ids


def test_the_filing_keys_maker_reads_what_it_filed_for_another_station(client, world):
    secret, _key = make_key(world.station_a)
    village_b = {"lat": "", "long": "", "attribute[village_code]": world.village_b1.code}
    filed = _post(client, secret, description="给王秀英买药", **village_b)
    request_id = filed.json[0]["service_request_id"]
    assert db.session.get(HelpRequest, int(request_id)).station_id == world.station_b.id
    url = f"{V2}/requests/{request_id}.json"
    assert client.get(url, headers={"X-Api-Key": secret}).json[0]["description"] == "给王秀英买药"
    another_admins, _other = make_key(world.station_a)
    assert client.get(f"{url}?api_key={another_admins}").json[0]["description"] == ""
    assert client.get(url).json[0]["description"] == ""
