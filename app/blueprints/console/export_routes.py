"""Exports: the monthly report (the dashboards' ``?format=xlsx``, or ``format=csv&table=``:
see stats_routes.py), the service records and volunteer hours; a large export is built by the worker, its page polls its progress.

A small export is answered at once. One that reads more than EXPORT_DIRECT_MAX_ROWS
records shows a button that queues it (a POST: following a link never starts work), then
the job's page, polled by htmx every 2 s, and its download link when it is ready.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.blueprints.console import bp
from app.blueprints.console.helpers import VIEWERS
from app.blueprints.guards import role_required
from app.blueprints.transaction import attempt
from app.extensions import htmx
from app.services import ServiceError, export_jobs, exports, stats


def _asked(kind: str, values, scope: str | None = None) -> exports.Export:
    """The export a query string or form asks for (ServiceError for bad input)."""
    period = stats.parse_period(values.get("month"), values.get("start"), values.get("end"))
    if scope is None:
        supervisor = current_user.has_role("county_supervisor")
        scope = values.get("scope") or ("county" if supervisor else "station")
    file_format = values.get("format") or "xlsx"
    return exports.ask(kind, file_format, scope, period, values.get("table", ""))


def _in_scope(export: exports.Export) -> exports.Export:
    if not exports.scope_of(current_user, export).station_ids:
        abort(403)
    return export


def _file(found: exports.File) -> Response:
    disposition = f"attachment; filename={found.filename}; filename*=UTF-8''{quote(found.filename)}"
    return Response(
        found.content,
        mimetype=found.content_type,
        headers={"Content-Disposition": disposition},
    )


def _refused(error: ServiceError) -> tuple[str, int]:
    return render_template("console/export.html", error=error.message, job=None), 400


def answer(kind: str, scope: str | None = None):
    """The answer to a GET: the file, or the page offering to prepare it in the worker."""
    asked = attempt(_asked, kind, request.args, scope)
    if not asked.ok:
        return _refused(asked.error)
    export = _in_scope(asked.result)
    at_once = attempt(exports.answers_at_once, export, exports.scope_of(current_user, export))
    if not at_once.ok:
        return _refused(at_once.error)
    if not at_once.result:
        return render_template("console/export.html", large=export, error=None, job=None)
    return _file(exports.build_now(current_user, export))


def report_response(scope: str):
    """The dashboards' ``?format=xlsx`` (or ``format=csv&table=…``): the monthly report."""
    return answer("report", scope)


@bp.get("/exports/<any(records, hours):kind>")
@role_required(*VIEWERS)
def export_file(kind: str):
    return answer(kind)


@bp.post("/exports/<any(records, hours):kind>")
@role_required(*VIEWERS)
def export_queue(kind: str):
    asked = attempt(_asked, kind, request.form)
    if not asked.ok:
        return _refused(asked.error)
    queued = attempt(export_jobs.queue, current_user, _in_scope(asked.result))
    if not queued.ok:
        return _refused(queued.error)
    return redirect(url_for("console.export_job", job_id=queued.result.id), code=303)


@bp.get("/exports/<int:job_id>")
@role_required(*VIEWERS)
def export_job(job_id: int):
    job = export_jobs.owned(current_user, job_id) or abort(404)
    if htmx:
        return render_template("console/_export_job.html", job=job)
    return render_template("console/export.html", job=job, error=None)


@bp.get("/exports/<int:job_id>/download")
@role_required(*VIEWERS)
def export_download(job_id: int):
    job = export_jobs.owned(current_user, job_id)
    if job is None or job.status != "done" or job.content is None:
        abort(404)
    return _file(exports.File(job.filename, export_jobs.content_type(job), job.content))
