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

import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
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
from app.services import ServiceError, access, audit, counting
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
CHECK_IN_OPENS = timedelta(hours=2)  # before the start: check-in and the roster open then
CHECK_IN_CLOSES = timedelta(hours=2)  # after the end: a volunteer's own check-in closes
CHECKIN_TRIES = 5  # wrong codes before a sign-up's own check-in locks (the roster still works)
MAX_MINUTES = 12 * 60
MAX_OVERRIDE_EXTRA = Decimal(1)  # hours written at close: at most the duration and one more
MAX_PLACES = 500
CODE_LENGTH = 5  # the activity's SMS code; a check-in code has 4 digits
CODE_TRIES = 50  # random codes tried before posting gives up


def _rng_digits(length: int) -> str:
    rng = seeded_rng.get()
    first = rng.randint(1, 9) if rng else secrets.randbelow(9) + 1
    rest = [rng.randint(0, 9) if rng else secrets.randbelow(10) for _ in range(length - 1)]
    return str(first) + "".join(map(str, rest))


def _new_code() -> str:
    """A code no scheduled activity has (a closed or cancelled one gives its code back)."""
    for _try in range(CODE_TRIES):
        code = _rng_digits(CODE_LENGTH)
        if scheduled_by_code(code) is None:
            return code
    raise ServiceError(_("No activity code is free just now: please try again later."))


def scheduled_by_code(code: str) -> Activity | None:
    """The scheduled activity with this SMS code (unique among the scheduled ones)."""
    return db.session.scalar(
        select(Activity).where(Activity.code == code, Activity.status == "scheduled")
    )


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
    if activity.status == "scheduled" and activity.starts_at <= utcnow():
        raise ServiceError(
            _(
                "The activity has started: withdrawing is closed. Tell the worker if you cannot come."
            )
        )
    _open_for_sign_up(activity)
    _release(signup)
    if notify:
        text_volunteer(user, "activity_withdrawn", activity)
    return signup


def _release(signup: ActivitySignup, *, strict: bool = True) -> bool:
    """Withdraw the sign-up: a place it held goes back and the waiting list moves up.
    ``strict``: a sign-up that moved meanwhile is a refusal; else it is left (False)."""
    if strict:
        moved = SIGNUP_MACHINE.move(signup, "withdraw")
    else:
        moved = SIGNUP_MACHINE.try_move(signup, "withdraw")
    if moved is None:
        return False
    if moved.source == "signed_up":
        give_back_place(Activity, signup.activity_id, "taken")
        promote_waiting(signup.activity)
    return True


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


def _still_scheduled(activity: Activity) -> None:
    """Refuse unless the activity is scheduled, and hold its row until commit: a close
    running at the same moment waits for this work (or this sees it closed), so nothing is
    added to an activity already counted."""
    held = db.session.execute(
        update(Activity)
        .where(Activity.id == activity.id, Activity.status == "scheduled")
        .values(status="scheduled")
        .execution_options(synchronize_session=False)
    ).rowcount
    if held != 1:
        db.session.expire(activity)
        raise ServiceError(
            _(
                "This activity is no longer open: %(status)s.",
                status=ACTIVITY_MACHINE.status_label(activity.status),
            )
        )


def _on_the_day(activity: Activity, now: datetime | None = None) -> None:
    if (now or utcnow()) < activity.starts_at - CHECK_IN_OPENS:
        raise ServiceError(_("Check-in opens two hours before the start."))
    _still_scheduled(activity)


def check_in_window(activity: Activity, now: datetime | None = None) -> bool:
    """A volunteer checks themselves in from two hours before the start to two hours
    after the end."""
    now = now or utcnow()
    ends = activity.starts_at + timedelta(minutes=activity.minutes)
    return activity.starts_at - CHECK_IN_OPENS <= now <= ends + CHECK_IN_CLOSES


class WrongCode(ServiceError):
    """A wrong check-in code: the caller counts it (``count_wrong_code``) after the
    refusal's rollback. ``silent``: the sign-ups were already locked and told so."""

    def __init__(self, message: str, signup_ids: list[int], *, silent: bool = False) -> None:
        super().__init__(message, field="code")
        self.signup_ids = signup_ids
        self.silent = silent


