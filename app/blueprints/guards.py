"""Web-only guards for views: who may open a page. The domain (app/services) takes the user
as an argument and never reads the request; this module is where the request is read."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user


def role_required(*roles: str) -> Callable:
    """Allow signed-in users holding any of ``roles``; others get 403 (anonymous: sign-in)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from app.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
