"""Station admin: volunteers, teams and the access log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.console import bp, forms
from app.blueprints.console.helpers import digits_or_none, error_on_form
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.services import ServiceError, admin, audit, availability
from app.services.volunteers import DAY_PARTS

STATUS_FILTERS = ("", *admin.VOLUNTEER_STATUSES)


def _approved_users():
    return [row.user for row in admin.volunteers(current_user, "approved")]


@bp.get("/volunteers")
@role_required("station_admin")
def volunteers():
    status = request.args.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    return render_template(
        "console/volunteers.html", rows=admin.volunteers(current_user, status), status=status
    )


VOLUNTEER_ACTIONS = ("approve", "suspend", "vet", "unvet")


@bp.post("/volunteers/<int:volunteer_id>/<action>")
@role_required("station_admin")
def volunteer_action(volunteer_id: int, action: str):
    profile = admin.visible_profile(current_user, volunteer_id)
    if profile is None or action not in VOLUNTEER_ACTIONS:
        abort(404)
    done = attempt(_volunteer_act, profile, action)
    if not done.ok:
        flash(done.error.message, "error")
        return render_template(
            "console/volunteers.html", rows=admin.volunteers(current_user), status=""
        ), 422
    flash(done.result)
    return redirect(url_for("console.volunteers"))


def _volunteer_act(profile, action: str) -> str:
    """One of the admin's four decisions on a volunteer; the words to flash."""
    if action == "approve":
        admin.approve(profile, current_user)
        return _("Approved.")
    if action == "suspend":
        return _suspended_words(admin.suspend(profile, current_user))
    vetted = action == "vet"
    admin.set_vetted(profile, current_user, vetted)
    if vetted:
        return _("Vetted for work with children.")
    return _("No longer vetted for work with children.")


def _suspended_words(result: admin.Suspension) -> str:
    words = [_("Suspended.")]
    if result.released:
        words.append(
            _(
                "%(n)s tasks not yet started were given back and will be offered again.",
                n=len(result.released),
            )
        )
    if result.started:
        words.append(
            _(
                "%(n)s started tasks are still with them: please follow them up.",
                n=len(result.started),
            )
        )
    return " ".join(words)


@bp.route("/teams", methods=["GET", "POST"])
@role_required("station_admin")
def teams():
    approved = _approved_users()
    form = forms.TeamForm(volunteers=approved)
    if form.validate_on_submit():
        done = attempt(admin.create_team, current_user, **_team_fields(form))
        if done.ok:
            flash(_("Team created."))
            return redirect(url_for("console.teams"))
        error_on_form(form, done.error, "name")
    status = 422 if form.errors else 200
    return _teams_page(form=form, volunteers=approved), status


def _team_fields(form: forms.TeamForm) -> dict:
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "leader_id": digits_or_none(form.leader_id.data),
    }


def _team_or_404(team_id: int):
    team = admin.visible_team(current_user, team_id)
    if team is None:
        abort(404)
    return team


def _remove_member(team, actor, volunteer_id: int | None) -> None:
    admin.remove_member(team, actor, volunteer_id or -1)  # nobody chosen: "not a member"


TEAM_ACTIONS = {"leader": admin.set_leader, "add": admin.add_member, "remove": _remove_member}


@bp.post("/teams/<int:team_id>/<action>")
@role_required("station_admin")
def team_action(team_id: int, action: str):
    team = _team_or_404(team_id)
    form = forms.MemberForm(volunteers=_approved_users())
    if action not in TEAM_ACTIONS:
        abort(404)
    if not form.validate():
        abort(400)
    done = attempt(TEAM_ACTIONS[action], team, current_user, digits_or_none(form.volunteer_id.data))
    if not done.ok:
        flash(done.error.message, "error")
        return _teams_page(), 422
    flash(_("Team saved."))
    return redirect(url_for("console.teams"))


# --- a team's weekly times (issue 13, item 18) --------------------------------------------


@bp.post("/teams/<int:team_id>/hours")
@role_required("station_admin")
def team_hours(team_id: int):
    team = _team_or_404(team_id)
    form = _hours_form(team, bound=True)
    if form.validate():
        name, anchor = team.name, f"team-{team.id}"
        done = attempt(availability.set_team_availability, team, current_user, **_times(form))
        if done.ok:
            flash(_("Times saved for %(team)s.", team=name))
            return redirect(url_for("console.teams", _anchor=anchor))
        error_on_form(form, done.error, "slots")
    return _teams_page(hours_bound={team_id: form}), 422


def _times(form: forms.TeamHoursForm) -> dict:
    return {
        "slots": form.slots.data or [],
        "day": form.day.data or "",
        "start": form.start.data or "",
        "end": form.end.data or "",
    }


def _hours_form(team, *, bound: bool = False) -> forms.TeamHoursForm:
    if bound:
        return forms.TeamHoursForm(prefix=f"hours{team.id}", day_names=availability.DAY_NAMES)
    return forms.TeamHoursForm(
        formdata=None,
        prefix=f"hours{team.id}",
        day_names=availability.DAY_NAMES,
        data={"slots": [availability.slot_code(w) for w in team.availability or []]},
    )


def _custom_slots(form) -> list[tuple[str, str]]:
    """The ticked times that are not a part of the day in the grid, with their words."""
    grid = {f"{day}-{part}" for day in range(7) for part in DAY_PARTS}
    shown = []
    for code in form.slots.data or []:
        if code in grid:
            continue
        try:
            shown.append((code, availability.describe(availability.parse_slot(code))))
        except ServiceError:
            continue
    return shown


def _teams_page(*, form=None, volunteers=None, hours_bound=None) -> str:
    approved = volunteers if volunteers is not None else _approved_users()
    teams = admin.teams(current_user)
    hours_forms = {team.id: _hours_form(team) for team in teams}
    hours_forms.update(hours_bound or {})
    return render_template(
        "console/teams.html",
        teams=teams,
        form=form or forms.TeamForm(formdata=None, volunteers=approved),
        member_form=forms.MemberForm(formdata=None, volunteers=approved),
        hours_forms=hours_forms,
        custom_slots=_custom_slots,
        describe_window=availability.describe,
        day_names=availability.DAY_NAMES,
        parts=availability.PART_NAMES,
    )


@bp.get("/audit")
@role_required("station_admin")
def audit_log():
    entries = audit.station_log(current_user)
    return render_template("console/audit.html", entries=entries, actions=audit.ACTIONS)
