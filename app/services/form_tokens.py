"""One-time form tokens for the staff's forms that record a service with no state to move
(a home visit, a welfare call): a double tap, or the back button and send again, records
it once. The page hands out a fresh token with the form; the use case spends it first,
in the same transaction as what it records, so a refused form leaves its token unspent.

The tokens share the ``form_token`` table with the public forms (their ``request_id``
stays empty). Two posts of one token at the same moment: the second insert fails on the
primary key (PostgreSQL waits for the first's commit; SQLite has one writer at a time)
and is answered as ``AlreadySent``; the caller's ``attempt`` rolls its work back.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import FormToken
from app.services import ServiceError, intake


class AlreadySent(ServiceError):
    """This form was sent before: what it records is there already."""


def new_token() -> str:
    return intake.new_form_token()


def spend(token: str | None) -> None:
    """Use ``token`` up, or refuse: ``AlreadySent`` for one used before, a ServiceError
    for a missing or tampered one (the page is old: reload it)."""
    if not intake.valid_form_token(token):
        raise ServiceError(
            _("This form has expired. Reload the page and send it again."), field="form_token"
        )
    if _spent(token):
        raise AlreadySent(_("This was recorded already: it was sent twice."))
    db.session.add(FormToken(token=token, request_id=None))
    try:
        db.session.flush()
    except IntegrityError:
        raise AlreadySent(_("This was recorded already: it was sent twice.")) from None


def _spent(token: str) -> bool:
    return db.session.get(FormToken, token) is not None
