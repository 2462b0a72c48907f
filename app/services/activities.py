"""Community activities 社区活动 (issue 18): post, sign up and withdraw (first wins up to
the volunteer places, then a waiting list that moves up by itself), check in by code or
roster, the ledger people served, close (counted once: counting.for_activity) and cancel.

Two first-wins machines (app/services/state_machine.py): the activity's (scheduled →
closed | cancelled: closing twice cannot count twice) and each sign-up's. A place is taken
with ``take_place`` on ``Activity.taken``, so fifty people at once for ten places give
exactly ten places and forty on the waiting list, on both databases.

Who may manage an activity (``activity_access.may_manage``): the workers of its station (and of the
township above a room), and the approved team leader of its team. Every text goes through
the outbox (templates ``activity_*``). Flushes, never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Activity,
    ActivityResident,
    ActivitySignup,
    Beneficiary,
    User,
)
from app.models.base import utcnow
from app.models.vocab import (
    ACTIVITY_KINDS,
    ACTIVITY_STATUSES,
    CATEGORIES,
    SIGNUP_STATUSES,
    SPECIAL_GROUPS,
)
from app.services import ServiceError, access, counting
from app.services.activity_access import approved as _approved
from app.services.activity_access import led_team, may_post, villages_for_posting
from app.services.codes import seeded_rng
from app.services.notifications import queue_sms
from app.services.state_machine import Move, StateMachine, give_back_place, take_place

ACTIVITY_MACHINE = StateMachine(
    Activity,
    statuses=ACTIVITY_STATUSES,
    moves={
        "close": Move({"scheduled"}, "closed", _l("Closed and counted"), _l("close it")),
        "cancel": Move({"scheduled"}, "cancelled", _l("Cancelled"), _l("cancel it")),
    },
    stamps={"closed": "closed_at", "cancelled": "cancelled_at"},
)
SIGNUP_MACHINE = StateMachine(
    ActivitySignup,
    statuses=SIGNUP_STATUSES,
    moves={
        "withdraw": Move({"signed_up", "waiting"}, "withdrawn", _l("Withdrew"), _l("withdraw")),
        "promote": Move({"waiting"}, "signed_up", _l("Moved up from the waiting list")),
        "rejoin": Move({"withdrawn"}, "signed_up", _l("Signed up again")),
        "rejoin_waiting": Move({"withdrawn"}, "waiting", _l("Back on the waiting list")),
        "check_in": Move({"signed_up"}, "attended", _l("Checked in"), _l("check in")),
        "uncheck": Move({"attended"}, "signed_up", _l("Check-in undone")),
    },
    stamps={"attended": "checked_in_at", "withdrawn": "withdrawn_at"},
    clears={"uncheck": ("checked_in_at",), "rejoin": ("withdrawn_at",)},
)
HOLDING = ("signed_up", "attended")  # sign-ups that hold a place
CHECK_IN_OPENS = timedelta(hours=2)  # before the start: check-in and closing open then
MAX_MINUTES = 12 * 60
MAX_PLACES = 500
CODE_LENGTH = 5  # the activity's SMS code; a check-in code has 4 digits


def _rng_digits(length: int) -> str:
    import secrets

    rng = seeded_rng.get()
    first = rng.randint(1, 9) if rng else secrets.randbelow(9) + 1
    rest = [rng.randint(0, 9) if rng else secrets.randbelow(10) for _ in range(length - 1)]
    return str(first) + "".join(map(str, rest))


def _new_code() -> str:
    while True:
        code = _rng_digits(CODE_LENGTH)
        if db.session.scalar(select(Activity.id).where(Activity.code == code)) is None:
            return code


# --- post ---------------------------------------------------------------------------------


def post_activity(
    by: User,
    *,
    title: str,
    kind: str,
    starts_at: datetime,
    minutes: int,
    village_id: int | None,
    volunteer_capacity: int,
    resident_capacity: int | None = None,
    place: str = "",
    description: str = "",
    door_to_door: bool = False,
    skills=(),
    special_groups=(),
    now: datetime | None = None,
) -> Activity:
    """A worker posts for their station; an approved team leader for their team's."""
    team = None if access.acting_station_ids(by) else led_team(by)
    station_id = team.station_id if team is not None else by.station_id
    if station_id is None or not may_post(by):
        raise ServiceError(_("Only the station's workers or a team leader may post activities."))
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Give the activity a title."), field="title")
    if kind not in ACTIVITY_KINDS:
        raise ServiceError(_("Choose a kind of activity."), field="kind")
    if starts_at <= (now or utcnow()):
        raise ServiceError(_("The start must be in the future."), field="starts_at")
    if not 15 <= minutes <= MAX_MINUTES:
        raise ServiceError(_("The duration must be 15 minutes to 12 hours."), field="minutes")
    if not 1 <= volunteer_capacity <= MAX_PLACES:
        raise ServiceError(_("Volunteer places must be 1 to 500."), field="volunteer_capacity")
    if resident_capacity is not None and not 1 <= resident_capacity <= 5000:
        raise ServiceError(_("Resident places must be 1 to 5000."), field="resident_capacity")
    village = None
    if village_id is not None:
        village = next((v for v in villages_for_posting(by) if v.id == village_id), None)
        if village is None:
            raise ServiceError(_("Choose a village the station serves."), field="village_id")
    activity = Activity(
        code=_new_code(),
        checkin_code=_rng_digits(4),
        station_id=station_id,
        team_id=team.id if team is not None else None,
        posted_by_id=by.id,
        title=title[:80],
        kind=kind,
        description=(description or "").strip()[:2000],
        starts_at=starts_at,
        minutes=minutes,
        village_id=village.id if village else None,
        place=(place or "").strip()[:100],
        lat=village.lat if village else None,
        lon=village.lon if village else None,
        door_to_door=door_to_door,
        volunteer_capacity=volunteer_capacity,
        resident_capacity=resident_capacity,
        skills=[s for s in skills if s in CATEGORIES],
        special_groups=[g for g in special_groups if g in SPECIAL_GROUPS],
        status="scheduled",
        taken=0,
    )
    db.session.add(activity)
    db.session.flush()
    return activity