def count_wrong_code(error: WrongCode) -> None:
    """Count a wrong code against the sign-ups it was tried for (one UPDATE, atomic)."""
    if error.signup_ids:
        db.session.execute(
            update(ActivitySignup)
            .where(ActivitySignup.id.in_(error.signup_ids))
            .values(failed_checkins=ActivitySignup.failed_checkins + 1)
            .execution_options(synchronize_session=False)
        )


def check_in_by_code(
    user: User, code: str, activity: Activity | None = None, *, now: datetime | None = None
) -> ActivitySignup:
    """A volunteer's own check-in with the code the worker shows on the day: only while
    check-in is open, only for an approved volunteer, and only a few wrong codes per
    sign-up (then ``WrongCode``, and the worker ticks the roster instead). ``activity``:
    the one the page is about (the web); by SMS, any of the user's open sign-ups."""
    if not _approved(user):
        raise ServiceError(_("Only approved volunteers may check in."))
    query = (
        select(ActivitySignup)
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(
            ActivitySignup.user_id == user.id,
            ActivitySignup.status.in_(HOLDING),
            Activity.status == "scheduled",
        )
        .order_by(Activity.starts_at, ActivitySignup.id)
        .execution_options(populate_existing=True)  # the wrong codes counted just now
    )
    if activity is not None:
        query = query.where(ActivitySignup.activity_id == activity.id)
    open_now = [s for s in db.session.scalars(query) if check_in_window(s.activity, now)]
    if not open_now:
        raise ServiceError(
            _(
                "Check-in is open from two hours before the start to two hours after the "
                "end, for the volunteers with a place."
            )
        )
    code = (code or "").strip()
    unlocked = [s for s in open_now if s.failed_checkins < CHECKIN_TRIES]
    signup = next(
        (s for s in unlocked if secrets.compare_digest(s.activity.checkin_code, code)), None
    )
    if signup is None:
        if not unlocked:
            silent = all(s.failed_checkins > CHECKIN_TRIES for s in open_now)
            raise WrongCode(_locked_words(), [s.id for s in open_now], silent=silent)
        left = CHECKIN_TRIES - 1 - max(s.failed_checkins for s in unlocked)
        if left <= 0:
            raise WrongCode(_locked_words(), [s.id for s in unlocked])
        raise WrongCode(
            _("This check-in code is wrong: %(left)d tries left.", left=left),
            [s.id for s in unlocked],
        )
    if signup.status == "attended":
        return signup
    _still_scheduled(signup.activity)
    SIGNUP_MACHINE.move(signup, "check_in")
    return signup


def _locked_words() -> str:
    return _("Too many wrong codes: ask the worker on the spot to tick you on the roster.")


def tick_roster(
    activity: Activity, signup_id: int, *, present: bool, by: User | None = None
) -> ActivitySignup:
    """The worker ticks (or unticks) a volunteer on the roster: never their own sign-up,
    never a volunteer no longer approved."""
    signup = db.session.get(ActivitySignup, signup_id)
    if signup is None or signup.activity_id != activity.id:
        raise ServiceError(_("No such volunteer on this roster."))
    if by is not None and signup.user_id == by.id:
        raise ServiceError(_("Someone else who manages the activity must tick you."))
    if present and not _approved(signup.user):
        raise ServiceError(_("This volunteer is not approved just now: they cannot be ticked."))
    _on_the_day(activity)
    if present and signup.status != "attended":
        SIGNUP_MACHINE.move(signup, "check_in")
    elif not present and signup.status == "attended":
        SIGNUP_MACHINE.move(signup, "uncheck")
    return signup


