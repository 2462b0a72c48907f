"""The volunteer's side: sign-up, nearby tasks, offers, my tasks, check-in/out, hours.

Before a claim is theirs, a volunteer sees a task's category, village, time and distance,
never the person's name, phone or address (volunteers.TaskView carries no more).
"""

from __future__ import annotations

from typing import NamedTuple

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from app.blueprints.auth.forms import PhoneCodeForm
from app.blueprints.auth.routes import SIGNUP_TICKET
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt, reads_only
from app.blueprints.volunteer import bp
from app.blueprints.volunteer.forms import (
    DAYS,
    PARTS,
    CheckInForm,
    CheckOutForm,
    ClaimForm,
    DispatchForm,
    EmptyForm,
    ReleaseForm,
    SignupForm,
)
from app.extensions import db, htmx, limiter
from app.models import Claim, HelpRequest, Offer, User
from app.services import (
    ServiceError,
    as_id,
    claims,
    matching,
    offers,
    phone_codes,
    privacy,
    volunteers,
    wording,
    workflow,
)
from app.services.matching.rules import translator
from app.services.phones import typed_number_hint

VOLUNTEER_ROLES = ("volunteer", "team_leader")


def _render(template: str, status: int = 200, **context):
    return render_template(template, **_helpers(), **context), status


def _helpers() -> dict:
    return {
        "distance_words": _distance_words(),
        "wanted_words": _time_after_claim,
        "gated_time": _time_before_claim,
        "final_statuses": workflow.FINAL_STATUSES,
        "place_words": _place_words,
        "task_number": privacy.task_number,
    }


def _distance_words():
    """``matching.distance_words`` with the reader's catalogue looked up once a page, at
    the first distance, not once a task line."""
    found = []

    def distance_words(km: float) -> str:
        if not found:
            found.append(translator())
        return matching.distance_words(km, gettext=found[0])

    return distance_words


def _time_before_claim(task: HelpRequest) -> str:
    """The wanted time as anyone offered the task reads it: without the resident's note."""
    return wording.wanted_time_text(task.wanted_at, privacy.time_note_before_claim(task))


def _time_after_claim(task: HelpRequest) -> str:
    """The wanted time with the resident's own note, for the one who took the task."""
    note = (task.wanted_note or "").strip()
    if task.wanted_at is not None and note:
        return _("%(time)s, %(note)s", time=wording.wanted_time_text(task.wanted_at), note=note)
    return wording.wanted_time_text(task.wanted_at, note)


def _place_words(task: HelpRequest) -> str:
    village = task.village.name if task.village is not None else ""
    address = (task.address or "").strip()
    if village and address.startswith(village):
        return address
    return f"{village} {address}".strip()


def _field_error(form, error: ServiceError, renamed: dict[str, str] | None = None) -> None:
    """The refusal under its field (``renamed``: the form's name of a use case's field),
    else above the form."""
    name = (renamed or {}).get(error.field or "", error.field)
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = [*field.errors, error.message] if field.errors else [error.message]
    else:
        form.form_errors.append(error.message)


# --- one claim: full details, release, check in/out, dispatch ------------------------------


def _my_claim(claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id)
    if claim is None or not claims.is_doer(claim, current_user):
        abort(404)
    return claim


def _claim_page(claim: Claim, status: int = 200, **forms):
    team_members = []
    if claim.team is not None and claim.team.leader_id == current_user.id:
        team_members = volunteers.team_members(claim.team)
    dispatch = forms.get("dispatch") or DispatchForm()
    dispatch.member.choices = [(str(u.id), u.name) for u in team_members]
    if claim.request.involves_minor and claims.can_see_details(claim, current_user):
        _log_minor_view(claim)
    return _render(
        "volunteer/claim.html",
        status,
        claim=claim,
        task=claim.request,
        details=claims.can_see_details(claim, current_user),
        # A suspended doer, or a member no longer in the team: no forms, the reason instead.
        blocked=claims.doer_problem(claim, current_user) if claim.status == "active" else None,
        leads=claims.is_claimer(claim, current_user) and claim.team_id is not None,
        members=team_members,
        release_form=forms.get("release") or ReleaseForm(),
        checkin_form=forms.get("checkin") or CheckInForm(),
        checkout_form=forms.get("checkout") or CheckOutForm(),
        dispatch_form=dispatch,
    )


