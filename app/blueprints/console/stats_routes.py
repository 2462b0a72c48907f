"""The dashboards: a station's figures (its workers and admins) and the county's (the
county supervisor), over a month or a range of days. The period form works by htmx
(only the body fragment is sent back) and without JavaScript (the whole page)."""

from __future__ import annotations

from collections import OrderedDict

from flask import render_template, request
from flask_login import current_user
from markupsafe import Markup

from app.blueprints.console import bp
from app.blueprints.console.export_routes import report_response
from app.blueprints.console.helpers import WORKERS
from app.blueprints.guards import role_required
from app.extensions import htmx
from app.i18n import current_language
from app.services import dashboard, stats


@bp.get("/stats")
@role_required(*WORKERS)
def station_stats():
    if request.args.get("format"):  # the month's report: ?format=xlsx, or csv&table=
        return report_response("station")
    return _render(stats.station_scope(current_user), county=False)


@bp.get("/county/stats")
@role_required("county_supervisor")
def county_stats():
    if request.args.get("format"):
        return report_response("county")
    return _render(stats.county_scope(current_user), county=True)


def _render(scope: stats.Scope, *, county: bool):
    """The page, or its body for htmx; 400 with the previous figures for a bad period."""
    shown_before = request.headers.get("HX-Current-URL") or request.referrer
    page = dashboard.build(
        current_user, scope, request.args, county=county, shown_before=shown_before
    )
    body = _body(page)
    status = 400 if page.error else 200
    if bool(htmx) and not htmx.history_restore_request:
        exports = render_template("console/_stats_exports.html", page=page, oob=True)
        headers = {"HX-Push-Url": "false"} if page.error else {}
        return body + Markup("\n") + Markup(exports), status, headers
    return render_template("console/stats.html", page=page, body=body), status


# Bodies rendered lately in this process, by what they show (Dashboard.body_key), path
# and language: a county's body is about 100 KB of tables, rendered once per snapshot.
_BODIES: OrderedDict[tuple, Markup] = OrderedDict()
BODIES_KEPT = 16


def _body(page: dashboard.Dashboard) -> Markup:
    key = page.body_key
    if key is None:
        return Markup(render_template("console/_stats_body.html", page=page))
    key = (*key, request.path, current_language())
    body = _BODIES.pop(key, None)  # pop and set again: the most recent last, and no
    if body is None:  # KeyError when another thread evicted it in between
        body = Markup(render_template("console/_stats_body.html", page=page))
    _BODIES[key] = body
    while len(_BODIES) > BODIES_KEPT:
        _BODIES.popitem(last=False)
    return body
