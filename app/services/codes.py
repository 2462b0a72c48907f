"""Short codes people read aloud and type on a phone: no 0/O, 1/I/L, 2/Z, 5/S, 8/B."""

from __future__ import annotations

import random
import secrets
from contextvars import ContextVar

ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"

# The seam for repeatable codes: None (the system's CSPRNG) except while the demo builds
# its county with a seeded ``random.Random`` (``app.demo.clock.seeded_codes``).
seeded_rng: ContextVar[random.Random | None] = ContextVar("linli_code_rng", default=None)


def _code(length: int) -> str:
    rng = seeded_rng.get()
    choice = rng.choice if rng is not None else secrets.choice
    return "".join(choice(ALPHABET) for _ in range(length))


def new_tracking_code(length: int = 7) -> str:
    """A request's tracking code, e.g. 'K7M-3QX' without the dash (25^7 ≈ 6e9 codes)."""
    return _code(length)


def new_reply_code(length: int = 4) -> str:
    """The short code a volunteer texts back to accept an offer."""
    return _code(length)


def normalise_code(raw: str) -> str:
    """Upper-case, drop spaces and dashes, fold full-width characters."""
    import unicodedata

    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if ch.isalnum())
