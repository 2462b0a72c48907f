"""The deadline job's use cases for micro-wishes (issue 18): claims that lapse, wishes past
their date, and confirmed claims past the day agreed.

- A claim the station has not confirmed within ``wishes.CONFIRM_DAYS`` goes back on the
  board (the donor is told; the family never heard of it).
- A wish past its deadline, on the board or claimed, ends as "expired" for good, with its
  own wording to a donor who held it (the board hides it already).
- A confirmed claim is never released by the job: the donor may have delivered and the
  station records it. The station's worker is texted once when it is past its day.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import User, Wish
from app.models.base import utcnow
from app.services import wording
from app.services.notifications import queue_sms
from app.services.wish_texts import text_claim_ended
from app.services.wishes import WISH_MACHINE, ending_of


def overdue_claim_ids(today: date | None = None) -> list[int]:
    """Unconfirmed claims past their ``claim_due``, wishes past their deadline still on
    the board or claimed (``release_claim``), and confirmed claims past their day whose
    station was not told yet (``tell_station``)."""
    today = today or wording.local_today()
    lapsed = (Wish.status == "claimed") & (Wish.claim_due < today)
    past = Wish.status.in_(("published", "claimed")) & (Wish.deadline < today)
    late = (Wish.status == "confirmed") & (Wish.claim_due < today)
    late &= Wish.overdue_told_at.is_(None)
    query = select(Wish.id).where(lapsed | past | late).order_by(Wish.id)
    return list(db.session.scalars(query))


def release_claim(wish_id: int) -> bool:
    """End what is due for one wish (see the module's docstring); False when nothing was
    (it was confirmed, fulfilled, withdrawn or released meanwhile)."""
    wish = db.session.get(Wish, wish_id)
    today = wording.local_today()
    if wish is None:
        return False
    if wish.status == "confirmed":
        return tell_station(wish, today)
    if wish.status not in ("published", "claimed"):
        return False
    ending = ending_of(wish)
    if wish.deadline < today:
        if WISH_MACHINE.try_move(wish, "expire") is None:
            return False
        text_claim_ended(wish, ending, "wish_claim_expired")
        return True
    if wish.status != "claimed" or wish.claim_due is None or wish.claim_due >= today:
        return False
    values = {"times_released": wish.times_released + 1}
    if WISH_MACHINE.try_move(wish, "release", values=values) is None:
        return False
    text_claim_ended(wish, ending, "wish_claim_lapsed")
    return True


def tell_station(wish: Wish, today: date) -> bool:
    """A confirmed claim past its day: text the worker who recorded the wish (else the
    station's phone), once. The claim stays: the delivery may still be recorded."""
    if wish.overdue_told_at is not None or wish.claim_due is None or wish.claim_due >= today:
        return False
    wish.overdue_told_at = utcnow()
    worker = db.session.get(User, wish.recorded_by_id) if wish.recorded_by_id else None
    phone = (worker.phone if worker is not None and worker.active else None) or (
        wish.station.phone if wish.station is not None else None
    )
    if phone:
        queue_sms(
            phone,
            "wish_overdue_station",
            language="zh",
            user_id=worker.id if worker is not None and worker.phone == phone else None,
            code=wish.code,
            what=wish.what,
        )
    db.session.flush()
    return True
