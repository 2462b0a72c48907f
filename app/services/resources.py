"""The resources ledger 链接资源台账 (issue 18): money and goods a station brings in.

A fulfilled micro-wish writes its own line (``wish_delivery.deliver``); the station records the
other donations and charity projects here. The monthly report's 链接资源 figure is the sum
of the lines (``wish_stats``).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import ResourceEntry, User
from app.models.vocab import label
from app.services import ServiceError, access, audit, wording
from app.services.spreadsheets import safe_text

SOURCES: dict[str, object] = {
    "wish": _l("Micro-wish"),
    "donation": _l("Donation"),
    "project": _l("Charity project"),
}
KINDS: dict[str, object] = {"money": _l("Money"), "goods": _l("Goods")}
MAX_VALUE = Decimal("10000000")


def entries(user: User, limit: int = 500) -> list[ResourceEntry]:
    query = access.scope_to_acting_stations(select(ResourceEntry), ResourceEntry.station_id, user)
    return list(
        db.session.scalars(
            query.order_by(ResourceEntry.received_on.desc(), ResourceEntry.id.desc()).limit(limit)
        )
    )


def add(
    user: User,
    *,
    station_id: int | None,
    source: str,
    kind: str,
    donor_name: str,
    value,
    received_on: date | None,
    purpose: str = "",
) -> ResourceEntry:
    """A donation or a charity project's money or goods (a wish's line is written by its
    delivery)."""
    if station_id not in access.acting_station_ids(user):
        raise ServiceError(_("Only the station's workers may add to its resources ledger."))
    if source not in ("donation", "project"):
        raise ServiceError(_("Choose donation or charity project."), field="source")
    if kind not in KINDS:
        raise ServiceError(_("Choose money or goods."), field="kind")
    donor_name = " ".join((donor_name or "").split())
    if not donor_name:
        raise ServiceError(_("Who gave it? A name, a company or a project."), field="donor_name")
    try:
        amount = Decimal(str(value or "").strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Enter an amount in yuan, e.g. 120."), field="value") from None
    if not Decimal("0") < amount <= MAX_VALUE:
        raise ServiceError(_("Enter an amount in yuan, e.g. 120."), field="value")
    if received_on is None or received_on > wording.local_today():
        raise ServiceError(_("Choose the day it came in (not after today)."), field="received_on")
    entry = ResourceEntry(
        station_id=station_id,
        source=source,
        kind=kind,
        donor_name=donor_name[:64],
        value=amount,
        received_on=received_on,
        purpose=(purpose or "").strip()[:200],
        recorded_by_id=user.id,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def as_csv(user: User) -> str:
    """The ledger's lines ``user`` may take away, as CSV text; the export is written to the
    access log like every export (DESIGN.md, privacy)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Date"), _("Source"), _("Kind"), _("Donor"), _("Value (yuan)"), _("What it served")]
    )
    lines = entries(user, limit=100_000)
    for entry in lines:
        writer.writerow(
            [
                entry.received_on.isoformat(),
                label(SOURCES, entry.source),
                label(KINDS, entry.kind),
                safe_text(entry.donor_name),
                f"{entry.value:.2f}",
                safe_text(entry.purpose),
            ]
        )
    audit.log_access(user, "export", "resource_entry", 0, user.station_id, rows=len(lines))
    return out.getvalue()