def _log_minor_view(claim: Claim) -> None:
    try:
        from app.services import audit
    except ImportError:  # the console's access log is not there yet
        return
    audit.log_access(
        current_user,
        "view_minor_request",
        "help_request",
        claim.request_id,
        claim.request.station_id,
        via="volunteer",
    )  # committed with the page (app/blueprints/transaction.py)


@bp.get("/c/<int:claim_id>")
@role_required(*VOLUNTEER_ROLES)
def claim_page(claim_id: int):
    return _claim_page(_my_claim(claim_id))


@bp.post("/c/<int:claim_id>/release")
@role_required(*VOLUNTEER_ROLES)
def release(claim_id: int):
    claim = _my_claim(claim_id)
    form = ReleaseForm()
    if form.validate_on_submit():
        done = attempt(claims.release, claim, actor=current_user, reason=form.reason.data)
        if done.ok:
            flash(_("You gave the task back. Thank you for telling us."))
            return redirect(url_for("volunteer.mine"))
        _field_error(form, done.error)
    return _claim_page(claim, 422, release=form)


@bp.post("/c/<int:claim_id>/check-in")
@role_required(*VOLUNTEER_ROLES)
def check_in(claim_id: int):
    claim = _my_claim(claim_id)
    form = CheckInForm()
    if form.validate_on_submit():
        claim_id = claim.id
        done = attempt(
            claims.check_in, claim, actor=current_user, lat=form.lat.data, lon=form.lon.data
        )
        if done.ok:
            flash(_("Started. When you are done, fill in what you did below."))
            return redirect(url_for("volunteer.claim_page", claim_id=claim_id))
        form.form_errors.append(done.error.message)
    return _claim_page(claim, 422, checkin=form)


@bp.post("/c/<int:claim_id>/check-out")
@role_required(*VOLUNTEER_ROLES)
def check_out(claim_id: int):
    claim = _my_claim(claim_id)
    form = CheckOutForm()
    if form.validate_on_submit():
        done = attempt(claims.check_out, claim, actor=current_user, **_checkout_fields(form))
        if done.ok:
            flash(_("Done: %(hours)s hours recorded. Thank you!", hours=done.result.hours))
            return redirect(url_for("volunteer.hours"))
        _field_error(form, done.error)
    return _claim_page(claim, 422, checkout=form)


def _checkout_fields(form: CheckOutForm) -> dict:
    return {
        "outcome": form.outcome.data,
        "hours": form.hours.data,
        "welfare_note": form.welfare_note.data,
    }


@bp.post("/c/<int:claim_id>/dispatch")
@role_required(*VOLUNTEER_ROLES)
def dispatch(claim_id: int):
    claim = _my_claim(claim_id)
    form = DispatchForm()
    form.member.choices = []
    if form.validate_on_submit():
        member_id = as_id(form.member.data)
        member = db.session.get(User, member_id) if member_id is not None else None
        claim_id, name = claim.id, member.name if member is not None else ""
        done = attempt(claims.dispatch, claim, actor=current_user, member=member)
        if done.ok:
            flash(_("Given to %(name)s. They got an SMS.", name=name))
            return redirect(url_for("volunteer.claim_page", claim_id=claim_id))
        _field_error(form, done.error)
    return _claim_page(claim, 422, dispatch=form)


# --- nearby tasks -------------------------------------------------------------------------


@bp.get("/tasks")
@reads_only  # the list and its htmx refresh only read: no BEGIN, no COMMIT
@role_required(*VOLUNTEER_ROLES)
def tasks():
    user = current_user._get_current_object()  # not the proxy: the rules read it per task
    profile = user.volunteer
    team, offers = volunteers.led_team_and_offers(user)  # one statement for both
    approved = profile is not None and profile.status == "approved"
    found = (
        volunteers.nearby_tasks(user, team=team, offers=offers)
        if approved or team is not None
        else []
    )
    context = {
        "tasks": found,
        **_task_lines(found),
        "approved": approved,
        "profile": profile,
        "team": team,  # no claim form: the list links to each task's page, which has it
    }
    if htmx:
        return _render("volunteer/_tasks.html", **context)
    return _render("volunteer/tasks.html", **context)


