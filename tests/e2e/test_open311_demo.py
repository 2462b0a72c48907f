"""No API read, in either format, returns a name or a phone number of the demo county
(issue 19's "done when"): every field of every answer of every read endpoint is checked
against every name and phone stored for a person (users, ledger people, requests' contacts).
The one exception by design: a station's own key reads its requests' descriptions (the
station has them anyway), so those are left out of the station's open-requests check.

On the live server's demo (the e2e group's one seeded county, SQLite)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Beneficiary, HelpRequest, Station, User
from app.models.base import utcnow
from app.services import api_keys
from app.services.open311 import NOT_PUBLIC
from tests import factories
from tests.open311_support import FORMATS, all_strings, read


def _personal_data() -> tuple[set[str], set[str]]:
    names: set[str] = set()
    phones: set[str] = set()
    for name, phone in db.session.execute(select(User.name, User.phone)):
        names.add(name)
        phones.add(phone)
    for name, phone in db.session.execute(select(Beneficiary.name, Beneficiary.phone)):
        names.add(name)
        phones.add(phone)
    for name, by, phone in db.session.execute(
        select(HelpRequest.contact_name, HelpRequest.consent_by, HelpRequest.contact_phone)
    ):
        names.update((name, by))
        phones.add(phone)
    names = {n.strip() for n in names if n and len(n.strip()) >= 2}
    digits = {re.sub(r"\D", "", p)[-11:] for p in phones if p}
    return names, {d for d in digits if len(d) >= 7}


@pytest.fixture(scope="module")
def demo_answers(live_server):
    """Every read endpoint's answer over the demo, in both formats, as text."""
    app = live_server.app
    with app.app_context():
        stations = list(db.session.scalars(select(Station)))
        keys = {}
        for station in stations:
            admin = factories.make_user(roles=("station_admin",), station=station)
            keys[station.id] = api_keys.create_key(admin, f"privacy test {station.id}").secret
        request_ids = list(
            db.session.scalars(
                select(HelpRequest.id).where(HelpRequest.category.not_in(sorted(NOT_PUBLIC)))
            )
        )
        hidden_ids = list(
            db.session.scalars(
                select(HelpRequest.id).where(HelpRequest.category.in_(sorted(NOT_PUBLIC)))
            )
        )
        db.session.commit()
        names, phones = _personal_data()
    client = app.test_client()
    answers: list[tuple[str, list[str]]] = []

    def get(url: str, fmt: str = "json"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.data[:200])
        data = read(response, fmt)
        if "/open-requests" in url:  # the station's own key: its own words (module docstring)
            for row in data["requests"]:
                row.pop("description")
        answers.append((url, all_strings(data)))

    now = utcnow()
    for fmt in FORMATS:
        get(f"/open311/v2/discovery.{fmt}", fmt)
        get(f"/open311/v2/services.{fmt}", fmt)
        for code in ("meal_delivery", "tutoring", "emotional_support"):
            get(f"/open311/v2/services/{code}.{fmt}", fmt)
        for back in range(0, 420, 90):  # the demo's year, window by window
            end, start = now - timedelta(days=back), now - timedelta(days=back + 90)
            get(
                f"/open311/v2/requests.{fmt}?start_date={start:%Y-%m-%dT%H:%M:%S}Z"
                f"&end_date={end:%Y-%m-%dT%H:%M:%S}Z",
                fmt,
            )
        for request_id in request_ids[:: max(1, len(request_ids) // 150)]:
            get(f"/open311/v2/requests/{request_id}.{fmt}", fmt)
            get(f"/open311/v2/tokens/{request_id}.{fmt}", fmt)
    for request_id in request_ids[:: max(1, len(request_ids) // 150)]:
        get(f"/api/v1/requests/{request_id}/timeline")
    for request_id in hidden_ids[:20]:  # crisis, emotional support...: not public at all
        assert client.get(f"/open311/v2/requests/{request_id}.json").status_code == 404
    for station_id, secret in keys.items():
        get(f"/api/v1/stations/{station_id}/open-requests?api_key={secret}")
    county = next(s for s in stations if s.kind == "county_centre")
    get(f"/api/v1/figures?api_key={keys[county.id]}")
    return answers, names, phones


def test_the_demo_has_people_to_find(demo_answers):
    answers, names, phones = demo_answers
    assert len(names) > 20 and len(phones) > 20
    assert sum(len(values) for _url, values in answers) > 1000


def test_no_read_answer_carries_a_name_or_phone(demo_answers):
    answers, names, phones = demo_answers
    found = []
    for url, values in answers:
        for value in values:
            digits = re.sub(r"\D", "", value)
            hits = [n for n in names if n in value] + [p for p in phones if p in digits]
            if hits:
                found.append((url, value[:80], hits[:3]))
    assert not found, found[:10]
