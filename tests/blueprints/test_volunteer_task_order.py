"""Nearby tasks say how they are ordered, and the order is what they say (issue 13)."""

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Offer
from app.models.base import utcnow
from tests.volunteer_support import (
    fast_passwords,
    north_of,
    request_in_a1,
    sign_in,
    volunteer_near,
)

pytestmark = pytest.mark.usefixtures(fast_passwords.__name__)


def offer_to(volunteer, request, km: float) -> None:
    db.session.add(
        Offer(
            request_id=request.id,
            volunteer_id=volunteer.id,
            round=1,
            rank=1,
            distance_km=km,
            reasons=[],
            reply_code="K7M3",
            status="pending",
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.session.commit()


def task_links(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/v/t/(\d+)"', html)]


def test_tasks_sent_to_you_have_their_own_heading_above_the_nearest_first_list(client, world):
    volunteer = volunteer_near(world, 0)
    near = request_in_a1(world, status="offered", category="shopping")
    middle = request_in_a1(
        world, status="offered", category="shopping", **north_of(world.village_a1, 2)
    )
    far_but_sent = request_in_a1(
        world, status="offered", category="companionship", **north_of(world.village_a1, 4)
    )
    offer_to(volunteer, far_but_sent, 4.0)
    sign_in(client, volunteer)
    for headers in ({}, {"HX-Request": "true"}):
        html = client.get("/v/tasks", headers=headers).get_data(as_text=True)
        assert "专门发给您的" in html and "离您近的排在前面" in html
        sent_part, nearby_part = html.split("离您近的排在前面", 1)
        assert "专门发给您的" in sent_part
        # The pinned offer sits under its own heading; the list below is in true
        # distance order, nearest first.
        assert task_links(sent_part) == [far_but_sent.id]
        assert task_links(nearby_part) == [near.id, middle.id]


def test_without_offers_there_is_no_sent_to_you_heading(client, world):
    volunteer = volunteer_near(world, 0)
    near = request_in_a1(world, status="offered", category="shopping")
    further = request_in_a1(
        world, status="offered", category="shopping", **north_of(world.village_a1, 3)
    )
    sign_in(client, volunteer)
    html = client.get("/v/tasks").get_data(as_text=True)
    assert "专门发给您的" not in html and "离您近的排在前面" in html
    assert task_links(html.split("离您近的排在前面", 1)[1]) == [near.id, further.id]
