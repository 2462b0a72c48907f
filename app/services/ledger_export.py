"""The ledger as a CSV file for a spreadsheet: the rows a worker may take away, each export
written to the access log (DESIGN.md, privacy)."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from app.models import Beneficiary, User
from app.services import audit, ledger
from app.services.privacy import show_person_name, show_phone
from app.services.wording import group_label

MAX_ROWS = 10000


def ledger_csv(user: User, *, q: str = "", village_id: int | None = None, group: str = "") -> str:
    """The people of ``user``'s ledger that match the filters, as CSV text; logged."""
    people = ledger.search(user, q=q, village_id=village_id, group=group, limit=MAX_ROWS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("Village"), _("Special groups"), _("Phone"), _("Next visit due")])
    writer.writerows([_cell(value) for value in _row(user, person)] for person in people)
    filters = {"q": q, "village_id": village_id, "group": group}
    audit.log_access(
        user,
        "export",
        "beneficiary",
        0,
        user.station_id,
        rows=len(people),
        **{k: v for k, v in filters.items() if v},
    )
    return out.getvalue()


def _row(user: User, person: Beneficiary) -> list:
    """What ``user`` may read of one person: names and phones masked as on the page."""
    return [
        show_person_name(user, person.name, person.station_id, person.is_minor),
        person.village.name if person.village else "",
        "、".join(group_label(g) for g in person.special_groups or []),
        show_phone(user, person.phone, person.station_id),
        person.next_visit_due.isoformat() if person.next_visit_due else "",
    ]


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
