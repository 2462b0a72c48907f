"""The dashboards: a station's figures (its workers and admins) and the county's (the
county supervisor), over a month or a range of days. The period form works by htmx
(only the body fragment is sent back) and without JavaScript (the whole page)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from app.blueprints.console import bp
from app.blueprints.console.export_routes import report_response
from app.blueprints.console.helpers import WORKERS
from app.blueprints.guards import role_required
from app.extensions import htmx
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
    fragment = bool(htmx) and not htmx.history_restore_request
    template = "console/_stats_body.html" if fragment else "console/stats.html"
    headers = {"HX-Push-Url": "false"} if page.error and fragment else {}
    return render_template(template, page=page), 400 if page.error else 200, headers