# --- sign up, withdraw, the waiting list ------------------------------------------------


def text_volunteer(user: User, template: str, activity: Activity, **values) -> None:
    from app.services.activities_sms import text_values

    queue_sms(
        user.phone,
        template,
        language=user.language if user.language in ("zh", "en") else "zh",
        user_id=user.id,
        **text_values(activity, user.language),
        **values,
    )


def _open_for_sign_up(activity: Activity, now: datetime | None = None) -> None:
    if activity.status != "scheduled":
        raise ServiceError(
            _(
                "This activity is no longer open: %(status)s.",
                status=ACTIVITY_MACHINE.status_label(activity.status),
            )
        )
    if activity.starts_at <= (now or utcnow()):
        raise ServiceError(_("This activity has started: sign-up is closed."))


def signup_of(activity: Activity, user: User) -> ActivitySignup | None:
    return db.session.scalar(
        select(ActivitySignup).where(
            ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == user.id
        )
    )


def sign_up(
    activity: Activity, user: User, *, channel: str = "web", notify: bool = True
) -> ActivitySignup:
    """A place if one is left (first wins), else the end of the waiting list. Signing up
    twice changes nothing. ``notify``: text the outcome (not when the answer to an SMS
    already says it)."""
    if not _approved(user):
        raise ServiceError(_("Only approved volunteers may sign up."))
    _open_for_sign_up(activity)
    signup = signup_of(activity, user)
    if signup is not None and signup.status != "withdrawn":
        return signup
    placed = take_place(Activity, activity.id, "taken", "volunteer_capacity")
    if signup is None:
        signup = ActivitySignup(
            activity_id=activity.id,
            user_id=user.id,
            channel=channel,
            status="signed_up" if placed else "waiting",
        )
        try:
            with db.session.begin_nested():
                db.session.add(signup)
        except IntegrityError:  # the same person's other tap won
            if placed:
                give_back_place(Activity, activity.id, "taken")
            return signup_of(activity, user)
    else:
        values = {"queued_at": utcnow(), "channel": channel}
        SIGNUP_MACHINE.move(signup, "rejoin" if placed else "rejoin_waiting", values=values)
    if notify:
        text_volunteer(user, "activity_signed_up" if placed else "activity_waiting", activity)
    return signup


def withdraw(activity: Activity, user: User, *, notify: bool = True) -> ActivitySignup:
    """Give up a place (the first on the waiting list moves up) or leave the list."""
    signup = signup_of(activity, user)
    if signup is None or signup.status == "withdrawn":
        raise ServiceError(_("You are not signed up for this activity."))
    _open_for_sign_up(activity)
    moved = SIGNUP_MACHINE.move(signup, "withdraw")
    if moved.source == "signed_up":
        give_back_place(Activity, activity.id, "taken")
        promote_waiting(activity)
    if notify:
        text_volunteer(user, "activity_withdrawn", activity)
    return signup


def promote_waiting(activity: Activity) -> list[ActivitySignup]:
    """Move the waiting list up into free places, first come first; each is texted."""
    promoted = []
    for signup in db.session.scalars(
        select(ActivitySignup)
        .where(ActivitySignup.activity_id == activity.id, ActivitySignup.status == "waiting")
        .order_by(ActivitySignup.queued_at, ActivitySignup.id)
    ).all():
        if not take_place(Activity, activity.id, "taken", "volunteer_capacity"):
            break
        if SIGNUP_MACHINE.try_move(signup, "promote") is None:  # they left meanwhile
            give_back_place(Activity, activity.id, "taken")
            continue
        text_volunteer(signup.user, "activity_promoted", activity)
        promoted.append(signup)
    return promoted


