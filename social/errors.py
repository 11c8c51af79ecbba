"""Domain errors that carry their HTTP status; the API and the pages turn them into responses."""


class ServiceError(Exception):
    status = 400
    default_message: str | None = None  # a kind of error that names one may be raised without a message

    def __init__(self, message: str | None = None):
        if message is None:
            if self.default_message is None:
                raise TypeError(f"{type(self).__name__} needs a message")
            message = self.default_message
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Unprocessable(ServiceError):
    status = 422


class Unavailable(ServiceError):
    """A remote server could not be reached or answered nonsense."""
    status = 502
