"""The geolocation path: the phone shares a fixed position, "use my location" fills the
coordinates, and the request goes to the station nearest to that point."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.journey_support import read_db, request_by_code
from tests.e2e.support import new_phone_context, shot

pytestmark = pytest.mark.e2e

TOWNSHIP = "石桥镇"  # a township away from the demo station, so the routing shows


def _place_and_expected_station(live_server):
    """A point 200 m north of the first village of TOWNSHIP, and the station nearest to it,
    found here independently of app.services.geo (plain haversine over every station)."""

    def choose():
        import math

        from app.extensions import db
        from app.models import Region, Station

        township = db.session.scalar(select(Region).where(Region.name == TOWNSHIP))
        village = db.session.scalars(
            select(Region)
            .where(Region.parent_id == township.id, Region.lat.is_not(None))
            .order_by(Region.code)
        ).first()
        lat, lon = village.lat + 0.0018, village.lon

        def km(station):
            p1, p2 = math.radians(lat), math.radians(station.lat)
            dp, dl = p2 - p1, math.radians(station.lon - lon)
            a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
            return 2 * 6371.0 * math.asin(math.sqrt(a))

        stations = [s for s in db.session.scalars(select(Station)) if s.lat is not None]
        ranked = sorted(stations, key=km)
        assert km(ranked[1]) - km(ranked[0]) > 0.5, "the nearest station must be clear"
        return lat, lon, ranked[0].name

    return read_db(live_server, choose)


def test_use_my_location_routes_to_the_nearest_station(browser, live_server):
    lat, lon, expected_station = _place_and_expected_station(live_server)
    context = new_phone_context(
        browser,
        base_url=live_server.url,
        permissions=["geolocation"],
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 20},
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/ask")
        page.locator("label.tile:has(input[value='cleaning'])").click()
        button = page.get_by_role("button", name="用我现在的位置")
        expect(button).to_be_visible()
        button.click()
        expect(page.locator("#geo-status")).to_have_text("您的位置会随求助一起发送。")
        expect(page.locator("#lat")).to_have_value(f"{lat:.6f}")
        expect(page.locator("#lon")).to_have_value(f"{lon:.6f}")
        shot(page, "geo-01-location-found")
        # No township or village chosen: the position is the place.
        page.locator("input[name=phone]").fill("139 1234 0002")
        # Leaving the field checks the phone (htmx swaps the field): let that land before
        # the next tap, or a slow answer moves the consent box under the tap.
        page.locator("input[name=phone]").press("Tab")
        page.wait_for_load_state("networkidle")
        page.locator("input[name=consent]").check()
        page.get_by_role("button", name="提交求助").click()
        page.wait_for_url("**/ask/done")
        code = page.locator("#tracking-code").inner_text().strip()
        expect(page.locator("main")).to_contain_text(expected_station)
        shot(page, "geo-02-done")
        stored = request_by_code(live_server, code)
        assert stored["station"] == expected_station
        assert stored["village"] is None
        assert stored["lat"] == pytest.approx(lat, abs=1e-5)
        assert stored["lon"] == pytest.approx(lon, abs=1e-5)
    finally:
        context.close()
