"""The resident's side: ask for help, follow a request; and proxy/hotline intake.

Every page works as a plain form; htmx (HX-Request) gets the fragment of the same
template. Failed forms answer 422 with the form and its errors next to the fields.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.guards import role_required
from app.blueprints.public import bp
from app.blueprints.public.forms import (
    ActionForm,
    AskForm,
    ProxyForm,
    RateForm,
    TrackForm,
    choices,
    optional_int,
)
from app.blueprints.transaction import attempt
from app.extensions import db, htmx, limiter
from app.i18n import current_language
from app.models import HelpRequest
from app.services import (
    ServiceError,
    deadlines,
    geo,
    intake,
    ledger,
    links,
    proxy_filing,
    tracking,
    wording,
)

ASK_LIMIT = "10/minute;50/hour"
TRACK_LIMIT = "10/minute;50/hour"
ACTION_LIMIT = "20/minute;100/hour"
MAX_TRACKED = 5  # request ids kept in the session after a successful look-up
ISSUED_TOKENS = "form_tokens"  # the one-time form tokens this browser was given
MAX_ISSUED = 5  # open forms (tabs) whose double taps are caught
MAX_FILED = 10  # request ids this browser filed: the only ones a form may mention


def _is_htmx() -> bool:
    return bool(htmx)  # Flask-HTMX: the HX-Request header htmx sends


def _only_reloading_villages() -> bool:
    return request.form.get("step") == "villages"


# --- places ----------------------------------------------------------------------------


def _fill_place_choices(form: AskForm) -> None:
    form.township.choices = choices([("", _("Choose…")), *geo.townships()])
    villages = geo.villages_of(form.township.data)
    first = _("Choose…") if villages else _("Choose the township first")
    form.village.choices = choices([("", first), *villages])


def _local_to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return wording.to_utc(value)


def _remember(request_id: int) -> None:
    """The confirmation page shows this request; its tracking page opens without digits;
    asking again for the same help from this browser is questioned."""
    session["asked"] = request_id
    filed = [i for i in session.get("filed_ids", []) if i != request_id]
    session["filed_ids"] = [*filed, request_id][-MAX_FILED:]
    _authorise(request_id)


def _filed_here() -> list[int]:
    return [i for i in session.get("filed_ids", []) if isinstance(i, int)]


def _authorise(request_id: int) -> None:
    ids = [i for i in session.get("track_ids", []) if i != request_id]
    session["track_ids"] = [*ids, request_id][-MAX_TRACKED:]


def _authorised(help_request: HelpRequest | None) -> bool:
    return help_request is not None and help_request.id in session.get("track_ids", [])


def _go(endpoint: str, **values):
    """Redirect a plain form post; tell htmx to load the page instead."""
    target = url_for(endpoint, **values)
    if _is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target, code=303)


# --- ask for help ----------------------------------------------------------------------


def _create_from_form(form: AskForm, **extra) -> int | None:
    """File the form's request (or find the one its token filed): its id; None if refused,
    with the reason on the form (a field's error, or the "is it new?" question)."""
    lat, lon = form.coordinates
    done = attempt(
        intake.submit_request,
        form_token=form.form_token.data,
        asker_filed=_filed_here(),
        confirmed_new=bool(form.confirm_new.data),
        category=form.category.data,
        description=form.description.data or "",
        special_groups=form.special_group_codes(),
        for_whom=form.for_whom.data or "self",
        urgency=form.urgency_code(),
        lat=lat,
        lon=lon,
        village_id=form.village.data,
        address=form.address.data or "",
        wanted_at=_local_to_utc(form.wanted_at.data) if form.wanted_when.data == "later" else None,
        wanted_note=form.wanted_note.data or "",
        contact_phone=form.phone_e164,
        contact_name=form.contact_name.data or "",
        language=current_language(),
        **extra,
    )
    if done.ok:
        return done.result.id
    _refusal_on_form(form, done.error)
    return None


def _refusal_on_form(form: AskForm, error: ServiceError) -> None:
    if isinstance(error, intake.AskIfNew):
        form.duplicate = error.earlier
        if form.duplicate_seen.data:  # asked before and sent again without the tick
            form.confirm_new.errors = [error.message]
        return
    field = getattr(form, error.field or "", None)
    if field is not None and error.field != "place":
        field.errors = [*field.errors, error.message]
    else:
        form.place_error = error.message


def _question_status(form: AskForm) -> int:
    """200 when the "is it new?" question is asked; 422 when its box was left empty."""
    return 422 if form.confirm_new.errors else 200


def _render_ask(form: AskForm, template: str, status: int = 200, **context):
    _fill_place_choices(form)
    name = template.replace("public/", "public/_").replace(".html", "_form.html")
    page = name if _is_htmx() else template
    return render_template(page, form=form, **context), status


def _fresh_form(form_class: type[AskForm]) -> AskForm:
    """The ask (or proxy) form, with a new one-time token unless one this browser was given
    came back. A token is a key to the request it filed (a second post of it shows that
    request's done page), so one from another browser is never taken: that post files its
    own request under a new token."""
    form = form_class()
    form.duplicate = None
    token = form.form_token.data
    if request.method == "GET" or token not in session.get(ISSUED_TOKENS, []):
        form.form_token.data = intake.new_form_token()
        issued = [t for t in session.get(ISSUED_TOKENS, []) if intake.valid_form_token(t)]
        session[ISSUED_TOKENS] = [*issued, form.form_token.data][-MAX_ISSUED:]
    return form


def _is_filing() -> bool:
    return request.method == "POST" and not _only_reloading_villages()


def _file(form: AskForm, render, **extra):
    """File the validated form: the done page; or the form again, with the "is it new?"
    question or the refusal on it."""
    created_id = _create_from_form(form, **extra)
    if created_id is not None:
        _remember(created_id)
        return _go("public.done")
    if form.duplicate is not None:
        return render(form, _question_status(form))
    return render(form, 422)


def _render_ask_page(form: AskForm, status: int = 200):
    return _render_ask(form, "public/ask.html", status)


@bp.route("/ask", methods=["GET", "POST"])
@limiter.limit(ASK_LIMIT, methods=["POST"], exempt_when=_only_reloading_villages)
def ask():
    form = _fresh_form(AskForm)
    if _is_filing():
        if form.validate_on_submit():
            return _file(form, _render_ask_page)
        return _render_ask_page(form, 422)
    return _render_ask_page(form)


@bp.post("/ask/phone")
@limiter.limit("60/minute")
def validate_phone():
    """htmx: check the phone when the person leaves the field; answers the field alone."""
    optional = request.form.get("phone_optional") == "1"
    form = ProxyForm() if optional else AskForm()
    ok = form.phone.validate(form)
    checked = ok and bool(form.phone_e164)
    status = 200 if ok else 422
    return render_template(
        "public/_phone_field.html", form=form, checked=checked, phone_optional=optional
    ), status


@bp.get("/ask/villages")
def villages():
    """htmx: the village list of the chosen township."""
    form = AskForm(formdata=None)
    form.township.data = optional_int(request.args.get("township"))
    _fill_place_choices(form)
    return render_template("public/_village_field.html", form=form)


@bp.get("/ask/done")
def done():
    request_id = session.get("asked")
    help_request = db.session.get(HelpRequest, request_id) if request_id else None
    if help_request is None:
        return redirect(url_for("public.ask"))
    link = links.tracking_link(help_request.code)
    return render_template(
        "public/done.html",
        req=help_request,
        link=link,
        **_answer_words(help_request),
    )


def _answer_words(help_request: HelpRequest) -> dict:
    """When the station answers: the urgency's response target, in plain words and as a time."""
    return {
        "answer_within": deadlines.response_target_text(help_request.urgency),
        "answer_by": wording.date_time_text(deadlines.due_at(help_request)),
    }


# --- proxy and hotline intake ----------------------------------------------------------


@bp.route("/proxy", methods=["GET", "POST"])
@limiter.limit(ASK_LIMIT, methods=["POST"], exempt_when=_only_reloading_villages)
@role_required("social_worker", "station_admin", "volunteer")
def proxy():
    if not proxy_filing.may_file_for_others(current_user):
        abort(403)
    form = _fresh_form(ProxyForm)
    if _is_filing():
        if form.validate_on_submit():
            return _file(form, _render_proxy, **_on_behalf(form))
        return _render_proxy(form, 422)
    return _render_proxy(form)


def _on_behalf(form: ProxyForm) -> dict:
    """What a proxy filing adds to the request: the channel, the consent, who filed it and
    the person of their own ledger it is for (403 for anyone else's)."""
    beneficiary = None
    if form.beneficiary.data:
        beneficiary = ledger.visible_beneficiary(current_user, form.beneficiary.data)
        if beneficiary is None:
            abort(403)
    return {
        "channel": form.channel.data,
        "consent": True,
        "consent_by": form.consent_by.data,
        "consent_method": form.consent_method.data,
        "by": current_user._get_current_object(),
        "beneficiary": beneficiary,
        "actor_label": form.channel.data,
    }


def _render_proxy(form: ProxyForm, status: int = 200):
    people = proxy_filing.people_to_file_for(current_user)  # their own ledger's people only
    form.beneficiary.choices = choices([("", _("Not in the ledger")), *people])
    return _render_ask(form, "public/proxy.html", status)


# --- follow my request -----------------------------------------------------------------


def _status_page(help_request: HelpRequest, status: int = 200, *, bound=None):
    """The request's status; ``bound`` is the resident's form that failed, with its errors."""
    context = {
        "req": help_request,
        "steps": tracking.timeline(help_request),
        "helper": tracking.helper_name(help_request),
        "can_cancel": tracking.can_cancel(help_request),
        "can_confirm": tracking.can_confirm(help_request),
        "can_rate": tracking.can_rate(help_request),
        **_answer_words(help_request),
        "action_form": bound if isinstance(bound, ActionForm) else ActionForm(formdata=None),
        "rate_form": bound if isinstance(bound, RateForm) else RateForm(formdata=None),
    }
    page = "public/_track_status.html" if _is_htmx() else "public/track_status.html"
    return render_template(page, **context), status


def _track_form_page(form: TrackForm, status: int = 200, error: str | None = None):
    page = "public/_track_form.html" if _is_htmx() else "public/track.html"
    return render_template(page, form=form, error=error), status


def _show_found(found: HelpRequest):
    """The status page of the request just looked up, at its own address (the SMS link)."""
    link = url_for("public.track_link", code=found.code)
    if _is_htmx():
        page, _status = _status_page(found)
        return page, 200, {"HX-Push-Url": link}
    return redirect(link, code=303)


def _all_failed_lookups() -> str:
    return current_app.config["TRACK_FAILED_LOOKUPS_LIMIT"]


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(TRACK_LIMIT, methods=["POST"])
# Failed look-ups from every address together: many addresses get no more guesses than
# one budget (README, "How guessable a tracking code is").
@limiter.limit(
    _all_failed_lookups,
    key_func=lambda: "all",
    scope="track-failed",
    methods=["POST"],
    deduct_when=lambda _response: bool(g.get("track_lookup_failed")),
)
def track():
    form = TrackForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    if not form.validate_on_submit():
        return _track_form_page(form, 422 if form.errors else 200)
    found = tracking.lookup(form.code.data, form.last_four.data)
    if found is None:
        g.track_lookup_failed = True
        neutral = _(
            "We could not find a request with this code and these digits. Check both and try again."
        )
        return _track_form_page(form, 422, neutral)
    _authorise(found.id)
    return _show_found(found)


@bp.get("/t/<code>")
def track_link(code: str):
    """The SMS link: the status when this browser has looked it up; else the code form."""
    found = tracking.by_code(code)
    if _authorised(found):
        return _status_page(found)
    form = TrackForm(formdata=None)
    form.code.data = code
    return _track_form_page(form)


RESIDENT_ACTIONS = ("rate", "cancel", "confirm", "reopen")


@bp.post("/t/<code>/<action>")
@limiter.limit(ACTION_LIMIT)
def track_action(code: str, action: str):
    found = tracking.by_code(code)
    if not _authorised(found):
        return _ask_for_the_digits_again(code)
    if action not in RESIDENT_ACTIONS:
        abort(404)
    form = RateForm() if action == "rate" else ActionForm()
    if not form.validate():
        return _status_page(found, 422, bound=form)
    code = found.code
    done = attempt(_resident_acts, found, action, form)
    if not done.ok:
        flash(done.error.message, "error")
        return _go("public.track_link", code=code)
    flash(done.result)
    return _status_page(found) if _is_htmx() else _go("public.track_link", code=code)


def _ask_for_the_digits_again(code: str):
    flash(_("Please enter your code and the last 4 digits of your phone again."), "warning")
    return _go("public.track_link", code=code)


def _resident_acts(found: HelpRequest, action: str, form) -> str:
    """One of the resident's four actions on their request; the words to flash."""
    if action == "rate":
        tracking.rate(found, stars=form.stars.data, comment=form.comment.data or "")
        return _("Thank you for rating the help.")
    if action == "cancel":
        tracking.cancel(found, reason=form.note.data or "")
        return _("Your request is cancelled.")
    if action == "confirm":
        tracking.confirm_done(found)
        return _("Thank you. Your request is closed.")
    tracking.not_solved(found, note=form.note.data or "")
    return _("We reopened your request. The station will follow up.")
