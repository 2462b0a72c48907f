"""The station's side of the micro-wishes (issue 18): the wishes, children and delivery
photos a worker may open. Only the wish's station's workers (``wishes.may_manage``)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Beneficiary, User, Wish, WishPhoto
from app.models.base import utcnow
from app.models.vocab import MINOR_GROUPS, groups_mask
from app.services import access
from app.services.wishes import WISH_MACHINE, may_manage

CHILDREN_SHOWN = 2000  # the form's list of children


def visible_wish(user: User, wish_id: int) -> Wish | None:
    wish = db.session.get(Wish, wish_id)
    return wish if wish is not None and may_manage(user, wish) else None


def station_wishes(user: User, status: str = "") -> list[Wish]:
    query = access.scope_to_acting_stations(
        select(Wish).options(selectinload(Wish.beneficiary)), Wish.station_id, user
    )
    if status in WISH_MACHINE.statuses:
        query = query.where(Wish.status == status)
    return list(db.session.scalars(query.order_by(Wish.id.desc()).limit(300)))


def photo_of(user: User, wish_id: int) -> WishPhoto | None:
    """The delivery photo, for the wish's station's workers alone (None for anyone else)."""
    wish = visible_wish(user, wish_id)
    return None if wish is None else stored_photo(wish)


def stored_photo(wish: Wish) -> WishPhoto | None:
    """The delivery photo of a wish the caller has already checked (``visible_wish``)."""
    return db.session.scalar(select(WishPhoto).where(WishPhoto.wish_id == wish.id))


def has_photo(wish: Wish) -> bool:
    """Whether the wish has a delivery photo, without reading the photo (up to 3 MB)."""
    found = db.session.scalar(select(WishPhoto.id).where(WishPhoto.wish_id == wish.id).limit(1))
    return found is not None


def dates(wish: Wish) -> list[tuple[str, object]]:
    """When the wish reached each status it holds a date for (the station's page)."""
    stamps = [("recorded", wish.created_at)]
    stamps += [(status, getattr(wish, column)) for status, column in WISH_MACHINE.stamps.items()]
    return [(WISH_MACHINE.status_label(status), at) for status, at in stamps if at is not None]


def children_for(user: User) -> list[Beneficiary]:
    """The children of the user's stations' ledger, for whom a wish may be recorded.

    ``Beneficiary.is_minor`` in SQL (a minor's group bit, or born less than 18 years ago),
    so the limit counts children alone: adults sorting first cannot push a child out."""
    minor = or_(
        Beneficiary.groups_mask.op("&")(groups_mask(MINOR_GROUPS)) != 0,
        Beneficiary.birth_year > utcnow().year - 18,
    )
    query = access.scope_to_acting_stations(select(Beneficiary), Beneficiary.station_id, user)
    query = query.where(minor).order_by(Beneficiary.name, Beneficiary.id).limit(CHILDREN_SHOWN)
    return list(db.session.scalars(query))
