"""Weekly windows, as JSON and packed for the reach index (models/windows.py): both forms
accept exactly the moments the windows' rule accepts, odd and broken windows included."""

from __future__ import annotations

import struct
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.windows import accepts, pack, spans
from app.services.matching import rules


def _by_the_rule(windows, day: int, minute: int) -> bool:
    """The rule as matching worded it before the windows were packed (kept here as the
    specification): a window that ends before it starts runs past midnight; one that
    cannot be read accepts nothing."""
    for window in windows or []:
        try:
            hours, mins = str(window["start"]).split(":")
            start = int(hours) * 60 + int(mins)
            hours, mins = str(window["end"]).split(":")
            end = int(hours) * 60 + int(mins)
            window_day = int(window["day"])
        except (KeyError, TypeError, ValueError):
            continue
        if start <= end:
            if window_day == day and start <= minute <= end:
                return True
        elif (window_day == day and minute >= start) or (
            (window_day + 1) % 7 == day and minute <= end
        ):
            return True
    return False


_times = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}", st.integers(-2, 27), st.integers(0, 75)
) | st.sampled_from(["", "8", "08:00:00", "ab:cd", None, 800])
_window = st.fixed_dictionaries(
    {"day": st.integers(-8, 14) | st.sampled_from(["3", "x", None]), "start": _times, "end": _times}
) | st.dictionaries(st.sampled_from(["day", "start", "end"]), st.just("09:00"), max_size=2)
_windows = st.lists(_window, max_size=8) | st.none()


@settings(max_examples=400, deadline=None)
@given(_windows, st.integers(0, 6), st.integers(0, 24 * 60 - 1))
def test_both_forms_accept_what_the_rule_accepts(windows, day, minute):
    expected = _by_the_rule(windows, day, minute)
    assert accepts(windows, day, minute) is expected
    assert accepts(pack(windows), day, minute) is expected


def test_a_night_window_runs_into_the_next_day_and_sunday_into_monday():
    night = [{"day": 6, "start": "22:00", "end": "06:30"}]
    assert spans(night) == [(6, 22 * 60, 24 * 60 - 1), (0, 0, 6 * 60 + 30)]
    code = pack(night)
    assert len(code) == 8
    assert accepts(code, 6, 23 * 60) and accepts(code, 0, 6 * 60 + 30)
    assert not accepts(code, 0, 6 * 60 + 31) and not accepts(code, 6, 21 * 60 + 59)
    assert not accepts(code, 1, 60)


def test_no_windows_accept_nothing_and_the_packed_form_is_four_bytes_a_span():
    assert pack(None) == b"" == pack([]) == pack([{"day": 1}])
    assert not accepts(None, 0, 0) and not accepts(b"", 0, 0)
    week = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(7)]
    code = pack(week)
    assert len(code) == 28
    assert [n for (n,) in struct.iter_unpack("<I", code)] == sorted(
        d * 1440 * 1440 + 540 * 1440 + 1020 for d in range(7)
    )


def test_the_rules_read_either_form():
    monday_10 = datetime(2026, 11, 30, 10, 0)  # a Monday
    windows = [{"day": 0, "start": "09:00", "end": "10:00"}]
    assert rules.available(windows, monday_10) and rules.available(pack(windows), monday_10)
    late = monday_10.replace(minute=1)
    assert not rules.available(windows, late) and not rules.available(pack(windows), late)
    assert rules.available(b"", None)  # no wanted time fits everybody
