"""The station admin's API keys page: make a key with a name (shown once), see when each
was last used, revoke one. A key acts for the admin's own station only."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.blueprints.guards import role_required
from app.blueprints.open311 import keys_bp
from app.blueprints.open311.forms import NewKeyForm
from app.blueprints.transaction import attempt
from app.services import api_keys, form_tokens


def _fresh_form() -> NewKeyForm:
    form = NewKeyForm(formdata=None)
    form.form_token.data = form_tokens.new_token()
    return form


def _page(form: NewKeyForm, *, made=None, status: int = 200, revoked=None, sent_twice=False):
    html = render_template(
        "open311/keys.html",
        form=form,
        keys=api_keys.keys_of(current_user),
        made=made,
        revoked=revoked,
        sent_twice=sent_twice,
        county_key=current_user.station is not None
        and current_user.station.kind == "county_centre",
        is_admin=True,
        is_worker=current_user.has_role("social_worker", "station_admin"),
    )
    # The new key is on this page once: no cache may keep it.
    return html, status, {"Cache-Control": "no-store"}


@keys_bp.get("/api-keys")
@role_required("station_admin")
def keys():
    return _page(_fresh_form())


@keys_bp.post("/api-keys")
@role_required("station_admin")
def create_key():
    form = NewKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    done = attempt(api_keys.create_key_once, current_user, form.name.data, form.form_token.data)
    if isinstance(done.error, form_tokens.AlreadySent):  # the key was made: no second one
        return _page(_fresh_form(), status=409, sent_twice=True)
    if not done.ok:
        form.name.errors.append(done.error.message)
        if done.error.field == "form_token":
            form.form_token.data = form_tokens.new_token()
        return _page(form, status=422)
    return _page(_fresh_form(), made=done.result, status=201)


@keys_bp.post("/api-keys/<int:key_id>/revoke")
@role_required("station_admin")
def revoke_key(key_id: int):
    form = _fresh_form()  # the CSRF token was checked by CSRFProtect
    done = attempt(api_keys.revoke_key, current_user, key_id)
    if not done.ok:
        return _page(form, status=404)
    return _page(form, revoked=done.result)
