"""Static files under content-hashed URLs, cached a year; compressed once per process.

``url_for('static', filename='css/linli.css')`` gives ``/static/css/linli.<hash>.css``,
where ``<hash>`` is the first 12 hex digits of the SHA-256 of what is served. That URL
never changes its content, so it is answered with ``Cache-Control: public,
max-age=31536000, immutable``: a second visit loads the page alone. The plain URL
(``/static/css/linli.css``) keeps working, with a short cache (``STATIC_PLAIN_MAX_AGE``
seconds, then revalidated by ETag), for whatever names it by hand.

A stylesheet's ``url(...)`` references to other static files are rewritten to their hashed
names (relative, as written), and the stylesheet is hashed after that: a changed image
changes the URL of the stylesheet that shows it.

Text files (CSS, JavaScript, SVG, text) are compressed with brotli 11 and gzip 9 the first
time each is asked for, kept in memory, and sent as the browser accepts; the hashes are
computed once per process (in debug mode, again when a file changes; otherwise restart the
server after editing a static file). Range requests are
answered with the whole file (allowed by RFC 9110; these files are small).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import posixpath
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface

HASH_LENGTH = 12
YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
DEBUG_RECHECK_SECONDS = 1.0
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
ENCODINGS = ("br", "gzip")  # preferred first, when the browser accepts both equally
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")


# A static file is no document: it may load nothing and be framed nowhere (a CSP far
# shorter than a page's, sent with each of them).
STATIC_CSP = "default-src 'none'; object-src 'none'; frame-ancestors 'none'"


@dataclass
class Asset:
    """One static file as served: its bytes, its hashed name and compressed forms."""

    name: str  # as in url_for: css/linli.css
    hashed_name: str  # css/linli.0123456789ab.css
    body: bytes
    mimetype: str
    digest: str
    _encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def compressible(self) -> bool:
        return self.mimetype.startswith(COMPRESSIBLE)

    def encoded(self, encoding: str) -> bytes | None:
        """The body compressed with ``encoding`` (made once), None when it does not pay."""
        if encoding not in self._encoded:
            if encoding == "br":
                data = brotli.compress(self.body, quality=11)
            else:
                data = gzip.compress(self.body, compresslevel=9, mtime=0)
            self._encoded[encoding] = data
        data = self._encoded[encoding]
        return data if len(data) < len(self.body) else None


@dataclass
class Manifest:
    by_name: dict[str, Asset]
    by_hashed_name: dict[str, Asset]
    signature: tuple
    checked_at: float


def _hashed(name: str, digest: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{extension}"


def _mimetype(name: str) -> str:
    if name.endswith(".js"):
        return "text/javascript"  # RFC 9239; Python's table differs between versions
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _rewrite_css(name: str, text: str, done: dict[str, Asset]) -> str:
    """The stylesheet with each url() to a known static file pointing at its hashed name."""
    folder = posixpath.dirname(name)

    def hashed_reference(match: re.Match) -> str:
        quote, reference = match.group(1), match.group(2)
        if reference.startswith(("#", "data:", "/", "http:", "https:")):
            return match.group(0)
        path, tail = re.match(r"([^?#]*)(.*)", reference).groups()
        target = done.get(posixpath.normpath(posixpath.join(folder, path)))
        if target is None:
            return match.group(0)
        relative = posixpath.relpath(target.hashed_name, folder or ".")
        return f"url({quote}{relative}{tail}{quote})"

    return CSS_URL.sub(hashed_reference, text)


def _signature(files: list[Path]) -> tuple:
    return tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files)


def build_manifest(folder: Path) -> Manifest:
    """Every file under ``folder``: read, hashed (stylesheets after their rewriting)."""
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    names = {path: path.relative_to(folder).as_posix() for path in files}
    done: dict[str, Asset] = {}
    # Stylesheets last: their url() references need the other files' hashed names.
    for path in sorted(files, key=lambda p: (p.suffix == ".css", str(p))):
        name = names[path]
        body = path.read_bytes()
        if path.suffix == ".css":
            body = _rewrite_css(name, body.decode("utf-8"), done).encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
        done[name] = Asset(name, _hashed(name, digest), body, _mimetype(name), digest)
    return Manifest(
        by_name=done,
        by_hashed_name={asset.hashed_name: asset for asset in done.values()},
        signature=_signature(files),
        checked_at=time.monotonic(),
    )


_manifests: dict[str, Manifest] = {}  # one per static folder, for the whole process
_lock = threading.Lock()


def manifest(app: Flask) -> Manifest:
    """The static folder's manifest, built once per process (in debug, when a file changed)."""
    return _manifest(app.static_folder, app.debug)


def _manifest(folder: str, watch: bool) -> Manifest:
    found = _manifests.get(folder)
    if found is not None and (not watch or not _changed(found, Path(folder))):
        return found
    with _lock:
        found = build_manifest(Path(folder))
        _manifests[folder] = found
    return found


def _changed(found: Manifest, folder: Path) -> bool:
    """In debug mode, at most once a second: has a static file changed since the build?"""
    now = time.monotonic()
    if now - found.checked_at <= DEBUG_RECHECK_SECONDS:
        return False
    found.checked_at = now
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    return _signature(files) != found.signature


def _chosen_encoding(asset: Asset) -> str | None:
    if not asset.compressible:
        return None
    accepted = request.accept_encodings
    best = max(ENCODINGS, key=lambda encoding: accepted[encoding])  # first wins a tie
    return best if accepted[best] > 0 else None


def serve(filename: str):
    """The static view: a hashed name is cached a year, the plain one briefly."""
    app = current_app
    found = manifest(app)
    asset = found.by_hashed_name.get(filename)
    immutable = asset is not None
    if asset is None:
        asset = found.by_name.get(filename)
    if asset is None:
        return app.send_static_file(filename)  # added after the start: 404 or as Flask does
    encoding = _chosen_encoding(asset)
    body = asset.encoded(encoding) if encoding else None
    if body is None:
        encoding, body = None, asset.body
    response = Response(body, mimetype=asset.mimetype)
    response.vary.add("Accept-Encoding")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Content-Security-Policy"] = STATIC_CSP
    response.set_etag(f"{asset.digest}-{encoding or 'identity'}")
    if immutable:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        max_age = app.config.get("STATIC_PLAIN_MAX_AGE", 300)
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response.make_conditional(request)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that a static file never says it depends on
    the cookie (Flask-Login reads the session after every request, which makes Flask add
    ``Vary: Cookie``; a cache would then keep a copy of htmx per visitor).

    And the signing serializer made once per set of keys, not twice per request (Flask
    builds a new one to open and again to save; it holds only the keys and settings)."""

    def get_signing_serializer(self, app: Flask):
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or ()
        keys = (app.secret_key, tuple(fallbacks))
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            self._serializer = cached  # a new secret key or fallback: made afresh
        return cached[1]

    def save_session(self, app: Flask, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint == "static" and "Set-Cookie" not in response.headers:
            response.vary.discard("cookie")  # lower case: HeaderSet.remove compares so


def init_app(app: Flask) -> None:
    """Hashed URLs from url_for('static', ...), and the static view that serves them."""
    if not app.static_folder or "static" not in app.view_functions:
        return
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = SessionInterface()

    folder, watch = app.static_folder, app.debug  # read once: both are slow properties

    @app.url_defaults
    def hashed_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            asset = _manifest(folder, watch).by_name.get(values["filename"])
            if asset is not None:
                values["filename"] = asset.hashed_name

    app.view_functions["static"] = serve
