"""Sign-in (phone number or username + password), sign-out, and password reset by SMS code.

No answer here tells whether an account exists: the same message, the same time (the
service checks a dummy hash for unknown accounts), the same lockout, the same "we sent a
code" for any phone number.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import EmptyForm, LoginForm, ResetCodeForm, ResetStartForm
from app.blueprints.transaction import attempt
from app.extensions import limiter
from app.services import ServiceError, auth, phone_codes
from app.services.phones import typed_number_hint
from app.services.urls import safe_next

SIGNUP_TICKET = "signup_ticket"  # the volunteer's confirm page reads it (volunteer.confirm)
RESET_TICKET = "reset_ticket"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        result = auth.sign_in(form.login.data, form.password.data)  # counts a failure
        if result.user is not None:
            session.clear()
            login_user(result.user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.landing"))
        form.password.errors.append(_refusal_words(result.wait_minutes))
    status = 200 if not form.errors else 422
    return render_template("auth/login.html", form=form), status


def _refusal_words(wait_minutes: int | None) -> str:
    """The same words for a wrong password and an unknown account; the wait once locked."""
    if wait_minutes:
        return _(
            "Too many wrong tries. Please wait %(minutes)d minutes and try again, "
            "or set a new password by SMS.",
            minutes=wait_minutes,
        )
    return _("Wrong phone number, username or password.")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("main.home"))


# --- forgotten password -------------------------------------------------------------------


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("5/minute", methods=["POST"])
def reset():
    form = ResetStartForm()
    if form.validate_on_submit():
        started = attempt(auth.start_reset, form.phone.data)
        if started.ok:
            session[RESET_TICKET] = started.result
            return redirect(url_for("auth.reset_code"))
        form.phone.errors.append(started.error.message)
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form), status


def _reset_flow():
    return phone_codes.flow(session.get(RESET_TICKET), "reset")


@bp.route("/reset/code", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def reset_code():
    flow = _reset_flow()
    if flow is None:
        return redirect(url_for("auth.reset"))
    form = ResetCodeForm()
    if form.validate_on_submit() and _password_reset(flow, form):
        session.clear()
        flash(_("Your password is changed. Please sign in with the new one."))
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template(
        "auth/reset_code.html",
        form=form,
        resend_form=EmptyForm(),
        phone=typed_number_hint(flow.phone),
    ), status


def _password_reset(flow, form: ResetCodeForm) -> bool:
    """Whether the code was right and the password is changed; if not, why, on the form.

    Not undone: the wrong try counts (the use case recorded it before refusing)."""
    try:
        auth.reset_password(flow.ticket, form.code.data, form.password.data)
    except ServiceError as error:
        getattr(form, error.field or "code", form.code).errors.append(error.message)
        return False
    return True


@bp.post("/reset/resend")
@limiter.limit("5/minute")
def reset_resend():
    if EmptyForm().validate_on_submit():
        phone_codes.resend(session.get(RESET_TICKET), "reset")
        flash(
            _("If this number has an account, a new code is on its way. You can ask once a minute.")
        )
    return redirect(url_for("auth.reset_code"))
