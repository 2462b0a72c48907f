"""Security headers, the user loader, and sessions that really end on sign-out.

Flask keeps the session in a signed cookie, so a copy of the cookie taken before sign-out
would otherwise keep working until the secret key changes. Each user carries a
``session_version``; sign-in stores it in the session, sign-out bumps it, and the user
loader refuses a session whose version is stale. Sign-out therefore ends every session of
that account (on every device), and a deactivated account loses its sessions at once.
"""

from __future__ import annotations

from flask import Flask, current_app, session
from flask_login import user_logged_in, user_logged_out

from app.extensions import db, login_manager

SESSION_VERSION_KEY = "_sv"


@login_manager.user_loader
def load_user(user_id: str):
    from app.models import User

    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.is_active:
        return None
    if session.get(SESSION_VERSION_KEY, 0) != (user.session_version or 0):
        return None  # a session from before the last sign-out
    return user


def _remember_session_version(_sender, user, **_extra) -> None:
    session[SESSION_VERSION_KEY] = getattr(user, "session_version", 0) or 0


def _end_all_sessions(_sender, user, **_extra) -> None:
    from sqlalchemy import update

    from app.models import User

    user_id = getattr(user, "id", None)
    if user_id is None:
        return
    db.session.execute(
        update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
    )
    db.session.commit()
    session.pop(SESSION_VERSION_KEY, None)


def _csp() -> str:
    tiles = current_app.config.get("MAP_TILE_URL", "")
    img = "'self' data:"
    if tiles.startswith("http"):
        from urllib.parse import urlsplit

        parts = urlsplit(tiles.replace("{s}", "a"))
        img += f" {parts.scheme}://{parts.netloc.replace('a.', '*.', 1)}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {img}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def init_app(app: Flask) -> None:
    user_logged_in.connect(_remember_session_version)
    user_logged_out.connect(_end_all_sessions)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", _csp())
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
