"""The inference client's error hierarchy: what callers may catch and show."""

from __future__ import annotations


class InferenceError(Exception):
    """Base class: the model server could not produce a reply."""


class InferenceUnavailable(InferenceError):
    """The server can't be reached, refused the connection, or answered with a server error."""


class InferenceTimeout(InferenceError):
    """Connect, first-token or whole-reply deadline passed."""

    def __init__(self, phase: str, seconds: float) -> None:
        super().__init__(f"model server timed out waiting for {phase} after {seconds:g}s")
        self.phase = phase
        self.seconds = seconds


class Overloaded(InferenceError):
    """Too many requests: the local concurrency limit, a 429, or an open circuit breaker."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StreamInterrupted(InferenceError):
    """The stream broke after the first token: the partial reply must not be taken as complete."""

    def __init__(self, message: str, partial: str) -> None:
        super().__init__(message)
        self.partial = partial


class BadRequest(InferenceError):
    """The server rejected the request itself (4xx other than 429): retrying won't help."""
