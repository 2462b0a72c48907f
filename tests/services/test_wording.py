"""One wording table: local times, places, phones and labels, the same in an SMS and a page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from flask_babel import force_locale

from app.services import wording
from tests import factories

# 2026-11-28 06:05 UTC is 14:05 in Asia/Shanghai (the test config's LOCAL_TIMEZONE).
STORED = datetime(2026, 11, 28, 6, 5)


def test_one_conversion_to_local_time_and_back(app):
    local = wording.to_local(STORED)
    assert (local.day, local.hour, local.minute) == (28, 14, 5)
    assert str(local.tzinfo) == "Asia/Shanghai"
    assert wording.to_local(STORED.replace(tzinfo=UTC)) == local  # aware in, same answer
    assert wording.to_utc(datetime(2026, 11, 28, 14, 5)) == STORED  # as a form gives it
    assert wording.to_utc(local) == STORED


def test_the_local_day_turns_at_local_midnight(app):
    assert wording.local_date(datetime(2026, 11, 28, 15, 59)) == date(2026, 11, 28)
    assert wording.local_date(datetime(2026, 11, 28, 16, 0)) == date(2026, 11, 29)


def test_the_zone_comes_from_config(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOCAL_TIMEZONE", "Europe/London")
    assert wording.clock_text(STORED) == "06:05"


def test_a_time_is_worded_alike_in_an_sms_and_a_page(app):
    assert wording.date_time_text(STORED, "zh") == "11月28日 14:05"
    assert wording.date_time_text(STORED, "en") == "28 Nov 14:05"
    with force_locale("en"):
        assert wording.date_time_text(STORED) == "28 Nov 14:05"
        assert wording.wanted_time_text(STORED) == "28 Nov 14:05"
    assert wording.clock_text(STORED) == "14:05"
    assert wording.stamp_text(STORED) == "2026-11-28 14:05"
    assert wording.stamp_text(None) == ""


def test_no_wanted_time_is_the_note_else_any_time(app):
    assert wording.wanted_time_text(None, "下午都行", "zh") == "下午都行"
    assert wording.wanted_time_text(None, "", "zh") == "时间不限"
    assert wording.wanted_time_text(None, "", "en") == "any time"
    assert wording.wanted_time_text(STORED, "下午都行", "zh") == "11月28日 14:05"


def test_a_place_is_the_village_else_the_station(world):
    in_village = factories.make_request(world.station_a, village=world.village_a1)
    nowhere = factories.make_request(world.station_b)
    assert wording.place_label(in_village) == "杏花社区"
    assert wording.place_label(nowhere) == "柳林镇社工站"
    assert wording.place_label(SimpleNamespace(village=None, station=None)) == ""


def test_one_phone_format_the_national_one(app):
    assert wording.phone_display("+8613800138000") == "138 0013 8000"
    assert wording.phone_display("+8637112345678") == "0371 1234 5678"
    assert wording.phone_display("+861012345678") == "010 1234 5678"
    assert wording.phone_display("") == ""
    assert wording.phone_display(None) == ""
    assert wording.phone_display("12345") == "12345"  # not a number we can read: as it is


def test_labels_in_the_reader_or_the_page_language(app):
    assert wording.category_label("shopping", "zh") == "代购"
    assert wording.category_label("shopping", "en") == "Shopping errands"
    assert wording.category_label("no_such_code", "en") == "no_such_code"
    assert wording.category_label(None) == ""
    with force_locale("en"):
        assert wording.status_label("done") == "Awaiting confirmation"
        assert wording.urgency_label("crisis") == "Crisis"
    assert wording.status_label("done", "zh") == "待确认"


def test_an_event_is_its_label_or_its_move_or_its_status(app):
    def event(action, to_status=None, rating=None):
        return SimpleNamespace(
            action=action, to_status=to_status, request=SimpleNamespace(rating=rating)
        )

    with force_locale("en"):
        assert wording.event_label(event("escalate")) == "Escalated to the county"
        assert wording.event_label(event("check_in", "in_progress")) == "Service started"
        assert wording.event_label(event("rated", rating=4)) == (
            "Rated by the resident: 4 of 5 stars"
        )
        assert wording.event_label(event("unknown", "closed")) == "Closed"
        assert wording.event_label(event("unknown")) == "unknown"


def test_every_template_gets_the_same_helpers(app):
    for name, function in wording.TEMPLATE_GLOBALS.items():
        assert app.jinja_env.globals[name] is function


def test_who_made_an_event_and_how_long_it_waited(app):
    by_system = SimpleNamespace(actor=None, actor_label="system")
    by_worker = SimpleNamespace(actor=SimpleNamespace(name="李社工"), actor_label="staff")
    with force_locale("en"):
        assert wording.event_actor(by_system) == "System"
        assert wording.event_actor(by_worker) == "李社工"
        now = datetime(2026, 11, 28, 12, 0)
        assert wording.waited(datetime(2026, 11, 28, 11, 55), now) == "5 min"
        assert wording.waited(datetime(2026, 11, 28, 9, 0), now) == "3 h"
        assert wording.waited(datetime(2026, 11, 24, 12, 0), now) == "4 days"
        assert wording.waited(None, now) == ""


def test_a_lists_waits_are_worded_as_one_at_a_time(app):
    """waited_all (a queue page's lines, each unit translated once) says what waited says."""
    now = datetime(2026, 11, 28, 12, 0)
    moments = [
        datetime(2026, 11, 28, 11, 55),
        None,
        datetime(2026, 11, 28, 9, 0),
        datetime(2026, 11, 26, 12, 1),
        datetime(2026, 11, 24, 12, 0),
        datetime(2026, 11, 28, 11, 0, 1),
        now,
    ]
    for language in ("en", "zh"):
        with force_locale(language):
            assert wording.waited_all(moments, now) == [wording.waited(m, now) for m in moments]
    with force_locale("zh"):
        assert wording.waited_all(moments[:3], now) == ["5分钟", "", "3小时"]


def test_the_resident_reads_the_timeline_in_plain_words(app):
    def event(action, note=""):
        return SimpleNamespace(action=action, note=note)

    with force_locale("en"):
        assert wording.resident_event_text(event("claim"), "小李") == "小李 will help you."
        assert wording.resident_event_text(event("claim"), "") == "A helper has been found."
        assert wording.resident_event_text(event("note", "明天上门"), "") == (
            "Message from the station: 明天上门"
        )
        assert wording.resident_event_text(event("note"), "") is None
        assert wording.resident_event_text(event("escalate"), "") is None


def test_a_pages_labels_are_the_same_words_as_one_at_a_time(app):
    with app.test_request_context(), force_locale("zh"):
        labels = wording.labels_for(
            category=["shopping", "shopping", "meal_delivery"],
            urgency=["urgent"],
            status=["new", "offered"],
            channel=["web"],
            group=["elderly_alone"],
        )
        assert labels["category"] == {
            "shopping": wording.category_label("shopping"),
            "meal_delivery": wording.category_label("meal_delivery"),
        }
        assert labels["urgency"] == {"urgent": wording.urgency_label("urgent")}
        assert labels["status"]["offered"] == wording.status_label("offered")
        assert labels["channel"]["web"] == wording.channel_label("web")
        assert labels["group"]["elderly_alone"] == wording.group_label("elderly_alone")
        assert labels["category"]["shopping"] != "shopping"  # translated, not the code
