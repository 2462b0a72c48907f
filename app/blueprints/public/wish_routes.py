"""The public micro-wish board 微心愿 (issue 18): what a wish is, never whose.

Every page here shows ``wishes.public_view`` alone (no name, age, village or photo).
"""

from __future__ import annotations

from flask import abort, render_template

from app.blueprints.public import bp
from app.blueprints.public.wish_forms import WishClaimForm
from app.blueprints.transaction import attempt
from app.extensions import htmx, limiter
from app.services import wishes

CLAIM_LIMIT = "5/minute;20/hour"


@bp.get("/wishes")
def wish_board():
    return render_template("public/wishes.html", board=wishes.board())


def _wish_or_404(code: str):
    wish = wishes.by_code(code)
    if wish is None:
        abort(404)
    return wish


def _page(wish, form, status=200, claimed=False):
    template = "public/_wish_claim.html" if htmx else "public/wish.html"
    context = {
        "view": wishes.public_view(wish),
        "form": form,
        "claimed": claimed,
        "open": wishes.is_claimable(wish),
    }
    return render_template(template, **context), status


@bp.get("/wishes/<code>")
def wish_page(code: str):
    return _page(_wish_or_404(code), WishClaimForm(formdata=None))


@bp.post("/wishes/<code>")
@limiter.limit(CLAIM_LIMIT)
def wish_claim(code: str):
    wish = _wish_or_404(code)
    form = WishClaimForm()
    if not form.validate_on_submit():
        return _page(wish, form, 422)
    done = attempt(
        wishes.claim, wish, name=form.name.data, phone=form.phone.data, kind=form.kind.data
    )
    if not done.ok:
        getattr(form, done.error.field or "name").errors.append(done.error.message)
        return _page(_wish_or_404(code), form, 422)
    return _page(wish, form, claimed=True)
