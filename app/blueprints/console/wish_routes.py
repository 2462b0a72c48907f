"""The station's micro-wishes 微心愿 and resources ledger 链接资源 (issue 18).

Workers of the wish's station record, publish, confirm, reject, withdraw and record the
delivery; anyone else gets 404 for a wish (its existence is the station's business).
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.blueprints.console import bp
from app.blueprints.console.helpers import WORKERS, error_on_form
from app.blueprints.console.wish_forms import DeliverForm, ResourceForm, WishForm
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.services import (
    ServiceError,
    as_id,
    audit,
    resources,
    wish_delivery,
    wish_station,
    wishes,
    wording,
)
from app.services.ledger import visible_beneficiary

ACTIONS = {
    "publish": (wishes.publish, _l("Published on the board.")),
    "confirm": (wishes.confirm, _l("Donor confirmed: arrange the delivery with them.")),
    "reject": (wishes.reject, _l("Claim rejected: the wish is back on the board.")),
    "withdraw": (wishes.withdraw, _l("Wish withdrawn.")),
}


def _wish_or_404(wish_id: int):
    wish = wish_station.visible_wish(current_user, wish_id)
    if wish is None:
        abort(404)
    return wish


@bp.get("/wishes")
@role_required(*WORKERS)
def wish_list():
    status = request.args.get("status", "")
    return render_template(
        "console/wishes.html",
        wishes=wish_station.station_wishes(current_user, status),
        status=status,
        statuses=wishes.WISH_MACHINE.statuses,
        today=wording.local_today(),
    )


@bp.route("/wishes/new", methods=["GET", "POST"])
@role_required(*WORKERS)
def wish_new():
    form = WishForm(people=wish_station.children_for(current_user))
    if request.method == "GET" and as_id(request.args.get("person")):
        form.person.data = request.args["person"]
    if form.validate_on_submit():
        done = attempt(_record, form)
        if done.ok:
            flash(_("Wish recorded. Publish it when it is ready for the board."))
            return redirect(url_for("console.wish_detail", wish_id=done.result.id))
        error_on_form(form, done.error, "what")
    return render_template("console/wish_new.html", form=form), 422 if form.errors else 200


def _record(form: WishForm):
    person = visible_beneficiary(current_user, as_id(form.person.data) or 0)
    if person is None:
        raise ServiceError(_("Choose a child of your station's ledger."), field="person")
    return wishes.record(
        current_user,
        person,
        what=form.what.data,
        category=form.category.data,
        estimated_value=form.estimated_value.data,
        deadline=form.deadline.data,
    )


@bp.get("/wishes/<int:wish_id>")
@role_required(*WORKERS)
def wish_detail(wish_id: int):
    return _detail(_wish_or_404(wish_id))


def _detail(wish, deliver_form=None, status=200):
    audit.log_access(current_user, "view_wish", "wish", wish.id, wish.station_id)
    form = deliver_form or DeliverForm(formdata=None, data={"delivered_on": wording.local_today()})
    context = {
        "wish": wish,
        "view": wishes.public_view(wish),
        "actions": wishes.WISH_MACHINE.allowed_actions(wish),
        "dates": wish_station.dates(wish),
        "deliver_form": form,
        "has_photo": wish_station.has_photo(wish),
    }
    return render_template("console/wish.html", **context), status


@bp.post("/wishes/<int:wish_id>/deliver")
@role_required(*WORKERS)
def wish_deliver(wish_id: int):
    wish = _wish_or_404(wish_id)
    form = DeliverForm()
    if form.validate_on_submit():
        done = attempt(wish_delivery.deliver, current_user, wish, **_delivery_fields(form))
        if done.ok:
            flash(_("Delivery recorded. Thank you!"))
            return redirect(url_for("console.wish_detail", wish_id=wish_id))
        error_on_form(form, done.error, "delivered_on")
    return _detail(_wish_or_404(wish_id), form, 422)


def _delivery_fields(form: DeliverForm) -> dict:
    photo = request.files.get("photo")
    content = photo.read(wish_delivery.PHOTO_MAX_BYTES + 1) if photo and photo.filename else None
    return {
        "delivered_on": form.delivered_on.data,
        "actual_value": form.actual_value.data,
        "thanks": form.thanks.data or "",
        "photo": content,
    }


@bp.post("/wishes/<int:wish_id>/<action>")
@role_required(*WORKERS)
def wish_act(wish_id: int, action: str):
    wish = _wish_or_404(wish_id)
    if action not in ACTIONS:
        abort(404)
    use_case, message = ACTIONS[action]
    done = attempt(use_case, current_user, wish)
    flash(str(message) if done.ok else done.error.message, "message" if done.ok else "error")
    return redirect(url_for("console.wish_detail", wish_id=wish_id))


@bp.get("/wishes/<int:wish_id>/photo")
@role_required(*WORKERS)
def wish_photo(wish_id: int):
    wish = _wish_or_404(wish_id)
    photo = wish_station.stored_photo(wish)
    if photo is None:
        abort(404)
    audit.log_access(current_user, "view_wish_photo", "wish", wish.id, wish.station_id)
    response = Response(photo.content, mimetype=photo.mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/resources", methods=["GET", "POST"])
@role_required(*WORKERS)
def resource_list():
    form = ResourceForm()
    if form.validate_on_submit():
        done = attempt(resources.add, current_user, **_resource_fields(form))
        if done.ok:
            flash(_("Added to the resources ledger."))
            return redirect(url_for("console.resource_list"))
        error_on_form(form, done.error, "donor_name")
    entries = resources.entries(current_user)
    context = {"form": form, "entries": entries, "sources": resources.SOURCES}
    return render_template("console/resources.html", **context), 422 if form.errors else 200


def _resource_fields(form: ResourceForm) -> dict:
    return {
        "station_id": current_user.station_id,
        "source": form.source.data,
        "kind": form.kind.data,
        "donor_name": form.donor_name.data,
        "value": form.value.data,
        "received_on": form.received_on.data,
        "purpose": form.purpose.data or "",
    }


@bp.get("/resources.csv")
@role_required(*WORKERS)
def resource_export():
    return Response(
        "\ufeff" + resources.as_csv(current_user),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=resources.csv"},
    )
