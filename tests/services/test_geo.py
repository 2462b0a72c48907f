"""Routing to a station, coordinate conversion, and geocoding through real geopy."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import geo
from tests import factories
from tests.public_support import fake_geocoder, fake_geocoder_server, geocoder_config  # noqa: F401

# --- conversions -------------------------------------------------------------------------


def test_forward_conversions_match_the_published_reference_values():
    # Reference values of the widely used coordtransform library for (39.915, 116.404).
    assert geo.wgs84_to_gcj02(39.915, 116.404) == pytest.approx(
        (39.91640428150164, 116.41024449916938), abs=1e-9
    )
    assert geo.gcj02_to_bd09(39.915, 116.404) == pytest.approx(
        (39.92133699351021, 116.41036949371029), abs=1e-9
    )


@pytest.mark.parametrize(
    "lat, lon",
    [(34.7466, 113.6253), (39.9087, 116.3975), (22.5431, 114.0579), (45.8038, 126.5350)],
)
def test_bd09_to_wgs84_inverts_the_forward_formulas_to_under_a_centimetre(lat, lon):
    bd_lat, bd_lon = geo.wgs84_to_bd09(lat, lon)
    # Baidu's offset is hundreds of metres: the conversion does real work ...
    assert geo.distance_km(lat, lon, bd_lat, bd_lon) > 0.2
    back_lat, back_lon = geo.bd09_to_wgs84(bd_lat, bd_lon)
    # ... and the iterative inverse lands within a centimetre of the true point.
    assert geo.distance_km(lat, lon, back_lat, back_lon) < 0.00001


def test_the_iterative_inverse_beats_the_one_step_approximation():
    # The common one-step GCJ-02 → WGS-84 formula is off by up to a few metres.
    gcj = geo.wgs84_to_gcj02(34.7466, 113.6253)
    one_step = (2 * gcj[0] - geo.wgs84_to_gcj02(*gcj)[0], 2 * gcj[1] - geo.wgs84_to_gcj02(*gcj)[1])
    exact = geo.gcj02_to_wgs84(*gcj)
    err_one_step = geo.distance_km(34.7466, 113.6253, *one_step)
    err_exact = geo.distance_km(34.7466, 113.6253, *exact)
    assert err_exact < err_one_step
    assert err_exact < 1e-6


def test_points_outside_china_are_not_shifted():
    assert geo.wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)
    assert geo.gcj02_to_wgs84(48.8566, 2.3522) == (48.8566, 2.3522)


def test_distance_km_is_geodesic():
    # Zhengzhou to Beijing, about 620 km.
    assert 600 < geo.distance_km(34.7466, 113.6253, 39.9087, 116.3975) < 640


# --- routing -----------------------------------------------------------------------------


def test_a_village_with_a_room_goes_to_the_room(world):
    station = geo.route_to_station(village_id=world.village_a1.id, lat=None, lon=None)
    assert station.id == world.room_a1.id


def test_a_village_without_a_room_goes_to_its_township_station(world):
    assert geo.route_to_station(village_id=world.village_a2.id, lat=None, lon=None).id == (
        world.station_a.id
    )
    assert geo.route_to_station(village_id=world.village_b1.id, lat=None, lon=None).id == (
        world.station_b.id
    )


def test_coordinates_only_go_to_the_nearest_station(world):
    # Right next to 柳林镇 (34.90, 113.80).
    station = geo.route_to_station(village_id=None, lat=34.899, lon=113.801)
    assert station.id == world.station_b.id
    # Right next to the 杏花社区 room.
    station = geo.route_to_station(village_id=None, lat=34.7651, lon=113.6049)
    assert station.id == world.room_a1.id


def test_far_away_coordinates_find_the_nearest_station_in_a_wider_box(world):
    # 100 km north: nothing in the first box, found in the second.
    station = geo.route_to_station(village_id=None, lat=35.80, lon=113.80)
    assert station.id == world.station_b.id


def test_nothing_known_goes_to_the_county_centre(world):
    assert geo.route_to_station(village_id=None, lat=None, lon=None).id == world.county_centre.id
    # Coordinates on the other side of the world: no station near, county centre.
    assert geo.route_to_station(village_id=None, lat=-33.9, lon=151.2).id == world.county_centre.id


def test_an_unknown_village_falls_back_to_the_coordinates(world):
    station = geo.route_to_station(village_id=999999, lat=34.899, lon=113.801)
    assert station.id == world.station_b.id


def test_a_village_outside_every_station_region_uses_its_centroid(world):
    township = factories.make_region("新乡镇", "township", world.county, 34.905, 113.79)
    village = factories.make_region("新村", "village", township, 34.905, 113.79)
    db.session.flush()
    assert geo.route_to_station(village_id=village.id, lat=None, lon=None).id == world.station_b.id


# --- geocoding through real geopy against the fake server -------------------------------


def test_geocoding_is_off_by_default(app, fake_geocoder):  # noqa: F811 (fixture imported from tests.public_support)
    fake_geocoder.add("杏花社区", 34.765, 113.605)
    assert app.config["GEOCODER"] == "off"
    assert geo.geocode("杏花社区 3号楼") is None
    assert fake_geocoder.requests == []


def test_nominatim_answers_are_stored_as_they_come(app, fake_geocoder):  # noqa: F811 (fixture imported from tests.public_support)
    fake_geocoder.add("杏花社区", 34.7654321, 113.6054321)
    with geocoder_config(app, fake_geocoder, "nominatim"):
        point = geo.geocode("东风街道 杏花社区 3号楼")
    assert point is not None
    assert (point.lat, point.lon) == pytest.approx((34.7654321, 113.6054321), abs=1e-7)
    assert point.provider == "nominatim"
    path, params = fake_geocoder.requests[-1]
    assert path == "/search"
    assert params["q"] == "东风街道 杏花社区 3号楼"


def test_baidu_answers_are_converted_from_bd09_to_wgs84(app, fake_geocoder):  # noqa: F811 (fixture imported from tests.public_support)
    fake_geocoder.add("杏花社区", 34.765, 113.605)
    with geocoder_config(app, fake_geocoder, "baidu"):
        point = geo.geocode("杏花社区 3号楼")
    assert point is not None
    path, params = fake_geocoder.requests[-1]
    assert path == "/geocoding/v3/"
    assert params["ak"] == "test-ak"
    # The fake answered in BD-09, several hundred metres off; we stored the true point.
    assert geo.distance_km(34.765, 113.605, point.lat, point.lon) < 0.00001


def test_geocoder_trouble_gives_no_point_rather_than_an_error(app, fake_geocoder):  # noqa: F811 (fixture imported from tests.public_support)
    fake_geocoder.add("杏花社区", 34.765, 113.605)
    with geocoder_config(app, fake_geocoder, "baidu", api_key="wrong-key"):
        assert geo.geocode("杏花社区") is None
    with geocoder_config(app, fake_geocoder, "nominatim"):
        assert geo.geocode("不存在的地方") is None
    with geocoder_config(app, fake_geocoder, "nominatim"):
        app.config["GEOCODER_DOMAIN"] = "127.0.0.1:9"  # nothing listens there
        assert geo.geocode("杏花社区") is None
