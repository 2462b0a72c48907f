"""Reach cells: where a volunteer lives, as one integer that matching can look up.

Matching asks "who can reach this place?". A volunteer with a 3 km radius can only reach
a place within 3 km of home, so it is enough to look for them within 3 km, while someone
with a 30 km radius must be looked for 30 km away. Each volunteer is therefore put in a
*reach class* (the smallest of ``REACH_CLASSES`` at least their radius) and, in that
class's grid (square cells of ``cell_km``, in degrees), in one cell. ``reach_cell`` is that
pair as one integer, stored on the profile and indexed with the status: a request's
search reads, for each class, only the cells that the class's reach box around the place
touches (``ranges_for_place``: the keys of a row of cells are consecutive), instead of a
30 km box of everybody.

Cells are plain arithmetic on the stored point (no PostGIS, same on SQLite); the model
keeps the column in step whenever the point or the radius is set.
"""

from __future__ import annotations

import math

# (largest radius in the class, side of the class's cells), both in km. Larger classes
# take larger cells: fewer cells to look up, each read in one short index range.
# The last class holds every radius beyond 30 km (matching looks no further than its box):
# the only one searched in the whole box, so in large cells (few keys); each of the others
# only in its reach's disc.
REACH_CLASSES: tuple[tuple[float, float], ...] = (
    (1.0, 2.5),
    (3.0, 2.5),
    (5.0, 3.0),
    (10.0, 5.0),
    (20.0, 8.0),
    (30.0, 10.0),
    (math.inf, 30.0),
)
KM_PER_DEGREE = 111.32  # a cell's side in degrees is cell_km / KM_PER_DEGREE, lat and lon
_SIDES = tuple(cell_km / KM_PER_DEGREE for _radius, cell_km in REACH_CLASSES)
_ROW = 10**5  # rows and columns of a class grid stay below this (at most 360° / 0.022°)


def reach_class(radius_km: float | None) -> int:
    """The index in ``REACH_CLASSES`` of the smallest class that holds ``radius_km``;
    a radius beyond the largest class is searched as the largest (matching never looks
    further than ``MAX_RADIUS_KM`` in any case)."""
    radius = radius_km or 0.0
    for index, (largest, _cell_km) in enumerate(REACH_CLASSES):
        if radius <= largest:
            return index
    return len(REACH_CLASSES) - 1


def _key(index: int, row: int, col: int) -> int:
    return (index * _ROW + row) * _ROW + col


def _row(lat: float, side: float) -> int:
    return math.floor((lat + 90.0) / side)


def _col(lon: float, side: float) -> int:
    return math.floor((lon + 180.0) / side)


def reach_cell(lat: float | None, lon: float | None, radius_km: float | None) -> int | None:
    """The reach cell of a home point and radius; None without a point."""
    if lat is None or lon is None:
        return None
    index = reach_class(radius_km)
    side = _SIDES[index]
    return _key(index, _row(lat, side), _col(lon, side))


def ranges_for_place(
    lat: float,
    lon: float,
    reach_km: list[float],
    box_km: float,
    box,
    scale: tuple[float, float],
) -> list[tuple[int, int]]:
    """The cells that hold everyone who may reach (``lat``, ``lon``), as ranges of keys,
    one range of consecutive keys per row of cells: for class i, the cells of the box
    ``box(lat, lon, min(reach_km[i], box_km))`` ((min_lat, max_lat, min_lon, max_lon))
    and, when class i's furthest reach ``reach_km[i]`` is finite, in each row only those
    the disc of that reach touches. The disc is the one of the quick distance matching
    tests (equirectangular; ``scale``: km per degree of latitude, and of longitude at the
    place): a point in a row's band is at least as far north or south as the band's
    nearest edge, so if it is within reach, it is within the disc's width there."""
    km_lat, km_lon = scale
    ranges = []
    for index, side in enumerate(_SIDES):
        reach = reach_km[index]
        min_lat, max_lat, min_lon, max_lon = box(lat, lon, min(reach, box_km))
        first, last = _col(min_lon, side), _col(max_lon, side)
        for row in range(_row(min_lat, side), _row(max_lat, side) + 1):
            low, high = first, last
            if math.isfinite(reach) and km_lon > 0:
                south, north = row * side - 90.0, (row + 1) * side - 90.0
                dy = max(south - lat, lat - north, 0.0) * km_lat
                if dy > reach:
                    continue
                half = math.sqrt(reach * reach - dy * dy) / km_lon
                low = max(low, _col(lon - half, side))
                high = min(high, _col(lon + half, side))
            ranges.append((_key(index, row, low), _key(index, row, high)))
    return ranges
