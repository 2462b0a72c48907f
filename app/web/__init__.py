"""Bytes on the wire: what Linli sends and how small (issue 17, target 5).

* assets.py: static files under content-hashed URLs, cached a year, compressed once.
* compression.py: every other text answer compressed by the app (Flask-Compress), and the
  reasoning about BREACH: which secrets a compressed page may hold, and how each is kept.
* csrf_mask.py: the CSRF token masked afresh at every render.
* form_html.py: WTForms' attribute writer without ``string.Formatter`` (the same HTML).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.web import assets, form_html

    assets.init_app(app)
    form_html.install()