# --- on the day ---------------------------------------------------------------------------


def _on_the_day(activity: Activity, now: datetime | None = None) -> None:
    if activity.status != "scheduled":
        raise ServiceError(
            _(
                "This activity is no longer open: %(status)s.",
                status=ACTIVITY_MACHINE.status_label(activity.status),
            )
        )
    if (now or utcnow()) < activity.starts_at - CHECK_IN_OPENS:
        raise ServiceError(_("Check-in opens two hours before the start."))


def check_in_by_code(user: User, code: str) -> ActivitySignup:
    """A volunteer's own check-in with the code the worker shows or texts."""
    found = db.session.scalars(
        select(ActivitySignup)
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(
            ActivitySignup.user_id == user.id,
            ActivitySignup.status.in_(HOLDING),
            Activity.status == "scheduled",
            Activity.checkin_code == (code or "").strip(),
        )
        .order_by(Activity.starts_at)
    ).all()
    if not found:
        raise ServiceError(_("No activity you signed up for has this check-in code."))
    signup = found[0]
    if signup.status == "attended":
        return signup
    _on_the_day(signup.activity)
    SIGNUP_MACHINE.move(signup, "check_in")
    return signup


def tick_roster(activity: Activity, signup_id: int, *, present: bool) -> ActivitySignup:
    """The worker ticks (or unticks) a volunteer on the roster."""
    signup = db.session.get(ActivitySignup, signup_id)
    if signup is None or signup.activity_id != activity.id:
        raise ServiceError(_("No such volunteer on this roster."))
    _on_the_day(activity)
    if present and signup.status != "attended":
        SIGNUP_MACHINE.move(signup, "check_in")
    elif not present and signup.status == "attended":
        SIGNUP_MACHINE.move(signup, "uncheck")
    return signup


def text_check_in_code(activity: Activity) -> int:
    """Text the check-in code to everyone with a place."""
    _on_the_day(activity)
    holders = [s for s in activity.signups if s.status == "signed_up"]
    for signup in holders:
        text_volunteer(
            signup.user, "activity_checkin_code", activity, checkin=activity.checkin_code
        )
    return len(holders)


def add_resident(activity: Activity, by: User, beneficiary_id: int) -> ActivityResident:
    """A person of the ledger served, counted by name at close (the worker's stations)."""
    person = db.session.get(Beneficiary, beneficiary_id)
    if person is None or person.station_id not in access.acting_station_ids(by):
        raise ServiceError(_("Choose a person from your station's ledger."), field="beneficiary")
    if activity.status != "scheduled":
        raise ServiceError(_("This activity is already closed."))
    found = db.session.scalar(
        select(ActivityResident).where(
            ActivityResident.activity_id == activity.id,
            ActivityResident.beneficiary_id == person.id,
        )
    )
    if found is not None:
        return found
    row = ActivityResident(activity_id=activity.id, beneficiary_id=person.id, added_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    return row


def set_head_count(activity: Activity, head_count: int) -> None:
    if activity.status != "scheduled":
        raise ServiceError(_("This activity is already closed."))
    if not 0 <= head_count <= 5000:
        raise ServiceError(_("The head count must be 0 to 5000."), field="head_count")
    activity.head_count = head_count
    db.session.flush()


# --- close, cancel --------------------------------------------------------------------------


def close(activity: Activity, by: User, *, hours: dict[int, Decimal] | None = None) -> list:
    """Close it and count it once: each checked-in volunteer's hours (the duration, or
    what the worker wrote), and the people served (counting.for_activity)."""
    _on_the_day(activity)
    hours = hours or {}
    for signup_id, value in hours.items():
        if value < 0 or value > Decimal(MAX_MINUTES) / 60:
            raise ServiceError(_("Hours must be 0 to 12."), field=f"hours_{signup_id}")
    ACTIVITY_MACHINE.move(activity, "close")
    attended = [s for s in activity.signups if s.status == "attended"]
    for signup in attended:
        if signup.id in hours:
            signup.hours = hours[signup.id]
    return counting.for_activity(activity, attended, list(activity.residents))


def cancel(activity: Activity, by: User) -> int:
    """Cancel it and text everyone signed up or waiting."""
    ACTIVITY_MACHINE.move(activity, "cancel")
    told = [s for s in activity.signups if s.status in ("signed_up", "waiting", "attended")]
    for signup in told:
        text_volunteer(signup.user, "activity_cancelled", activity)
    return len(told)
