"""The triage queue and the request page with the worker's actions."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.console import bp, forms
from app.blueprints.console.helpers import VIEWERS, WORKERS
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt, reads_only
from app.extensions import db, htmx
from app.models import HelpRequest
from app.models.base import utcnow
from app.services import (
    ServiceError,
    audit,
    console,
    console_choices,
    deadlines,
    matching,
    outbox_view,
    privacy,
    wording,
    worker_tasks,
    workflow,
)
from app.services.access import may_act_on_request, requests_to_act_on, visible_station_ids
from app.services.codes import code_text
from app.services.ledger import villages_for
from app.services.notifications import followup

# The newest request's id when the worker last looked at the whole queue: what came after
# is "new since you last looked". Written only when it changed (a request came in): the
# session cookie is not signed and sent again at every look.
SEEN_UP_TO = "console_seen_up_to"


@bp.get("/")
@reads_only  # and its htmx refresh: the page's statement on a generic plan, no BEGIN or COMMIT
@role_required(*WORKERS)
def queue():
    tab = request.args.get("tab", "new")
    now = utcnow()
    seen_up_to = session.get(SEEN_UP_TO)
    if not isinstance(seen_up_to, int):  # none yet (or a tampered value): nothing is new
        seen_up_to = None
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), console.LAST_PAGE)
    context = _queue_context(tab if tab in console.TABS else "new", page, now, seen_up_to)
    if htmx:
        return render_template("console/_queue.html", **context)
    if context["newest_id"] != seen_up_to:
        session[SEEN_UP_TO] = context["newest_id"]
    return render_template("console/queue.html", **context)


def _queue_context(tab: str, page: int, now, seen_up_to: int | None) -> dict:
    """One page of a tab of the queue, with what is new since the last look, what is late,
    what the reader acts on and which requests have a text that did not arrive.

    What each row shows is worked out here once (the reader's rights per row, the labels
    per distinct value): asked once a row, a page asked the same questions a hundred times."""
    user = current_user._get_current_object()  # not the proxy: asked once per row
    offset = (page - 1) * console.PAGE_SIZE
    deeper = {tab: offset + console.PAGE_SIZE + 1}  # enough to say whether a next page exists
    items, counts, newest_id = console.queue_page(
        user, tab, now=now, offset=offset, at_least=deeper
    )
    acts_on = {r.id for r in requests_to_act_on(user, items)}
    return {
        "page": page,
        "page_size": console.PAGE_SIZE,
        "tab": tab,
        "tabs": console.tab_names(),
        "items": items,
        "counts": counts,
        "count_text": console.count_text(counts, deeper),
        "fresh": {r.id for r in items if seen_up_to is not None and r.id > seen_up_to},
        "newest_id": newest_id,
        "overdue": {r.id for r in items if deadlines.is_overdue(r, now)},
        # Descriptions only of what the reader works on: the county reads the rest on the
        # request page, where each read is logged.
        "acts_on": acts_on,
        "refs": privacy.request_refs(user, items),
        "labels": _row_labels(items),
        "waiting": _waiting(items, now),
        "now": now,
    }


def _row_labels(items) -> dict[str, dict[str, str]]:
    """The words for the categories, urgencies, channels, statuses and special groups on
    the page, each translated once."""
    return wording.labels_for(
        category=(r.category for r in items),
        urgency=(r.urgency for r in items),
        channel=(r.channel for r in items),
        status=(r.status for r in items),
        group=(g for r in items for g in r.special_groups or []),
    )


def _waiting(items, now) -> dict[int, str]:
    """ "waiting 3 h" for each row, the words translated once for the page."""
    waiting = _("waiting %(t)s")  # no values given: the translated words, to be filled
    spans = wording.waited_all([r.created_at for r in items], now)
    return {r.id: waiting % {"t": span} for r, span in zip(items, spans, strict=True)}


def _request_or_404(request_id: int) -> HelpRequest:
    found = console.visible_request(current_user, request_id)
    if found is None:
        abort(404)
    return found


def _request_to_act_on(request_id: int) -> HelpRequest:
    """A request the worker may change: 404 when out of sight, 403 when only read (the
    county centre's workers on another station's request that is not escalated)."""
    found = _request_or_404(request_id)
    if not may_act_on_request(current_user, found):
        abort(403)
    return found


@bp.get("/r/<int:request_id>")
@role_required(*VIEWERS)
def request_page(request_id: int):
    return _render_request(_request_or_404(request_id))  # writes the access-log line


# Candidates in sight on the request page; the rest of the ten are folded below them.
CANDIDATES_SHOWN = 3


def _candidates(found: HelpRequest):
    if found.status not in ("new", "accepted", "offered"):
        return []
    try:
        return matching.find_candidates(found, limit=10)
    except ServiceError:
        return []


def _assign_choices(found: HelpRequest, candidates) -> dict[str, list[tuple[str, str]]]:
    """Only whom the worker may give this request to (``console.assign``): volunteers and
    teams of the assignable stations, workers who may act on the request."""
    groups: dict[str, list[tuple[str, str]]] = {}
    suggested = console_choices.suggested(current_user, found, candidates or [])
    if suggested:
        groups[_("Suggested")] = [
            (
                f"{c.kind}:{c.user.id if c.kind == 'volunteer' else c.team.id}",
                f"{c.user.name if c.kind == 'volunteer' else c.team.name} · {c.distance_km:.1f} km",
            )
            for c in suggested
        ]
    people = console_choices.assignable(current_user, found)
    groups[_("Volunteers")] = [(f"volunteer:{u.id}", u.name) for u in people.volunteers]
    groups[_("Teams")] = [(f"team:{t.id}", t.name) for t in people.teams]
    groups[_("Social workers")] = [(f"worker:{u.id}", u.name) for u in people.workers]
    return {name: items for name, items in groups.items() if items}


def _forms(found: HelpRequest, candidates, bound: dict | None = None) -> dict:
    villages = console.villages_to_edit(current_user, found, villages_for(current_user))
    made = {
        "accept": forms.NoteOnlyForm(prefix="accept", formdata=None),
        "reject": forms.RejectForm(prefix="reject", formdata=None),
        "edit": forms.EditForm(
            prefix="edit",
            formdata=None,
            villages=villages,
            data={
                "category": found.category,
                "urgency": found.urgency,
                "address": found.address,
                "lat": found.lat,
                "lon": found.lon,
                "special_groups": list(found.special_groups or []),
            },
        ),
        "assign": forms.AssignForm(prefix="assign", formdata=None),
        "merge": forms.MergeForm(prefix="merge", formdata=None),
        "escalate": forms.NoteOnlyForm(prefix="escalate", formdata=None),
        "note": forms.NoteForm(prefix="note", formdata=None),
        "close": forms.CloseForm(prefix="close", formdata=None),
        "start": forms.WorkerStartForm(prefix="start", formdata=None),
        "finish": forms.WorkerFinishForm(prefix="finish", formdata=None),
    }
    made.update(bound or {})
    made["assign"].target.choices = _assign_choices(found, candidates)
    return made


def _render_request(found: HelpRequest, *, bound=None, error: str | None = None, status=200):
    can_act = may_act_on_request(current_user, found)
    if found.involves_minor:
        audit.log_access(
            current_user, "view_minor_request", "help_request", found.id, found.station_id
        )
    elif not can_act:  # the county reading another station's request
        audit.log_access(current_user, "view_request", "help_request", found.id, found.station_id)
    candidates = _candidates(found) if can_act else None
    distance = console.distance_to_station(found)
    sms_lines = followup.sms_lines(found)
    context = {
        "r": found,
        "can_act": can_act,
        "reader_sees_free_text": privacy.reader_sees_free_text(found),
        "candidates": candidates,
        "candidates_shown": CANDIDATES_SHOWN,
        "forms": _forms(found, candidates, bound) if can_act else {},
        "suggestions": console.merge_suggestions(found, current_user) if can_act else [],
        "distance": distance,
        "tile_url": current_app.config.get("MAP_TILE_URL", ""),
        "overdue": deadlines.is_overdue(found),
        "due_at": deadlines.due_at(found),
        "sms_lines": sms_lines,
        # Codes of requests the reader does not work on are starred out, in texts and notes.
        "sms_bodies": outbox_view.shown_bodies(
            current_user, [line.message for line in sms_lines], known=[found]
        ),
        "event_notes": outbox_view.shown_bodies(
            current_user, found.events, field="note", known=[found]
        ),
        "error": error,
        "can": lambda action: workflow.can(found, action),
        # The assigned social worker records the work here (worker_tasks); closing with
        # "service was given" is offered only where it counts one (console.close).
        "records_work": can_act and worker_tasks.records_it(found, current_user),
        "close_counts": console.close_counts_service(found),
        "open": found.status in workflow.OPEN_STATUSES,
        "merged_into": db.session.get(HelpRequest, found.merged_into_id)
        if found.merged_into_id
        else None,
        **_possible_duplicate(found),
    }
    return render_template("console/request.html", **context), status


def _possible_duplicate(found: HelpRequest) -> dict:
    """The earlier open request this one may repeat (same phone, same help, one day)."""
    earlier = console.possible_duplicate_of(found)
    if earlier is not None and earlier.station_id != found.station_id:
        earlier = None  # marks stay within one station (a move ends them too)
    return {
        "duplicate_of": earlier,
        "duplicate_of_visible": earlier is not None
        and earlier.station_id in visible_station_ids(current_user),
        # What it says and its address only to those who work on it, as on its own page.
        "duplicate_of_acts": earlier is not None and may_act_on_request(current_user, earlier),
    }


# --- actions -------------------------------------------------------------------------------


def _do_accept(found, form):
    offers = console.accept(found, current_user, form.note.data or "")
    if offers is None:
        return _("Accepted. Only a social worker may take this: assign it.")
    if offers:
        return _("Accepted and offered to %(n)d volunteers or teams.", n=len(offers))
    return _("Accepted, but nobody could be found: the request was escalated.")


def _do_reject(found, form):
    console.reject(found, current_user, form.reason.data)
    return _("Marked as out of scope. The resident gets an SMS.")


def _do_edit(found, form):
    station_before = found.station_id
    console.edit(
        found,
        current_user,
        category=form.category.data,
        urgency=form.urgency.data,
        village_id=int(form.village_id.data) if form.village_id.data else None,
        address=form.address.data or "",
        lat=form.lat.data,
        lon=form.lon.data,
        special_groups=form.special_groups.data or [],
    )
    if found.station_id != station_before:
        return _(
            "Changes saved. The request is now in the care of %(station)s.",
            station=found.station.name,
        )
    return _("Changes saved.")


def _do_escalate(found, form):
    console.escalate(found, current_user, form.note.data or "")
    return _("Escalated to the county supervisor.")


def _do_merge(found, form):
    target = console_choices.merge_target(current_user, form.target.data)
    console.merge(found, current_user, target)
    return _(
        "%(this)s is closed, merged into %(code)s: the work goes on there.",
        this=code_text(found.code),
        code=code_text(target.code),
    )


def _do_not_duplicate(found, form):
    console.not_duplicate(found, current_user)
    return _("The mark is removed: it stays a request of its own.")


def _do_note(found, form):
    console.add_note(found, current_user, form.note.data, public=bool(form.public.data))
    return _("Note added.")


def _do_close(found, form):
    served = bool(form.served.data) and console.close_counts_service(found)
    console.close(found, current_user, form.outcome.data, served=served, hours=form.hours.data)
    if served:
        return _("Closed. The service was counted.")
    return _("Closed.")


def _do_start(found, form):
    worker_tasks.start(found, current_user)
    return _("Started. When the work is done, record it below.")


def _do_finish(found, form):
    record = worker_tasks.finish(
        found, current_user, outcome=form.outcome.data, hours=form.hours.data
    )
    hours = worker_tasks.hours_text(record.hours)
    return _(
        "Done: %(hours)s hours recorded. The resident is asked to confirm by SMS.", hours=hours
    )


def _do_assign(found, form):
    kind, target = console_choices.assign_target(current_user, form.target.data)
    console.assign(found, current_user, note=form.note.data or "", **{kind: target})
    return _("Assigned.")


ACTIONS = {
    "accept": (forms.NoteOnlyForm, _do_accept),
    "reject": (forms.RejectForm, _do_reject),
    "edit": (forms.EditForm, _do_edit),
    "escalate": (forms.NoteOnlyForm, _do_escalate),
    "merge": (forms.MergeForm, _do_merge),
    "not_duplicate": (forms.NoteOnlyForm, _do_not_duplicate),
    "note": (forms.NoteForm, _do_note),
    "close": (forms.CloseForm, _do_close),
    "assign": (forms.AssignForm, _do_assign),
    "start": (forms.WorkerStartForm, _do_start),
    "finish": (forms.WorkerFinishForm, _do_finish),
}


@bp.post("/r/<int:request_id>/<action>")
@role_required(*WORKERS)
def act(request_id: int, action: str):
    found = _request_to_act_on(request_id)
    if action == "offer":
        return _offer_again(found)
    if action not in ACTIONS:
        abort(404)
    form = _action_form(action)
    if not form.validate():
        return _render_request(found, bound={action: form}, status=422)
    done = attempt(ACTIONS[action][1], found, form)
    if not done.ok:
        return _refused(request_id, form, action, done.error)
    flash(done.result)
    return _after_action(request_id)


def _action_form(action: str):
    """The posted form of one action (the edit form knows the villages it may choose)."""
    form_class = ACTIONS[action][0]
    if action == "edit":
        return form_class(prefix=action, villages=villages_for(current_user))
    form = form_class(prefix=action)
    if action == "assign":
        form.target.choices = []  # whom it names is checked by the use case
    return form


def _after_action(request_id: int):
    """Back to the request; to the queue when the action moved it out of sight."""
    if console.visible_request(current_user, request_id) is None:
        return redirect(url_for("console.queue"))
    return redirect(url_for("console.request_page", request_id=request_id))


def _refused(request_id: int, form, action: str, error: ServiceError):
    """The request page again, read afresh, with the refusal beside its field or on top."""
    found = _request_or_404(request_id)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
        return _render_request(found, bound={action: form}, status=422)
    return _render_request(found, error=error.message, status=422)


def _offer_again(found: HelpRequest):
    request_id = found.id
    done = attempt(console.offer_again, found, current_user)
    if not done.ok:
        return _render_request(_request_or_404(request_id), error=done.error.message, status=422)
    if done.result:
        flash(_("Offered to %(n)d volunteers or teams.", n=len(done.result)))
    else:
        flash(_("Nobody could be found: the request was escalated."), "warning")
    return redirect(url_for("console.request_page", request_id=request_id))
