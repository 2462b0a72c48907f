"""Ask for help over HTTP: the plain form and the htmx path, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import FormToken, OutboxMessage
from app.services import geo
from app.services.codes import code_text
from tests import factories
from tests.public_support import (  # noqa: F401 (fixtures)
    HX,
    PHONE_E164,
    ask_data,
    fake_geocoder,
    fake_geocoder_server,
    geocoder_config,
    open_form,
    post_ask,
    requests_in_db,
)


def test_the_form_is_in_chinese_with_every_step(client, world):
    html, _csrf, token = open_form(client)
    for text in (
        "求助",
        "帮忙买东西",
        "送饭上门",
        "为谁求助",
        "110",
        "120",
        "乡镇",
        "联系电话",
        "隐私",
    ):
        assert text in html, text
    assert world.township_a.name in html
    assert len(token) >= 30
    assert 'hx-get="/ask/villages"' in html
    assert 'hx-post="/ask/phone"' in html


def test_a_plain_form_post_creates_the_request_and_shows_the_code(client, world):
    response = post_ask(client, world)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/ask/done")
    [created] = requests_in_db()
    assert created.status == "new"
    assert created.station_id == world.room_a1.id
    assert created.contact_phone == PHONE_E164
    assert created.consent is True
    assert created.channel == "web"
    page = client.get("/ask/done").get_data(as_text=True)
    assert f'class="code-big" id="tracking-code">{code_text(created.code)}<' in page
    assert f"/t/{created.code}" in page
    assert "8000" in page  # the phone's last digits, where the SMS goes
    sms = db.session.scalars(db.select(OutboxMessage)).one()
    assert sms.template == "request_received"
    assert code_text(created.code) in sms.body and "http" not in sms.body


def test_the_htmx_post_is_told_where_to_go(client, world):
    response = post_ask(client, world, htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/ask/done"
    assert len(requests_in_db()) == 1


def test_a_bad_phone_is_refused_next_to_the_field(client, world):
    response = post_ask(client, world, phone="12345")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html
    assert 'id="field-phone"' in html and "手机号码" in html
    assert "138 0013 8000" in html
    assert requests_in_db() == []


def test_a_bad_phone_over_htmx_gets_the_form_fragment(client, world):
    response = post_ask(client, world, htmx=True, phone="abc")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<form id="ask-form"')
    assert "has-error" in html
    assert requests_in_db() == []


def test_a_missing_place_is_refused(client, world):
    for htmx in (False, True):
        response = post_ask(client, world, htmx=htmx, township="", village="", address="")
        assert response.status_code == 422
        assert "请告诉我们地点" in response.get_data(as_text=True)
    assert requests_in_db() == []


def test_missing_category_and_consent_are_refused(client, world):
    response = post_ask(client, world, category=None, consent=None)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请选择需要哪方面的帮助" in html
    assert "请勾选" in html
    assert requests_in_db() == []


def test_a_double_submit_makes_one_request(client, world):
    html, csrf, token = open_form(client)
    data = {**ask_data(world), "csrf_token": csrf, "form_token": token}
    first = client.post("/ask", data=data)
    second = client.post("/ask", data=data)
    third = client.post("/ask", data=data, headers=HX)
    assert first.status_code == second.status_code == 303
    assert third.headers["HX-Redirect"] == "/ask/done"
    [created] = requests_in_db()
    assert db.session.scalars(db.select(FormToken)).one().request_id == created.id
    assert code_text(created.code) in client.get("/ask/done").get_data(as_text=True)
    assert len(db.session.scalars(db.select(OutboxMessage)).all()) == 1


def test_the_same_phone_and_category_within_a_day_asks_whether_it_is_new(client, world):
    # Asked only of the browser that filed the earlier request (issue 13): a stranger
    # typing the phone learns nothing (tests/blueprints/test_public_duplicates.py).
    assert post_ask(client, world).status_code == 303
    response = post_ask(client, world)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "您已经提交过" in html
    assert 'name="confirm_new"' in html
    assert len(requests_in_db()) == 1

    # Another category is a new request without asking.
    assert post_ask(client, world, category="cleaning").status_code == 303
    # Ticking "this is new" sends it anyway.
    response = post_ask(client, world, htmx=True, duplicate_seen="1", confirm_new="y")
    assert response.headers["HX-Redirect"] == "/ask/done"
    assert len(requests_in_db()) == 3


def test_an_old_or_closed_request_does_not_count_as_a_duplicate(client, world):
    factories.make_request(
        world.station_a,
        contact_phone=PHONE_E164,
        category="shopping",
        created_ago=timedelta(hours=30),
    )
    factories.make_request(world.station_a, contact_phone=PHONE_E164, status="closed")
    assert post_ask(client, world).status_code == 303


def test_the_description_is_shown_escaped(client, world):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    post_ask(client, world, description=payload)
    [created] = requests_in_db()
    assert created.description == payload  # stored as text
    page = client.get("/ask/done").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    status = client.get(f"/t/{created.code}").get_data(as_text=True)
    assert "<script>alert" not in status and "&lt;img src=x" in status


def test_gps_coordinates_route_to_the_nearest_station(client, world):
    response = post_ask(client, world, township="", village="", lat="34.8995", lon="113.8002")
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.station_id == world.station_b.id
    assert (created.lat, created.lon, created.location_source) == (34.8995, 113.8002, "gps")


def test_an_address_alone_is_accepted_and_goes_to_the_county_centre(client, world):
    # The geocoder is off by default: a worker at the county centre reads the address.
    assert (
        post_ask(client, world, township="", village="", address="河口村渡口边").status_code == 303
    )
    [created] = requests_in_db()
    assert created.station_id == world.county_centre.id
    assert created.address == "河口村渡口边"


def test_a_chosen_time_is_stored_in_utc(client, world):
    from app.models.base import utcnow

    day = (utcnow() + timedelta(hours=8) + timedelta(days=10)).date()  # Asia/Shanghai
    response = post_ask(client, world, wanted_when="later", wanted_at=f"{day}T09:30")
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.wanted_at.isoformat() == f"{day}T01:30:00"
    response = post_ask(client, world, wanted_when="later", wanted_at="", category="cleaning")
    assert response.status_code == 422
    assert "请选择日期和时间" in response.get_data(as_text=True)


def test_villages_of_a_township_come_as_a_fragment(client, world):
    response = client.get(f"/ask/villages?township={world.township_a.id}", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="village-field">')
    assert world.village_a1.name in html and world.village_a2.name in html
    assert world.village_b1.name not in html
    assert "<option" in client.get("/ask/villages?township=nonsense").get_data(as_text=True)


def test_without_javascript_a_button_reloads_the_villages(client, world):
    html, csrf, token = open_form(client)
    response = client.post(
        "/ask",
        data={
            "csrf_token": csrf,
            "form_token": token,
            "township": str(world.township_b.id),
            "step": "villages",
            "description": "留着我写的字",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert world.village_b1.name in page and world.village_a1.name not in page
    assert "留着我写的字" in page
    assert "has-error" not in page
    assert requests_in_db() == []


def test_the_phone_is_checked_inline(client, world):
    html, csrf, _token = open_form(client)
    bad = client.post("/ask/phone", data={"phone": "1380013"}, headers={**HX, "X-CSRFToken": csrf})
    assert bad.status_code == 422
    assert bad.get_data(as_text=True).lstrip().startswith('<div id="phone-field">')
    assert "has-error" in bad.get_data(as_text=True)
    good = client.post(
        "/ask/phone", data={"phone": "138 0013 8000"}, headers={**HX, "X-CSRFToken": csrf}
    )
    assert good.status_code == 200
    assert "号码看起来没问题" in good.get_data(as_text=True)
    # The CSRF check applies here too.
    assert client.post("/ask/phone", data={"phone": "13800138000"}).status_code == 400


def test_asking_is_rate_limited(client, world):
    html, csrf, token = open_form(client)
    data = {"csrf_token": csrf, "form_token": token, "phone": "bad"}
    codes = [client.post("/ask", data=data).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429
    assert "请等一分钟再试" in client.post("/ask", data=data).get_data(as_text=True)


def _statements_of_one_post(client, world, **overrides) -> list[str]:
    _html, csrf, token = open_form(client)
    data = {**ask_data(world, **overrides), "csrf_token": csrf, "form_token": token}
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.commit()
        response = client.post("/ask", data=data)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 303
    return statements


def test_the_intake_post_takes_a_handful_of_statements(client, world):
    statements = _statements_of_one_post(client, world)
    # One read: the village with the stations that may serve it. The duplicate check is
    # in the request's INSERT; the token and the tracking code are not read first (their
    # unique keys refuse a spent one). Then the request, its event, the SMS and the token.
    assert statements.count("SELECT") <= 1, statements
    assert len(statements) <= 5, statements


def test_the_next_resident_of_the_village_is_filed_in_one_statement(app, client, world):
    """The village's route is kept per process (app/services/geo.py): nothing is read. On
    PostgreSQL the request, its event, the SMS and the token are one INSERT statement (the
    companions are data-modifying CTEs: app/services/intake_rows.py); SQLite has no such
    CTEs and takes four INSERTs."""
    assert post_ask(client, world).status_code == 303
    statements = _statements_of_one_post(app.test_client(), world, phone="13900139000")
    if db.engine.dialect.name == "postgresql":
        assert statements == ["WITH"], statements
    else:
        assert statements == ["INSERT"] * 4, statements


def test_a_browser_that_filed_before_adds_one_read(client, world):
    client.post("/ask", data={**ask_data(world, category="meal_delivery"), **_form(client)})
    statements = _statements_of_one_post(client, world)
    assert statements.count("SELECT") <= 2, statements  # and its own open requests
    assert len(statements) <= 6, statements


def _form(client) -> dict:
    _html, csrf, token = open_form(client)
    return {"csrf_token": csrf, "form_token": token}


def test_no_round_trip_checks_a_pooled_connection(app, client, world, monkeypatch):
    """PostgreSQL: no ``SELECT 1`` pre-ping before a request's first statement (a pooled
    connection the server closed is found by polling its socket: tests/faults)."""
    pings = []
    dialect = db.engine.dialect
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(conn) or True)
    monkeypatch.setattr(dialect, "_do_ping_w_event", lambda conn: pings.append(conn) or True)
    assert post_ask(client, world).status_code == 303
    if dialect.name == "postgresql":
        assert pings == []
        assert app.config["LINLI_CHECK_POOLED_CONNECTIONS"]


def test_a_double_tap_sent_before_the_first_answer_files_once(client, world):
    """The second post carries the cookie from before the first answer: it is not known
    as filed here, so its insert of the spent token is what refuses it."""
    data = {**ask_data(world), **_form(client)}
    before = client.get_cookie("session").value
    first = client.post("/ask", data=data)
    client.set_cookie("session", before)
    second = client.post("/ask", data=data)
    assert first.status_code == second.status_code == 303
    [created] = requests_in_db()
    assert db.session.scalars(db.select(FormToken)).one().request_id == created.id
    assert len(db.session.scalars(db.select(OutboxMessage)).all()) == 1
    assert code_text(created.code) in client.get("/ask/done").get_data(as_text=True)


def test_wtforms_messages_are_read_from_disk_once_per_language(client, world, monkeypatch):
    from babel import support

    from app.blueprints.public import forms

    forms._wtforms_translations.cache_clear()
    loads = []
    real_load = support.Translations.load

    def counted(*args, **kwargs):
        loads.append(kwargs.get("domain"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted)
    for _ in range(3):
        post_ask(client, world, wanted_when="later", wanted_at="not-a-time")
    assert loads.count("wtforms") == 1


def test_wtforms_own_messages_follow_the_page_language(client, world):
    response = post_ask(client, world, wanted_when="later", wanted_at="not-a-time")
    assert response.status_code == 422
    assert "不是有效的日期与时间值" in response.get_data(as_text=True)
    client.get("/lang/en")
    response = post_ask(client, world, wanted_when="later", wanted_at="not-a-time")
    assert "Not a valid datetime value." in response.get_data(as_text=True)


def test_english_after_the_footer_switch(client, world):
    client.get("/lang/en")
    html, _csrf, _token = open_form(client)
    assert "What do you need?" in html and "Send my request" in html
    response = post_ask(client, world, phone="12")
    assert "This phone number is not valid. Check the digits, e.g. 138 0013 8000." in (
        response.get_data(as_text=True)
    )


def test_an_address_is_geocoded_through_baidu_and_stored_in_wgs84(
    app,
    client,
    world,
    fake_geocoder,  # noqa: F811 (fixture imported from tests.public_support)
):
    fake_geocoder.add("河口村渡口边", 34.9123, 113.8111)
    with geocoder_config(app, fake_geocoder, "baidu"):
        response = post_ask(client, world, township="", village="", address="河口村渡口边")
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.location_source == "geocoder"
    assert geo.distance_km(34.9123, 113.8111, created.lat, created.lon) < 0.00001
    assert created.station_id == world.station_b.id
    assert fake_geocoder.requests[-1][0] == "/geocoding/v3/"


def test_tampered_tokens_and_ids_get_a_clear_answer_not_an_error(client, world):
    response = post_ask(client, world, token="x" * 500)
    assert response.status_code == 303
    assert len(requests_in_db()) == 1
    response = post_ask(
        client,
        world,
        category="cleaning",
        township="9" * 30,
        village="9" * 30,
        lat="nan",
        lon="1e999",
    )
    assert response.status_code == 422
    assert "请告诉我们地点" in response.get_data(as_text=True)
    assert client.get("/ask/villages?township=" + "9" * 30).status_code == 200
    assert len(requests_in_db()) == 1


def test_nul_characters_get_a_clear_answer_not_an_error(client, world):
    response = post_ask(client, world, description="买\x00米")
    assert response.status_code == 400
    assert "请求有误" in response.get_data(as_text=True)
    assert requests_in_db() == []


@pytest.mark.parametrize("foreign", ["+1 202 555 0100", "+44 7911 123456", "+852 5123 4567"])
def test_a_foreign_number_is_refused_and_nothing_is_texted(client, world, foreign):
    """Stations serve mainland China: a number abroad only lets a stranger make us text
    (and pay for) numbers abroad."""
    response = post_ask(client, world, phone=foreign)
    assert response.status_code == 422
    assert "请填中国大陆的电话号码" in response.get_data(as_text=True)
    assert requests_in_db() == []
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("wanted_at", ["9999-12-31T23:59", "2020-01-01T09:00"])
def test_a_wanted_time_out_of_reach_is_refused_next_to_the_field(client, world, wanted_at):
    response = post_ask(client, world, wanted_when="later", wanted_at=wanted_at)
    assert response.status_code == 422
    assert "请选从现在起三个月以内的时间" in response.get_data(as_text=True)
    assert requests_in_db() == []


def test_a_point_outside_china_counts_as_no_place(client, world):
    """A location no station serves (0, 0 is in the Atlantic) is not a place to route by:
    without a village, the form asks where."""
    response = post_ask(client, world, lat="0", lon="0", township="", village="", address="")
    assert response.status_code == 422
    assert requests_in_db() == []
