"""Where a request is, and which station serves it.

* ``route_to_station``: the village's room, else its township's station; with coordinates
  only, the nearest station by geodesic distance (a bounding box first, so the distance is
  computed for a short list only); the county centre as the last resort.
* ``geocode``: address → WGS-84 point through geopy, with the service chosen by
  configuration (``GEOCODER`` = off | nominatim | baidu). Baidu answers in BD-09, which is
  converted to WGS-84 here before anything is stored.
* The BD-09 / GCJ-02 / WGS-84 conversions. The forward ones (WGS-84 → GCJ-02 → BD-09) are
  the standard published formulas; the inverse ones are computed by fixed-point iteration
  of the forward formulas (not the common one-step approximation), which converges to well
  under a millimetre in a few rounds.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from time import monotonic

from flask import current_app
from flask_babel import gettext as _
from geopy.distance import geodesic
from sqlalchemy import and_, event, inspect, or_, select
from sqlalchemy.orm import Session, make_transient_to_detached

from app.extensions import db
from app.models import Region, Station
from app.services import ServiceError

log = logging.getLogger("linli.geo")

# --- distances ------------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on the WGS-84 ellipsoid, in kilometres."""
    return geodesic((lat1, lon1), (lat2, lon2)).km


def approx_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km: quick, within about 0.5 % of geodesic."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0088 * 2 * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle of ``km``."""
    dlat = km / 110.574
    dlon = km / (111.320 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


# --- routing ---------------------------------------------------------------------------

# Box half-sizes tried in turn when looking for the nearest station (km).
_SEARCH_KM = (15.0, 60.0, 250.0)


def route_to_station(*, village_id: int | None, lat: float | None, lon: float | None) -> Station:
    """The station that should handle a request at this village or point."""
    if village_id is not None:
        _village, station = village_and_station(village_id)
        if station is not None:
            return station
    return station_near(lat, lon)


def station_near(lat: float | None, lon: float | None) -> Station:
    """The nearest station to the point; the county centre without a point or a station."""
    if lat is not None and lon is not None:
        station = nearest_station(lat, lon)
        if station is not None:
            return station
    return county_centre()


# Each village's route, kept per process: regions and stations change only when a county
# is set up (seed-demo, an administrator's SQL), never through the app's pages. Kept for a
# minute at most, and forgotten at once when this process writes a region or a station.
ROUTE_KEEP_SECONDS = 60.0
_routes: dict[tuple[object, int], tuple[float, Region | None, Station | None]] = {}


@event.listens_for(Session, "after_flush")
def _forget_routes(session: Session, _context) -> None:
    if _routes and any(
        isinstance(obj, (Region, Station))
        for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        _routes.clear()


def village_and_station(village_id: int) -> tuple[Region | None, Station | None]:
    """The region ``village_id`` and the station serving it: the village's own room first,
    then its township's station, else the station nearest its centre. (None, None) when
    there is no such region; the caller checks it is a village. Read once a minute per
    process (one query); in between, the kept copies join the session without a read."""
    key = (db.engine, village_id)
    kept = _routes.get(key)
    if kept is not None and monotonic() - kept[0] < ROUTE_KEEP_SECONDS:
        return _attach(kept[1]), _attach(kept[2])
    village, station = _read_village_and_station(village_id)
    _routes[key] = (monotonic(), _detached_copy(village), _detached_copy(station))
    return village, station


def _detached_copy(obj):
    """A copy of a loaded row that any later session can take in without a read."""
    if obj is None:
        return None
    columns = inspect(type(obj)).column_attrs
    copy = type(obj)(**{attr.key: getattr(obj, attr.key) for attr in columns})
    make_transient_to_detached(copy)
    return copy


def _attach(kept):
    return None if kept is None else db.session.merge(kept, load=False)


def _read_village_and_station(village_id: int) -> tuple[Region | None, Station | None]:
    rows = db.session.execute(
        select(Region, Station)
        .outerjoin(
            Station,
            or_(Station.region_id == Region.id, Station.region_id == Region.parent_id),
        )
        .where(Region.id == village_id)
        .order_by(Station.id)
    ).all()
    if not rows:
        return None, None
    village = rows[0][0]
    stations = [station for _region, station in rows if station is not None]
    for region_id in (village.id, village.parent_id):
        for station in stations:
            if region_id is not None and station.region_id == region_id:
                return village, station
    if village.lat is not None and village.lon is not None:
        return village, nearest_station(village.lat, village.lon)
    return village, None


def nearest_station(lat: float, lon: float) -> Station | None:
    """The nearest station by geodesic distance, looking in growing boxes."""
    for km in _SEARCH_KM:
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
        stations = db.session.scalars(
            select(Station).where(
                and_(
                    Station.lat.between(min_lat, max_lat),
                    Station.lon.between(min_lon, max_lon),
                )
            )
        ).all()
        if stations:
            return min(stations, key=lambda s: (distance_km(lat, lon, s.lat, s.lon), s.id))
    return None


def county_centre() -> Station:
    station = db.session.scalars(
        select(Station).order_by((Station.kind != "county_centre"), Station.id).limit(1)
    ).first()
    if station is None:
        raise ServiceError(_("No station is set up yet. Please call your village committee."))
    return station


# --- coordinate systems -----------------------------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formulas use
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def out_of_china(lat: float, lon: float) -> bool:
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """The standard (published) forward formula. Outside China: unchanged."""
    if out_of_china(lat, lon):
        return lat, lon
    dlat = _delta_lat(lon - 105.0, lat - 35.0)
    dlon = _delta_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """Baidu's published forward formula."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def _invert(forward, lat: float, lon: float, rounds: int = 30) -> tuple[float, float]:
    """Solve forward(p) == (lat, lon) by fixed-point iteration (forward ≈ identity + shift)."""
    guess_lat, guess_lon = lat, lon
    for _round in range(rounds):
        got_lat, got_lon = forward(guess_lat, guess_lon)
        err_lat, err_lon = got_lat - lat, got_lon - lon
        if abs(err_lat) < 1e-10 and abs(err_lon) < 1e-10:
            break
        guess_lat -= err_lat
        guess_lon -= err_lon
    return guess_lat, guess_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    return _invert(wgs84_to_gcj02, lat, lon)


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    return _invert(gcj02_to_bd09, lat, lon)


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """What a Baidu answer becomes before it is stored."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


# --- geocoding -------------------------------------------------------------------------


@dataclass(frozen=True)
class GeocodedPoint:
    lat: float  # WGS-84
    lon: float
    label: str
    provider: str


def _nominatim(config):
    from geopy.geocoders import Nominatim

    kwargs = {"user_agent": config.get("GEOCODER_USER_AGENT", "linli"), "timeout": 4}
    if config.get("GEOCODER_DOMAIN"):
        kwargs["domain"] = config["GEOCODER_DOMAIN"]
    kwargs["scheme"] = config.get("GEOCODER_SCHEME") or "https"
    return Nominatim(**kwargs), lambda lat, lon: (lat, lon)


def _baidu(config):
    from geopy.geocoders import BaiduV3

    scheme = config.get("GEOCODER_SCHEME") or "https"
    geocoder = BaiduV3(
        api_key=config.get("GEOCODER_API_KEY", ""),
        scheme=scheme,
        timeout=4,
        user_agent=config.get("GEOCODER_USER_AGENT", "linli"),
    )
    if config.get("GEOCODER_DOMAIN"):
        # geopy fixes Baidu's host; point it at the configured one (a proxy or a test fake).
        geocoder.api = f"{scheme}://{config['GEOCODER_DOMAIN']}{geocoder.api_path}"
    return geocoder, bd09_to_wgs84


# Providers chosen by the GEOCODER setting (CTFd-style dict of factories).
GEOCODERS = {"nominatim": _nominatim, "baidu": _baidu}


def geocoding_enabled() -> bool:
    return current_app.config.get("GEOCODER", "off") in GEOCODERS


def geocode(address: str) -> GeocodedPoint | None:
    """The WGS-84 point of ``address``, or None (geocoder off, nothing found, or down)."""
    name = current_app.config.get("GEOCODER", "off")
    factory = GEOCODERS.get(name)
    text = (address or "").strip()
    if factory is None or not text:
        return None
    from geopy.exc import GeopyError

    geocoder, to_wgs84 = factory(current_app.config)
    try:
        found = geocoder.geocode(text)
    except (GeopyError, OSError, ValueError) as error:
        log.warning("geocoder %s failed for an address: %s", name, error)
        return None
    if found is None:
        return None
    lat, lon = to_wgs84(float(found.latitude), float(found.longitude))
    return GeocodedPoint(lat=lat, lon=lon, label=str(found.address or ""), provider=name)


# --- the place lists a form offers ----------------------------------------------------


def townships() -> list[tuple[int, str]]:
    """(id, name) of every township, in the order of their codes."""
    rows = db.session.execute(
        select(Region.id, Region.name).where(Region.level == "township").order_by(Region.code)
    ).all()
    return [(row.id, row.name) for row in rows]


def villages_of(township_id: int | None) -> list[tuple[int, str]]:
    """(id, name) of the villages of one township; none when no township is chosen."""
    if not township_id:
        return []
    rows = db.session.execute(
        select(Region.id, Region.name)
        .where(Region.level == "village", Region.parent_id == township_id)
        .order_by(Region.code)
    ).all()
    return [(row.id, row.name) for row in rows]
