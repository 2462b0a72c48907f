"""Weekly windows as matching tests them, and packed small enough to go in an index.

A volunteer's windows are stored as JSON, ``[{"day": 0-6 (Monday = 0), "start": "08:00",
"end": "12:00"}, ...]``, about 190 bytes. Matching asks one question of them: is the
wanted moment (a weekday and a minute of the day, local time) inside one? ``spans`` turns
the windows into the exact set of (day, first minute, last minute) spans they accept: a
window that ends before it starts runs past midnight (its evening on its day, the rest on
the next day), and a window that cannot be read accepts nothing. ``pack`` writes the
spans as 4 bytes each (``VolunteerProfile.window_code``, kept by the model), so the
reach index can carry them and matching reads no table row for a request with a wanted
time (issue 17). ``accepts`` answers the question for either form, so the JSON and the
packed windows cannot disagree.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

MINUTES_A_DAY = 24 * 60
_SPAN = MINUTES_A_DAY * MINUTES_A_DAY  # a span's (first, last) pair as one number


def minutes(text: str) -> int:
    """ "08:30" -> 510 (not checked against the day's length: a span clips it)."""
    hours, mins = str(text).split(":")
    return int(hours) * 60 + int(mins)


def spans(windows: Iterable | None) -> list[tuple[int, int, int]]:
    """The (day 0-6, first minute, last minute) spans the weekly ``windows`` accept."""
    found = []
    for window in windows or ():
        try:
            start = minutes(window["start"])
            end = minutes(window["end"])
            day = int(window["day"])
        except (KeyError, TypeError, ValueError):
            continue
        if start <= end:
            found.append((day, start, end))
        else:  # past midnight: the evening on its day, the rest on the next day
            found.append((day, start, MINUTES_A_DAY - 1))
            found.append(((day + 1) % 7, 0, end))
    # Only what a moment (day 0-6, minute 0-1439) can fall in.
    return [
        (day, max(first, 0), min(last, MINUTES_A_DAY - 1))
        for day, first, last in found
        if 0 <= day < 7 and max(first, 0) <= min(last, MINUTES_A_DAY - 1)
    ]


def pack(windows: Iterable | None) -> bytes:
    """``spans(windows)`` as 4 bytes each (little-endian: day × 1440² + first × 1440 +
    last); b"" for none."""
    numbers = [day * _SPAN + first * MINUTES_A_DAY + last for day, first, last in spans(windows)]
    return struct.pack(f"<{len(numbers)}I", *numbers)


def accepts(windows: list | bytes | None, day: int, minute: int) -> bool:
    """Whether the windows (JSON, or ``pack``ed) accept ``minute`` of weekday ``day``."""
    if isinstance(windows, bytes | bytearray | memoryview):
        wanted = day * _SPAN
        for (number,) in struct.iter_unpack("<I", windows):
            if wanted <= number < wanted + _SPAN:
                span = number - wanted
                if span // MINUTES_A_DAY <= minute <= span % MINUTES_A_DAY:
                    return True
        return False
    return any(d == day and first <= minute <= last for d, first, last in spans(windows))
