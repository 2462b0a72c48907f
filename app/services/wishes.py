"""The micro-wish board 微心愿 (issue 18): one use case per action, one public projection.

A worker records a child's wish (``record``; ``wish_privacy`` refuses text that points at
the child) from the ledger; the station publishes it (``publish``, after seeing the
public view); a donor claims it by web (``wish_claim_codes``) or SMS, first wins
(``claim``); the station confirms the donor (``confirm``: the family is told now) or
rejects the claim (``reject``: back on the board), arranges delivery through its worker,
and records it (``wish_delivery.deliver``: the resources ledger gets its line). The
deadline job (``wish_deadlines``) puts a claim not confirmed within ``CONFIRM_DAYS`` back
on the board, ends a wish past its own date as "expired", and never releases a confirmed
claim (the station is told instead). ``withdraw`` tells a donor who held the wish. Donor
and family are texted at each step that concerns them (``wish_texts``).

**What the public sees of a wish** is ``public_view`` and nothing else: the board, the
wish's public page and every text to a donor are made from it. It has the wish's code,
what, estimated value, deadline, need, the township (never the village) and a school
stage (never an age or a birth year); never a name, a photo, a phone or an address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Beneficiary, Region, User, Wish
from app.models.base import utcnow
from app.models.vocab import label
from app.services import ServiceError, access, wish_privacy, wording
from app.services.codes import seeded_rng
from app.services.phones import normalise_phone
from app.services.state_machine import Move, StateMachine
from app.services.wish_texts import text_claim_ended, text_claimed, text_confirmed

NEEDS: dict[str, object] = {
    "study": _l("School things"),
    "clothing": _l("Clothes and shoes"),
    "daily": _l("Daily needs"),
    "experience": _l("An outing or experience"),
    "other": _l("Other"),
}
DONOR_KINDS: dict[str, object] = {
    "individual": _l("Individual"),
    "company": _l("Company"),
    "team": _l("Volunteer team"),
}
# School stages, never an age: "小学生" says enough to choose a gift.
AGE_BANDS = (
    (6, _l("Pre-school child")),
    (12, _l("Primary school pupil")),
    (15, _l("Middle school pupil")),
    (18, _l("High school pupil")),
)
WHAT_LENGTH = 20  # a donor's text names it, and fits one segment
MAX_VALUE = Decimal("5000")
CLAIM_DAYS = 14  # once confirmed, a donor has this long (at most the wish's deadline)
CONFIRM_DAYS = 3  # an unconfirmed claim holds the wish off the board this long at most
DAILY_CLAIMS = 3  # claims one phone may make in 24 hours
PUBLIC_DAYS_AFTER = 14  # a fulfilled or expired wish's page stays public this long
BOARD_STATUSES = ("published",)
OPEN_CLAIM_STATUSES = ("claimed", "confirmed")
_DONOR_COLUMNS = ("donor_name", "donor_phone", "donor_kind", "claim_channel", "claimed_at")
_DONOR_COLUMNS += ("claim_due", "confirmed_at")

WISH_MACHINE: StateMachine[Wish] = StateMachine(
    Wish,
    statuses={
        "recorded": _l("Recorded"),
        "published": _l("On the board"),
        "claimed": _l("Claimed, to be confirmed"),
        "confirmed": _l("Donor confirmed"),
        "fulfilled": _l("Fulfilled"),
        "withdrawn": _l("Withdrawn"),
        "expired": _l("Past its date"),
    },
    moves={
        "publish": Move({"recorded"}, "published", _l("Published"), _l("publish it")),
        "claim": Move({"published"}, "claimed", _l("Claimed by a donor"), _l("claim it")),
        "confirm": Move({"claimed"}, "confirmed", _l("Donor confirmed"), _l("confirm the donor")),
        "reject": Move(OPEN_CLAIM_STATUSES, "published", _l("Claim rejected"), _l("reject it")),
        "release": Move({"claimed"}, "published", _l("Claim lapsed"), _l("release it")),
        "expire": Move({"published", "claimed"}, "expired", _l("Past its date"), _l("expire it")),
        "fulfil": Move({"confirmed"}, "fulfilled", _l("Delivered"), _l("record the delivery")),
        "withdraw": Move(
            {"recorded", "published", "claimed", "confirmed"},
            "withdrawn",
            _l("Withdrawn"),
            _l("withdraw it"),
        ),
    },
    stamps={
        "published": "published_at",
        "claimed": "claimed_at",
        "confirmed": "confirmed_at",
        "fulfilled": "fulfilled_at",
        "withdrawn": "withdrawn_at",
    },
    clears={
        "reject": _DONOR_COLUMNS,
        "release": _DONOR_COLUMNS,
        "expire": _DONOR_COLUMNS,
        "withdraw": _DONOR_COLUMNS,
    },
    refused=_l("This wish is “%(status)s” now: you cannot %(action)s."),
    changed=_l("Someone else acted on this wish just now. Reload the page and try again."),
)


# --- the public projection ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicWish:
    """All the public may know of a wish (see the module's docstring)."""

    code: str
    what: str
    value: Decimal
    deadline: date
    township: str
    age_band: str
    need: str
    status: str


def age_band(birth_year: int | None, today: date | None = None) -> str:
    if not birth_year:
        return ""
    age = (today or wording.local_today()).year - birth_year
    for below, words in AGE_BANDS:
        if age < below:
            return str(words)
    return ""


def public_view(wish: Wish) -> PublicWish:
    return PublicWish(
        code=wish.code,
        what=wish.what,
        value=wish.estimated_value,
        deadline=wish.deadline,
        township=wish.township.name if wish.township is not None else "",
        age_band=age_band(wish.beneficiary.birth_year if wish.beneficiary else None),
        need=label(NEEDS, wish.category),
        status=WISH_MACHINE.status_label(wish.status),
    )


def board() -> list[PublicWish]:
    """The published wishes whose deadline has not passed, soonest first."""
    wishes = db.session.scalars(
        select(Wish)
        .options(selectinload(Wish.beneficiary), selectinload(Wish.township))
        .where(Wish.status.in_(BOARD_STATUSES), Wish.deadline >= wording.local_today())
        .order_by(Wish.deadline, Wish.id)
        .limit(200)
    ).all()
    return [public_view(wish) for wish in wishes]


def is_claimable(wish: Wish) -> bool:
    """On the board and not past its date: a donor may claim it."""
    return wish.status == "published" and wish.deadline >= wording.local_today()


def by_code(code: str) -> Wish | None:
    """A wish the public may look at: published once (never a draft or a withdrawn one),
    and not fulfilled or past its date more than ``PUBLIC_DAYS_AFTER`` days ago."""
    code = (code or "").strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None  # strict: /wishes/12a3456 is no wish
    wish = db.session.scalar(select(Wish).where(Wish.code == code))
    if wish is None or wish.status in ("recorded", "withdrawn"):
        return None
    gone = wording.local_today() - timedelta(days=PUBLIC_DAYS_AFTER)
    if wish.status == "fulfilled" and wording.local_date(wish.fulfilled_at) < gone:
        return None
    if wish.status == "expired" and wish.deadline < gone:
        return None
    return wish


# --- who may act ------------------------------------------------------------------------------


def may_manage(user: User | None, wish: Wish) -> bool:
    """Workers of the wish's station (and of the station above its room)."""
    return wish.station_id in access.acting_station_ids(user)


def check_station(user: User, wish: Wish) -> None:
    if not may_manage(user, wish):
        raise ServiceError(_("Only the workers of the wish's station may do this."))


# --- the use cases -------------------------------------------------------------------------


def _new_code() -> str:
    """Six digits, never a leading 0 (seeded while the demo builds: ``codes.seeded_rng``)."""
    rng = seeded_rng.get() or secrets.SystemRandom()
    for _attempt in range(20):
        code = str(rng.randint(100000, 999999))
        if db.session.scalar(select(Wish.id).where(Wish.code == code)) is None:
            return code
    raise RuntimeError("no free wish code")


def money(raw, field: str, *, required: bool) -> Decimal | None:
    text = str(raw if raw is not None else "").strip()
    if not text and not required:
        return None
    try:
        value = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Enter an amount in yuan, e.g. 120."), field=field) from None
    if not Decimal("0") < value <= MAX_VALUE:
        raise ServiceError(_("Enter an amount between 1 and 5000 yuan."), field=field)
    return value


def _township(person: Beneficiary) -> Region | None:
    place = person.village or (person.station.region if person.station else None)
    while place is not None and place.level == "village":
        place = place.parent
    return place if place is not None and place.level == "township" else None


def record(
    user: User,
    person: Beneficiary,
    *,
    what: str,
    category: str,
    estimated_value,
    deadline: date | None,
) -> Wish:
    """A worker writes down a child's wish (a draft: only the station sees it)."""
    if person.station_id not in access.acting_station_ids(user):
        raise ServiceError(_("Only the workers of the person's station may do this."))
    if not person.is_minor:
        raise ServiceError(_("Choose a child of your station's ledger."), field="person")
    what = " ".join((what or "").split())
    if not what:
        raise ServiceError(_("Say what the child wishes for."), field="what")
    if len(what) > WHAT_LENGTH:
        raise ServiceError(_("Keep it short: at most 20 characters."), field="what")
    refused = wish_privacy.refusal(what, person)
    if refused:
        raise ServiceError(refused, field="what")
    if category not in NEEDS:
        raise ServiceError(_("Choose a kind of need from the list."), field="category")
    if deadline is None or deadline <= wording.local_today():
        raise ServiceError(_("Choose a deadline after today."), field="deadline")
    wish = Wish(
        code=_new_code(),
        station_id=person.station_id,
        beneficiary_id=person.id,
        township_id=getattr(_township(person), "id", None),
        what=what,
        category=category,
        estimated_value=money(estimated_value, "estimated_value", required=True),
        deadline=deadline,
        status="recorded",
        recorded_by_id=user.id,
    )
    db.session.add(wish)
    db.session.flush()
    return wish


def publish(user: User, wish: Wish) -> Wish:
    check_station(user, wish)
    if wish.deadline <= wording.local_today():
        raise ServiceError(_("The deadline has passed: withdraw this wish instead."))
    WISH_MACHINE.move(wish, "publish")
    return wish


def check_claim(wish: Wish, *, name: str, phone: str, kind: str, channel: str):
    """Refuse a claim that could not go through (before a web claim's code is sent, and in
    ``claim``); the donor's name and phone as stored. Nothing here depends on what the
    phone holds: that is asked only once the phone is proved (``claim``)."""
    name = " ".join((name or "").split())[:64]
    if channel == "web" and not name:
        raise ServiceError(
            _("Tell us your name, so the child's family can thank you."), field="name"
        )
    phone = normalise_phone(phone)
    if kind not in DONOR_KINDS:
        raise ServiceError(_("Choose who is giving."), field="kind")
    if wish.status in ("published", "expired") and not is_claimable(wish):
        raise ServiceError(_("Sorry, this wish's date has passed. Thank you all the same!"))
    if not is_claimable(wish):
        raise ServiceError(_("Sorry, someone has just claimed this wish. Thank you all the same!"))
    return name, phone


def _check_phone_free(phone: str) -> None:
    """One unconfirmed claim per phone, and ``DAILY_CLAIMS`` claims a day (those still
    held or fulfilled: a rejected or lapsed claim is emptied)."""
    since = utcnow() - timedelta(days=1)
    today = db.session.scalar(
        select(func.count(Wish.id)).where(Wish.donor_phone == phone, Wish.claimed_at >= since)
    )
    if today >= DAILY_CLAIMS:
        raise ServiceError(
            _("This phone has claimed several wishes today. Thank you! Please come back tomorrow.")
        )
    held = db.session.scalar(
        select(Wish.id).where(Wish.donor_phone == phone, Wish.status == "claimed").limit(1)
    )
    if held is not None:
        raise _phone_busy()


def _phone_busy() -> ServiceError:
    return ServiceError(
        _(
            "This phone already holds a wish the station has not confirmed yet. "
            "One at a time, please."
        )
    )


def claim(wish: Wish, *, name: str, phone: str, kind: str = "individual", channel: str = "web"):
    """A donor claims a published wish: the first claim wins. One open claim per phone at a
    time (a stranger cannot hold every wish of the board), and the station confirms. The
    phone is proved here (a code came back, or the text came from it)."""
    name, phone = check_claim(wish, name=name, phone=phone, kind=kind, channel=channel)
    _check_phone_free(phone)
    today = wording.local_today()
    due = min(wish.deadline, today + timedelta(days=CONFIRM_DAYS))
    values = {
        "donor_name": name or None,
        "donor_phone": phone,
        "donor_kind": kind,
        "claim_channel": channel,
        "claim_due": due,
    }
    try:
        with db.session.begin_nested():  # the index keeps one unconfirmed claim per phone
            WISH_MACHINE.move(wish, "claim", values=values)
    except IntegrityError:
        raise _phone_busy() from None
    except ServiceError:
        raise ServiceError(
            _("Sorry, someone has just claimed this wish. Thank you all the same!")
        ) from None
    text_claimed(wish, donor=channel != "sms")
    return wish


def confirm(user: User, wish: Wish) -> Wish:
    """The station accepts the donor: they have ``CLAIM_DAYS`` (at most until the deadline)
    to deliver, and now the family is told a donor is coming."""
    check_station(user, wish)
    due = min(wish.deadline, wording.local_today() + timedelta(days=CLAIM_DAYS))
    WISH_MACHINE.move(wish, "confirm", values={"claim_due": max(due, wish.claim_due or due)})
    text_confirmed(wish)
    return wish


def ending_of(wish: Wish) -> tuple:
    """What the texts of an ending claim need, read before the move empties it."""
    return (wish.donor_phone, wish.status == "confirmed", public_view(wish))


def reject(user: User, wish: Wish) -> Wish:
    """The station does not accept the donor: the wish goes back on the board."""
    check_station(user, wish)
    ending = ending_of(wish)
    WISH_MACHINE.move(wish, "reject")
    text_claim_ended(wish, ending, "wish_claim_rejected", family="wish_reopened_family")
    return wish


def withdraw(user: User, wish: Wish) -> Wish:
    """The station takes the wish off: a donor who held it and (when it was confirmed) the
    family are told; the donor's details go, and the claim no longer counts."""
    check_station(user, wish)
    ending = ending_of(wish)
    WISH_MACHINE.move(wish, "withdraw")
    text_claim_ended(wish, ending, "wish_withdrawn_donor", family="wish_withdrawn_family")
    return wish
