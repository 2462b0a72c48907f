"""Recording a micro-wish's delivery (issue 18): the day, the value, a thank-you and a photo
for the station alone; the resources ledger's line; the texts to donor and family.

The photo is what its bytes are (JPEG, PNG or WebP), never what the browser said, and it
is kept without its metadata: a phone's photo carries the place it was taken (EXIF GPS),
here the child's home. JPEG APP1 segments (EXIF, XMP) and PNG eXIf/text chunks are
dropped; a WebP carrying EXIF or XMP is refused (its container would need rewriting).
"""

from __future__ import annotations

import struct
from datetime import date

from flask_babel import gettext as _

from app.extensions import db
from app.models import ResourceEntry, User, Wish, WishPhoto
from app.models.vocab import label
from app.services import ServiceError, wording
from app.services.wish_texts import text_fulfilled
from app.services.wishes import DONOR_KINDS, WISH_MACHINE, check_station, money

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
PHOTO_MAX_BYTES = 3 * 1024 * 1024


def deliver(
    user: User,
    wish: Wish,
    *,
    delivered_on: date | None,
    actual_value=None,
    thanks: str = "",
    photo: bytes | None = None,
) -> Wish:
    """The gift reached the child: record the day (a photo kept for the station alone, a
    thank-you), add the resources ledger's line, and text donor and family."""
    check_station(user, wish)
    today = wording.local_today()
    if delivered_on is None or delivered_on > today:
        raise ServiceError(
            _("Choose the day it was delivered (not after today)."), field="delivered_on"
        )
    value = money(actual_value, "actual_value", required=False)
    photo_type = image_type(photo) if photo else ""  # what the bytes are, not what was said
    if photo and (photo_type not in PHOTO_TYPES or len(photo) > PHOTO_MAX_BYTES):
        raise ServiceError(
            _("The photo must be a JPEG, PNG or WebP of at most 3 MB."), field="photo"
        )
    content = without_metadata(photo, photo_type) if photo else None
    donor_name, donor_kind = wish.donor_name, wish.donor_kind
    WISH_MACHINE.move(
        wish,
        "fulfil",
        values={
            "delivered_on": delivered_on,
            "actual_value": value,
            "thanks": (thanks or "").strip()[:500],
        },
    )
    if content:
        db.session.add(WishPhoto(wish_id=wish.id, mimetype=photo_type, content=content))
    db.session.add(
        ResourceEntry(
            station_id=wish.station_id,
            source="wish",
            kind="goods",
            donor_name=(donor_name or str(label(DONOR_KINDS, donor_kind or "individual")))[:64],
            value=value or wish.estimated_value,
            received_on=delivered_on,
            purpose=_("Micro-wish %(code)s: %(what)s", code=wish.code, what=wish.what)[:200],
            wish_id=wish.id,
            recorded_by_id=user.id,
        )
    )
    db.session.flush()
    text_fulfilled(wish)
    return wish


def image_type(content: bytes) -> str:
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return ""


def without_metadata(content: bytes, kind: str) -> bytes:
    """The image without EXIF (GPS), XMP or text metadata; refuses what it cannot clean."""
    if kind == "image/jpeg":
        return _jpeg(content)
    if kind == "image/png":
        return _png(content)
    if b"EXIF" in content[12:] or b"XMP " in content[12:]:
        raise ServiceError(
            _("This photo carries its location or other details: send it as a JPEG instead."),
            field="photo",
        )
    return content


def _jpeg(content: bytes) -> bytes:
    out, at = bytearray(b"\xff\xd8"), 2
    while at + 4 <= len(content) and content[at] == 0xFF:
        marker = content[at + 1]
        if marker == 0xDA:  # start of scan: the picture itself, to the end
            break
        length = struct.unpack(">H", content[at + 2 : at + 4])[0]
        segment = content[at : at + 2 + length]
        if marker != 0xE1 and marker != 0xFE:  # APP1 (EXIF, XMP) and comments go
            out += segment
        at += 2 + length
    out += content[at:]
    return bytes(out)


def _png(content: bytes) -> bytes:
    out, at = bytearray(content[:8]), 8
    while at + 8 <= len(content):
        length = struct.unpack(">I", content[at : at + 4])[0]
        kind = content[at + 4 : at + 8]
        chunk = content[at : at + 12 + length]
        if kind not in (b"eXIf", b"tEXt", b"zTXt", b"iTXt"):
            out += chunk
        at += 12 + length
    out += content[at:]
    return bytes(out)
