"""Notifications: write SMS into the outbox in the caller's transaction.

A worker (``flask worker``) sends them later, so a message is never lost when the
provider is down and never sent for a change that was rolled back.
"""

from __future__ import annotations

from functools import lru_cache

from app.extensions import db
from app.models import OutboxMessage
from app.services.codes import code_text
from app.services.notifications.templates import TEMPLATES, render
from app.services.wording import phone_display


def queue_sms(to_phone: str | None, template: str, **options: object) -> OutboxMessage | None:
    """Add an SMS to the outbox (flushed with the caller's commit). None if no phone.
    ``options``: ``sms_columns``'s keywords (language, request_id, user_id, crisis) and the
    template's values."""
    if not to_phone:
        return None
    message = OutboxMessage(**sms_columns(to_phone, template, **options))
    db.session.add(message)
    return message


def sms_columns(
    to_phone: str,
    template: str,
    *,
    language: str = "zh",
    request_id: int | None = None,
    user_id: int | None = None,
    crisis: bool = False,
    **values: object,
) -> dict[str, object]:
    """The columns ``queue_sms`` sets on an outbox row (the rest are the model's defaults)."""
    return dict(
        to_phone=to_phone,
        body=render(template, language, **values),
        template=template,
        language=language,
        request_id=request_id,
        user_id=user_id,
        crisis=crisis,
    )


def language_for_phone(phone: str | None, default: str = "zh") -> str:
    """The language a person reads: their account's, else Chinese."""
    from sqlalchemy import select

    from app.models import User

    if not phone:
        return default
    language = db.session.scalar(
        select(User.language).where(User.phone == phone, User.phone_confirmed_at.is_not(None))
    )
    return language if language in ("zh", "en") else default


def station_phone(request) -> str:
    """The serving station's phone as people dial it, or "" when it has none on file
    (then a text says none rather than a hotline the station does not run). ``request``:
    anything with a ``station`` (a request, a micro-wish)."""
    station = request.station
    return _phone_display(station.phone) if station is not None and station.phone else ""


# A station's few numbers, formatted once per process (phonenumbers parses slowly): the
# text depends on the number alone, so a kept one is never stale.
_phone_display = lru_cache(maxsize=256)(phone_display)


def with_station_phone(holder, template: str) -> tuple[str, str]:
    """The template and the station's phone of ``holder`` (see ``station_phone``): the
    template's ``_no_phone`` form when the station has no phone on file."""
    phone = station_phone(holder)
    if not phone and f"{template}_no_phone" in TEMPLATES:
        template = f"{template}_no_phone"
    return template, phone


def resident_text(request, template: str) -> tuple[str, dict[str, object]]:
    """The template and the values every text to a request's resident shares: its code as
    read out, and the station's phone (the template's ``_no_phone`` form without one)."""
    template, phone = with_station_phone(request, template)
    return template, {"code": code_text(request.code), "phone": phone}


def queue_to_resident(request, template: str, **values: object) -> OutboxMessage | None:
    """Text the person who asked, in the language of their request."""
    if not request.contact_phone:
        return None
    message = OutboxMessage(**resident_sms_columns(request, template, **values))
    db.session.add(message)
    return message


def resident_sms_columns(request, template: str, **values: object) -> dict[str, object]:
    """The columns of ``queue_to_resident``'s outbox row (``request`` has a phone): for a
    writer that inserts the row itself (intake_rows)."""
    template, shared = resident_text(request, template)
    return sms_columns(
        request.contact_phone,
        template,
        language=request.language if request.language in ("zh", "en") else "zh",
        request_id=request.id,
        **{**shared, **values},
    )