def add_resident(activity: Activity, by: User, beneficiary_id: int) -> ActivityResident:
    """A person of the ledger served, counted by name at close (the worker's stations,
    serving the activity's station; no more than its resident places)."""
    acting = access.acting_station_ids(by)
    if activity.station_id not in acting:
        raise ServiceError(_("Only the activity's station may name the people it served."))
    person = db.session.get(Beneficiary, beneficiary_id)
    if person is None or person.station_id not in acting:
        raise ServiceError(_("Choose a person from your station's ledger."), field="beneficiary")
    _still_scheduled(activity)
    found = db.session.scalar(
        select(ActivityResident).where(
            ActivityResident.activity_id == activity.id,
            ActivityResident.beneficiary_id == person.id,
        )
    )
    if found is not None:
        return found
    if activity.resident_capacity is not None:
        named = db.session.scalar(
            select(func.count(ActivityResident.id)).where(
                ActivityResident.activity_id == activity.id
            )
        )
        if named >= activity.resident_capacity:
            raise ServiceError(_("All the resident places are named already."))
    row = ActivityResident(activity_id=activity.id, beneficiary_id=person.id, added_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    db.session.expire(activity, ["residents"])
    return row


def set_head_count(activity: Activity, head_count: int) -> None:
    if not 0 <= head_count <= 5000:
        raise ServiceError(_("The head count must be 0 to 5000."), field="head_count")
    _still_scheduled(activity)
    activity.head_count = head_count
    db.session.flush()


# --- close, cancel --------------------------------------------------------------------------


def _close_hours(written: dict, most: Decimal) -> dict[int, Decimal]:
    """The hours the worker wrote at close, by sign-up id, read once: each a finite number
    from 0 to ``most`` (the duration plus an hour), as typed text or a Decimal."""
    hours = {}
    for signup_id, raw in written.items():
        try:
            value = Decimal(str(raw).strip()).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= most:
            raise ServiceError(_hours_words(most), field=f"hours_{signup_id}")
        hours[signup_id] = value
    return hours


def max_override(activity: Activity) -> Decimal:
    return activity.duration_hours + MAX_OVERRIDE_EXTRA


def _hours_words(most: Decimal) -> str:
    return _("Hours must be a number from 0 to %(most)s.", most=most.normalize())


def close(
    activity: Activity,
    by: User,
    *,
    hours: dict[int, Decimal | str] | None = None,
    now: datetime | None = None,
) -> list:
    """Close it and count it once: each checked-in volunteer's hours (the duration, or
    what the worker wrote: at most an hour more, never for their own sign-up), and the
    people served (counting.for_activity). Not before the start. The access log keeps
    who closed it and every hour written."""
    if (now or utcnow()) < activity.starts_at:
        raise ServiceError(_("An activity can be closed once it has started."))
    hours = _close_hours(hours or {}, max_override(activity))
    own = {s.id for s in activity.signups if s.user_id == by.id}
    for signup_id in hours:
        if signup_id in own:
            raise ServiceError(
                _("Someone else who manages the activity must write your hours."),
                field=f"hours_{signup_id}",
            )
    ACTIVITY_MACHINE.move(activity, "close")
    db.session.expire(activity, ["signups", "residents"])  # what a check-in just committed
    attended = [s for s in activity.signups if s.status == "attended"]
    written = {}
    for signup in attended:
        if signup.id in hours:
            signup.hours = hours[signup.id]
            written[f"hours_{signup.user_id}"] = hours[signup.id]
    records = counting.for_activity(activity, attended, list(activity.residents))
    audit.log_access(by, "activity_close", "activity", activity.id, activity.station_id, **written)
    return records


def cancel(activity: Activity, by: User | None, *, now: datetime | None = None) -> int:
    """Cancel it and text everyone signed up or waiting, while it has not started. Once
    started: only with nobody checked in (else close it), and nobody is texted."""
    started = (now or utcnow()) >= activity.starts_at
    if started and any(s.status == "attended" for s in activity.signups):
        raise ServiceError(
            _("Volunteers have checked in: close the activity instead (it counts only them).")
        )
    ACTIVITY_MACHINE.move(activity, "cancel")
    audit.log_access(by, "activity_cancel", "activity", activity.id, activity.station_id)
    if started:
        return 0
    told = [s for s in activity.signups if s.status in ("signed_up", "waiting", "attended")]
    for signup in told:
        text_volunteer(signup.user, "activity_cancelled", activity)
    return len(told)


def withdraw_suspended(user: User, by: User) -> int:
    """A suspended volunteer's upcoming sign-ups are withdrawn (not texted: the
    suspension tells them); each place freed moves the waiting list up, by SMS."""
    now = utcnow()
    signups = db.session.scalars(
        select(ActivitySignup)
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(
            ActivitySignup.user_id == user.id,
            ActivitySignup.status.in_(("signed_up", "waiting")),
            Activity.status == "scheduled",
            Activity.starts_at > now,
        )
        .order_by(ActivitySignup.id)
    ).all()
    for signup in signups:
        _release(signup, strict=False)
    return len(signups)
