"""Work assigned to a station's own social worker (``console.assign(worker=…)``): the worker
starts it (check-in) and finishes it (check-out: what was done, the hours) on the console's
request page, as a volunteer does on their task page, through the same use cases
(``claims.check_in`` / ``claims.check_out``). The check-out writes the service record
(source ``worker``) and sends the resident the same "please confirm" SMS.

Only the worker it is assigned to records it. A colleague or the station's admin would put
a service, and its hours, in someone else's name; when the work was done but not recorded,
the station closes the request with "service was given" (``console.close(served=True)``).
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Claim, HelpRequest, ServiceRecord, User
from app.services import ServiceError, claims


def worker_claim(request: HelpRequest) -> Claim | None:
    """The request's open claim held by a social worker, if it has one."""
    return db.session.scalar(
        select(Claim)
        .where(
            Claim.request_id == request.id,
            Claim.status == "active",
            Claim.worker_id.is_not(None),
        )
        .order_by(Claim.id.desc())
        .limit(1)
    )


def records_it(request: HelpRequest, user: User) -> bool:
    """Whether ``user`` is the worker who starts and finishes this request's work now."""
    claim = worker_claim(request)
    return claim is not None and claim.worker_id == user.id


def _claim_of(request: HelpRequest, actor: User) -> Claim:
    claim = worker_claim(request)
    if claim is None or claim.worker_id != actor.id:
        raise ServiceError(
            _("Only the social worker this request is assigned to can record its service.")
        )
    return claim


def start(request: HelpRequest, actor: User) -> Claim:
    """开始服务: the assigned worker starts the work."""
    return claims.check_in(_claim_of(request, actor), actor=actor)


def finish(request: HelpRequest, actor: User, *, outcome: str, hours) -> ServiceRecord:
    """完成服务: the assigned worker records what was done and the hours; one record."""
    return claims.check_out(_claim_of(request, actor), actor=actor, outcome=outcome, hours=hours)


def hours_text(hours: Decimal) -> str:
    """Hours as typed back to the worker: 1.50 -> 1.5, 2.00 -> 2."""
    return f"{hours.normalize():f}"
