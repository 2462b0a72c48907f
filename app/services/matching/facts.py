"""What the rules weigh besides a prospect's own row, read from the database: who served
this person before (continuity) and a volunteer's open claims. The pre-filter's one
statement reads the first, and every prospect's claims by status (load, reliability),
with the prospects (``prefilter._prospects_statement``)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import and_, bindparam, func, or_, select

from app.extensions import db
from app.models import Claim, HelpRequest, ServiceRecord


@cache
def served_where(variant: tuple[bool, bool, bool]):
    """Which service records are of this beneficiary or phone number (``served_variant``
    says which clause fits a request): the pre-filter reads them in its own statement."""
    by_person, by_phone, skip_request = variant
    clauses = []
    if by_person:
        clauses.append(ServiceRecord.beneficiary_id == bindparam("beneficiary_id"))
    if by_phone:
        earlier = select(HelpRequest.id).where(HelpRequest.contact_phone == bindparam("phone"))
        if skip_request:
            earlier = earlier.where(HelpRequest.id != bindparam("request_id"))
        clauses.append(ServiceRecord.request_id.in_(earlier))
    return or_(*clauses)


def served_variant(request: HelpRequest) -> tuple[tuple[bool, bool, bool] | None, dict]:
    """Which ``served_where`` fits ``request`` (None: nobody can have served it before,
    it names neither a beneficiary nor a phone number), and its parameters."""
    by_person = request.beneficiary_id is not None
    by_phone = bool(request.contact_phone)
    if not by_person and not by_phone:
        return None, {}
    params = {
        "beneficiary_id": request.beneficiary_id,
        "phone": request.contact_phone,
        "request_id": request.id,
    }
    return (by_person, by_phone, by_phone and request.id is not None), params


def open_claims_count(user_id: int) -> int:
    """Active claims a volunteer holds, their own or dispatched to them by a team."""
    return db.session.scalar(
        select(func.count(Claim.id)).where(
            Claim.status == "active",
            or_(
                and_(Claim.volunteer_id == user_id, Claim.team_id.is_(None)),
                Claim.dispatched_to_id == user_id,
            ),
        )
    )
