"""Codes people read aloud and type on any phone: digits only, shown in groups.

A tracking code has 8 digits, shown as two groups of four ("3806 1472"); a reply code
has 4 digits and never starts with 0 (so "0 4821", typed as "04821", declines offer
4821). Codes issued before issue 16 were letters and digits without look-alikes
("K7M3QXA", reply "FTHT"); they keep working wherever a code is typed.
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata
from contextvars import ContextVar

DIGITS = "0123456789"
TRACKING_LENGTH = 8
REPLY_LENGTH = 4
# The letters of the codes issued before issue 16 (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
OLD_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"

# Anything shaped like a tracking code, new ("3806 1472", "3806-1472", "38061472") or old
# ("K7M3QXA"), standing alone or in a /t/ link; Chinese text around it is fine.
CODE_LIKE = re.compile(
    rf"(?<![0-9A-Za-z])(?:[0-9]{{4}}[ \-]?[0-9]{{4}}|[{OLD_ALPHABET}]{{4,12}})(?![0-9A-Za-z])",
    re.IGNORECASE,
)

# The seam for repeatable codes: None (the system's CSPRNG) except while the demo builds
# its county with a seeded ``random.Random`` (``app.demo.clock.seeded_codes``).
seeded_rng: ContextVar[random.Random | None] = ContextVar("linli_code_rng", default=None)


def _seeded_number(rng: random.Random, letters: int) -> int:
    """The demo's seeded path: a number drawn as the letter codes were drawn (one choice
    of the old alphabet per letter), so the rest of the demo's one random stream, and the
    county it tells, stay as they were before codes became digits."""
    number = 0
    for _ in range(letters):
        number = number * len(OLD_ALPHABET) + OLD_ALPHABET.index(rng.choice(OLD_ALPHABET))
    return number


def new_tracking_code() -> str:
    """A request's tracking code: 8 digits, 10^8 codes (the README says what that means
    for someone guessing). The caller makes sure it is not taken."""
    rng = seeded_rng.get()
    if rng is not None:
        return f"{_seeded_number(rng, 7) % 10**TRACKING_LENGTH:0{TRACKING_LENGTH}d}"
    return "".join(secrets.choice(DIGITS) for _ in range(TRACKING_LENGTH))


def new_reply_code() -> str:
    """The 4 digits a volunteer texts back to take an offer (1000–9999: never a leading
    0, which is how a reply declines)."""
    rng = seeded_rng.get()
    if rng is not None:
        return str(1000 + _seeded_number(rng, 4) % 9000)
    return secrets.choice(DIGITS[1:]) + "".join(
        secrets.choice(DIGITS) for _ in range(REPLY_LENGTH - 1)
    )


def normalise_code(raw: str) -> str:
    """As stored: full-width folded (NFKC), upper-case, spaces and dashes dropped."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def code_text(code: str | None) -> str:
    """A code as people read it: an 8-digit tracking code in two groups ("3806 1472");
    any other code (an old one, a reply code) as it is."""
    code = code or ""
    if len(code) == TRACKING_LENGTH and code.isdigit():
        return f"{code[:4]} {code[4:]}"
    return code
