"""Security headers, the user loader, and sessions that really end on sign-out.

Flask keeps the session in a signed cookie, so a copy of the cookie taken before sign-out
would otherwise keep working until the secret key changes. Each user carries a
``session_version``; sign-in stores it in the session, sign-out bumps it, and the user
loader refuses a session whose version is stale. Sign-out therefore ends every session of
that account (on every device), and a deactivated account loses its sessions at once.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, abort, current_app, request, session
from flask_login import user_logged_in, user_logged_out
from sqlalchemy.exc import DataError
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from app.extensions import db, login_manager

SESSION_VERSION_KEY = "_sv"


@login_manager.user_loader
def load_user(user_id: str):
    from app.services.access import remember_station_tree

    try:
        wanted = int(user_id)
    except (TypeError, ValueError):
        return None
    found = db.session.execute(_user_statement(), {"user_id": wanted}).one_or_none()
    if found is None:
        return None
    user, station, volunteer, roles, tree_stamp = found
    _loaded_with(user, station=station, volunteer=volunteer)
    if not user.is_active:
        return None
    if session.get(SESSION_VERSION_KEY, 0) != (user.session_version or 0):
        return None  # a session from before the last sign-out
    user.remember_roles(roles)
    remember_station_tree(tree_stamp)
    return user


@lru_cache(maxsize=1)
def _user_statement():
    """The signed-in user in one statement, with what nearly every signed-in page asks
    next: the roles (the guards, the nav), the station (scope, headings), the volunteer
    profile (the nav) and the station tree's stamp (whose requests a worker reads: the
    tree this process keeps for it, app/services/access.py). Built once: building cost
    more than running it.

    Cheaper to build than the user with its relationships eagerly loaded (joinedload):
    the station and the profile are entities of their own in the row, set on the user
    by ``_loaded_with``; the roles come as one text (``User.remember_roles``), not as
    the collection of their rows, so one entity fewer and one row (no ``unique()``)."""
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import lazyload

    from app.models import Station, User, VolunteerProfile
    from app.models.people import roles_text
    from app.services.access import station_tree_stamp

    return (
        select(
            User,
            Station,
            VolunteerProfile,
            roles_text().label("roles"),
            station_tree_stamp().label("station_tree_stamp"),
        )
        .outerjoin(User.station)
        .outerjoin(User.volunteer)
        .where(User.id == bindparam("user_id"))
        # Not the relationship's own SELECT ... IN: loaded only to be changed (add_role).
        .options(lazyload(User.role_rows))
    )


def _loaded_with(user, **related) -> None:
    """Each relationship of the user set from the same row, as an eager load would set
    it: unless the user, already in this session, has it loaded."""
    for key, value in related.items():
        if key not in user.__dict__:
            set_committed_value(user, key, value)


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
    )  # committed with the sign-out request (app/blueprints/transaction.py)
    session.pop(SESSION_VERSION_KEY, None)


def _csp() -> str:
    return _csp_for(current_app.config.get("MAP_TILE_URL", ""))


@lru_cache(maxsize=8)  # keyed by the tile URL: a changed setting gets its own policy
def _csp_for(tiles: str) -> str:
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


FIXED_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(self), camera=()"),
)


# Pages that show back what a person typed or a code sent to them: the resident's own
# request and its confirmation, the phone-code steps of sign-up and password reset.
PRIVATE_ENDPOINTS = ("public.track", "public.done", "volunteer.confirm", "auth.reset")


def _private(response) -> bool:
    """Pages for a signed-in person, answers to a form, and PRIVATE_ENDPOINTS."""
    if request.method == "POST":
        return True
    if response.mimetype not in ("text/html", "text/csv") and not response.mimetype.startswith(
        "application/vnd."
    ):
        return False
    from flask_login import current_user

    endpoint = request.endpoint or ""
    return endpoint.startswith(PRIVATE_ENDPOINTS) or bool(
        getattr(current_user, "is_authenticated", False)
    )


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in items) for key, items in values.lists())


INT_MAX = 2**31 - 1  # PostgreSQL's integer: the largest id any table can hold


class BoundedIntConverter(IntegerConverter):
    """<int:...> that never matches a number no id can be (404, not a database error)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, INT_MAX if max is None else max, signed)


def _bound_int_converters(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter  # rules added from now on
    for rule in app.url_map.iter_rules():  # and those the blueprints already added
        for converter in getattr(rule, "_converters", {}).values():
            if isinstance(converter, IntegerConverter) and converter.max is None:
                converter.max = INT_MAX


def init_app(app: Flask) -> None:
    user_logged_in.connect(_remember_session_version)
    user_logged_out.connect(_end_all_sessions)

    _bound_int_converters(app)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def input_does_not_fit(error):
        """A number or text the database cannot hold (an id past 2^31 on PostgreSQL, past
        2^63 on SQLite; text too long for its column) is bad input: 400, nothing stored."""
        db.session.rollback()
        app.logger.warning("input did not fit the database: %s", type(error).__name__)
        return app.handle_http_exception(BadRequest())

    @app.before_request
    def refuse_nul_characters():
        """NUL never belongs in text, and PostgreSQL refuses it with an error: answer 400
        (changing nothing) instead of a server error, on every route at once."""
        if "\x00" in request.path or _has_nul(request.args):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            if _has_nul(request.form):
                abort(400)

    @app.after_request
    def security_headers(response):
        # Each header unless the view set its own. Asked of one set of the names present:
        # werkzeug's ``setdefault`` raises and catches a KeyError for each missing one.
        present = {name.lower() for name, _value in response.headers}
        wanted = [("Content-Security-Policy", _csp()), *FIXED_HEADERS]
        if app.config.get("PUBLIC_BASE_URL", "").startswith("https://"):
            wanted.append(("Strict-Transport-Security", "max-age=31536000"))
        for name, value in wanted:
            if name.lower() not in present:
                response.headers.add(name, value)
        if _private(response):
            # Personal data: never kept by a proxy, nor shown again from a shared
            # computer's history after sign-out.
            response.headers["Cache-Control"] = "no-store"
        return response
