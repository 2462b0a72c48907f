"""The domain layer. Services take plain values and models, flush, never commit."""


def as_id(raw: object) -> int | None:
    """An id posted or typed as text: plain ASCII digits only, else None. ``str.isdigit``
    also takes "²" and "١", which ``int`` then refuses with an error. No row has an id of
    more than 18 digits, and Python refuses to read numbers of over 4,300 digits (a 500)."""
    text = str(raw if raw is not None else "").strip()
    if len(text) > 18 or not (text.isascii() and text.isdecimal()):
        return None
    return int(text)


class ServiceError(Exception):
    """A refusal the user should read: the message is already translated."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
