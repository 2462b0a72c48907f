"""What a search engine and a phone read about Linli besides the pages: each public page's
description, robots.txt, and the web app manifest with the icons shipped in static/icons.

robots.txt lets crawlers read the pages meant for everyone (home, ask, track, volunteer
sign-up) and keeps them out of the rest: the station console, the volunteer pages, a
resident's tracking page (/t/<code> shows one person's request), sign-in and password
reset, htmx fragments and redirects. Its lines are ordered most specific first, so a
crawler that takes the first matching line and one that takes the longest (RFC 9309) read
the same answer.
"""

from __future__ import annotations

from flask import has_request_context, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import current_language

THEME_COLOUR = "#b3261e"  # the header's red (static/css/linli.css --red)
BACKGROUND_COLOUR = "#fbf8f6"  # the page's (--bg)

# The meta description of the public pages, by endpoint; every other page has the default.
DESCRIPTIONS = {
    "main.home": _l(
        "Ask your township's social work station for help from your phone: a social "
        "worker reads every request, and volunteers nearby can come."
    ),
    "public.ask": _l(
        "Ask the social work station for help: say what you need and where, leave a "
        "phone number, and the station contacts you by SMS."
    ),
    "public.track": _l(
        "Follow your request for help with its tracking code and the last four digits "
        "of your phone number."
    ),
    "volunteer.signup": _l(
        "Sign up as a volunteer of your township's social work station and help neighbours nearby."
    ),
}
DEFAULT_DESCRIPTION = _l(
    "Linli connects residents who need help with their township's social work station "
    "and volunteers nearby."
)

# (directive, path prefix), most specific first (see above).
ROBOTS_RULES = (
    ("Disallow", "/ask/"),  # the confirmation page and the form's htmx fragments
    ("Allow", "/ask"),
    ("Allow", "/track"),
    # the micro-wish board is for donors to find; a wish's own page (its claim form, a
    # state that changes within days) is not for an index
    ("Disallow", "/wishes/"),
    ("Allow", "/wishes"),
    ("Disallow", "/v/signup/"),  # the phone-code step of sign-up
    ("Allow", "/v/signup"),
    ("Disallow", "/v/"),
    ("Disallow", "/station"),
    ("Disallow", "/t/"),
    ("Disallow", "/s/"),  # a station's upcoming activities: public, but not for search engines
    ("Disallow", "/sms"),
    ("Disallow", "/me"),
    ("Disallow", "/login"),
    ("Disallow", "/logout"),
    ("Disallow", "/reset"),
    ("Disallow", "/proxy"),
    ("Disallow", "/lang/"),
    ("Disallow", "/healthz"),
    ("Disallow", "/readyz"),
    ("Disallow", "/api"),  # the JSON API, its document and reference: for programs
    ("Disallow", "/open311"),
    ("Allow", "/"),
)


def page_description() -> str:
    """The meta description of the page being rendered."""
    endpoint = (request.endpoint or "") if has_request_context() else ""
    return str(DESCRIPTIONS.get(endpoint, DEFAULT_DESCRIPTION))


def robots_txt() -> str:
    lines = ["User-agent: *", *(f"{directive}: {path}" for directive, path in ROBOTS_RULES)]
    return "\n".join(lines) + "\n"


def manifest() -> dict:
    """The web app manifest: name, colours and the icons, all served by Linli itself."""

    def icon(filename: str, size: str, kind: str, purpose: str = "any") -> dict:
        return {
            "src": url_for("static", filename=f"icons/{filename}"),
            "sizes": size,
            "type": kind,
            "purpose": purpose,
        }

    return {
        "name": _("Linli neighbourhood help"),
        "short_name": _("Linli"),
        "description": str(DEFAULT_DESCRIPTION),
        "lang": "zh-CN" if current_language() == "zh" else "en",
        "start_url": url_for("main.home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            icon("icon-192.png", "192x192", "image/png", "any maskable"),
            icon("icon-512.png", "512x512", "image/png", "any maskable"),
            icon("favicon.svg", "any", "image/svg+xml"),
        ],
    }
