"""The domain layer. Services take plain values and models, flush, never commit."""


def as_id(raw: object) -> int | None:
    """An id posted or typed as text: plain ASCII digits only, else None. ``str.isdigit``
    also takes "²" and "١", which ``int`` then refuses with an error."""
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isascii() and text.isdecimal() else None


class ServiceError(Exception):
    """A refusal the user should read: the message is already translated."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
