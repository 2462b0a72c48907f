"""The request page's texts: send a failed one again, or give one up (issue 13)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.console import bp
from app.blueprints.console.helpers import WORKERS
from app.blueprints.console.routes import _render_request, _request_or_404, _request_to_act_on
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.extensions import db
from app.models import OutboxMessage
from app.services.notifications import followup


@bp.post("/r/<int:request_id>/sms/<int:message_id>/resend")
@role_required(*WORKERS)
def resend_sms(request_id: int, message_id: int):
    return _on_message(
        request_id, message_id, followup.resend, _("The text goes out again in a moment.")
    )


@bp.post("/r/<int:request_id>/sms/<int:message_id>/give-up")
@role_required(*WORKERS)
def give_up_sms(request_id: int, message_id: int):
    return _on_message(
        request_id, message_id, followup.give_up, _("Given up: the text is no longer tried.")
    )


def _on_message(request_id: int, message_id: int, action, done: str):
    found = _request_to_act_on(request_id)  # only the requests the worker serves
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.request_id != found.id:
        abort(404)
    outcome = attempt(action, found, message, actor=current_user)
    if not outcome.ok:
        return _render_request(_request_or_404(request_id), error=outcome.error.message, status=422)
    flash(done)
    return redirect(url_for("console.request_page", request_id=request_id, _anchor="sms"))
