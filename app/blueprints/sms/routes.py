"""SMS: the staff page of what was sent and received, and Twilio's two webhooks.

The webhooks are signed by Twilio (X-Twilio-Signature), not by our CSRF token: they are
exempt from CSRF and refuse anything whose signature does not match with 403. The URL
signed is PUBLIC_BASE_URL + path, the address Twilio called, whatever a proxy made of it.
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.blueprints.guards import role_required
from app.blueprints.sms import bp
from app.extensions import csrf, db
from app.models import InboundMessage
from app.services import links
from app.services.notifications import delivery
from app.services.notifications import inbound as inbound_texts
from app.services.notifications.history import (
    COMMAND_LABELS,
    HOLD_LABELS,
    STATUS_FILTERS,
    STATUS_LABELS,
    error_label,
    received_messages,
    status_counts,
)
from app.services.outbox_view import recent_messages, shown_bodies
from app.services.phones import mask_phone, try_normalise_phone

LABELS = {
    "mask_phone": mask_phone,
    "status_labels": STATUS_LABELS,
    "hold_labels": HOLD_LABELS,
    "command_labels": COMMAND_LABELS,
    "error_label": error_label,
}


@bp.get("/sent")
@role_required("social_worker", "station_admin", "county_supervisor")
def sent():
    show = request.args.get("show", "all")
    if show not in STATUS_FILTERS:
        show = "all"
    messages = recent_messages(current_user, statuses=STATUS_FILTERS[show])
    received = received_messages(current_user) if show == "all" else []
    return render_template(
        "sms/sent.html",
        **_texts_shown(messages, received),
        counts=status_counts(current_user),
        show=show,
        **LABELS,
    )


def _texts_shown(messages, received) -> dict:
    """The texts, and their bodies as the reader may see them (codes of others starred)."""
    return {
        "messages": messages,
        "bodies": shown_bodies(current_user, messages),
        "received": received,
        "received_bodies": shown_bodies(current_user, received),
        "received_replies": shown_bodies(current_user, received, "reply"),
    }


def _signature_ok() -> bool:
    from twilio.request_validator import RequestValidator

    token = current_app.config.get("TWILIO_AUTH_TOKEN", "")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = links.base_url() + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return RequestValidator(token).validate(url, request.form, signature)


def _twiml(text: str) -> Response:
    from twilio.twiml.messaging_response import MessagingResponse

    answer = MessagingResponse()
    if text:
        answer.message(text)
    return Response(str(answer), mimetype="application/xml")


@bp.post("/inbound")
@csrf.exempt
def inbound():
    """A text to our number: act on it and answer with TwiML."""
    if not _signature_ok():
        abort(403)
    from_phone = _sender()
    provider_id = request.form.get("MessageSid") or request.form.get("SmsSid") or None
    if not from_phone:
        return _twiml("")
    body = request.form.get("Body", "")
    try:
        reply = inbound_texts.handle_inbound(from_phone, body, provider_id).reply
    except IntegrityError as error:
        reply = _reply_given_before(provider_id, error)
    return _twiml(reply)


def _sender() -> str:
    raw_from = request.form.get("From", "")
    return try_normalise_phone(raw_from) or raw_from.strip()


def _reply_given_before(provider_id: str | None, error: IntegrityError) -> str:
    """The same webhook, retried while the first was still being handled (its row's
    unique provider id refused this one): answer alike, with nothing of ours kept."""
    db.session.rollback()
    seen = db.session.query(InboundMessage).filter_by(provider_id=provider_id).first()
    if seen is None:
        raise error
    return seen.reply


@bp.post("/status")
@csrf.exempt
def status():
    """Twilio's delivery report for a message we sent."""
    if not _signature_ok():
        abort(403)
    delivery.apply_status_callback(
        request.form.get("MessageSid", ""),
        request.form.get("MessageStatus") or request.form.get("SmsStatus", ""),
        request.form.get("ErrorCode", ""),
        message_id=request.args.get("m"),
    )
    return Response(status=204)
