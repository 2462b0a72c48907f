"""The domain layer. Services take plain values and models, flush, never commit."""


class ServiceError(Exception):
    """A refusal the user should read: the message is already translated."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
