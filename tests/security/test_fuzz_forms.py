"""hypothesis drives the public forms with random input: never a server error.

Each form's fields are read from its own page (so new fields are fuzzed too); values are
random unicode, huge strings, empty strings, numbers, the page's own options and phone
look-alikes, laid over a submission that would pass (so the random values reach the
database). Both the plain post and the htmx post are tried. Rate limits are off for
these tests only (they would answer 429 long before 50 examples).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db, limiter
from app.models import HelpRequest
from tests.security.access_table import ALLOWED, MATRIX
from tests.security.conftest import app_rules, sign_in

FUZZ_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no .hypothesis/ directory in the tree; failures print their example
)


def _volunteer_signup(app):
    """The volunteer sign-up form (issue 4): a POST of the volunteer blueprint that
    anonymous visitors may use."""
    for rule in app_rules(app, "POST"):
        access = MATRIX.get((rule.endpoint, "POST"))
        if (
            rule.endpoint.startswith("volunteer.")
            and not rule.arguments
            and access is not None
            and access.expected("anonymous") == ALLOWED
        ):
            return rule.rule
    return None


BASELINE_ANSWERS = {
    "ask": "303 /ask/done",
    "track": "422",
    "login": "422",
    "volunteer_signup": "302 /v/signup/confirm",  # the SMS code comes next
}


def _answer(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code} {location}" if location else str(response.status_code)


FORMS = {
    "ask": lambda app: "/ask",
    "track": lambda app: "/track",
    "login": lambda app: "/login",
    "volunteer_signup": _volunteer_signup,
}


def _fields(html: str) -> dict[str, list[str]]:
    """Field name → the values the page offers (empty for free text)."""
    fields: dict[str, list[str]] = {}
    for tag in re.finditer(r"<(input|select|textarea)\b([^>]*)>", html, re.I):
        attrs = tag.group(2)
        name = re.search(r'name="([^"]+)"', attrs)
        if not name or name.group(1) == "csrf_token":
            continue
        options = fields.setdefault(name.group(1), [])
        value = re.search(r'value="([^"]*)"', attrs)
        kind = re.search(r'type="([^"]+)"', attrs)
        if value and kind and kind.group(1) in ("radio", "checkbox"):
            options.append(value.group(1))
    for box in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        fields[box.group(1)] = re.findall(r'<option[^>]*value="([^"]*)"', box.group(2))
    return fields


def _baseline(fields: dict[str, list[str]], html: str, world) -> dict[str, str]:
    """A submission that would pass, so random values reach the deep paths too (the
    database insert, the duplicate check) rather than stopping at 'phone missing'."""
    data: dict[str, str] = {}
    for name, options in fields.items():
        value = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
        if "phone" in name:
            data[name] = "13800138000"
        elif name in ("consent",):
            data[name] = "y"
        elif "township" in name:
            data[name] = str(world.township_a.id)
        elif "village" in name:
            data[name] = str(world.village_a1.id)
        elif name == "password":  # the sign-up's (8 or more)
            data[name] = "long-enough-secret"
        elif name == "name":  # the sign-up's: its empty value="" is no answer
            data[name] = "王小明"
        elif options:
            data[name] = next((o for o in options if o), options[0])
        elif value:
            data[name] = value.group(1)
        else:
            data[name] = "帮忙买菜"
    return data


def _values(options: list[str]):
    choices = [
        st.text(max_size=40),
        st.text(max_size=8).map(lambda s: (s or "长") * 3000),  # huge
        st.just(""),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(["13800138000", "+86 138 0013 8000", "1" * 40, "０１２３", "-1", "9" * 30]),
        st.sampled_from(["2026-02-30T25:61", "2099-01-01T08:00", "1900-01-01T00:00"]),
    ]
    if options:
        choices.append(st.sampled_from(options))
    return st.one_of(*choices)


@pytest.fixture
def no_rate_limits(app):
    saved = limiter.enabled
    limiter.enabled = False
    try:
        yield
    finally:
        limiter.enabled = saved


@pytest.mark.parametrize("form", list(FORMS))
def test_public_forms_never_answer_a_server_error(app, client, world, no_rate_limits, form):
    path = FORMS[form](app)
    if path is None:
        pytest.fail(f"the {form} form is missing: it was built in issue 3")
    sign_in(client, None)
    page = client.get(path)
    assert page.status_code == 200, f"GET {path}: {page.status_code}"
    html = page.get_data(as_text=True)
    fields = _fields(html)
    assert fields, f"no fields found on {path}"
    baseline = _baseline(fields, html, world)
    first = client.post(path, data={**baseline, "csrf_token": sign_in(client, None)})
    # The baseline is a submission that passes where the form can pass with made-up
    # values (no request has that code, no account that login)
    assert _answer(first) == BASELINE_ANSWERS[form], f"the baseline post of {path}"
    if form == "ask":  # the baseline really is a request: random values reach the insert
        assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == 1

    @FUZZ_SETTINGS
    @given(
        data=st.fixed_dictionaries(
            {},
            optional={name: _values(options) for name, options in fields.items()},
        ),
        htmx=st.booleans(),
    )
    def post_random(data, htmx):
        token = sign_in(client, None)
        headers = {"HX-Request": "true"} if htmx else {}
        try:
            response = client.post(
                path, data={**baseline, **data, "csrf_token": token}, headers=headers
            )
        except Exception as error:  # the app re-raises in testing: a 500
            raise AssertionError(f"POST {path} raised {type(error).__name__}: {error}") from error
        assert response.status_code < 500, f"POST {path}: {response.status_code}"

    post_random()
