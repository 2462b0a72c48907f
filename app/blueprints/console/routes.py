"""The station worker's console. (Issue 5 builds these.)"""

from __future__ import annotations

from flask import render_template

from app.blueprints.console import bp
from app.services.access import role_required


@bp.get("/")
@role_required("social_worker", "station_admin")
def queue():
    return render_template("console/placeholder.html")


@bp.get("/county")
@role_required("county_supervisor")
def county():
    return render_template("console/placeholder.html")
