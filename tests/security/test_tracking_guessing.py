"""The tracking page resists guessing: a wrong code and a right code with wrong digits look
exactly alike, the link page says nothing about whether a code exists, and look-ups are
rate-limited."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests import factories
from tests.security.conftest import sign_in, strip_csrf

WRONG_CODE = "XQ7WKMP"  # the tracking alphabet, never issued in these tests


def _track_rule(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == "public.track"]
    if not rules or "POST" not in rules[0].methods:
        pytest.fail("the tracking form is missing: it was built in issue 3")


def _field_names(html: str) -> tuple[str, str]:
    """The code and digits fields of the tracking form, as the page names them."""
    import re

    names = re.findall(r'<input[^>]*name="([^"]+)"', html)
    names = [n for n in names if n != "csrf_token"]
    code = next(n for n in names if "code" in n)
    digits = next(n for n in names if n != code and any(k in n for k in ("four", "digit", "4")))
    return code, digits


def _normalised(response, *typed: str) -> bytes:
    """The body with the per-session token and what the visitor typed taken out."""
    html = strip_csrf(response.get_data(as_text=True))
    for value in typed:
        html = html.replace(value, "«typed»")
    return html.encode()


@pytest.fixture
def tracked(app, world):
    request = factories.make_request(world.station_a, contact_phone="+8613912345678")
    db.session.commit()
    return request


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_wrong_code_and_wrong_digits_look_exactly_alike(app, client, tracked, htmx):
    _track_rule(app)
    token = sign_in(client, None)
    code_field, digits_field = _field_names(client.get("/track").get_data(as_text=True))
    headers = {"HX-Request": "true"} if htmx else {}
    wrong_code = client.post(
        "/track",
        data={code_field: WRONG_CODE, digits_field: "5678", "csrf_token": token},
        headers=headers,
    )
    wrong_digits = client.post(
        "/track",
        data={code_field: tracked.code, digits_field: "5679", "csrf_token": token},
        headers=headers,
    )
    assert (wrong_code.status_code, wrong_digits.status_code) == (422, 422)
    assert _normalised(wrong_code, WRONG_CODE) == _normalised(wrong_digits, tracked.code)
    assert {k: v for k, v in wrong_code.headers if k.lower().startswith("hx-")} == {
        k: v for k, v in wrong_digits.headers if k.lower().startswith("hx-")
    }
    # Right code and right digits open it: the comparison above was between two failures.
    right = client.post(
        "/track",
        data={code_field: tracked.code, digits_field: "5678", "csrf_token": token},
        headers=headers,
    )
    # htmx gets the status in place (and the URL to push); a plain form goes to it
    assert right.status_code == (200 if htmx else 303)
    assert tracked.description in client.get(f"/t/{tracked.code}").get_data(as_text=True)


def test_the_sms_link_says_nothing_about_whether_a_code_exists(app, client, tracked):
    _track_rule(app)
    sign_in(client, None)
    real = client.get(f"/t/{tracked.code}")
    fake = client.get(f"/t/{WRONG_CODE}")
    assert real.status_code == fake.status_code
    assert _normalised(real, tracked.code) == _normalised(fake, WRONG_CODE)
    assert tracked.description not in real.get_data(as_text=True)
    token = sign_in(client, None)
    for action in ("cancel", "confirm"):
        real = client.post(f"/t/{tracked.code}/{action}", data={"csrf_token": token})
        fake = client.post(f"/t/{WRONG_CODE}/{action}", data={"csrf_token": token})
        assert real.status_code == fake.status_code
        assert real.headers.get("Location", "").replace(tracked.code, "C") == fake.headers.get(
            "Location", ""
        ).replace(WRONG_CODE, "C")
    db.session.refresh(tracked)
    assert tracked.status == "new"  # nobody without the digits could cancel it


def test_look_ups_are_rate_limited(app, client, tracked):
    _track_rule(app)
    token = sign_in(client, None)
    code_field, digits_field = _field_names(client.get("/track").get_data(as_text=True))
    statuses = []
    for attempt in range(30):
        response = client.post(
            "/track",
            data={code_field: tracked.code, digits_field: f"{attempt:04d}", "csrf_token": token},
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses == [422] * 10 + [429]  # TRACK_LIMIT: 10 a minute
    # Once limited, even the right digits are refused: guessing cannot continue.
    right = client.post(
        "/track", data={code_field: tracked.code, digits_field: "5678", "csrf_token": token}
    )
    assert right.status_code == 429
    # Another visitor (another address) is not locked out by this one.
    other = client.post(
        "/track",
        data={code_field: tracked.code, digits_field: "5678", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other.status_code == 303  # to the request's status page


def test_password_guessing_is_rate_limited(app, client, world):
    user = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    token = sign_in(client, None)
    statuses = []
    for attempt in range(40):
        response = client.post(
            "/login",
            data={"login": user.username, "password": f"guess-{attempt}", "csrf_token": token},
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses == [422] * 20 + [429]  # sign-in: 20 a minute
    right = client.post(
        "/login",
        data={"login": user.username, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert right.status_code == 429  # the guesser cannot go on, even with the right one
