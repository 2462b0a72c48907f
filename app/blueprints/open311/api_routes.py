"""The JSON API beside Open311 under /api/v1/, its OpenAPI 3 document and the readable
reference page (made from the same document)."""

from __future__ import annotations

from flask import jsonify, render_template, request

from app.blueprints.open311 import bp
from app.blueprints.open311.formats import answer
from app.blueprints.open311.routes import caller, read_limited, reader
from app.services import json_api, links, openapi


@bp.get("/api/v1/requests/<request_id>/timeline")
@read_limited
def request_timeline(request_id: str):
    return answer(json_api.timeline(request_id, reader()), "json", "timeline")


@bp.get("/api/v1/stations/<station_id>/open-requests")
@read_limited
def station_open_requests(station_id: str):
    return answer(json_api.station_open_requests(caller(), station_id), "json", "station")


@bp.get("/api/v1/figures")
@read_limited
def county_figures():
    found = json_api.county_figures(caller(), request.args.get("month"))
    return answer(found, "json", "figures")


@bp.get("/api/openapi.json")
def openapi_document():
    response = jsonify(openapi.document(links.base_url()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/api/")
def api_reference():
    document = openapi.document(links.base_url())
    return render_template("open311/reference.html", document=document)
