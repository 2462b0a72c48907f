"""The beneficiary ledger 服务对象台账, care plans and home visits."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.console import bp, forms
from app.blueprints.console.helpers import WORKERS, digits_or_none, error_on_form
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.extensions import htmx
from app.models import Beneficiary
from app.models.vocab import CALL_OUTCOMES, SPECIAL_GROUPS
from app.services import as_id, audit, form_tokens, intake, ledger, wording
from app.services.counting import RECORD_CATEGORIES
from app.services.ledger import HEALTH, LIVING_CONDITIONS
from app.services.ledger_export import ledger_csv


def _person_or_404(beneficiary_id: int) -> Beneficiary:
    person = ledger.visible_beneficiary(current_user, beneficiary_id)
    if person is None:
        abort(404)
    return person


def _filters():
    village = request.args.get("village", "")
    return {
        "q": request.args.get("q", "")[:64],
        "village_id": as_id(village),
        "group": request.args.get("group", "")
        if request.args.get("group") in SPECIAL_GROUPS
        else "",
    }


@bp.get("/ledger")
@role_required(*WORKERS)
def ledger_list():
    filters = _filters()
    people = ledger.search(current_user, **filters)
    context = {
        "people": people,
        "filters": filters,
        "villages": ledger.villages_for(current_user),
        "groups": SPECIAL_GROUPS,
    }
    if htmx:
        return render_template("console/_ledger_list.html", **context)
    return render_template("console/ledger.html", **context)


@bp.get("/ledger/export.csv")
@role_required(*WORKERS)
def ledger_export():
    return Response(
        "\ufeff" + ledger_csv(current_user, **_filters()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=ledger.csv"},
    )


@bp.route("/ledger/new", methods=["GET", "POST"])
@role_required(*WORKERS)
def ledger_new():
    form = forms.BeneficiaryForm(villages=ledger.villages_for(current_user))
    if form.validate_on_submit():
        done = attempt(ledger.create, current_user, **_person_fields(form))
        if done.ok:
            flash(_("Added to the ledger."))
            return redirect(url_for("console.ledger_person", beneficiary_id=done.result.id))
        error_on_form(form, done.error, "name")
    status = 422 if form.errors else 200
    return render_template("console/ledger_new.html", form=form), status


def _person_fields(form: forms.BeneficiaryForm) -> dict:
    return {
        "station_id": current_user.station_id,
        "name": form.name.data,
        "phone": form.phone.data or "",
        "village_id": digits_or_none(form.village_id.data),
        "special_groups": form.special_groups.data or (),
        "guardian_name": form.guardian_name.data or "",
        "guardian_phone": form.guardian_phone.data or "",
        "guardian_relation": form.guardian_relation.data or "",
        "address": form.address.data or "",
        "notes": form.notes.data or "",
        "birth_year": form.birth_year.data,
        "gender": form.gender.data or "",
    }


@bp.get("/ledger/<int:beneficiary_id>")
@role_required(*WORKERS)
def ledger_person(beneficiary_id: int):
    return _render_person(_person_or_404(beneficiary_id))


def _render_person(person: Beneficiary, plan_form=None, call_form=None, status=200):
    audit.log_access(current_user, "view_beneficiary", "beneficiary", person.id, person.station_id)
    plan_form = plan_form or forms.CarePlanForm(
        formdata=None, data={"visit_interval_days": person.visit_interval_days}
    )
    return (
        render_template(
            "console/person.html",
            p=person,
            requests=ledger.requests_of(person),
            services=ledger.services_of(person),
            calls=ledger.calls_of(person),
            plan_form=plan_form,
            call_form=_with_token(call_form or forms.CallForm(formdata=None)),
            call_outcomes=CALL_OUTCOMES,
            record_categories=RECORD_CATEGORIES,
            living=LIVING_CONDITIONS,
            health=HEALTH,
            today=wording.local_today(),
        ),
        status,
    )


def _with_token(form):
    """A form that records a service carries a one-time token (kept when sent back)."""
    if not intake.valid_form_token(form.form_token.data):
        form.form_token.data = form_tokens.new_token()
    return form


def _recorded(done, message: str) -> bool:
    """Whether the form's work is stored: now (say ``message``), or by the same form sent
    before (say that: nothing was written twice). False: refused, show the form again."""
    if done.ok:
        flash(message)
        return True
    if isinstance(done.error, form_tokens.AlreadySent):
        flash(done.error.message)
        return True
    return False


@bp.post("/ledger/<int:beneficiary_id>/call")
@role_required(*WORKERS)
def ledger_call(beneficiary_id: int):
    person = _person_or_404(beneficiary_id)
    form = forms.CallForm()
    if form.validate_on_submit():
        done = attempt(ledger.log_call, person, current_user, **_call_fields(form))
        if _recorded(done, _("Call logged.")):
            return redirect(url_for("console.ledger_person", beneficiary_id=beneficiary_id))
        error_on_form(form, done.error, "outcome")
    return _render_person(person, call_form=form, status=422)


def _call_fields(form: forms.CallForm) -> dict:
    return {
        "outcome": form.outcome.data or "",
        "minutes": form.minutes.data or "",
        "note": form.note.data or "",
        "form_token": form.form_token.data or "",
    }


@bp.post("/ledger/<int:beneficiary_id>/plan")
@role_required(*WORKERS)
def ledger_plan(beneficiary_id: int):
    person = _person_or_404(beneficiary_id)
    form = forms.CarePlanForm()
    if form.validate():
        done = attempt(ledger.set_care_plan, person, interval_days=form.visit_interval_days.data)
        if done.ok:
            flash(_("Care plan saved."))
            return redirect(url_for("console.ledger_person", beneficiary_id=beneficiary_id))
        form.visit_interval_days.errors.append(done.error.message)
    return _render_person(person, plan_form=form, status=422)


@bp.route("/ledger/<int:beneficiary_id>/visit", methods=["GET", "POST"])
@role_required(*WORKERS)
def ledger_visit(beneficiary_id: int):
    person = _person_or_404(beneficiary_id)
    form = forms.VisitForm()
    if form.validate_on_submit():
        done = attempt(ledger.record_visit, person, current_user, **_visit_fields(form))
        if _recorded(done, _("Visit recorded.")):
            return _visit_recorded(
                done.result.spawned_request_id if done.ok else None, beneficiary_id
            )
        error_on_form(form, done.error, "living_conditions")
    status = 422 if form.errors else 200
    audit.log_access(current_user, "view_beneficiary", "beneficiary", person.id, person.station_id)
    return render_template("console/visit.html", p=person, form=_with_token(form)), status


def _visit_fields(form: forms.VisitForm) -> dict:
    return {
        "living_conditions": form.living_conditions.data,
        "health": form.health.data,
        "needs_found": form.needs_found.data or "",
        "follow_up": form.follow_up.data or "",
        "request_category": form.request_category.data or "",
        "request_urgency": form.request_urgency.data or "normal",
        "minutes": form.minutes.data or "",
        "form_token": form.form_token.data or "",
    }


def _visit_recorded(spawned: int | None, beneficiary_id: int):
    if spawned:
        flash(_("A help request was opened from this visit."))
        return redirect(url_for("console.request_page", request_id=spawned))
    return redirect(url_for("console.ledger_person", beneficiary_id=beneficiary_id))


@bp.get("/visits")
@role_required(*WORKERS)
def visits():
    overdue, due = ledger.visits_due(current_user)
    return render_template(
        "console/visits.html", overdue=overdue, due=due, today=wording.local_today()
    )
