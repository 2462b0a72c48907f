"""The domain layer. Services take plain values and models, flush, never commit."""

MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id column


def as_id(raw: object) -> int | None:
    """An id posted or typed as text: plain ASCII digits only, else None. ``str.isdigit``
    also takes "²" and "١", which ``int`` then refuses with an error. No row has an id
    above 2^31 - 1 (PostgreSQL's integer: a larger one is a database error, not "not
    found"), and Python refuses to read numbers of over 4,300 digits (a 500)."""
    text = str(raw if raw is not None else "").strip()
    if len(text) > 10 or not (text.isascii() and text.isdecimal()):
        return None
    value = int(text)
    return value if value <= MAX_ROW_ID else None


class ServiceError(Exception):
    """A refusal the user should read: the message is already translated."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
