"""The one privacy rule of every API read (issue 19): no name, no phone, no free-text
address; no description about a minor, in a sensitive category or tied to a ledger person;
a special group's place at its village's centre."""

from __future__ import annotations

import pytest

from app.services.open311 import public_request
from tests import factories
from tests.open311_support import all_strings


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


@pytest.mark.parametrize(
    "kwargs",
    [
        {"special_groups": ["left_behind_child"]},
        {"category": "emotional_support"},
        {"category": "crisis_intervention"},
    ],
)
def test_description_withheld_for_minors_and_sensitive_categories(asked, kwargs):
    assert public_request(asked(description="孩子一个人在家", **kwargs))["description"] == ""


def test_description_withheld_for_a_ledger_person_and_kept_otherwise(asked, world):
    person = factories.make_beneficiary(world.station_a, world.village_a1)
    assert public_request(asked(beneficiary_id=person.id))["description"] == ""
    assert public_request(asked(description="买米和油"))["description"] == "买米和油"


def test_special_group_place_is_the_village_centre(asked, world):
    lonely = asked(special_groups=["elderly_alone"], lat=34.76789, lon=113.60123)
    shown = public_request(lonely)
    assert (shown["lat"], shown["long"]) == (
        round(world.village_a1.lat, 3),
        round(world.village_a1.lon, 3),
    )
    other = public_request(asked(lat=34.76789, lon=113.60123))
    assert (other["lat"], other["long"]) == (34.768, 113.601)
