"""The public micro-wish board 微心愿 (issue 18): what a wish is, never whose.

Every page here shows ``wishes.public_view`` alone (no name, age, village or photo). A web
claim proves the phone with a code sent to it (``wish_claim_codes``); this browser's session
keeps the code's ticket until it comes back, the tries are counted in the database.
"""

from __future__ import annotations

from flask import abort, render_template, request, session

from app.blueprints.public import bp
from app.blueprints.public.wish_forms import WishClaimForm, WishCodeForm
from app.blueprints.transaction import attempt
from app.extensions import htmx, limiter
from app.services import ServiceError, wish_claim_codes, wishes
from app.services.phones import typed_number_hint

CLAIM_LIMIT = "5/minute;20/hour"
PENDING = "wish_claim"  # the session's pending web claim


@bp.get("/wishes")
def wish_board():
    return render_template("public/wishes.html", board=wishes.board())


def _wish_or_404(code: str):
    wish = wishes.by_code(code)
    if wish is None:
        abort(404)
    return wish


def _pending_for(wish) -> dict | None:
    pending = session.get(PENDING)
    return pending if pending and pending.get("wish") == wish.id else None


def _page(wish, form=None, status=200, claimed=False, code_form=None):
    pending = None if claimed else _pending_for(wish)
    context = {
        "view": wishes.public_view(wish),
        "form": form or WishClaimForm(formdata=None),
        "code_form": code_form or WishCodeForm(formdata=None),
        "pending_phone": typed_number_hint(pending["phone"]) if pending else "",
        "claimed": claimed,
        "open": wishes.is_claimable(wish),
    }
    template = "public/_wish_claim.html" if htmx else "public/wish.html"
    return render_template(template, **context), status


@bp.get("/wishes/<code>")
def wish_page(code: str):
    wish = _wish_or_404(code)
    if request.args.get("again"):
        session.pop(PENDING, None)
    return _page(wish)


@bp.post("/wishes/<code>")
@limiter.limit(CLAIM_LIMIT)
def wish_claim(code: str):
    wish = _wish_or_404(code)
    form = WishClaimForm()
    if not form.validate_on_submit():
        return _page(wish, form, 422)
    fields = {"name": form.name.data, "phone": form.phone.data, "kind": form.kind.data}
    done = attempt(wish_claim_codes.send_code, wish, **fields)
    if not done.ok:
        getattr(form, done.error.field or "name").errors.append(done.error.message)
        return _page(_wish_or_404(code), form, 422)
    session[PENDING] = done.result
    return _page(wish)


@bp.post("/wishes/<code>/code")
@limiter.limit(CLAIM_LIMIT)
def wish_claim_code(code: str):
    wish = _wish_or_404(code)
    form = WishCodeForm()
    if not form.validate_on_submit():
        return _page(wish, code_form=form, status=422)
    try:  # not ``attempt``: a wrong try stays counted (the database keeps the tries)
        wish_claim_codes.confirm_code(wish, _pending_for(wish), form.code.data)
    except ServiceError as error:
        form.code.errors.append(error.message)
        return _page(wish, code_form=form, status=422)
    session.pop(PENDING, None)
    return _page(wish, claimed=True)
