"""The one privacy rule of every API read (issue 19, after the outside review): no name, no
phone, no free-text address; no description at all but to a key of the serving station;
every place the village's centre; the professional categories not public at all."""

from __future__ import annotations

import itertools

import pytest

from app.models import HelpRequest
from app.models.vocab import CATEGORIES, CHANNELS, RESIDENT_CATEGORIES, SPECIAL_GROUPS
from app.services.open311 import NOT_PUBLIC, Reader, public_request, publicly_listed
from tests import factories
from tests.open311_support import all_strings

# What the review read back through the old phone/name scrubber.
LEAKED = (
    "电话138.0013.8000 找王秀英",
    "电话一三八零零一三八零零零",
    "住幸福村5组8号, 女儿李小红",
    "王 秀英 奶奶",
    "孙子小明10岁, 三年级, 父母在外打工",
)


@pytest.fixture
def asked(world):
    def _asked(**kwargs):
        kwargs.setdefault("village", world.village_a1)
        return factories.make_request(world.station_a, **kwargs)

    return _asked


def test_no_name_phone_or_address_ever(asked):
    request = asked(
        contact_name="张三丰",
        contact_phone="+8613912345678",
        address="杏花路 8 号 3 单元",
        description="请打 13912345678 找张三丰",
    )
    text = " ".join(all_strings(public_request(request)))
    for secret in ("张三丰", "13912345678", "8 号", "杏花路"):
        assert secret not in text
    assert "杏花社区" in text  # the village is fine


@pytest.mark.parametrize("words", LEAKED)
def test_no_description_to_the_public_or_another_station(asked, world, words):
    request = asked(description=words, contact_name="王秀英")
    assert public_request(request)["description"] == ""
    assert public_request(request, Reader(world.station_b.id))["description"] == ""
    assert public_request(request, Reader(world.station_a.id))["description"] == words


def test_every_place_is_the_village_centre_and_none_without_a_village(asked, world):
    centre = (round(world.village_a1.lat, 3), round(world.village_a1.lon, 3))
    plain = public_request(asked(lat=34.76789, lon=113.60123))
    assert (plain["lat"], plain["long"]) == centre
    person = factories.make_beneficiary(world.station_a, world.village_a1)
    tied = public_request(asked(beneficiary_id=person.id, lat=34.76789, lon=113.60123))
    assert (tied["lat"], tied["long"]) == centre
    nowhere = public_request(asked(village=None, lat=34.76789, lon=113.60123))
    assert (nowhere["lat"], nowhere["long"]) == (None, None)


def test_professional_categories_are_listed_for_the_serving_station_only(asked, world):
    assert {"crisis_intervention", "emotional_support", "needs_assessment"} <= NOT_PUBLIC
    for category in NOT_PUBLIC:
        request = asked(category=category)
        assert not publicly_listed(request)
        assert not publicly_listed(request, Reader(world.station_b.id))
        assert publicly_listed(request, Reader(world.station_a.id))
    assert publicly_listed(asked(category="tutoring"))


def test_every_category_group_and_channel_is_public_without_words_or_a_finer_place(world):
    """Each category x special group (and none) x channel, and a child for whom: the public
    projection has no description and no place finer than the village's centre."""
    village = world.village_a1
    centre = (round(village.lat, 3), round(village.lon, 3))
    groups = [[], *([group] for group in SPECIAL_GROUPS)]
    for category, group, channel in itertools.product(CATEGORIES, groups, CHANNELS):
        request = HelpRequest(
            id=1,
            category=category,
            status="new",
            channel=channel,
            special_groups=group,
            for_whom="family",
            station_id=world.station_a.id,
            village=village,
            lat=village.lat + 0.00123,
            lon=village.lon - 0.00456,
            description="孩子小明10岁, 电话13800138000",
        )
        shown = public_request(request, Reader(world.station_b.id))
        assert shown["description"] == "", (category, group, channel)
        assert (shown["lat"], shown["long"]) == centre, (category, group, channel)
        assert "小明" not in " ".join(all_strings(shown))


def test_every_service_code_read_is_one_the_services_list_knows(asked):
    """Review: requests read back with codes /services did not list (a safety check)."""
    for category in CATEGORIES:
        shown = public_request(asked(category=category))
        assert shown["service_code"] in RESIDENT_CATEGORIES
        assert shown["service_name"] == str(RESIDENT_CATEGORIES[shown["service_code"]])
    assert public_request(asked(category="safety_check"))["service_code"] == "other"
