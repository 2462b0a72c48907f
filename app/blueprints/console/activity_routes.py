"""Community activities in the console (issue 18): the station's list, a new activity, and
one activity's page (check-in code, roster, people served, close, cancel).

Open to the station's workers and to approved team leaders (their team's activities);
``activity_access.may_manage`` decides each activity, anyone else gets a 404. A county
supervisor reads the counts on the statistics pages and changes nothing here.
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.blueprints.console import bp
from app.blueprints.console.activity_forms import ActivityForm, HeadCountForm, ResidentForm
from app.blueprints.console.helpers import WORKERS, digits_or_none, error_on_form
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.extensions import db
from app.models import Activity, ActivityResident, ActivitySignup
from app.services import ServiceError, access, activities, activity_access, as_id, wording

MANAGERS = (*WORKERS, "team_leader")


def _managed_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if not activity_access.may_manage(current_user, activity):
        abort(404)
    return activity


def _number(raw, field: str) -> int | None:
    """A count typed in the form: blank is None; anything but plain ASCII digits (``"²"``
    passes ``str.isdigit`` and then breaks ``int``) or over 5 digits is a refusal."""
    text = (raw or "").strip()
    if not text:
        return None
    number = as_id(text)
    if number is None or len(text) > 5:
        raise ServiceError(_("Enter a whole number."), field=field)
    return number


def _activity_fields(form: ActivityForm) -> dict:
    """The form's values for ``post_activity``; a day or time that cannot be read is a
    refusal under its field."""
    try:
        day = date.fromisoformat((form.day.data or "").strip())
    except ValueError:
        raise ServiceError(_("Enter a day such as 2026-12-03."), field="day") from None
    try:
        clock = time.fromisoformat((form.time.data or "").strip())
    except ValueError:
        raise ServiceError(_("Enter a time such as 09:30."), field="time") from None
    return {
        "title": form.title.data,
        "kind": form.kind.data,
        "starts_at": wording.to_utc(datetime.combine(day, clock)),
        "minutes": _number(form.minutes.data, "minutes") or 0,
        "village_id": digits_or_none(form.village_id.data),
        "place": form.place.data or "",
        "door_to_door": bool(form.door_to_door.data),
        "volunteer_capacity": _number(form.volunteer_capacity.data, "volunteer_capacity") or 0,
        "resident_capacity": _number(form.resident_capacity.data, "resident_capacity"),
        "skills": form.skills.data or (),
        "special_groups": form.special_groups.data or (),
        "description": form.description.data or "",
    }


def _post(form: ActivityForm) -> Activity:
    return activities.post_activity(current_user, **_activity_fields(form))


@bp.get("/activities")
@role_required(*MANAGERS)
def activity_list():
    if not activity_access.may_post(current_user):
        abort(403)
    return render_template(
        "console/activities/list.html",
        upcoming=activity_access.managed_activities(current_user, upcoming=True),
        past=activity_access.managed_activities(current_user, upcoming=False),
    )


@bp.route("/activities/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def activity_new():
    if not activity_access.may_post(current_user):
        abort(403)
    form = ActivityForm(villages=activity_access.villages_for_posting(current_user))
    if form.validate_on_submit():
        done = attempt(_post, form)
        if done.ok:
            flash(_("Activity posted. Volunteers near it can sign up now."))
            return redirect(url_for("console.activity_page", activity_id=done.result.id))
        error_on_form(form, done.error, "title")
    status = 422 if form.errors else 200
    return render_template("console/activities/new.html", form=form), status


def _page(activity: Activity, status: int = 200, **forms):
    resident_form = forms.get("resident_form") or ResidentForm()
    resident_form.beneficiary.choices = activity_access.ledger_choices(current_user, activity)
    # One statement each for the sign-ups (with their volunteers) and the people served
    # (with their ledger rows), however many there are (up to 500 sign-ups).
    signups = db.session.scalars(
        select(ActivitySignup)
        .options(joinedload(ActivitySignup.user))
        .where(ActivitySignup.activity_id == activity.id)
        .order_by(ActivitySignup.id)
    ).all()
    residents = db.session.scalars(
        select(ActivityResident)
        .options(joinedload(ActivityResident.beneficiary))
        .where(ActivityResident.activity_id == activity.id)
        .order_by(ActivityResident.id)
    ).all()
    context = {
        "activity": activity,
        "signups": signups,
        "residents": residents,
        "serving": activity.station_id in access.acting_station_ids(current_user),
        "checkin_open": activities.check_in_window(activity),
        "head_form": forms.get("head_form") or HeadCountForm(head_count=activity.head_count),
        "resident_form": resident_form,
        "error": forms.get("error"),
    }
    return render_template("console/activities/page.html", **context), status


@bp.get("/activities/<int:activity_id>")
@role_required(*MANAGERS)
def activity_page(activity_id: int):
    return _page(_managed_or_404(activity_id))


def _act(activity: Activity, use_case, *args, done_message: str, **kwargs):
    """Run one use case on the activity's page: back to the page, or the page with the
    refusal (422)."""
    done = attempt(use_case, *args, **kwargs)
    if not done.ok:
        return _page(activity, 422, error=done.error.message)
    flash(done_message)
    return redirect(url_for("console.activity_page", activity_id=activity.id))


@bp.post("/activities/<int:activity_id>/roster/<int:signup_id>")
@role_required(*MANAGERS)
def activity_roster(activity_id: int, signup_id: int):
    activity = _managed_or_404(activity_id)
    present = request.form.get("present") == "1"
    message = _("Checked in.") if present else _("Check-in undone.")
    return _act(
        activity,
        activities.tick_roster,
        activity,
        signup_id,
        present=present,
        by=current_user,
        done_message=message,
    )


@bp.post("/activities/<int:activity_id>/residents")
@role_required(*WORKERS)
def activity_resident(activity_id: int):
    activity = _managed_or_404(activity_id)
    person_id = digits_or_none(request.form.get("beneficiary")) or 0
    message = _("Added to the people served.")
    return _act(
        activity, activities.add_resident, activity, current_user, person_id, done_message=message
    )


def _head_count(activity: Activity) -> None:
    activities.set_head_count(activity, _number(request.form.get("head_count"), "head_count") or 0)


@bp.post("/activities/<int:activity_id>/head-count")
@role_required(*MANAGERS)
def activity_head_count(activity_id: int):
    activity = _managed_or_404(activity_id)
    done = attempt(_head_count, activity)
    if not done.ok:
        head_form = HeadCountForm()  # the typed text back, the refusal under it
        head_form.head_count.errors = [done.error.message]
        return _page(activity, 422, head_form=head_form)
    flash(_("Head count saved."))
    return redirect(url_for("console.activity_page", activity_id=activity.id))


def _close(activity: Activity) -> list:
    """The hours written for those checked in (blank: the duration); ``close`` reads them."""
    written = {
        s.id: raw
        for s in activity.signups
        if s.status == "attended" and (raw := (request.form.get(f"hours_{s.id}") or "").strip())
    }
    return activities.close(activity, current_user, hours=written)


@bp.post("/activities/<int:activity_id>/close")
@role_required(*MANAGERS)
def activity_close(activity_id: int):
    activity = _managed_or_404(activity_id)
    message = _("Closed: the volunteers' hours and the people served are counted.")
    return _act(activity, _close, activity, done_message=message)


@bp.post("/activities/<int:activity_id>/cancel")
@role_required(*MANAGERS)
def activity_cancel(activity_id: int):
    activity = _managed_or_404(activity_id)
    message = _("Cancelled: everyone signed up is told by SMS.")
    return _act(activity, activities.cancel, activity, current_user, done_message=message)
