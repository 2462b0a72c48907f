"""CSRF on every form: a POST without a valid token is refused with 400 and stores nothing.

Every POST rule in ``app.url_map`` is tried, as a persona the matrix allows to use it (so
the refusal comes from the missing token, not from a role check). The Twilio webhooks
carry no token; they must refuse unsigned and forged posts with 403 instead, and so must
Open311's POST without its api_key, whoever's browser sends it.
"""

from __future__ import annotations

import pytest

from tests.security.access_table import ALLOWED, MATRIX
from tests.security.conftest import (
    PERSONAS,
    Unfillable,
    app_rules,
    build_url,
    is_key_authenticated,
    is_signed_webhook,
    persona_user,
    row_counts,
    sign_in,
)

# Plausible values for the usual field names, so a route that forgot CSRF would store
# something we can count.
FORM = {
    "category": "shopping",
    "description": "买菜",
    "for_whom": "self",
    "urgency": "normal",
    "contact_phone": "13800138000",
    "phone": "13800138000",
    "name": "张三",
    "consent": "y",
    "village_id": "1",
    "township_id": "1",
    "code": "K7MQ3XC",
    "digits": "8000",
    "last4": "8000",
    "login": "someone",
    "password": "demo-pass-123",
    "note": "note",
    "reason": "reason",
    "outcome": "done",
    "hours": "1",
    "rating": "5",
    "comment": "ok",
}


def _persona_for(rule) -> str:
    access = MATRIX.get((rule.endpoint, "POST"))
    if access is None:
        return "social_worker"
    for persona in PERSONAS:
        if access.expected(persona) == ALLOWED:
            return persona
    return "social_worker"


def test_every_post_without_a_token_is_refused_and_stores_nothing(app, client, cast):
    problems: list[str] = []
    checked = 0
    for rule in app_rules(app, "POST"):
        if is_signed_webhook(rule) or is_key_authenticated(rule):
            continue  # their own checks: below
        try:
            url = build_url(rule, cast)
        except Unfillable as error:
            problems.append(f"cannot fill {error}")
            continue
        persona = _persona_for(rule)
        before = row_counts()
        for label, extra, headers in (
            ("no token", {}, {}),
            ("a forged token", {"csrf_token": "forged.token.value"}, {}),
            ("a forged htmx header", {}, {"X-CSRFToken": "forged", "HX-Request": "true"}),
        ):
            sign_in(client, persona_user(cast, persona))
            try:
                response = client.post(url, data={**FORM, **extra}, headers=headers)
                status = response.status_code
            except Exception as error:  # the app re-raises in testing
                status = f"exception {type(error).__name__}: {error}"
            if status != 400:
                problems.append(f"POST {url} as {persona} with {label}: {status}, not 400")
        after = row_counts()
        if after != before:
            changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
            problems.append(f"POST {url} without a valid token changed rows: {changed}")
        checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 2, "expected at least the sign-in and sign-out forms"


def test_a_valid_token_is_accepted_so_the_check_above_means_something(app, client, cast):
    """The sign-out form with the session's token works (the 400s above are the token's)."""
    token = sign_in(client, cast.users["social_worker"])
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/station/").status_code == 302


def test_htmx_sends_the_token_in_a_header_and_it_is_accepted(app, client, cast):
    """base.html puts the token in hx-headers; the header alone must satisfy the check."""
    import re

    sign_in(client, cast.users["social_worker"], csrf=False)
    page = client.get("/station/").get_data(as_text=True)
    # The token of hx-headers itself: each token on a page is masked afresh (app/web/csrf_mask.py)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302  # signed out: the token in the header was enough
    assert client.get("/station/").status_code == 302


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
def test_twilio_webhooks_refuse_unsigned_and_forged_posts(app, client, cast, path):
    rules = [r for r in app.url_map.iter_rules() if r.rule == path and "POST" in r.methods]
    if not rules:
        pytest.fail(f"{path} is missing: it was built in issue 6")
    app.config["TWILIO_AUTH_TOKEN"], saved = "test-auth-token", app.config["TWILIO_AUTH_TOKEN"]
    try:
        form = {
            "From": "+8613800138000",
            "To": "+8610690000",
            "Body": "帮帮我 我需要买药",
            "MessageSid": "SM" + "1" * 32,
            "MessageStatus": "delivered",
            "AccountSid": "AC" + "2" * 32,
        }
        before = row_counts()
        unsigned = client.post(path, data=form)
        forged = client.post(path, data=form, headers={"X-Twilio-Signature": "bm9wZQ=="})
        assert unsigned.status_code == 403, unsigned.status_code
        assert forged.status_code == 403, forged.status_code
        assert row_counts() == before, "a refused webhook post stored something"
    finally:
        app.config["TWILIO_AUTH_TOKEN"] = saved


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/open311/v2/requests.xml"])
def test_open311_post_needs_its_key_not_a_session(app, client, cast, path):
    """A page elsewhere making a signed-in admin's browser post here files nothing: the
    API takes no session, only a key, which that page does not have."""
    before = row_counts()
    sign_in(client, cast.users["station_admin"])
    form = {**FORM, "service_code": "shopping", "lat": "34.76", "long": "113.6"}
    for extra in ({}, {"csrf_token": "forged.token.value"}, {"api_key": "lk_guessed"}):
        assert client.post(path, data={**form, **extra}).status_code == 403
    assert row_counts() == before, "a post without its key stored something"
