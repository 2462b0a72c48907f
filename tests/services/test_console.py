"""The console service: the queue, its counts, duplicates, and privacy helpers."""

from __future__ import annotations

from app.models import User
from app.services import console, privacy
from tests import factories
from tests.console_support import request_at


def _worker(station) -> User:
    return factories.make_user(roles=("social_worker",), station=station)


def test_queue_sorts_by_urgency_then_age(world):
    worker = _worker(world.station_a)
    newer_normal = request_at(world.station_a, minutes_ago=5)
    older_normal = request_at(world.station_a, minutes_ago=50)
    urgent = request_at(world.station_a, minutes_ago=1, urgency="urgent")
    crisis = request_at(world.room_a1, minutes_ago=2, urgency="crisis")
    expected = [crisis, urgent, older_normal, newer_normal]
    assert [row.id for row in console.queue(worker, "new")] == [r.id for r in expected]


def test_counts_per_tab(world):
    worker = _worker(world.station_a)
    request_at(world.station_a)
    request_at(world.station_a, minutes_ago=2000)
    request_at(world.station_a, status="done", escalated=True)
    request_at(world.station_b)
    counts = console.counts(worker)
    assert counts["new"] == 2 and counts["done"] == 1
    assert counts["overdue"] == 1 and counts["escalated"] == 1 and counts["offered"] == 0


def test_queue_page_reads_what_the_session_has_not_flushed(world):
    """queue_page runs on the session's connection, past the session's autoflush: it
    flushes first, so a change made in this request shows on the page."""
    worker = _worker(world.station_a)
    older = request_at(world.station_a, minutes_ago=50)
    newer = request_at(world.station_a, minutes_ago=5)
    newer.urgency = "crisis"  # not flushed yet
    lines, counts, _newest = console.queue_page(worker, "new")
    assert [(line.id, line.urgency) for line in lines] == [
        (newer.id, "crisis"),
        (older.id, "normal"),
    ]
    assert counts["new"] == 2


def test_queue_page_of_another_station_shows_none_of_its_lines(world):
    request_at(world.station_a)
    lines, counts, _newest = console.queue_page(_worker(world.station_b), "new")
    assert lines == [] and counts["new"] == 0


def test_merge_suggestions_are_near_recent_open_and_same_category(world):
    worker = _worker(world.station_a)
    base = request_at(world.station_a, lat=34.76, lon=113.60)
    near = request_at(world.station_a, lat=34.765, lon=113.60)  # ~550 m
    request_at(world.station_a, lat=34.775, lon=113.60)  # ~1.7 km
    request_at(world.station_a, lat=34.76, lon=113.60, status="closed")
    request_at(world.station_a, lat=34.76, lon=113.60, minutes_ago=9 * 24 * 60)
    request_at(world.station_b, lat=34.76, lon=113.60)  # not this worker's
    assert console.merge_suggestions(base, worker) == [near]


def test_masking_for_other_stations_and_supervisors(world):
    mine = _worker(world.station_a)
    theirs = _worker(world.station_b)
    supervisor = factories.make_user(roles=("county_supervisor",), station=world.county_centre)
    phone = "+8613912345678"
    # The serving station reads it whole, in the national format (wording.phone_display).
    assert privacy.show_phone(mine, phone, world.room_a1.id) == "139 1234 5678"
    assert privacy.show_phone(theirs, phone, world.station_a.id) == "139********"
    assert privacy.show_phone(supervisor, phone, world.station_a.id) == "139********"
    assert privacy.show_person_name(mine, "王小红", world.station_a.id, True) == "王小红"
    masked = privacy.show_person_name(supervisor, "王小红", world.station_a.id, True)
    assert masked.startswith("王") and "小红" not in masked
    assert privacy.show_person_name(supervisor, "王建国", world.station_a.id, False) == "王建国"


def test_distances_come_from_geo_and_the_dead_fallbacks_are_gone(world):
    from app.services import geo, ledger

    r = factories.make_request(world.station_a, village=world.village_a2)
    station = world.station_a
    assert console.distance_to_station(r) == geo.distance_km(r.lat, r.lon, station.lat, station.lon)
    assert not hasattr(console, "haversine_km")
    assert not hasattr(ledger, "_minimal_request")
