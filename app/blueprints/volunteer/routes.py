"""The volunteer's side. (Issue 4 builds these.)"""

from __future__ import annotations

from flask import render_template

from app.blueprints.volunteer import bp
from app.services.access import role_required


@bp.get("/tasks")
@role_required("volunteer", "team_leader")
def tasks():
    return render_template("volunteer/placeholder.html")
