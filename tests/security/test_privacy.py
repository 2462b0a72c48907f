"""Personal data stays with the serving station's workers, on every page.

DESIGN.md: before a claim a volunteer sees category, village, time and distance — never the
person's name, phone or exact address; phone numbers are masked for everyone but the
serving station's workers; public pages carry no personal data. Every GET route is opened
as each persona the matrix lets in, and the page must not contain what that persona may
not see.
"""

from __future__ import annotations

from tests.security.access_table import ALLOWED, MATRIX
from tests.security.conftest import (
    PERSONAS,
    Unfillable,
    app_rules,
    build_urls,
    persona_user,
    response_text,
    sign_in,
)


def _phone_forms(e164: str) -> list[str]:
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    return [
        e164,
        national,
        f"{national[:3]} {national[3:7]} {national[7:]}",
        f"{national[:3]}-{national[3:7]}-{national[7:]}",
    ]


def _secrets(cast) -> dict[str, dict[str, list[str]]]:
    """What each kind of viewer must never see, by what it is."""
    offered, new = cast.obj("request_offered"), cast.obj("request_new")
    person = cast.obj("beneficiary")
    unclaimed = {
        "phone of a task on offer": _phone_forms(offered.contact_phone),
        "name on a task on offer": [offered.contact_name],
        "address of a task on offer": [offered.address],
        "phone of a new request": _phone_forms(new.contact_phone),
        "ledger person's name": [person.name],
        "ledger person's phone": _phone_forms(person.phone),
        "ledger person's address": [person.address],
    }
    phones = {
        "full phone of a request": _phone_forms(new.contact_phone)
        + _phone_forms(offered.contact_phone),
        "full phone of a ledger person": _phone_forms(person.phone),
    }
    return {
        "anonymous": unclaimed,
        "volunteer": unclaimed,
        "team_leader": unclaimed,
        "county_supervisor": phones,
        "other_station_worker": {**unclaimed, **phones},
        "other_station_admin": {**unclaimed, **phones},
        # reads station A like the supervisor: names of adults, never phones or the ledger
        "centre_worker": {
            **phones,
            "ledger person's phone": unclaimed["ledger person's phone"],
            "ledger person's address": unclaimed["ledger person's address"],
        },
    }


def test_no_page_shows_personal_data_to_those_who_may_not_see_it(app, client, cast):
    secrets = _secrets(cast)
    problems: list[str] = []
    for persona in PERSONAS:
        forbidden = secrets.get(persona)
        if not forbidden:
            continue  # the serving station's own workers see it all
        sign_in(client, persona_user(cast, persona))
        for rule in app_rules(app, "GET"):
            access = MATRIX.get((rule.endpoint, "GET"))
            if access is None or access.expected(persona) != ALLOWED:
                continue
            try:
                urls = build_urls(rule, cast)
            except Unfillable:
                continue
            for url in urls:
                for headers in ({}, {"HX-Request": "true"}):
                    body = response_text(client.get(url, headers=headers))
                    for what, forms in forbidden.items():
                        if any(form and form in body for form in forms):
                            problems.append(f"{url} as {persona} shows the {what}")
    assert not problems, "personal data where it must not be:\n" + "\n".join(sorted(set(problems)))
