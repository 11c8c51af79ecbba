"""Domain errors that carry their HTTP status; the API and the pages turn them into responses."""


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str):
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
