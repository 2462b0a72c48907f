"""Bytes on the wire: what Linli sends and how small (issue 17, target 5).

* assets.py: static files under content-hashed URLs, cached a year, compressed once.
* compression.py: every other text answer compressed by the app (Flask-Compress), and the
  reasoning about BREACH: which secrets a compressed page may hold, and how each is kept.
* csrf_mask.py: the CSRF token masked afresh at every render.
* form_html.py: WTForms' attribute writer without ``string.Formatter`` (the same HTML).
"""

from __future__ import annotations

import re

from flask import Flask

# An htmx attribute (hx-get, hx-post, hx-target ...) stands after whitespace in a tag.
_HTMX_ATTRIBUTE = re.compile(r"\shx-[a-z]")


def uses_htmx(html: str) -> bool:
    """Whether ``html`` has an htmx attribute, so its page needs htmx (base.html loads
    the 16 KB script only then, or for the signed-in). Not merely the letters "hx-": a
    masked CSRF token (random base64url, fresh at every render) holds them about once in
    3,000 renders, which loaded htmx on such a page at random."""
    return _HTMX_ATTRIBUTE.search(html) is not None


def init_app(app: Flask) -> None:
    from app.web import assets, form_html

    assets.init_app(app)
    form_html.install()
    app.jinja_env.tests["using_htmx"] = uses_htmx
