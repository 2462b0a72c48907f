"""Fixes from the outside review of micro-wishes (issue 18, part 2): what may go public,
who learns what from a claim, and how a claim ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services import ServiceError, wishes, wording
from tests.wish_support import make_child, worker_of


def _record(worker, child, what):
    return wishes.record(
        worker,
        child,
        what=what,
        category="study",
        estimated_value="100",
        deadline=wording.local_today() + timedelta(days=10),
    )


@pytest.mark.parametrize(
    "what",
    [
        "给晓梅的新书包",  # the given name alone
        "欧阳 晓梅的书包",  # a space does not hide the name
        "桃园小学校服",  # the village's stem as a school
        "三组18号孩子要书包",  # the address
        "白血病患儿的玩具",  # an illness
        "小名梅梅要个娃娃",  # a nickname
        "电话13900001111",  # phone digits
        "给建国家孙女的鞋",  # the guardian's given name
        "１３９００００１１１１",  # full-width digits
    ],
)
def test_a_wish_that_points_at_the_child_is_refused(world, what):
    worker = worker_of(world.station_a)
    child = make_child(world, address="桃园村三组18号")
    with pytest.raises(ServiceError) as error:
        _record(worker, child, what)
    assert error.value.field == "what"


@pytest.mark.parametrize("what", ["一个新书包", "小学生字典", "一双运动鞋", "冬天的棉衣"])
def test_an_ordinary_wish_still_goes_through(world, what):
    worker = worker_of(world.station_a)
    assert _record(worker, make_child(world), what).what == what
