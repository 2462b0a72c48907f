"""CSRF tokens masked afresh at every render, so no compressed page carries a stable secret.

Why (BREACH): Linli compresses its pages itself (app/web/compression.py). A compressed body
that holds a secret which stays the same from one response to the next, beside text an
attacker can choose (every page repeats its own query string in the language links of the
footer), leaks that secret a character at a time to someone who sees the size of the
encrypted responses and can make the victim's browser ask for pages. Flask-WTF's token is
``itsdangerous``-signed: its first part (the session's raw token) is the same on every page
of a session, and the whole token is the same for every page rendered in the same second.

What: for every response that writes the token (``csrf_token()`` in templates, the
``hx-headers`` of base.html, a form's ``csrf_token`` field, ``csrf_meta_tag()``), the signed
token is XORed with a fresh pad and sent as ``base64url(nonce + (pad XOR token))``, where
the nonce is 16 random bytes and the pad is SHAKE-256 of the nonce, as long as the token.
This is Django's masking (which sends a random pad as long as the secret) with the pad
drawn from a short nonce: the token's ~90 bytes would otherwise cost ~240 characters, on
every form of every page. Like Django's, the mask hides nothing from whoever holds the
page (the nonce is in it); it only makes two renders never share their bytes, so
compression has nothing stable to match against. What comes back (the form field or htmx's
``X-CSRFToken`` header) is unmasked before Flask-WTF validates it, unchanged, against the
session: a tampered token unmasks to a bad signature and is refused with 400.

A token in Flask-WTF's own form (``payload.timestamp.signature``, always with dots, which
base64url never has) is still accepted: pages rendered before this change keep working
through a deploy, and nothing Linli sends contains one any more, so it gives an attacker
nothing to read.

The other secrets of a page are not the CSRF token's kind (one per session, on every page)
and are dealt with in app/web/compression.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets

from flask import Flask, current_app, g
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect, _FlaskFormCSRF, generate_csrf, validate_csrf
from markupsafe import Markup, escape

_REFUSED = "refused"  # what a token that cannot be unmasked becomes: fails validation


NONCE_BYTES = 16


def _xor(data: bytes, nonce: bytes) -> bytes:
    pad = hashlib.shake_256(nonce).digest(len(data))
    return (int.from_bytes(pad, "big") ^ int.from_bytes(data, "big")).to_bytes(len(data), "big")


def mask(token: str) -> str:
    """``token`` under a fresh pad: different bytes at every call."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    hidden = _xor(token.encode("ascii"), nonce)
    return base64.urlsafe_b64encode(nonce + hidden).rstrip(b"=").decode("ascii")


_SIGNED_TOKEN = re.compile(rb"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")


def unmask(value: str | None) -> str | None:
    """The signed token inside a masked one; an unmasked (dotted) token as it is; for
    anything else a value that fails validation. None stays None (no token sent)."""
    if not value:
        return value
    if "." in value:
        return value  # Flask-WTF's own format (see the module's docstring)
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return _REFUSED
    if len(data) <= NONCE_BYTES:
        return _REFUSED
    raw = _xor(data[NONCE_BYTES:], data[:NONCE_BYTES])
    # Only Flask-WTF's own shape comes back: itsdangerous's base64 decoding skips characters
    # outside its alphabet, so bytes added to a masked token could otherwise unmask to the
    # signed token with harmless-looking junk in it, and pass.
    if _SIGNED_TOKEN.fullmatch(raw) is None:
        return _REFUSED
    return raw.decode("ascii")


def masked_csrf_token(secret_key: str | None = None, token_key: str | None = None) -> str:
    """``csrf_token()`` for templates: the session's token, masked afresh for each response.

    Every place of one response shows the same masked token: a list with a form on each
    row would otherwise carry a hundred incompressible tokens. Nothing is lost: what BREACH
    needs is bytes that stay the same from one response to the next."""
    cached = g.get("_csrf_masked")
    if cached is not None and cached[2] and secret_key is None and token_key is None:
        # A template's second token: Flask-WTF keeps the signed token on g under the field
        # name; while it is the one masked, its config look-ups can be skipped.
        signed, masked, field_name = cached
        if g.get(field_name) is signed:
            return masked
    signed = generate_csrf(secret_key, token_key)
    if cached is None or cached[0] != signed:
        # the field name of a template's token (None when a form chose its own)
        default = secret_key is None and token_key is None
        field_name = current_app.config.get("WTF_CSRF_FIELD_NAME") if default else None
        cached = (signed, mask(signed), field_name)
        g._csrf_masked = cached
    return cached[1]


def masked_csrf_meta_tag(name: str | None = None) -> Markup:
    from flask import current_app

    name = name or current_app.config.get("WTF_CSRF_META_NAME", "csrf-token")
    return Markup(f'<meta name="{escape(name)}" content="{escape(masked_csrf_token())}">')


class MaskedFormCSRF(_FlaskFormCSRF):
    """A form's ``csrf_token`` field: written masked, unmasked before it is checked (when
    CSRFProtect has not checked the request already, e.g. with it switched off)."""

    def generate_csrf_token(self, csrf_token_field) -> str:
        return masked_csrf_token(self.meta.csrf_secret, self.meta.csrf_field_name)

    def validate_csrf_token(self, form, field) -> None:
        if g.get("csrf_valid", False):
            return  # CSRFProtect checked this request before the view ran
        validate_csrf(
            unmask(field.data),
            self.meta.csrf_secret,
            self.meta.csrf_time_limit,
            self.meta.csrf_field_name,
        )


class MaskedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect; tokens written masked, read back unmasked."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        helpers = {"csrf_token": masked_csrf_token, "csrf_meta_tag": masked_csrf_meta_tag}
        app.jinja_env.globals.update(helpers)
        # Flask-WTF also puts its own helpers in every template's context; a context
        # processor registered after its one wins.
        app.context_processor(lambda: helpers)
        # Every FlaskForm of the app (and any other in this process) writes its field masked.
        FlaskForm.Meta.csrf_class = MaskedFormCSRF

    def _get_csrf_token(self) -> str | None:
        return unmask(super()._get_csrf_token())
