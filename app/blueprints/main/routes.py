"""Home page, language switch, the landing page after sign-in, robots.txt and the manifest."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.blueprints.main import bp, site
from app.i18n import LANG_COOKIE
from app.services.urls import safe_next


@bp.get("/")
def home():
    return render_template("main/home.html")


@bp.get("/robots.txt")
def robots():
    return site.robots_txt(), 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/manifest.webmanifest")
def manifest():
    response = jsonify(site.manifest())
    response.mimetype = "application/manifest+json"
    response.vary.add("Cookie")  # its words follow the language chosen
    response.vary.add("Accept-Language")
    return response


@bp.app_context_processor
def page_meta():
    return {"page_description": site.page_description, "theme_colour": site.THEME_COLOUR}


@bp.get("/healthz")
def healthz():
    """A bare endpoint for load balancers, and the benchmarks' baseline."""
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/readyz")
def readyz():
    """Ready when the database answers: what a load balancer should route on."""
    from sqlalchemy import text

    from app.extensions import db

    try:
        db.session.execute(text("select 1"))
    except Exception:  # noqa: BLE001 - any database failure means not ready
        db.session.rollback()
        return "database unavailable", 503, {"Content-Type": "text/plain"}
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/lang/<code>")
def switch_language(code: str):
    target = safe_next(request.args.get("next")) or url_for("main.home")
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.get("/me")
def landing():
    """Where each role starts its day."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.has_role("social_worker", "station_admin"):
        return redirect(url_for("console.queue"))
    if current_user.has_role("county_supervisor"):
        return redirect(url_for("console.county"))
    if current_user.has_role("volunteer", "team_leader"):
        return redirect(url_for("volunteer.tasks"))
    return redirect(url_for("main.home"))
