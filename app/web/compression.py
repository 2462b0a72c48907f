"""Text answers compressed by Linli itself (Flask-Compress), so `make run` and gunicorn
without a proxy send them small; and what that means for the secrets in them (BREACH).

What is compressed: HTML pages and htmx fragments, JSON, the manifest, robots.txt, CSV
exports and SVG, when the browser accepts it (``Accept-Encoding``: brotli, then gzip) and
the body is at least ``COMPRESS_MIN_SIZE`` bytes. Every answer says
``Vary: Accept-Encoding``. Streamed answers are left alone (``COMPRESS_STREAMS`` off): a
file sent in pieces keeps its length and its ranges. Static files are compressed once per
process, at the highest levels, by app/web/assets.py, not here.

Levels: brotli 5 and gzip 6 for pages made at each request; the figures behind the choice
are in README.md (Bytes on the wire). The environment's ``COMPRESS_BR_LEVEL`` and
``COMPRESS_GZIP_LEVEL`` change them (app/config.py).

BREACH. A compressed, encrypted answer leaks, through its size, whether text the attacker
put into it matches a secret beside it. It needs three things together: a secret that is
the same in many answers, text the attacker chooses in the same body (every Linli page
repeats its query string in the footer's language links; /track?code= and search boxes
repeat theirs), and a way to make the victim's browser ask many times while the attacker
watches the sizes. Going through what a page can hold:

* The CSRF token: on every page of a session. Masked afresh at each render
  (app/web/csrf_mask.py): never the same bytes twice, so there is nothing to match.
* The one-time form token of the ask forms: a new one at every GET. A POST answer repeats
  the one sent, but a POST from another site is refused by the CSRF check (400, a page
  that repeats nothing), so an attacker cannot make the browser ask for it.
* Session data (the Flask session cookie, the sign-in): in headers, never in a body.
* Personal data: the tracking code and the phone's last four digits on /ask/done (the two
  together open the request's page), the timeline on /t/<code>, names, phone numbers,
  addresses and reply codes on the station console and the volunteer pages, the texts of
  the SMS page (with their codes). These cannot be masked: a person must read them. They are exactly the
  answers app/security.py marks ``Cache-Control: no-store`` (signed-in pages, form answers
  and the resident's own pages).

So personal answers are compressed only for a request that came from Linli's own pages or
that the person started (``Sec-Fetch-Site: same-origin`` or ``none``: a link in the SMS, a
bookmark, the address bar). A request another site started (``cross-site``,
``same-site``, or a browser too old to say) gets such a page uncompressed: an attacker's
page can still make the browser load it, but its size then says nothing. The session cookie
is ``SameSite=Lax``, so the only cross-site requests that carry the session at all are
top-level navigations, and those are exactly the ones answered uncompressed. Pages without
personal data (home, the empty forms, help text) are compressed for everyone.
"""

from __future__ import annotations

from flask import request
from flask_compress import Compress

# Browsers send Sec-Fetch-Site on every request: these two values mean Linli's own pages
# or the person themselves started it.
TRUSTED_INITIATORS = frozenset({"same-origin", "none"})

SETTINGS = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 500,  # a smaller body gains less than the header costs
    "COMPRESS_STREAMS": False,
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/plain",
        "text/csv",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    ],
}


def _started_elsewhere() -> bool:
    return request.headers.get("Sec-Fetch-Site", "") not in TRUSTED_INITIATORS


class LinliCompress(Compress):
    """Flask-Compress, except for personal answers to requests other sites started."""

    def init_app(self, app) -> None:
        for key, value in SETTINGS.items():
            app.config.setdefault(key, value)
        super().init_app(app)

    def after_request(self, response):
        if response.cache_control.no_store:
            response.vary.add("Sec-Fetch-Site")
            if _started_elsewhere():
                response.vary.add("Accept-Encoding")
                return response
        if not self._any_accepted():
            response.vary.add("Accept-Encoding")
            return response
        return super().after_request(response)

    def _any_accepted(self) -> bool:
        """Flask-Compress 1.25 takes ``br;q=0`` for a wish; q=0 means "not this" (RFC 9110).
        With none of ours above 0 the body goes as it is (werkzeug reads the qualities)."""
        header = request.headers.get("Accept-Encoding", "")
        if ";" not in header:
            return True  # no qualities: Flask-Compress reads it right
        accepted = request.accept_encodings
        return any(accepted[name] > 0 for name in self.enabled_algorithms)
