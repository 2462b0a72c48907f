"""The demo's clock and dice: the seams every use case reads the time and codes through."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from app.demo.clock import frozen_at, seeded_codes
from app.models.base import utcnow
from app.services import wording
from app.services.codes import new_reply_code, new_tracking_code


def test_utcnow_answers_the_frozen_time_until_the_block_ends():
    then = datetime(2026, 3, 1, 1, 30)
    with frozen_at(then) as clock:
        assert utcnow() == then
        clock.advance(minutes=90)
        assert utcnow() == datetime(2026, 3, 1, 3, 0)
        clock.move_to(then - timedelta(days=2))
        assert utcnow() == datetime(2026, 2, 27, 1, 30)
    assert abs(utcnow() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)


def test_today_is_the_local_day_of_the_frozen_time(app):
    with frozen_at(datetime(2026, 3, 1, 17, 0)):  # 01:00 on 2 March in Beijing
        assert wording.local_today() == date(2026, 3, 2)


def test_seeded_codes_repeat_and_the_real_ones_do_not():
    def codes():
        return [new_tracking_code() for _ in range(5)] + [new_reply_code() for _ in range(5)]

    with seeded_codes(random.Random(7)):
        first = codes()
    with seeded_codes(random.Random(7)):
        second = codes()
    assert first == second
    assert all(code.isdigit() for code in first)
    assert [len(code) for code in first] == [8] * 5 + [4] * 5
    assert codes() != codes()  # outside the block: the system's random source
