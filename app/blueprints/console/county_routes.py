"""The county supervisor: every station of the county at a glance, read-only, and the
escalated requests to act on (acknowledge with a note, or move to another station)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.console import bp, forms
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.models.vocab import CERTIFIED_TARGET
from app.services import console
from app.services.county import escalated_requests, station_named, station_rows, stations


def _render(status=200, error=None, bound=None):
    choices = [(str(s.id), s.name) for s in stations(current_user)]
    return render_template(
        "console/county.html",
        rows=station_rows(current_user),
        escalated=escalated_requests(current_user),
        station_choices=choices,
        error=error,
        bound=bound or {},
        certified_target=CERTIFIED_TARGET,
    ), status


@bp.get("/county")
@role_required("county_supervisor")
def county():
    return _render()


COUNTY_FORMS = {"ack": forms.NoteOnlyForm, "station": forms.StationForm}


@bp.post("/county/r/<int:request_id>/<action>")
@role_required("county_supervisor")
def county_action(request_id: int, action: str):
    found = console.visible_request(current_user, request_id)
    if found is None or action not in COUNTY_FORMS:
        abort(404)
    form = COUNTY_FORMS[action](prefix=action)
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
    station = station_named(form.station_id.data)
    console.reassign_station(found, current_user, station)
    return _("Moved to %(station)s.", station=station.name)
