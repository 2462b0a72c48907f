"""Every route × every persona against the intended permissions (access_table.MATRIX).

Rules come from ``app.url_map``, so a route added anywhere is checked; one without a line
in the matrix fails ``test_every_route_is_in_the_matrix`` with the line to add.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.extensions import db, limiter
from tests.factories import make_volunteer, make_world
from tests.security.access_table import ALLOWED, MATRIX, Access, Answer
from tests.security.conftest import (
    PERSONAS,
    Unfillable,
    app_rules,
    build_urls,
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


def _got(response) -> str:
    """The answer as the matrix writes it: "200", or "302 /path" (no query)."""
    where = response.headers.get("Location", "")
    if not where:
        return str(response.status_code)
    return f"{response.status_code} {urlsplit(where).path}"


def _matches(answer: Answer, got: str) -> bool:
    status, _, path = str(answer).partition(" ")
    got_status, _, got_path = got.partition(" ")
    if status != got_status:
        return False
    pattern = "/".join("[^/]+" if part == "*" else re.escape(part) for part in path.split("/"))
    return re.fullmatch(pattern, got_path) is not None


def _judge(access: Access, persona: str, method: str, url: str, response) -> str | None:
    """None when ``response`` is the one answer the matrix gives ``persona``, else what
    was wrong."""
    got = _got(response)
    answer = access.answer_for(persona, method, url)
    if answer is None:
        return f"the matrix says no answer for an allowed {method}: add answer={got!r}?"
    if not _matches(answer, got):
        return f"expected {answer} ({access.expected(persona)}), got {got}"
    return None


def _request(client, method: str, url: str, token: str | None):
    limiter.reset()  # a 429 says nothing about who may use the route
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


def _check_post(client, rule, cast, problems: list[str]):
    """Check one POST rule; returns the cast for the next rule (a fresh one when an
    allowed post went through)."""
    access = MATRIX[(rule.endpoint, "POST")]
    try:
        count = len(build_urls(rule, cast))
    except Unfillable as error:
        problems.append(f"POST {error}")
        return cast
    for index in range(count):
        url = build_urls(rule, cast)[index]
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
            wrong = _judge(access, persona, "POST", url, response)
            if wrong:
                problems.append(f"POST {url} as {persona}: {wrong} [{rule.endpoint}]")
            if expected == ALLOWED and response.status_code < 400:
                # it went through: the next persona (and URL) gets samples nobody moved
                cast = make_cast(make_world())
                url = build_urls(rule, cast)[index]
    return cast


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
            for url in urls:
                response = _request(client, "GET", url, token)
                wrong = _judge(access, persona, "GET", url, response)
                if wrong:
                    problems.append(f"GET {url} as {persona}: {wrong} [{rule.endpoint}]")
    assert not problems, "\n".join(problems)


def test_post_routes_answer_each_persona_as_intended(app, client):
    """Allowed posts may move the samples along: after one went through, the next post
    gets a fresh county. Refused posts must change no row at all."""
    problems: list[str] = []
    cast = make_cast(make_world())
    for rule in app_rules(app, "POST"):
        if (rule.endpoint, "POST") not in MATRIX:
            continue
        cast = _check_post(client, rule, cast, problems)
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
    assert response.status_code == 403  # as for a beneficiary that does not exist
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == before


def test_a_request_cannot_be_merged_into_another_stations_request(app, client, cast):
    mine, theirs = cast.obj("request"), cast.obj("request_other_station")
    token = sign_in(client, cast.users["social_worker"])
    response = client.post(
        f"/station/r/{mine.id}/merge",
        data={"csrf_token": token, "merge-target": theirs.code},
    )
    # the same answer as for a code that does not exist: nothing tells it is there
    assert response.status_code == 422
    assert "请选择与这条重复的求助。" in response.get_data(as_text=True)
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
    assert response.status_code == 422  # they read it (it is no secret), they may not move it
    assert "只有已升级到县里的求助，县里才能转给其他站。" in response.get_data(as_text=True)
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
        # 403, not 404: the centre reads the county's requests as the supervisor does
        assert response.status_code == 403, (action, response.status_code)
    assert row_counts() == before
    db.session.refresh(request)
    assert (request.status, request.category, request.merged_into_id) == ("new", "shopping", None)


def _activity_of_station_b(cast, volunteer):
    """An activity of station B under way, with ``volunteer`` signed up (issue 18)."""
    from datetime import timedelta

    from app.models import Activity, ActivitySignup
    from app.models.base import utcnow

    world, worker = cast.world, cast.users["other_station_worker"]
    activity = Activity(
        code="61234",
        checkin_code="4321",
        station_id=world.station_b.id,
        posted_by_id=worker.id,
        title="防诈骗讲座",
        kind="anti_fraud",
        starts_at=utcnow() - timedelta(minutes=10),
        minutes=60,
        volunteer_capacity=3,
        taken=1,
        status="scheduled",
    )
    db.session.add(activity)
    db.session.flush()
    signup = ActivitySignup(activity_id=activity.id, user_id=volunteer.id, status="signed_up")
    db.session.add(signup)
    db.session.commit()
    return activity, signup


def test_a_roster_tick_cannot_reach_another_stations_sign_up(app, client, cast):
    """Issue 18: station A's worker, on their own activity's roster, posts the id of a
    sign-up for station B's activity: refused as unknown, nobody is checked in."""
    volunteer_b = make_volunteer(cast.world.station_b)
    _theirs, signup = _activity_of_station_b(cast, volunteer_b)
    mine = cast.obj("activity")
    token = sign_in(client, cast.users["social_worker"])
    before = row_counts()
    response = client.post(
        f"/station/activities/{mine.id}/roster/{signup.id}",
        data={"csrf_token": token, "present": "1"},
    )
    assert response.status_code == 422
    assert "名单上没有这位志愿者。" in response.get_data(as_text=True)
    assert row_counts() == before
    db.session.refresh(signup)
    assert signup.status == "signed_up" and signup.checked_in_at is None


def test_another_stations_activity_cannot_be_given_a_ledger_person_of_station_a(app, client, cast):
    """Issue 18: station B's worker names station A's ledger person as served by B's own
    activity (a hand-made post): refused, nothing is stored."""
    activity, _signup = _activity_of_station_b(cast, make_volunteer(cast.world.station_b))
    token = sign_in(client, cast.users["other_station_worker"])
    before = row_counts()
    response = client.post(
        f"/station/activities/{activity.id}/residents",
        data={"csrf_token": token, "beneficiary": str(cast.obj("beneficiary").id)},
    )
    assert response.status_code == 422
    assert "请从本站台账中选择服务对象。" in response.get_data(as_text=True)
    assert row_counts() == before
