"""Intake: a request for help comes in (web form, proxy, hotline, visit or SMS).

Kept to a handful of SQL statements: a web form's post reads the village with the stations
that may serve it (kept a minute per process) and writes four rows in one statement on
PostgreSQL (intake_rows: Core statements built once). The INSERT of the request finds its
possible duplicate itself (a subquery on the (phone, category, created_at) index) and
returns the row whole; a form's one-time token and the tracking code are not read first:
their unique keys refuse a spent token or a taken code, and the rare refusal is handled
after a rollback (``_create_once``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import literal, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Beneficiary, FormToken, HelpRequest, User
from app.models.base import utcnow
from app.models.vocab import CATEGORIES, FOR_WHOM, SPECIAL_GROUPS, URGENCIES
from app.services import ServiceError, deadlines, geo, intake_rows, notifications, wording, workflow
from app.services.codes import code_text, new_tracking_code
from app.services.notifications import queue_sms

DUPLICATE_WINDOW = timedelta(hours=24)
CODE_DRAWS = 20  # tracking codes drawn before giving up (each is taken 1 % of the time at most)
_TOKEN_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)  # what secrets.token_urlsafe gives a form token


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def valid_form_token(token: str | None) -> bool:
    """What new_form_token makes (a tampered one is replaced, never stored)."""
    return bool(token) and 16 <= len(token) <= 64 and _TOKEN_CHARS.issuperset(token)


def request_for_token(token: str | None) -> HelpRequest | None:
    """The request already created from this one-time form token, if any."""
    if not token:
        return None
    row = db.session.execute(
        select(HelpRequest)
        .join(FormToken, FormToken.request_id == HelpRequest.id)
        .where(FormToken.token == token)
    ).scalar_one_or_none()
    return row


def find_open_duplicate(
    phone: str | None, category: str, *, among: Iterable[int] | None = None
) -> HelpRequest | None:
    """An open request from the same phone for the same category in the last 24 hours.

    ``among`` limits the search to these request ids (those this browser filed): what a
    form shows may only ever come from the asker's own requests."""
    if not phone:
        return None
    query = _open_duplicates(HelpRequest, phone, category)
    if among is not None:
        ids = list(among)
        if not ids:
            return None
        query = query.where(HelpRequest.id.in_(ids))
    return db.session.scalars(query.limit(1)).first()


class AskIfNew(ServiceError):
    """The asker's own earlier request for the same help is still open: before filing
    this one, the form asks whether it is new (``earlier`` is shown only to them)."""

    def __init__(self, earlier: HelpRequest) -> None:
        super().__init__(
            _("If this is a new request, please tick the box first, then send it again."),
            field="confirm_new",
        )
        self.earlier = earlier


def report_danger(*, form_token: str | None = None, **details) -> HelpRequest:
    """Someone in danger now (the 「现在有危险」 page): a crisis request for the station, as
    a crisis intervention, never held back to ask "is it new?". ``details`` as
    ``submit_request``'s."""
    return submit_request(
        form_token=form_token,
        confirmed_new=True,
        category="crisis_intervention",
        urgency="crisis",
        **details,
    )


def submit_request(
    *,
    channel: str = "web",
    by: User | None = None,
    acknowledge: bool = True,
    form_token: str | None = None,
    asker_filed: Iterable[int] = (),
    confirmed_new: bool = False,
    **details,
) -> HelpRequest:
    """The one way a request for help comes in, on every channel (web, proxy, hotline,
    visit, SMS, API): the created request, or the one this form token created before.

    ``by`` is the signed-in person who files it for someone (None: the resident).
    ``acknowledge`` sends the resident the "we got it" SMS with the tracking link (an SMS
    request is answered in the reply instead). ``asker_filed`` are the ids of requests
    this asker filed before (their browser's): when one of them is an open request for
    the same help, ``AskIfNew`` asks first, unless ``confirmed_new``. ``details`` are the
    request's own fields (see ``_create``). Flushes, never commits.

    A form token sent before (a double tap, the back button), or by a post of it at the
    same moment: the insert of the token fails; the half-made request is rolled back (a
    submission is its own unit of work on every channel that sends a token) and the
    token's request is returned.
    """
    filed = list(asker_filed)
    own_earlier = (
        find_open_duplicate(details.get("contact_phone"), details.get("category", ""), among=filed)
        if filed
        else None
    )
    if own_earlier is not None and not confirmed_new:
        # The form that filed the earlier request, sent again (the back button): its
        # request, not the question.
        existing = request_for_token(form_token)
        if existing is not None:
            return existing
        raise AskIfNew(own_earlier)
    create = partial(
        _create,
        channel=channel,
        submitter=by,
        acknowledge=acknowledge,
        form_token=form_token,
        said_new=own_earlier is not None,
        **details,
    )
    if not form_token:  # part of a larger unit of work: never rolled back here
        return create(code=_free_tracking_code())
    return _create_once(create, form_token)


