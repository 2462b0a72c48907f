"""The offer jobs: expire offers past their time (the next round starts, or the request is
escalated), and offer the new requests of stations that offer on their own.

One unit of work per request.
"""

from __future__ import annotations

from app.extensions import db
from app.jobs.units import each_in_its_own_unit
from app.models import HelpRequest
from app.services import offers


def expire_offers() -> int:
    """Expire overdue offers and start the next round (or escalate); the number expired."""
    return each_in_its_own_unit(
        "expire offers", offers.requests_with_expired_offers(), _expire_offers_of
    )


def _expire_offers_of(request_id: int) -> int:
    request = db.session.get(HelpRequest, request_id)
    return offers.expire_offers_of(request) if request is not None else 0


def auto_offer_new_requests() -> int:
    """Accept and offer the normal new requests of auto-offer stations; how many."""
    return each_in_its_own_unit(
        "auto-offer new requests", offers.requests_to_auto_offer(), _auto_offer
    )


def _auto_offer(request_id: int) -> int:
    request = db.session.get(HelpRequest, request_id)
    return int(request is not None and offers.auto_offer(request))
