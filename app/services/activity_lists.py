"""Community activities as people find them (issue 18): near a volunteer, nearest first;
a station's upcoming ones on its public page (no personal data at all); and the reminder
the day before (the job is app/jobs/activities.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Activity, ActivitySignup, Station, User
from app.models.base import utcnow
from app.services import activities, geo, wording

NEARBY_DAYS = 60  # how far ahead a volunteer's list looks
REMIND_AHEAD = timedelta(hours=24)


@dataclass(frozen=True)
class Nearby:
    activity: Activity
    distance_km: float | None  # None: the activity or the volunteer has no point
    signup_status: str | None  # the volunteer's own sign-up, if any


def _upcoming(now: datetime):
    # Each row shows its place (the village's or the station's name): loaded with it.
    return (
        select(Activity)
        .options(joinedload(Activity.village), joinedload(Activity.station))
        .where(
            Activity.status == "scheduled",
            Activity.starts_at > now,
            Activity.starts_at <= now + timedelta(days=NEARBY_DAYS),
        )
    )


def nearby(user: User, *, now: datetime | None = None, limit: int = 30) -> list[Nearby]:
    """Upcoming activities within the volunteer's travel radius of home (their own
    station's too, wherever they are), nearest first; those without a point last. The
    database keeps to a box around home (the exact distance is then checked here)."""
    now = now or utcnow()
    profile = user.volunteer
    home = (profile.home_lat, profile.home_lon) if profile is not None else (None, None)
    radius = profile.radius_km if profile is not None else 0
    own_station = profile.station_id if profile is not None else None
    mine = dict(
        db.session.execute(
            select(ActivitySignup.activity_id, ActivitySignup.status).where(
                ActivitySignup.user_id == user.id
            )
        ).all()
    )
    # in SQL: inside the box around home, or their own station's, or their own sign-ups
    near_clauses = [Activity.id.in_(list(mine) or [-1])]
    if own_station is not None:
        near_clauses.append(Activity.station_id == own_station)
    if None not in home and radius:
        low_lat, high_lat, low_lon, high_lon = geo.bounding_box(home[0], home[1], radius)
        near_clauses.append(
            Activity.lat.between(low_lat, high_lat) & Activity.lon.between(low_lon, high_lon)
        )
    query = _upcoming(now).where(or_(*near_clauses)).order_by(Activity.starts_at).limit(500)
    found = []
    for activity in db.session.scalars(query):
        distance = None
        if None not in home and activity.lat is not None and activity.lon is not None:
            distance = geo.distance_km(home[0], home[1], activity.lat, activity.lon)
        near = distance is not None and distance <= radius
        if near or activity.station_id == own_station or activity.id in mine:
            found.append(Nearby(activity, distance, mine.get(activity.id)))
    found.sort(key=lambda n: (n.distance_km is None, n.distance_km or 0, n.activity.starts_at))
    return found[:limit]


def visible_to_volunteer(user: User, activity_id: int) -> Activity | None:
    """An activity a volunteer may open: an upcoming one, or one they signed up for."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        return None
    if activity.status == "scheduled" or activities.signup_of(activity, user) is not None:
        return activity
    return None


@dataclass(frozen=True)
class PublicActivity:
    """What anyone may read: nothing about who signed up or who was served."""

    title: str
    kind: str
    starts_at: datetime
    minutes: int
    place: str
    places_left: int
    code: str  # what a volunteer texts to sign up ("报名 52817")


def public_upcoming(station: Station, *, now: datetime | None = None) -> list[PublicActivity]:
    """A station's upcoming activities (its rooms' too), soonest first."""
    now = now or utcnow()
    ids = [station.id, *(room.id for room in station.rooms)]
    rows = db.session.scalars(
        _upcoming(now).where(Activity.station_id.in_(ids)).order_by(Activity.starts_at).limit(50)
    )
    return [
        PublicActivity(
            title=a.title,
            kind=a.kind,
            starts_at=a.starts_at,
            minutes=a.minutes,
            place=wording.place_label(a),
            places_left=a.places_left,
            code=a.code,
        )
        for a in rows
    ]


# --- the reminder the day before ------------------------------------------------------------


def activities_to_remind(now: datetime) -> list[int]:
    """Activities starting within a day with someone holding a place not yet reminded
    (one who signs up, or moves up, after the first reminder gets their own)."""
    return list(
        db.session.scalars(
            select(Activity.id)
            .join(ActivitySignup, ActivitySignup.activity_id == Activity.id)
            .where(
                Activity.status == "scheduled",
                Activity.starts_at > now,
                Activity.starts_at <= now + REMIND_AHEAD,
                ActivitySignup.status == "signed_up",
                ActivitySignup.reminded_at.is_(None),
            )
            .distinct()
        )
    )


def remind(activity: Activity, now: datetime | None = None) -> int:
    """Text everyone with a place not yet reminded, once each (the first worker to stamp
    a sign-up's ``reminded_at`` texts it)."""
    now = now or utcnow()
    told = 0
    holders = db.session.scalars(
        select(ActivitySignup)
        .where(ActivitySignup.activity_id == activity.id, ActivitySignup.status == "signed_up")
        .order_by(ActivitySignup.id)
    ).all()
    for signup in holders:
        stamped = db.session.execute(
            update(ActivitySignup)
            .where(ActivitySignup.id == signup.id, ActivitySignup.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if stamped == 1:
            activities.text_volunteer(signup.user, "activity_reminder", activity)
            told += 1
    db.session.flush()
    return told


# --- never closed -------------------------------------------------------------------------

LAPSE_AFTER = timedelta(days=7)  # after the end: a scheduled activity nobody came to lapses


def activities_to_lapse(now: datetime) -> list[int]:
    """Scheduled activities that started over a week (plus the longest duration) ago;
    ``lapse`` checks each one's own end."""
    latest_start = now - LAPSE_AFTER - timedelta(minutes=activities.MAX_MINUTES)
    return list(
        db.session.scalars(
            select(Activity.id).where(
                Activity.status == "scheduled", Activity.starts_at <= latest_start
            )
        )
    )


def lapse(activity: Activity, now: datetime | None = None) -> int:
    """Cancel it, by nobody and texting nobody, if it ended a week ago with nobody
    checked in; 1 when cancelled."""
    now = now or utcnow()
    ended = activity.starts_at + timedelta(minutes=activity.minutes)
    if activity.status != "scheduled" or now < ended + LAPSE_AFTER:
        return 0
    if any(s.status == "attended" for s in activity.signups):
        return 0  # someone came: the worker closes it (it stays on their list)
    activities.cancel(activity, None, now=now)
    return 1
