"""Every route × every persona against the intended permissions (access_table.MATRIX).

Rules come from ``app.url_map``, so a route added anywhere is checked; one without a line
in the matrix fails ``test_every_route_is_in_the_matrix`` with the line to add.
"""

from __future__ import annotations

from app.extensions import db
from tests.factories import make_world
from tests.security.access_table import (
    ALLOWED,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    MATRIX,
    REFUSED,
    SIGNATURE,
)
from tests.security.conftest import (
    PERSONAS,
    Unfillable,
    app_rules,
    build_urls,
    is_login_redirect,
    make_cast,
    persona_user,
    row_counts,
    sign_in,
)


def _missing(app) -> list[str]:
    missing = []
    for method in ("GET", "POST"):
        for rule in app_rules(app, method):
            if (rule.endpoint, method) not in MATRIX:
                missing.append(f'    ("{rule.endpoint}", {method}): ...,  # {rule.rule}')
    return missing


def test_every_route_is_in_the_matrix(app):
    missing = _missing(app)
    assert not missing, (
        "routes with no intended permissions: add them to the matrix in "
        "tests/security/access_table.py:\n" + "\n".join(missing)
    )


def _judge(expected: str, method: str, response) -> str | None:
    """None when ``response`` is what ``expected`` means, else what was wrong."""
    status = response.status_code
    where = response.headers.get("Location", "")
    got = f"{status}" + (f" → {where}" if where else "")
    if status >= 500:
        return f"server error {got}"
    if expected == ALLOWED:
        if is_login_redirect(response) or status in (401, 403):
            return f"refused ({got})"
        if method == "GET" and not 200 <= status < 400:
            return f"not a page ({got})"
        if method == "POST" and status == 404:
            return f"not found ({got})"
        return None
    if expected == LOGIN:
        return None if is_login_redirect(response) else f"no redirect to sign-in ({got})"
    if expected == FORBIDDEN:
        return None if status == 403 else f"expected 403, got {got}"
    if expected == HIDDEN:
        return None if status in (403, 404) else f"expected 403/404, got {got}"
    if expected == REFUSED:
        return None if status in (403, 404, 422) else f"expected 403/404/422, got {got}"
    if expected == SIGNATURE:
        return None if status == 403 else f"unsigned webhook post: expected 403, got {got}"
    raise AssertionError(expected)


def _request(client, method: str, url: str, token: str | None):
    try:
        if method == "GET":
            return client.get(url)
        return client.post(url, data={"csrf_token": token} if token else {})
    except Exception as error:  # the app re-raises in testing: that is a 500
        return _Crash(error)


class _Crash:
    status_code = 500
    headers: dict = {}

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.headers = {"Location": f"{type(error).__name__}: {error}"[:200]}


def _ordered(access) -> list[str]:
    """Refused personas first: allowed POSTs may change the sample objects' state."""
    return sorted(PERSONAS, key=lambda p: access.expected(p) == ALLOWED)


def _check_post(client, rule, cast, problems: list[str]) -> bool:
    """Check one POST rule; True when an allowed post went through (the samples moved)."""
    access = MATRIX[(rule.endpoint, "POST")]
    moved = False
    try:
        urls = build_urls(rule, cast)
    except Unfillable as error:
        problems.append(f"POST {error}")
        return moved
    for url in urls:
        before = row_counts()
        refused_done = False
        for persona in _ordered(access):
            expected = access.expected(persona)
            if expected == ALLOWED and not refused_done:
                refused_done = True
                after = row_counts()
                if after != before:
                    changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                    problems.append(f"POST {url}: refused posts changed rows {changed}")
            token = sign_in(client, persona_user(cast, persona))
            response = _request(client, "POST", url, token)
            wrong = _judge(expected, "POST", response)
            if wrong:
                problems.append(f"POST {url} as {persona}: {wrong} [{rule.endpoint}]")
            moved = moved or (expected == ALLOWED and response.status_code < 400)
    return moved


