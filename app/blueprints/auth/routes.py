"""Sign-in (phone number or username + password) and sign-out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm
from app.extensions import limiter
from app.services.auth import authenticate
from app.services.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong phone number, username or password."))
        else:
            session.clear()
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.landing"))
    status = 200 if not form.errors else 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("main.home"))
