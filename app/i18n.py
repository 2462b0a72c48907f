"""Language choice: a cookie set by the footer switch, else the browser, else Chinese.

And translations found once per request, not once per word. Flask-Babel looks up the
request's context, its locale (and the locale's name) and its catalogue again for every
``gettext`` call: a queue page asks about a hundred times, and the looking up cost more
than the translating. ``RequestDomain`` keeps the catalogue found for the request's
current locale; templates get ``_`` bound to that catalogue as they start to render.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Domain, get_babel, get_translations
from flask_babel import _get_current_context as _flask_babel_context
from jinja2 import pass_eval_context
from markupsafe import Markup

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


def _babel_context():
    """Flask-Babel's namespace on ``g`` (None outside an application context), found with
    one look-up of ``g`` where Flask-Babel's own takes three."""
    try:
        found = g._get_current_object()
    except RuntimeError:
        return None
    ctx = found.__dict__.get("_flask_babel")
    return ctx if ctx is not None else _flask_babel_context()


class RequestDomain(Domain):
    """Flask-Babel's domain, remembering on the request's Babel context which catalogue
    serves which locale. The memo is keyed by the locale object itself: ``force_locale``
    (a text in its recipient's language) and ``refresh`` put a new one there, so a
    catalogue is never used for another locale than the one it was found for."""

    def get_translations(self):
        ctx = _babel_context()
        if ctx is None:
            return super().get_translations()  # outside any context: no catalogue
        memo = getattr(ctx, "linli_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if memo is not None and locale is not None and memo[0] is self and memo[1] is locale:
            return memo[2]
        translations = super().get_translations()  # sets ctx.babel_locale
        ctx.linli_translations = (self, ctx.babel_locale, translations)
        return translations


def current_translations():
    """The catalogue of the current locale: the key of per-locale caches of plain words
    (``None`` outside an application context, where nothing should be cached)."""
    ctx = _babel_context()
    if ctx is None:
        return None
    memo = getattr(ctx, "linli_translations", None)  # RequestDomain's, when still good
    if (
        memo is not None
        and memo[0] is getattr(ctx, "babel_domain", None)
        and memo[1] is getattr(ctx, "babel_locale", None)
    ):
        return memo[2]
    return get_translations()


# (catalogue, name) -> words: bounded by the locales times the callers' names
_PER_LOCALE: dict[tuple[object, str], object] = {}


def once_per_locale(name: str, compute):
    """``compute()`` once per locale (and ``name``), then the same result: for the words of
    the static vocabularies only (labels, tab names), never for anything read from the
    database or about the reader. Keyed by the catalogue the words were translated with,
    so a Chinese page never gets English words (nor the other way round)."""
    translations = current_translations()
    if translations is None:
        return compute()
    key = (translations, name)
    found = _PER_LOCALE.get(key)
    if found is None:
        found = _PER_LOCALE[key] = compute()
    return found


@lru_cache(maxsize=16)  # one entry per catalogue: a locale's catalogue is loaded once
def _template_gettext(translations):
    """``_`` for templates bound to one catalogue; what Jinja's newstyle gettext does
    (escaped when autoescaping, always a format string), without its lookups."""
    find = translations.ugettext

    @pass_eval_context
    def gettext(eval_ctx, string: str, **variables):
        found = find(string)
        if eval_ctx.autoescape:
            found = Markup(found)
        if not variables and "%" not in found:
            return found  # what ``% {}`` would give back: most of a page's words
        return found % variables

    return gettext


def _template_translations() -> dict:
    """``_`` and ``gettext`` bound to the catalogue of the locale at render time."""
    translations = current_translations()
    if translations is None:
        return {}
    gettext = _template_gettext(translations)
    return {"_": gettext, "gettext": gettext}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["current_language"] = current_language
    babel = get_babel(app)
    # Flask-Babel's own domain, a cached property of the (app-wide) Babel instance.
    if not isinstance(babel.instance.__dict__.get("domain_instance"), RequestDomain):
        babel.instance.domain_instance = RequestDomain(domain=babel.default_domain)
    app.context_processor(_template_translations)
