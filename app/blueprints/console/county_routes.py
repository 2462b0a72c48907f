"""The county supervisor: every station of the county at a glance, read-only, and the
escalated requests to act on (acknowledge with a note, or move to another station)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.blueprints.console import bp, forms
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.extensions import db
from app.models import HelpRequest, Station
from app.models.base import utcnow
from app.services import console, workflow
from app.services.access import visible_station_ids
from app.services.deadlines import overdue_clause


def _station_rows():
    ids = visible_station_ids(current_user) or {-1}
    stations = db.session.scalars(select(Station).where(Station.id.in_(ids)).order_by(Station.id))
    now = utcnow()
    by_status = db.session.execute(
        select(HelpRequest.station_id, HelpRequest.status, func.count())
        .where(HelpRequest.station_id.in_(ids))
        .group_by(HelpRequest.station_id, HelpRequest.status)
    ).all()
    overdue = dict(
        db.session.execute(
            select(HelpRequest.station_id, func.count())
            .where(HelpRequest.station_id.in_(ids), overdue_clause(now))
            .group_by(HelpRequest.station_id)
        ).all()
    )
    escalated = dict(
        db.session.execute(
            select(HelpRequest.station_id, func.count())
            .where(
                HelpRequest.station_id.in_(ids),
                HelpRequest.escalated.is_(True),
                HelpRequest.status.in_(workflow.OPEN_STATUSES),
            )
            .group_by(HelpRequest.station_id)
        ).all()
    )
    counts: dict[int, dict[str, int]] = {}
    for station_id, status, n in by_status:
        counts.setdefault(station_id, {})[status] = n
    rows = []
    for station in stations:
        c = counts.get(station.id, {})
        rows.append(
            {
                "station": station,
                "new": c.get("new", 0),
                "open": sum(n for s, n in c.items() if s in workflow.OPEN_STATUSES),
                "closed": c.get("closed", 0),
                "overdue": overdue.get(station.id, 0),
                "escalated": escalated.get(station.id, 0),
            }
        )
    return rows


def _escalated():
    ids = visible_station_ids(current_user) or {-1}
    query = (
        select(HelpRequest)
        .where(
            HelpRequest.station_id.in_(ids),
            HelpRequest.escalated.is_(True),
            HelpRequest.status.in_(workflow.OPEN_STATUSES),
        )
        .order_by(console.URGENCY_ORDER, HelpRequest.escalated_at)
    )
    return list(db.session.scalars(query))


def _render(status=200, error=None, bound=None):
    ids = visible_station_ids(current_user) or {-1}
    stations = db.session.scalars(select(Station).where(Station.id.in_(ids)).order_by(Station.id))
    choices = [(str(s.id), s.name) for s in stations]
    return render_template(
        "console/county.html",
        rows=_station_rows(),
        escalated=_escalated(),
        station_choices=choices,
        error=error,
        bound=bound or {},
    ), status


@bp.get("/county")
@role_required("county_supervisor")
def county():
    return _render()


@bp.post("/county/r/<int:request_id>/<action>")
@role_required("county_supervisor")
def county_action(request_id: int, action: str):
    found = console.visible_request(current_user, request_id)
    if found is None:
        abort(404)
    if action == "ack":
        form = forms.NoteOnlyForm(prefix="ack")
    elif action == "station":
        form = forms.StationForm(prefix="station")
    else:
        abort(404)
    if not form.validate():
        return _render(status=400)
    done = attempt(_county_act, found, action, form)
    if not done.ok:
        return _render(status=422, error=done.error.message)
    flash(done.result)
    return redirect(url_for("console.county"))


def _county_act(found, action: str, form) -> str:
    """Acknowledge or move one escalated request; the words to flash."""
    if action == "ack":
        console.acknowledge(found, current_user, form.note.data or "")
        return _("Noted on the request's timeline.")
    raw = form.station_id.data or ""
    station = db.session.get(Station, int(raw)) if raw.isdigit() else None
    console.reassign_station(found, current_user, station)
    return _("Moved to %(station)s.", station=station.name)