def test_get_routes_answer_each_persona_as_intended(app, client, cast):
    """Rules missing from the matrix are reported by test_every_route_is_in_the_matrix."""
    problems: list[str] = []
    for persona in PERSONAS:
        token = sign_in(client, persona_user(cast, persona))
        for rule in app_rules(app, "GET"):
            access = MATRIX.get((rule.endpoint, "GET"))
            if access is None:
                continue
            try:
                urls = build_urls(rule, cast)
            except Unfillable as error:
                problems.append(f"GET {error}")
                continue
            expected = access.expected(persona)
            for url in urls:
                response = _request(client, "GET", url, token)
                wrong = _judge(expected, "GET", response)
                if wrong:
                    problems.append(f"GET {url} as {persona}: {wrong} [{rule.endpoint}]")
    assert not problems, "\n".join(problems)


def test_post_routes_answer_each_persona_as_intended(app, client):
    """Allowed posts may move the samples along, so after one went through the next rule
    gets a fresh county. Refused posts must change no row at all."""
    problems: list[str] = []
    cast = None
    for rule in app_rules(app, "POST"):
        if (rule.endpoint, "POST") not in MATRIX:
            continue
        if cast is None:  # a new county beside the old one: cheaper than emptying tables
            cast = make_cast(make_world())
        if _check_post(client, rule, cast, problems):
            cast = None  # something was stored or moved: the next rule gets a fresh county
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- tampering
# The matrix posts empty forms; these post another station's ids inside a form a worker
# may use, as someone editing the page's HTML would.


def test_a_proxy_request_cannot_be_filed_for_another_stations_beneficiary(app, client, cast):
    from sqlalchemy import func, select

    from app.models import HelpRequest

    before = db.session.scalar(select(func.count()).select_from(HelpRequest))
    token = sign_in(client, cast.users["other_station_worker"])
    response = client.post(
        "/proxy",
        data={
            "csrf_token": token,
            "category": "shopping",
            "channel": "hotline",
            "beneficiary": str(cast.obj("beneficiary").id),  # station A's person
            "contact_name": "x",
            "consent": "y",
            "consent_by": "本人",
            "consent_method": "spoken_phone",
            "village": str(cast.world.village_b1.id),
            "form_token": "tamper-1",
        },
    )
    assert response.status_code in (403, 404, 422), response.status_code
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == before


def test_a_request_cannot_be_merged_into_another_stations_request(app, client, cast):
    mine, theirs = cast.obj("request"), cast.obj("request_other_station")
    token = sign_in(client, cast.users["social_worker"])
    response = client.post(
        f"/station/r/{mine.id}/merge",
        data={"csrf_token": token, "merge-target": theirs.code},
    )
    assert response.status_code in (403, 404, 422), response.status_code
    db.session.refresh(mine)
    assert mine.merged_into_id is None and mine.status == "new"


def test_the_county_supervisor_cannot_move_a_request_that_was_never_escalated(app, client, cast):
    """Issue 13: the county page offers the move for escalated requests only; a hand-made
    post for any other request is refused and moves nothing."""
    request = cast.obj("request")
    assert not request.escalated
    token = sign_in(client, cast.users["county_supervisor"])
    before = row_counts()
    response = client.post(
        f"/station/county/r/{request.id}/station",
        data={"csrf_token": token, "station-station_id": str(cast.world.station_b.id)},
    )
    assert response.status_code in (403, 404, 422), response.status_code
    assert row_counts() == before
    db.session.refresh(request)
    assert request.station_id == cast.world.station_a.id


def test_a_centre_worker_cannot_act_on_a_township_request_by_hand(app, client, cast):
    """Issue 13: filled-in posts (not the matrix's empty ones) from the county centre's
    worker on station A's request, which is not escalated, change nothing."""
    request = cast.obj("request")
    token = sign_in(client, cast.users["centre_worker"])
    volunteer = cast.obj("volunteer")
    posts = {
        "accept": {"accept-note": "x"},
        "reject": {"reject-reason": "不在服务范围"},
        "edit": {"edit-category": "meal_delivery", "edit-urgency": "urgent"},
        "escalate": {"escalate-note": "x"},
        "merge": {"merge-target": cast.obj("request_offered").code},
        "note": {"note-note": "x"},
        "assign": {"assign-target": f"volunteer:{volunteer.id}"},
        "offer": {},
    }
    before = row_counts()
    for action, data in posts.items():
        response = client.post(
            f"/station/r/{request.id}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status_code in (403, 404, 422), (action, response.status_code)
    assert row_counts() == before
    db.session.refresh(request)
    assert (request.status, request.category, request.merged_into_id) == ("new", "shopping", None)
