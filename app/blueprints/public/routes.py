"""The resident's side: ask for help, follow a request. (Issue 3 builds these.)"""

from __future__ import annotations

from flask import render_template

from app.blueprints.public import bp


@bp.get("/ask")
def ask():
    return render_template("public/placeholder.html")


@bp.get("/track")
def track():
    return render_template("public/placeholder.html")
