"""Property-based tests of the JSON API and GeoReport's JSON form against their own OpenAPI
document (issue 19): schemathesis makes inputs from the document; no answer may be a server
error or break the document (status codes, content types, headers, response schemas). Kept quick:
a few examples per operation, no deadline (the machine is shared)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from app.extensions import db, limiter
from tests import factories
from tests.open311_support import make_key


@pytest.fixture
def api_schema(app, world):
    """The document as the app serves it, over a county with requests and keys."""
    factories.make_request(world.station_a, village=world.village_a1)
    factories.make_request(world.station_b, status="closed", special_groups=["left_behind_child"])
    station_key, _s = make_key(world.station_a)
    county_key, _c = make_key(world.county_centre)
    db.session.commit()
    KEYS.update(station=station_key, county=county_key, station_id=world.station_a.id)
    before = limiter.enabled
    limiter.enabled = False  # the examples come faster than any client's limit
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    limiter.enabled = before


KEYS: dict = {}  # the fixture's real keys, so answers past the key check are tried too
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def test_api_answers_keep_to_the_document(api_schema):
    """Each operation of the document in turn (schemathesis' own pytest plugin renames
    test ids, which this pytest refuses, so the strategies are driven here)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    answered_codes: set = set()  # this run's answers only, never a previous database's

    for operation in operations:

        @EXAMPLES
        @given(case=operation.as_strategy())
        def check(case):
            # Every check but "valid data is accepted": a valid end_date before its
            # start_date, or a range over 90 days, is rightly refused (400, documented).
            case.call_and_validate(excluded_checks=[positive_data_acceptance])
            if "api_key" in (case.query or {}) or isinstance(case.body, dict):
                _with_real_key(case)
                answered = case.call_and_validate(excluded_checks=[positive_data_acceptance])
                answered_codes.add((case.operation.path, answered.status_code))

        check()
    assert {
        ("/api/v1/figures", 200),
        ("/api/v1/stations/{station_id}/open-requests", 200),
    } <= answered_codes
    # A request really filed with the station's key, not only refused.
    assert 201 in {code for path, code in answered_codes if path == "/open311/v2/requests.json"}


def _with_real_key(case) -> None:
    if isinstance(case.body, dict):  # filing a request: the station's key
        case.body["api_key"] = KEYS["station"]
    elif "station_id" in (case.path_parameters or {}):
        case.path_parameters["station_id"] = KEYS["station_id"]
        case.query["api_key"] = KEYS["station"]
    else:
        case.query["api_key"] = KEYS["county"]
