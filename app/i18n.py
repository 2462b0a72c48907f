"""Language choice: a cookie set by the footer switch, else the browser, else Chinese."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request

LANG_COOKIE = "lang"


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANG_COOKIE)
    languages = current_app.config["LANGUAGES"]
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str:
    return current_app.config["LOCAL_TIMEZONE"]


def current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "zh"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["current_language"] = current_language
