"""Micro-wishes and resources linked, counted for a scope's period (issue 18): the figures
``stats.figures`` adds to each station's row and to the totals.

- **Wishes collected**: recorded (``created_at``) in the period.
- **Published**: first put on the board (``published_at``) in the period.
- **Claimed**: claims made (``claimed_at``) in the period that still hold or were
  fulfilled (a claim that lapsed, was rejected, expired or whose wish was withdrawn is
  emptied and not counted).
- **Fulfilled**: delivered (``fulfilled_at``) in the period.
- **Resources linked 链接资源** (yuan): the sum of the resources ledger's lines received
  (``received_on``, a local day) in the period: fulfilled wishes, donations, projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from app.extensions import db
from app.models import ResourceEntry, Wish


@dataclass
class WishFigures:
    collected: int = 0
    published: int = 0
    claimed: int = 0
    fulfilled: int = 0
    resources_yuan: Decimal = Decimal("0")


def by_station(scope, period) -> dict[int | None, WishFigures]:
    """Each station of ``scope`` with any figure, and None: the scope's total.

    Only the wishes with a stamp in the period are read; each figure counts its own stamp
    (a wish recorded last month and published this month is published, not collected)."""
    low, high = period.utc_bounds()
    ids = list(scope.station_ids) or [-1]

    def _in_period(column):
        return and_(column >= low, column < high)

    def _within(column):
        return func.sum(case((_in_period(column), 1), else_=0))

    stamps = (Wish.created_at, Wish.published_at, Wish.claimed_at, Wish.fulfilled_at)

    rows = db.session.execute(
        select(
            Wish.station_id,
            *(_within(column) for column in stamps),
        )
        .where(Wish.station_id.in_(ids), or_(*(_in_period(column) for column in stamps)))
        .group_by(Wish.station_id)
    ).all()
    found: dict[int | None, WishFigures] = {None: WishFigures()}
    for station_id, collected, published, claimed, fulfilled in rows:
        found[station_id] = WishFigures(
            int(collected or 0), int(published or 0), int(claimed or 0), int(fulfilled or 0)
        )
    money = db.session.execute(
        select(ResourceEntry.station_id, func.sum(ResourceEntry.value))
        .where(
            ResourceEntry.station_id.in_(ids),
            ResourceEntry.received_on >= period.start,
            ResourceEntry.received_on <= period.end,
        )
        .group_by(ResourceEntry.station_id)
    ).all()
    for station_id, total in money:
        found.setdefault(station_id, WishFigures()).resources_yuan = Decimal(total or 0).quantize(
            Decimal("0.01")
        )
    total = found[None]
    for station_id, row in found.items():
        if station_id is None:
            continue
        total.collected += row.collected
        total.published += row.published
        total.claimed += row.claimed
        total.fulfilled += row.fulfilled
        total.resources_yuan += row.resources_yuan
    return found