class TaskRow(NamedTuple):
    """A line of the nearby list as its template writes it, unpacked into names in the
    template's loop: looked up there, each was a Jinja attribute or item look-up (a dozen a
    line), and the distance and the time a call from the template. No name, phone or
    address: the task's line holds none."""

    id: int
    urgency: str
    category_label: str
    urgency_label: str
    village: str
    when: str | None  # the wanted time as read before a claim; None: none given
    offered: bool
    for_team: bool
    distance: str


def _task_lines(found) -> dict[str, list[TaskRow]]:
    """The offers sent to the volunteer (listed first, under their own heading) and the
    other tasks, as the list's lines; the words of their categories, urgencies and
    distances translated once for the page (the reader's catalogue looked up once)."""
    labels = _task_labels(found)
    category_label, urgency_label = labels["category"], labels["urgency"]
    distance = _distance_words()

    def line(task) -> TaskRow:
        r = task.request
        return TaskRow(
            r.id,
            r.urgency,
            category_label[r.category],
            urgency_label[r.urgency],
            task.village,
            _time_before_claim(r) if r.wanted_at or r.wanted_note else None,
            bool(task.offer),
            bool(task.team),
            distance(task.distance_km),
        )

    return {
        "sent": [line(t) for t in found if t.offer],
        "nearby": [line(t) for t in found if not t.offer],
    }


def _task_labels(found) -> dict[str, dict[str, str]]:
    """The words for the listed tasks' categories and urgencies, each translated once (not
    once a task)."""
    return wording.labels_for(
        category=(t.request.category for t in found), urgency=(t.request.urgency for t in found)
    )


@bp.get("/t/<int:request_id>")
@role_required(*VOLUNTEER_ROLES)
def task(request_id: int):
    view = volunteers.task_view(current_user, _task_or_404(request_id))
    return _render("volunteer/task.html", task=view, claim_form=ClaimForm())


def _task_or_404(request_id: int) -> HelpRequest:
    help_request = db.session.get(HelpRequest, request_id)
    if help_request is None:
        abort(404)
    return help_request


def _yours(claim: Claim):
    """The claim's page, with its details, once the task is the volunteer's."""
    flash(_("The task is yours. Here are the details: please call before you go."))
    return redirect(url_for("volunteer.claim_page", claim_id=claim.id))


@bp.post("/t/<int:request_id>/claim")
@role_required(*VOLUNTEER_ROLES)
@limiter.limit("30/minute")
def claim_task(request_id: int):
    help_request = _task_or_404(request_id)
    form = ClaimForm()
    view = volunteers.task_view(current_user, help_request)
    if form.validate_on_submit():
        done = attempt(
            claims.claim_for,
            help_request,
            by=current_user,
            for_team=form.claim_for.data == "team",
            open_to_them=view is not None,
        )
        if done.ok:
            return _yours(done.result)
        form.form_errors.append(done.error.message)
    return _render("volunteer/task.html", 409, task=view, claim_form=form)


# --- an offer from the SMS link ------------------------------------------------------------


def _my_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    holder = offers.offer_recipient(offer) if offer is not None else None
    if holder is None or holder.id != current_user.id:
        abort(404)
    return offer


@bp.get("/o/<int:offer_id>")
@role_required(*VOLUNTEER_ROLES)
def offer(offer_id: int):
    found = _my_offer(offer_id)
    return _render("volunteer/offer.html", offer=found, task=found.request, form=EmptyForm())


@bp.post("/o/<int:offer_id>/accept")
@role_required(*VOLUNTEER_ROLES)
@limiter.limit("30/minute")
def offer_accept(offer_id: int):
    found = _my_offer(offer_id)
    form = EmptyForm()
    if form.validate_on_submit():
        done = attempt(claims.accept_offer, found, user=current_user)
        if done.ok:
            return _yours(done.result)
        form.form_errors.append(done.error.message)
    found = db.session.get(Offer, offer_id)
    return _render("volunteer/offer.html", 409, offer=found, task=found.request, form=form)


