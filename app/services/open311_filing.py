"""Open311's POST requests (issue 19): a request filed by another system with a station's
API key, through the same ``intake.submit_request`` as the web form and the SMS, with
channel ``api``; the key's maker files it (on its timeline). Refusals are ``Open311Error``
in the specification's terms (400 bad input, 403 bad key)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, HelpRequest, Region
from app.models.vocab import RESIDENT_CATEGORIES, SPECIAL_GROUPS
from app.services import ServiceError, intake, workflow
from app.services.open311 import API_FOR_WHOM, Open311Error, parse_moment, stations_in
from app.services.phones import try_normalise_phone


def file_request(
    key: ApiKey | None,
    form: Mapping[str, str],
    attributes: Mapping[str, list[str]],
    jurisdiction: Region | None = None,
):
    """POST requests: a request with channel ``api``, filed through intake by the key's
    maker. ``attributes`` are the ``attribute[...]`` fields by code (all their values).
    With a ``jurisdiction``, the request must be routed to a station inside it, else 400
    (the caller's error handler rolls the filing back)."""
    if key is None:
        raise Open311Error(403, _("The api_key is missing, wrong or revoked."))
    service_code = (form.get("service_code") or "").strip()
    if service_code not in RESIDENT_CATEGORIES:
        raise Open311Error(400, _("Choose a service_code from the services list."))
    lat, lon = _coordinates(form)
    village_id = _village_id(attributes)
    address = (form.get("address_string") or "").strip()
    if lat is None and not address and village_id is None:
        raise Open311Error(400, _("Give lat and long, or address_string."))
    details = dict(
        category=service_code,
        description=_text(form.get("description"), 2000),
        lat=lat,
        lon=lon,
        village_id=village_id,
        address=address[:200],
        contact_phone=_phone(form.get("phone")),
        contact_name=_name(form.get("first_name"), form.get("last_name")),
        consent=True,
        consent_method="api",
        **_attribute_values(attributes),
    )
    try:
        filed = intake.submit_request(
            channel="api", by=key.created_by, confirmed_new=True, **details
        )
    except ServiceError as error:
        raise Open311Error(400, error.message) from None
    if jurisdiction is not None and filed.station_id not in stations_in(jurisdiction):
        raise Open311Error(
            400, _("The request's place is not in the jurisdiction %(id)s.", id=jurisdiction.code)
        )
    _note_media(filed, form.get("media_url"), key)
    return filed


def created(request: HelpRequest) -> list[dict]:
    return [
        {
            "service_request_id": str(request.id),
            "token": str(request.id),
            "service_notice": _("Received: the station will answer."),
            "account_id": "",
        }
    ]


def _coordinates(form: Mapping[str, str]) -> tuple[float | None, float | None]:
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not lat and not lon:
        return None, None
    try:
        values = float(lat), float(lon)
    except ValueError:
        raise Open311Error(400, _("lat and long must be numbers (WGS-84 degrees).")) from None
    if not (-90 <= values[0] <= 90 and -180 <= values[1] <= 180):
        raise Open311Error(400, _("lat and long must be numbers (WGS-84 degrees)."))
    return values


def _village_id(attributes: Mapping[str, list[str]]) -> int | None:
    code = (attributes.get("village_code") or [""])[0].strip()
    if not code:
        return None
    village = db.session.scalars(select(Region).where(Region.code == code[:12])).first()
    if village is None or village.code != code or village.level != "village":
        raise Open311Error(400, _("attribute[village_code] is not the code of a village."))
    return village.id


def _attribute_values(attributes: Mapping[str, list[str]]) -> dict:
    values: dict = {}
    for_whom = (attributes.get("for_whom") or [""])[0].strip()
    if for_whom:
        if for_whom not in API_FOR_WHOM:
            raise Open311Error(400, _("attribute[for_whom] is not one of its values."))
        values["for_whom"] = for_whom
    groups = [g.strip() for g in attributes.get("special_groups") or [] if g.strip()]
    if any(group not in SPECIAL_GROUPS for group in groups):
        raise Open311Error(400, _("attribute[special_groups] has a value that is not listed."))
    values["special_groups"] = groups
    wanted = (attributes.get("wanted_at") or [""])[0].strip()
    if wanted:
        values["wanted_at"] = parse_moment(wanted, "attribute[wanted_at]")
    values["wanted_note"] = _text((attributes.get("wanted_note") or [""])[0], 64)
    return values


def _phone(raw: str | None) -> str | None:
    if not (raw or "").strip():
        return None
    phone = try_normalise_phone(raw[:40])
    if phone is None:
        raise Open311Error(400, _("phone is not a phone number."))
    return phone


def _name(first: str | None, last: str | None) -> str:
    first, last = _text(first, 32), _text(last, 32)
    if all("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"  # Chinese order: family name first
    return " ".join(part for part in (first, last) if part)


def _text(value: str | None, limit: int) -> str:
    return (value or "").replace("\x00", "").strip()[:limit]


def _note_media(request: HelpRequest, media_url: str | None, key: ApiKey) -> None:
    """A photo link the client sent: kept on the station's side of the timeline."""
    url = (media_url or "").strip()
    if not url:
        return
    if (
        not url.startswith(("https://", "http://"))
        or len(url) > 500
        or any(c.isspace() for c in url)
    ):
        raise Open311Error(400, _("media_url must be an http(s) address."))
    workflow.record_event(
        request,
        "note",
        actor=key.created_by,
        note=_("Photo sent with the request: %(url)s", url=url),
        public=False,
    )
