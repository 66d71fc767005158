"""The API's error answer as an exception, so operations stay free of HTTP."""

from __future__ import annotations


class ApiError(Exception):
    """An answer `{"error": message, "code": code}` with `status`."""

    def __init__(self, message: str, code: str = "GENERIC_BAD_REQUEST", status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


# The name the build endpoints used before agents and secrets arrived.
BadRequest = ApiError


def bad_request(message: str) -> ApiError:
    """A 400 in the shape the agents and secrets endpoints use (openapi.json)."""
    return ApiError(message, "GENERIC_BAD_REQUEST", 400)


def not_found(message: str = "Not found") -> ApiError:
    return ApiError(message, "NOT_FOUND", 404)


def conflict(message: str) -> ApiError:
    return ApiError(message, "CONFLICT", 409)