@bp.post("/o/<int:offer_id>/decline")
@role_required(*VOLUNTEER_ROLES)
def offer_decline(offer_id: int):
    found = _my_offer(offer_id)
    form = EmptyForm()
    if form.validate_on_submit():
        done = attempt(claims.decline_offer, found, user=current_user)
        if done.ok:
            flash(_("Thank you for answering. We will ask someone else."))
            return redirect(url_for("volunteer.tasks"))
        form.form_errors.append(done.error.message)
    return _render("volunteer/offer.html", 409, offer=found, task=found.request, form=form)


# --- my tasks, hours, certificate --------------------------------------------------------------


@bp.get("/mine")
@role_required(*VOLUNTEER_ROLES)
def mine():
    profile = current_user.volunteer
    return _render(
        "volunteer/mine.html",
        claims=volunteers.my_claims(current_user),
        suspended=profile is not None and profile.status == "suspended",
    )


@bp.get("/hours")
@role_required(*VOLUNTEER_ROLES)
def hours():
    records = volunteers.service_records(current_user)
    return _render("volunteer/hours.html", records=records, total=volunteers.total_hours(records))


@bp.get("/hours/certificate")
@role_required(*VOLUNTEER_ROLES)
def certificate():
    return _render("volunteer/certificate.html", cert=volunteers.certificate(current_user))


# --- sign-up ----------------------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def signup():
    form = SignupForm(
        villages=volunteers.villages_by_township(), teams=volunteers.active_teams_by_station()
    )
    if form.validate_on_submit():
        done = attempt(volunteers.sign_up, **_signup_fields(form))
        if done.ok:
            # Not signed in yet: the account counts once the code from the SMS comes back.
            session[SIGNUP_TICKET] = done.result
            return redirect(url_for("volunteer.confirm"))
        _field_error(form, done.error, renamed={"availability": "slots"})
    status = 422 if request.method == "POST" else 200
    return _render("volunteer/signup.html", status, form=form, days=DAYS, parts=PARTS)


def _signup_fields(form: SignupForm) -> dict:
    return {
        "name": form.name.data,
        "phone": form.phone.data,
        "password": form.password.data,
        "skills": form.skills.data or [],
        "availability": volunteers.availability_from_slots(form.slots.data or []),
        "radius_km": float(form.radius_km.data or 0),
        "lat": form.lat.data,
        "lon": form.lon.data,
        "village_id": _id_or_none(form.village_id.data),
        "team_id": _id_or_none(form.team_id.data),
        "language": _language(),
    }


def _id_or_none(raw: str | None) -> int | None:
    return as_id(raw)


def _language() -> str:
    from app.i18n import current_language

    return current_language()


def _signup_flow():
    return phone_codes.flow(session.get(SIGNUP_TICKET), "signup")


@bp.route("/signup/confirm", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def confirm():
    """The code from the SMS proves the number is the volunteer's own (issue 13)."""
    flow = _signup_flow()
    if flow is None:
        return redirect(url_for("volunteer.signup"))
    form = PhoneCodeForm()
    user = _confirmed_user(flow, form) if form.validate_on_submit() else None
    if user is not None:
        session.clear()
        login_user(user)
        flash(_("Thank you: your phone number is confirmed."))
        return redirect(url_for("volunteer.pending"))
    return _confirm_page(form, flow)


def _confirm_page(form: PhoneCodeForm, flow):
    return _render(
        "volunteer/confirm.html",
        422 if form.errors else 200,
        form=form,
        resend_form=EmptyForm(),
        phone=typed_number_hint(flow.phone),
    )


def _confirmed_user(flow, form: PhoneCodeForm) -> User | None:
    """The new volunteer, when the code is right; else None, the refusal under the code.

    Not undone: the wrong try counts (the use case recorded it before refusing)."""
    try:
        return volunteers.confirm_phone(flow.ticket, form.code.data)
    except ServiceError as error:
        form.code.errors.append(error.message)
        return None


@bp.post("/signup/confirm/resend")
@limiter.limit("5/minute")
def confirm_resend():
    if EmptyForm().validate_on_submit():
        phone_codes.resend(session.get(SIGNUP_TICKET), "signup")
        flash(_("A new code is on its way. You can ask for one once a minute."))
    return redirect(url_for("volunteer.confirm"))


@bp.get("/pending")
@role_required(*VOLUNTEER_ROLES)
def pending():
    return _render("volunteer/pending.html", profile=current_user.volunteer)