def _create_once(create, form_token: str) -> HelpRequest:
    """Create the request of a one-time form token, its own unit of work, without reading
    first: the insert of the token fails for one that was spent before (or by a post of
    it at the same moment), and the insert of the request fails for a tracking code that
    was taken (one draw in a hundred at 1,000,000 requests). Either way the work is rolled
    back; the token's own request is returned, or another code is drawn. The rollback
    undoes the whole session, so a caller with a form token must not have written
    anything before (the web routes file first); unflushed writes are refused here."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("submit_request(form_token=...) must be the unit of work's first write")
    for _attempt in range(CODE_DRAWS):
        code = new_tracking_code()
        try:
            return create(code=code)
        except IntegrityError:
            db.session.rollback()
            existing = request_for_token(form_token)
            if existing is not None:
                return existing
            if not _code_taken(code):
                raise
    raise ServiceError(_("Could not make a tracking code. Please try again."))


def _create(
    *,
    category: str,
    description: str = "",
    special_groups: Iterable[str] = (),
    for_whom: str = "self",
    urgency: str = "normal",
    lat: float | None = None,
    lon: float | None = None,
    village_id: int | None = None,
    address: str = "",
    wanted_at: datetime | None = None,
    wanted_note: str = "",
    contact_phone: str | None = None,
    contact_name: str = "",
    channel: str = "web",
    language: str = "zh",
    consent: bool = True,
    consent_by: str = "",
    consent_method: str = "",
    submitter: User | None = None,
    beneficiary: Beneficiary | None = None,
    actor_label: str = "resident",
    form_token: str | None = None,
    said_new: bool = False,
    acknowledge: bool = True,
    code: str,
) -> HelpRequest:
    """Create a request in status ``new``, routed to its station, with its first event.

    ``contact_phone`` is E.164 already. Coordinates are WGS-84. Without coordinates, the
    address is geocoded when a geocoder is configured; else the village centroid stands
    in. Queues the "request_received" SMS when there is a phone and ``acknowledge``.

    An open request from the same phone for the same help in the last day, served by the
    same station, makes this one a possible duplicate: marked for the station (which may
    merge them), and the phone's owner is told by SMS that the earlier one is still open,
    unless ``said_new`` (the person who filed both was asked and said this one is new).
    Nothing of it shows to whoever filed this one: they may not be the phone's owner.
    A repeat routed to another station is not marked and sends no such SMS: the mark, the
    timeline line and the text (listed with this request's SMS) would all tell this
    station's workers that the phone has an open request elsewhere, and of what kind.
    """
    if category not in CATEGORIES:
        raise ServiceError(_("Please choose what kind of help you need."), field="category")
    if urgency not in URGENCIES:
        raise ServiceError(_("Please choose how urgent it is."), field="urgency")
    if for_whom not in FOR_WHOM:
        for_whom = "self"
    groups = [g for g in dict.fromkeys(special_groups) if g in SPECIAL_GROUPS]

    village, station = None, None
    if village_id is not None:
        village, station = geo.village_and_station(village_id)
        if village is None or village.level != "village":
            raise ServiceError(_("Please choose your village from the list."), field="village")
    if beneficiary is not None:
        groups = list(dict.fromkeys([*groups, *(beneficiary.special_groups or [])]))
        if village is None and beneficiary.village_id is not None:
            village, station = geo.village_and_station(beneficiary.village_id)

    source = ""
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ServiceError(
                _("Your location could not be read. Choose your village."), field="place"
            )
        source = "gps"
    elif address.strip() and geo.geocoding_enabled():
        hint = " ".join(
            part
            for part in (
                village.parent.name if village is not None and village.parent else "",
                village.name if village is not None else "",
                address.strip(),
            )
            if part
        )
        point = geo.geocode(hint)
        if point is not None:
            lat, lon, source = point.lat, point.lon, "geocoder"
    if source == "" and village is not None and village.lat is not None:
        lat, lon, source = village.lat, village.lon, "village"
    if source == "" and beneficiary is not None and beneficiary.lat is not None:
        lat, lon, source = beneficiary.lat, beneficiary.lon, "beneficiary"

    if station is None:
        station = geo.station_near(lat, lon)
    values = dict(
        code=code,
        category=category,
        description=_clean(description),
        special_groups=groups,
        for_whom=for_whom,
        urgency=urgency,
        lat=lat,
        lon=lon,
        location_source=source,
        address=_clean(address, 200),
        village_id=village.id if village is not None else None,
        wanted_at=wanted_at,
        wanted_note=_clean(wanted_note, 64),
        contact_name=_clean(contact_name, 64),
        contact_phone=contact_phone or None,
        language=language if language in ("zh", "en") else "zh",
        channel=channel,
        submitter_id=submitter.id if submitter is not None else None,
        consent=bool(consent),
        consent_by=_clean(consent_by, 64),
        consent_method=_clean(consent_method, 32),
        beneficiary_id=beneficiary.id if beneficiary is not None else None,
        station_id=station.id,
        status="new",
    )
    help_request = _insert(values, station, submitter, actor_label, form_token, acknowledge)
    if help_request.possible_duplicate_of_id is not None:
        earlier = db.session.get(HelpRequest, help_request.possible_duplicate_of_id)
        _mark_possible_duplicate(help_request, earlier, said_new=said_new)
    return help_request


def _insert(values, station, submitter, actor_label, form_token, acknowledge) -> HelpRequest:
    """Write the request with its "created" line, its form's token and the "we got it"
    text, in one statement (intake_rows). The INSERT looks up the possible duplicate
    itself: only a repeat at the same station, as a mark pointing elsewhere would tell
    whoever files (any worker, through /proxy) that this phone has an open request there.
    A spent token fails here (an IntegrityError), not at the commit."""
    now = utcnow()
    event = workflow.event_columns(
        "created",
        actor=submitter,
        actor_label=actor_label,
        to_status="new",
        note=_channel_note(values["channel"], submitter),
        at=now,
    )
    text = None
    if values["contact_phone"] and acknowledge:
        # Rendered before the INSERT: it needs the code, the station and the urgency alone.
        draft = SimpleNamespace(**values, id=None, station=station)
        text = notifications.resident_sms_columns(
            draft, "request_received", **received_values(draft)
        )
        del text["request_id"]  # the new request's, in the statement
    return intake_rows.insert_request(
        values,
        event,
        token={"token": form_token} if form_token else None,
        text=text,
        now=now,
        duplicate_since=now - DUPLICATE_WINDOW,
    )


def received_values(help_request: HelpRequest) -> dict[str, object]:
    """What the "we got it" text says beyond the code: when the station will answer, in
    plain words (the response target of the request's urgency)."""
    return {"target": deadlines.response_target_text(help_request.urgency, help_request.language)}


def _free_tracking_code() -> str:
    """A tracking code no request has: one read, and another only in the rare case the
    code drawn is taken (at 1,000,000 requests one code in a hundred is)."""
    for _attempt in range(CODE_DRAWS):
        code = new_tracking_code()
        if not _code_taken(code):
            return code
    raise ServiceError(_("Could not make a tracking code. Please try again."))


def _code_taken(code: str) -> bool:
    return db.session.scalar(select(HelpRequest.id).where(HelpRequest.code == code)) is not None


# One bound value each: an expanding IN list would be rendered again at every execution.
_OPEN_STATUSES = [literal(status) for status in sorted(workflow.OPEN_STATUSES)]


def _open_duplicates(column, phone: str, category: str):
    """``column`` of the open requests from this phone for this help in the last 24 hours,
    newest first: what both ``find_open_duplicate`` and a new request's INSERT look for."""
    return (
        select(column)
        .where(
            HelpRequest.contact_phone == phone,
            HelpRequest.category == category,
            HelpRequest.created_at >= utcnow() - DUPLICATE_WINDOW,
            HelpRequest.status.in_(_OPEN_STATUSES),
        )
        .order_by(HelpRequest.created_at.desc())
    )


def _mark_possible_duplicate(
    help_request: HelpRequest, earlier: HelpRequest, *, said_new: bool
) -> None:
    """An internal line on the timeline for the station; a text for the phone's owner."""
    note = _(
        "Possibly the same as %(code)s: same phone and same help, still open.",
        code=code_text(earlier.code),
    )
    if said_new:
        said = _("The person who asked said this is a new request.")
        note = f"{note} {said}"
    workflow.record_event(
        help_request, "possible_duplicate", actor_label="system", note=note, public=False
    )
    if said_new:
        return
    language = earlier.language if earlier.language in ("zh", "en") else "zh"
    queue_sms(
        help_request.contact_phone,
        "duplicate_still_open",
        language=language,
        request_id=help_request.id,
        code=code_text(earlier.code),
        time=wording.date_time_text(earlier.created_at, language),
    )


def _clean(text: str | None, limit: int | None = None) -> str:
    value = (text or "").replace("\x00", "").strip()
    return value[:limit] if limit else value


def _channel_note(channel: str, submitter: User | None) -> str:
    if submitter is None:
        return ""
    return _("Filed by %(name)s", name=submitter.name)
