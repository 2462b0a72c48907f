"""Someone is in danger now (issue 16): 110 and 120 first, then one short form that files
a crisis request for the station. Works without JavaScript, like the ask form."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from app.blueprints.public import bp
from app.blueprints.public.forms import DangerForm
from app.blueprints.public.routes import (
    ASK_LIMIT,
    _fill_place_choices,
    _fresh_form,
    _is_filing,
    _only_reloading_villages,
    _remember,
)
from app.blueprints.transaction import attempt
from app.extensions import limiter
from app.i18n import current_language
from app.services import deadlines, intake


@bp.route("/ask/danger", methods=["GET", "POST"])
@limiter.limit(ASK_LIMIT, methods=["POST"], exempt_when=_only_reloading_villages)
def danger():
    """110 and 120 first; then one short form that files a crisis request for the station
    (a phone number is all it needs)."""
    form = _fresh_form(DangerForm)
    status = 200
    if _is_filing():
        if form.validate_on_submit():
            created_id = _file_danger(form)
            if created_id is not None:
                _remember(created_id)
                return redirect(url_for("public.done"), code=303)
        status = 422
    _fill_place_choices(form)
    within = deadlines.response_target_text("crisis")
    return render_template("public/danger.html", form=form, answer_within=within), status


def _file_danger(form: DangerForm) -> int | None:
    done = attempt(
        intake.report_danger,
        form_token=form.form_token.data,
        description=form.description.data or "",
        village_id=form.village.data,
        address=form.address.data or "",
        contact_phone=form.phone_e164,
        language=current_language(),
    )
    if done.ok:
        return done.result.id
    field = getattr(form, done.error.field or "", None)
    target = field if field is not None else form.phone
    target.errors = [*target.errors, done.error.message]
    return None
