"""What a service call can refuse with. Messages are written for the person acting."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: the call changed nothing."""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    """Also what another organization's integration looks like: existence is not leaked."""


class InvalidConfig(ServiceError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        fields = ", ".join(sorted(errors))
        super().__init__(f"Please correct: {fields}.")


class RetestRequired(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "Test the connection with these exact values before saving; "
            "something changed since the last successful test."
        )


class AlreadyConfigured(ServiceError):
    pass


class SignInFailed(ServiceError):
    pass


class SignInThrottled(SignInFailed):
    """Too many failures for this email or address; the password was not checked."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
