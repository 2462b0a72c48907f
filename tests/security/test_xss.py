"""Stored XSS: payloads in every free-text field come out escaped on every page.

The samples (tests/security/conftest.py make_cast) are created with a payload in each
free-text field; then every GET route is rendered for each persona the matrix allows, as
a page and as its htmx fragment, and no raw payload may appear. The pages that must show
the text (tracking, console request, ledger record, volunteer task, SMS log) must show it
in its escaped form, so the check above is not passing because nothing was shown.
"""

from __future__ import annotations

import re
from html import escape

import pytest

from app.extensions import db
from tests.security.access_table import ALLOWED, MATRIX
from tests.security.conftest import (
    PERSONAS,
    Unfillable,
    app_rules,
    build_urls,
    make_cast,
    persona_user,
    sign_in,
)

# Every free-text field make_cast fills, with a payload that names it.
FIELDS = (
    "description",
    "address",
    "contact_name",
    "wanted_note",
    "consent_by",
    "outcome",
    "rating_comment",
    "note",
    "beneficiary_name",
    "beneficiary_address",
    "beneficiary_notes",
    "guardian_name",
    "guardian_relation",
    "volunteer_name",
    "leader_name",
    "team_name",
    "welfare_note",
    "needs_found",
    "follow_up",
    "sms_body",
    "activity_title",  # issue 18: on the public page too (the upcoming sample)
    "activity_place",
    "activity_description",
)
SHORT_FIELDS = {"guardian_relation"}  # String(32): the <script> payload alone


def payload(field: str) -> str:
    n = FIELDS.index(field) + 1
    script = f"<script>alert({n})</script>"
    if field in SHORT_FIELDS:
        return script
    return f'"><img src=x onerror=alert({n})>{script}'


def raw_markers(field: str) -> list[str]:
    """What must never appear unescaped: the tags themselves."""
    n = FIELDS.index(field) + 1
    markers = [f"<script>alert({n})</script>"]
    if field not in SHORT_FIELDS:
        markers.append(f"<img src=x onerror=alert({n})>")
    return markers


def escaped(field: str) -> str:
    """The script tag as Jinja escapes it."""
    n = FIELDS.index(field) + 1
    return escape(f"<script>alert({n})</script>", quote=True)


@pytest.fixture
def xss_cast(app, world):
    return make_cast(world, **{field: payload(field) for field in FIELDS})


def _unlock_tracking(client, cast) -> None:
    """This browser has looked up every sample request (as after code + digits)."""
    ids = [cast.obj(k).id for k in ("request", "request_done", "request_closed")]
    with client.session_transaction() as session:
        session["track_ids"] = ids


def _raw_hits(html: str) -> list[str]:
    return [f for f in FIELDS if any(m in html for m in raw_markers(f))]


def test_no_page_shows_a_payload_unescaped(app, client, xss_cast):
    problems: list[str] = []
    pages = 0
    for persona in PERSONAS:
        sign_in(client, persona_user(xss_cast, persona))
        _unlock_tracking(client, xss_cast)
        for rule in app_rules(app, "GET"):
            access = MATRIX.get((rule.endpoint, "GET"))
            if access is None or access.expected(persona) != ALLOWED:
                continue
            try:
                urls = build_urls(rule, xss_cast)
            except Unfillable:
                continue  # the matrix test reports it
            for url in urls:
                for headers in ({}, {"HX-Request": "true"}):
                    response = client.get(url, headers=headers)
                    if response.mimetype != "text/html":
                        continue  # CSV and plain text are not parsed as HTML
                    pages += 1
                    hits = _raw_hits(response.get_data(as_text=True))
                    if hits:
                        kind = "fragment" if headers else "page"
                        problems.append(f"{url} ({kind}) as {persona}: raw {hits}")
    assert not problems, "payloads rendered unescaped:\n" + "\n".join(problems)
    assert pages > 20


def _page(app, endpoint: str):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    if not rules:
        pytest.fail(f"{endpoint} is missing")
    return rules[0]


def _volunteer_task_rule(app):
    """The volunteer's page about one task (issue 4 names it): a GET rule of the
    volunteer blueprint taking a request or claim."""
    for rule in app_rules(app, "GET"):
        if rule.endpoint.startswith("volunteer.") and rule.arguments & {"request_id", "claim_id"}:
            return rule
    pytest.fail("the volunteer task page is missing: it was built in issue 4")


# (page, persona, which sample request it shows, fields that must be visible)
CASES = {
    "tracking": ("public.track_link", "anonymous", "request_closed", ["description"]),
    "console_request": (
        "console.request_page",
        "social_worker",
        "request",
        ["description", "address", "note"],
    ),
    "console_request_done": (
        "console.request_page",
        "social_worker",
        "request_done",
        ["outcome", "volunteer_name"],
    ),
    "ledger_record": (
        "console.ledger_person",
        "social_worker",
        "beneficiary",
        ["beneficiary_name", "beneficiary_notes", "guardian_name"],
    ),
    "sms_log": ("sms.sent", "social_worker", None, ["sms_body"]),
    "volunteer_task": (None, "volunteer", "request_assigned", ["description", "address"]),
    "console_activity": (
        "console.activity_page",
        "team_leader",
        "activity",
        ["activity_title", "activity_place", "activity_description", "volunteer_name"],
    ),
    "public_activities": ("public.station_activities", "anonymous", "station", ["activity_title"]),
    "volunteer_activity": (
        "volunteer.activity",
        "volunteer",
        "activity",
        ["activity_title", "activity_place", "activity_description"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pages_show_the_payloads_escaped(app, client, xss_cast, case):
    endpoint, persona, sample, fields = CASES[case]
    rule = _volunteer_task_rule(app) if endpoint is None else _page(app, endpoint)
    values = {}
    for arg in rule.arguments:
        if arg in ("code",):
            values[arg] = xss_cast.obj(sample).code
        else:
            obj = xss_cast.obj(sample)
            values[arg] = obj.id
    if rule.endpoint.startswith("volunteer.") and "claim" in " ".join(rule.arguments):
        claim = xss_cast.obj("claim")
        values = {a: claim.id for a in rule.arguments}
    url = rule.build(values, append_unknown=False)[1]
    sign_in(client, persona_user(xss_cast, persona))
    _unlock_tracking(client, xss_cast)
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    html = response.get_data(as_text=True)
    assert not _raw_hits(html)
    missing = [f for f in fields if escaped(f) not in html]
    assert not missing, f"{url} does not show {missing} (escaped) — is the field on the page?"


@pytest.mark.parametrize("path", ["/ask", "/track", "/login"])
def test_forms_echo_bad_input_escaped(app, client, world, path):
    """A refused form shows what was typed again, escaped."""
    from tests.conftest import csrf_token_from

    sign_in(client, None)
    page = client.get(path).get_data(as_text=True)
    token = csrf_token_from(page)
    names = set(re.findall(r'<(?:input|textarea)[^>]*name="([^"]+)"', page)) - {"csrf_token"}
    bad = payload("description")
    data = {name: bad for name in names}
    data["csrf_token"] = token
    response = client.post(path, data=data)
    assert response.status_code == 422  # refused: the payload is no phone, code or login
    html = response.get_data(as_text=True)
    assert not _raw_hits(html), f"{path} echoed a payload unescaped"
    db.session.rollback()
