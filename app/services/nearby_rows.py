"""Plain rows of offered requests as a line of the nearby list reads them (``TaskLine``):
the columns the line shows, joined to a query of ``HelpRequest``, and the line made from a
row. Reading whole ORM requests with their beneficiary, village and station cost more CPU
than the rest of the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, select

from app.models import Beneficiary, HelpRequest, Region, Station
from app.models.vocab import MINOR_GROUPS


@dataclass(slots=True)
class TaskLine:
    """An offered request as a line of the nearby list reads it, from one row: no name,
    phone or address (the row holds none)."""

    id: int
    status: str
    category: str
    urgency: str
    lat: float | None
    lon: float | None
    wanted_at: datetime | None
    wanted_note: str
    involves_minor: bool  # as HelpRequest.involves_minor
    place: str  # as wording.place_label


@lru_cache(maxsize=1)
def lines_statement():
    """The lines of some offered requests, by id: built once."""
    query = select(HelpRequest.id.label("near_id")).where(
        HelpRequest.id.in_(bindparam("ids", expanding=True))
    )
    return with_line(query)


def with_line(query):
    """``query`` (which joins HelpRequest) with the columns a task line reads."""
    return (
        query.add_columns(
            HelpRequest.id,
            HelpRequest.status,
            HelpRequest.category,
            HelpRequest.urgency,
            HelpRequest.lat,
            HelpRequest.lon,
            HelpRequest.wanted_at,
            HelpRequest.wanted_note,
            HelpRequest.special_groups,
            HelpRequest.beneficiary_id,
            Beneficiary.special_groups.label("beneficiary_groups"),
            Beneficiary.birth_year.label("beneficiary_birth_year"),
            Region.name.label("village_name"),
            Station.name.label("station_name"),
        )
        .outerjoin(Beneficiary, Beneficiary.id == HelpRequest.beneficiary_id)
        .outerjoin(Region, Region.id == HelpRequest.village_id)
        .outerjoin(Station, Station.id == HelpRequest.station_id)
    )


def task_line(row, this_year: int) -> TaskLine:
    return TaskLine(
        id=row.id,
        status=row.status,
        category=row.category,
        urgency=row.urgency,
        lat=row.lat,
        lon=row.lon,
        wanted_at=row.wanted_at,
        wanted_note=row.wanted_note,
        involves_minor=involves_minor(row, this_year),
        # wording.place_label: the village, else the station
        place=row.village_name if row.village_name is not None else (row.station_name or ""),
    )


def involves_minor(row, this_year: int) -> bool:
    """HelpRequest.involves_minor (with Beneficiary.is_minor) on the row's columns."""
    if set(row.special_groups or []) & MINOR_GROUPS:
        return True
    if row.beneficiary_id is None:
        return False
    if set(row.beneficiary_groups or []) & MINOR_GROUPS:
        return True
    birth_year = row.beneficiary_birth_year
    return bool(birth_year and this_year - birth_year < 18)
