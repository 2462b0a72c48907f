"""Error pages that say what to do next; never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.blueprints.open311.formats import api_http_error, api_server_error


def _page(status: int, title: str, hint: str):
    return render_template("errors/error.html", status=status, title=title, hint=hint), status


API_PATHS = ("/open311/", "/api/")  # answer in the API's own error format


def _for_api() -> bool:
    return request.path.startswith(API_PATHS)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(
            400,
            _("This form has expired"),
            _("Go back, reload the page and send the form again. Nothing was saved."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _for_api():  # every refusal under /open311/ and /api/, in the API's form
            return api_http_error(error)
        messages = {
            400: (_("Something in the request was wrong"), _("Go back and check the form.")),
            403: (
                _("You cannot open this page"),
                _("Sign in with an account that has access, or go back to the home page."),
            ),
            404: (_("Page not found"), _("Check the address, or go back to the home page.")),
            405: (_("That did not work"), _("Go back to the home page and try again.")),
            429: (
                _("Too many tries"),
                _("Please wait a minute and try again. If someone is in danger, call 110 or 120."),
            ),
        }
        title, hint = messages.get(
            error.code or 500, (_("Something went wrong"), _("Please try again later."))
        )
        return _page(error.code or 500, title, hint)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        if app.testing and not app.config.get("SHOW_ERROR_PAGES"):
            raise error
        app.logger.exception("unhandled error")
        from app.extensions import db

        db.session.rollback()
        if _for_api():
            return api_server_error()
        return _page(
            500,
            _("Something went wrong on our side"),
            _("Please try again in a moment. If someone is in danger, call 110 or 120."),
        )
