"""Helpers for the community-activity tests (issue 18)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.services import activities
from tests import factories


def make_worker(station, **kwargs):
    return factories.make_user(roles=("social_worker",), station=station, **kwargs)


def post(by, village=None, *, starts_in=timedelta(days=3), capacity=3, minutes=120, **kwargs):
    values = {
        "title": kwargs.pop("title", "重阳义剪"),
        "kind": kwargs.pop("kind", "haircut"),
        "starts_at": utcnow() + starts_in,
        "minutes": minutes,
        "village_id": village.id if village is not None else None,
        "volunteer_capacity": capacity,
        "place": kwargs.pop("place", "村委会广场"),
    }
    values.update(kwargs)
    activity = activities.post_activity(by, **values)
    db.session.flush()
    return activity


def move_start(activity, starts_in: timedelta) -> None:
    """The day comes: the activity starts ``starts_in`` from now."""
    activity.starts_at = utcnow() + starts_in
    db.session.flush()


def texts_to(phone: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_phone == phone).order_by(OutboxMessage.id)
        )
    )


def templates_to(phone: str) -> list[str]:
    return [m.template for m in texts_to(phone)]
