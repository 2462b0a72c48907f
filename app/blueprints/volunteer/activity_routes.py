"""Community activities for volunteers (issue 18): those near them, nearest first; one
activity's page; sign up, withdraw, check in with the code. Sign-up is first wins up to
the places, then a waiting list that moves up by itself (app/services/activities.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.blueprints.volunteer import bp
from app.extensions import limiter
from app.services import activities, activity_access, activity_lists, matching

VOLUNTEER_ROLES = ("volunteer", "team_leader")


def _me():
    return current_user._get_current_object()


def _visible_or_404(activity_id: int):
    activity = activity_lists.visible_to_volunteer(_me(), activity_id)
    if activity is None:
        abort(404)
    return activity


def _page(activity, status: int = 200, error: str | None = None):
    signup = activities.signup_of(activity, _me())
    return render_template(
        "volunteer/activity.html",
        activity=activity,
        signup=signup,
        error=error,
        may_manage=activity_access.may_manage(_me(), activity),
        distance_words=matching.distance_words,
    ), status


@bp.get("/activities")
@role_required(*VOLUNTEER_ROLES)
def activities_near():
    approved = activity_access.approved(_me())
    found = activity_lists.nearby(_me()) if approved else []
    return render_template(
        "volunteer/activities.html",
        found=found,
        approved=approved,
        may_post=activity_access.may_post(_me()),
        distance_words=matching.distance_words,
    )


@bp.get("/activities/<int:activity_id>")
@role_required(*VOLUNTEER_ROLES)
def activity(activity_id: int):
    return _page(_visible_or_404(activity_id))


def _answer(activity, use_case, *args, done: str, **kwargs):
    outcome = attempt(use_case, *args, **kwargs)
    if not outcome.ok:
        return _page(activity, 422, error=outcome.error.message)
    flash(done)
    return redirect(url_for("volunteer.activity", activity_id=activity.id))


@bp.post("/activities/<int:activity_id>/sign-up")
@role_required(*VOLUNTEER_ROLES)
def activity_sign_up(activity_id: int):
    activity = _visible_or_404(activity_id)
    return _answer(
        activity,
        activities.sign_up,
        activity,
        _me(),
        done=_("Thank you: see where you stand below."),
    )


@bp.post("/activities/<int:activity_id>/withdraw")
@role_required(*VOLUNTEER_ROLES)
def activity_withdraw(activity_id: int):
    activity = _visible_or_404(activity_id)
    return _answer(activity, activities.withdraw, activity, _me(), done=_("You have withdrawn."))


@bp.post("/activities/<int:activity_id>/check-in")
@limiter.limit("10/minute", key_func=lambda: f"check-in:{current_user.get_id()}")
@role_required(*VOLUNTEER_ROLES)
def activity_check_in(activity_id: int):
    activity = _visible_or_404(activity_id)
    code = (request.form.get("code") or "").strip()[:8]
    outcome = attempt(activities.check_in_by_code, _me(), code, activity)
    if isinstance(outcome.error, activities.WrongCode):
        activities.count_wrong_code(outcome.error)  # kept, after the refusal's rollback
    if not outcome.ok:
        return _page(activity, 422, error=outcome.error.message)
    flash(_("Checked in. Thank you!"))
    return redirect(url_for("volunteer.activity", activity_id=activity.id))
