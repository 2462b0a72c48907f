"""An Open311 client from PyPI against Linli on 127.0.0.1 (issue 19's "done when").

Of the candidates, only ``georeport`` 0.3.1 installs and runs on Python 3.11: ``three``
0.8.0 imports ``itertools.ifilter`` and ``open311`` 1.1 uses Python 2's implicit relative
imports, so neither imports at all. ``georeport`` reads (services, definitions, requests,
one request, in JSON and XML) but has no call to file a request ("does not currently
support the creation of new 311 service requests", its README): the filing is the
specification's POST made with ``requests``, the HTTP library georeport itself uses.

``civicbot`` 0.4.0 (2026, MIT) carries an Open311 GeoReport v2 client that does file
requests: ``Open311Client.create_request`` checks the form against the live service list
and definition (``validate_remote``) and posts it. The second test uses it alone, from
the service list to the request closed.
"""

from __future__ import annotations

import pytest
import requests
from civicbot import Open311Client
from civicbot.http import HttpTransport, RateLimiter
from civicbot.registry import Endpoint
from georeport import GeoReport

from app.extensions import db
from app.models import HelpRequest
from app.services import console
from tests import factories
from tests.open311_support import make_key, served


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_georeport_client_lists_files_and_follows_a_request_to_closed(app, world, fmt):
    secret, _key = make_key(world.station_a)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    with served(app) as base:
        client = GeoReport(f"{base}/open311/v2", jurisdiction=world.county.code, output_format=fmt)
        services = client.get_service_list()
        codes = [service["service_code"] for service in services]
        assert "meal_delivery" in codes
        definition = client.get_service_definition("meal_delivery")
        attributes = definition["attributes"]
        if fmt == "xml":
            attributes = attributes["attribute"]
        assert "for_whom" in [attribute["code"] for attribute in attributes]

        posted = requests.post(
            f"{base}/open311/v2/requests.{fmt}",
            data={
                "api_key": secret,
                "jurisdiction_id": world.county.code,
                "service_code": "meal_delivery",
                "lat": "34.766",
                "long": "113.606",
                "description": "老人行动不便，需要送餐",
                "phone": "13800138000",
                "attribute[for_whom]": "family",
                "attribute[special_groups][]": ["elderly_alone"],
                "attribute[wanted_at]": "2026-12-01T11:30:00+08:00",
            },
            timeout=10,
        )
        assert posted.status_code == 201, posted.text
        request_id = (
            posted.json()[0]["service_request_id"]
            if fmt == "json"
            else posted.text.split("<service_request_id>")[1].split("<")[0]
        )
        assert client.get_service_request(request_id)["status"] == "open"

        db.session.expire_all()
        filed = db.session.get(HelpRequest, int(request_id))
        assert filed.special_groups == ["elderly_alone"] and filed.channel == "api"
        # The station's worker takes it the way the console does: accept, assign, close.
        console.accept(filed, worker)
        console.assign(filed, worker, worker=worker)
        db.session.commit()
        followed = client.get_service_request(request_id)
        assert (followed["status"], followed["status_notes"]) == ("open", "已接单")
        console.close(filed, worker, "饭菜已送到")
        db.session.commit()

        followed = client.get_service_request(request_id)
        assert followed["status"] == "closed"
        assert followed["service_code"] == "meal_delivery"
        listed = client.get_service_requests(service_request_id=request_id)
        if fmt == "xml":
            listed = [listed]  # xmltodict gives the one request alone
        assert [r["status"] for r in listed] == ["closed"]
        assert client.get_service_requests(status="closed", service_code="meal_delivery")


def test_civicbots_open311_client_lists_files_with_attributes_and_follows_to_closed(app, world):
    secret, _key = make_key(world.station_a)
    worker = factories.make_user(roles=("social_worker",), station=world.station_a)
    db.session.commit()
    with served(app) as base:
        endpoint = Endpoint(id="linli", name="Linli", base_url=f"{base}/open311/v2", write=True)
        client = Open311Client(
            endpoint,
            HttpTransport(rate_limiter=RateLimiter(min_interval=0)),
            jurisdiction_id=world.county.code,
        )
        assert "meal_delivery" in [s["service_code"] for s in client.list_services()]
        filed = client.create_request(
            "meal_delivery",
            dry_run=False,
            confirm="SEND",
            api_key=secret,
            validate_remote=True,  # checked against the live list and definition first
            lat=34.766,
            lng=113.606,
            description="老人行动不便，需要送餐",
            phone="13800138000",
            attributes={"for_whom": "family", "special_groups": ["elderly_alone"]},
        )
        assert not filed.dry_run
        request_id = filed.response[0]["service_request_id"]
        assert client.get_request(request_id)["status"] == "open"

        db.session.expire_all()
        stored = db.session.get(HelpRequest, int(request_id))
        assert (stored.channel, stored.for_whom) == ("api", "family")
        assert stored.special_groups == ["elderly_alone"]
        console.accept(stored, worker)
        console.assign(stored, worker, worker=worker)
        console.close(stored, worker, "饭菜已送到")
        db.session.commit()
        assert client.get_request(request_id)["status"] == "closed"
        assert [r["status"] for r in client.list_requests(service_request_ids=[request_id])] == [
            "closed"
        ]
