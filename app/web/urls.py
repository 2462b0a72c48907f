"""``url_for`` in templates: the URL of an endpoint without parameters (or of a static file)
built once per process and script root, not once per link.

Why: every page's header, footer and section tabs link ~20 such URLs (the stylesheet, the
icons, the console's tabs), each built afresh by Werkzeug's router, ~4 µs apiece; the
station queue spent more building its chrome's links than writing its rows' words.

When such a URL is the same for the whole process: Linli's only URL defaults are the
static files' hashed names (app/web/assets.py), fixed once the process has hashed its static
folder; there are no subdomains nor host matching, so a relative URL depends on nothing of
the request but the script root (a prefix the WSGI server says the app is mounted under).
Kept out of it: anything with a parameter other than a static file's name (a request id, a
language switch with its ``next``), ``_external`` and the like, relative endpoints
(``.page``, which depend on the blueprint being served), and debug mode (static files are
hashed again when they change). Nothing of the reader is in a key or a value.
"""

from __future__ import annotations

from flask import Flask
from flask.globals import _cv_request

# (script root, endpoint, static file name or None) -> URL. Bounded: the script root comes
# from the WSGI environment, and a server that let a client choose it must not let the
# client grow this without end.
MAX_URLS = 1024


def init_app(app: Flask) -> None:
    """Once the app's URL defaults are all registered: replace the templates' ``url_for``
    when each of them is one known to give the same values for the whole process."""
    if app.debug or len(app.url_default_functions) != 1:
        return
    defaults = app.url_default_functions.get(None, [])
    if len(defaults) != 1 or getattr(defaults[0], "__name__", "") != "hashed_static_url":
        return
    build = app.url_for  # what Flask puts in templates
    fixed: dict[tuple[str, str, str | None], str] = {}

    def url_for(endpoint: str, **values) -> str:
        ctx = _cv_request.get(None)
        if values:
            filename = values.get("filename") if endpoint == "static" and len(values) == 1 else None
            if type(filename) is not str:
                return build(endpoint, **values)
        else:
            filename = None
        if ctx is None or endpoint[:1] == ".":
            return build(endpoint, **values)
        key = (ctx.request.root_path, endpoint, filename)
        found = fixed.get(key)
        if found is None:
            found = build(endpoint, **values)
            if len(fixed) < MAX_URLS:
                fixed[key] = found
        return found

    app.jinja_env.globals["url_for"] = url_for
