"""Helpers for the micro-wish tests (issue 18): a child of the ledger and a wish for them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import wishes, wording
from tests import factories

CHILD = {
    "name": "欧阳晓梅",
    "birth_year": None,  # set from today: 9 years old
    "guardian_name": "欧阳建国",
    "guardian_relation": "祖父",
    "address": "桃园村三组18号",
    "special_groups": ["left_behind_child"],
}
DONOR_PHONE = "+8613812345678"


def make_child(world, **overrides):
    values = {**CHILD, "birth_year": wording.local_today().year - 9, **overrides}
    values.setdefault("guardian_phone", "+8613900001111")
    values.setdefault("phone", None)
    return factories.make_beneficiary(world.station_a, world.village_a2, **values)


def worker_of(station):
    return factories.make_user(roles=("social_worker",), station=station, name="李社工")


def make_wish(worker, child, *, publish: bool = True, days: int = 30, **overrides):
    values = {
        "what": "一个新书包",
        "category": "study",
        "estimated_value": "120",
        "deadline": wording.local_today() + timedelta(days=days),
        **overrides,
    }
    wish = wishes.record(worker, child, **values)
    if publish:
        wishes.publish(worker, wish)
    return wish


def texts_to(phone: str) -> list[OutboxMessage]:
    db.session.flush()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_phone == phone).order_by(OutboxMessage.id)
        )
    )


def secrets_of(child) -> list[str]:
    """What nothing public may show of the child (the privacy test's list)."""
    age = wording.local_today().year - child.birth_year
    values = [
        child.name,
        child.name[1:],  # the given name alone
        child.name[0] + "同学",
        f"{age}岁",
        f"{age} years",
        str(child.birth_year),
        child.village.name,
        child.address,
        child.guardian_name,
        child.guardian_phone,
        child.guardian_phone[3:],
        wording.phone_display(child.guardian_phone),
    ]
    return [value for value in values if value]


VALUE = Decimal("120.00")
