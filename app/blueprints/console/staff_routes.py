"""Station admin: the staff of their stations and their certificates (issue 15, item 2).
The use cases are in app/services/staffing.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.console import bp, forms
from app.blueprints.console.helpers import digits_or_none, error_on_form
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.services import staffing


@bp.route("/staff", methods=["GET", "POST"])
@role_required("station_admin")
def staff():
    form = forms.StaffForm(stations=staffing.stations(current_user))
    if form.validate_on_submit():
        done = attempt(staffing.add_worker, current_user, **_worker_fields(form))
        if done.ok:
            flash(_done_words("add", done.result))
            return redirect(url_for("console.staff", _anchor=f"worker-{done.result.id}"))
        error_on_form(form, done.error, "name")
    return _staff_page(form=form), 422 if form.errors else 200


def _worker_fields(form: forms.StaffForm) -> dict:
    return {
        "name": form.name.data,
        "phone": form.phone.data,
        "role": form.role.data,
        "station_id": digits_or_none(form.station_id.data),
        **_certificate(form),
    }


def _worker_or_404(worker_id: int):
    worker = staffing.visible_worker(current_user, worker_id)
    if worker is None:
        abort(404)
    return worker


@bp.post("/staff/<int:worker_id>/certificate")
@role_required("station_admin")
def staff_certificate(worker_id: int):
    worker = _worker_or_404(worker_id)
    form = forms.CertificateForm(prefix=f"cert{worker.id}")
    if form.validate():
        done = attempt(staffing.record_certificate, current_user, worker, **_certificate(form))
        if done.ok:
            flash(_("Certificate and training hours saved for %(name)s.", name=done.result.name))
            return redirect(url_for("console.staff", _anchor=f"worker-{worker_id}"))
        error_on_form(form, done.error, "training_hours")
    return _staff_page(bound={worker_id: form}), 422


def _certificate(form: forms.CertificateForm) -> dict:
    return {
        "certificate_level": form.certificate_level.data,
        "training_hours": form.training_hours.data,
    }


STAFF_ACTIONS = {
    "suspend": staffing.suspend,
    "reactivate": staffing.reactivate,
    "reset": staffing.reset_password,
}


@bp.post("/staff/<int:worker_id>/<action>")
@role_required("station_admin")
def staff_action(worker_id: int, action: str):
    worker = _worker_or_404(worker_id)
    if action not in STAFF_ACTIONS:
        abort(404)
    done = attempt(STAFF_ACTIONS[action], current_user, worker)
    if not done.ok:
        flash(done.error.message, "error")
        return _staff_page(), 422
    flash(_done_words(action, done.result))
    return redirect(url_for("console.staff", _anchor=f"worker-{worker_id}"))


def _done_words(action: str, worker) -> str:
    name = worker.name
    if action == "add":
        return _(
            "Account opened for %(name)s: they were texted a link to set a password.", name=name
        )
    if action == "suspend":
        words = _("Suspended: %(name)s can no longer sign in.", name=name)
        if left := staffing.open_requests_of(worker):
            words += " " + _(
                "%(n)s open requests are still given to them: please hand them on.", n=left
            )
        return words
    if action == "reactivate":
        return _("%(name)s is active again.", name=name)
    return _("%(name)s was texted a link to set a new password.", name=name)


def _staff_page(*, form=None, bound=None) -> str:
    groups = staffing.staff_groups(current_user)
    cert_forms = {
        w.id: forms.CertificateForm(formdata=None, prefix=f"cert{w.id}", obj=w)
        for group in groups
        for w in group.workers
    }
    cert_forms.update(bound or {})
    return render_template(
        "console/staff.html",
        groups=groups,
        form=form or forms.StaffForm(formdata=None, stations=staffing.stations(current_user)),
        cert_forms=cert_forms,
        target=staffing.CERTIFIED_TARGET,
    )
