"""An Open311 client from PyPI against Linli on 127.0.0.1 (issue 19's "done when").

Of the candidates, only ``georeport`` 0.3.1 installs and runs on Python 3.11: ``three``
0.8.0 imports ``itertools.ifilter`` and ``open311`` 1.1 uses Python 2's implicit relative
imports, so neither imports at all. ``georeport`` reads (services, definitions, requests,
one request, in JSON and XML) but has no call to file a request ("does not currently
support the creation of new 311 service requests", its README): the filing is the
specification's POST made with ``requests``, the HTTP library georeport itself uses.
"""

from __future__ import annotations

import pytest
import requests
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
