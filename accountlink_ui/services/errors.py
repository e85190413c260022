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


RETYPE_SECRET = (
    "Type the {secret} again: the {changed} changed, and a stored secret is never sent "
    "to a new address."
)
"""On a secret field left blank ('keep the stored one') after a destination field changed."""


def retype_secret_message(secret_label: str, changed_labels: list[str]) -> str:
    """RETYPE_SECRET filled in, e.g. 'Type the API key again: the base URL changed, ...'."""
    names = [_lower_first(label) for label in changed_labels] or ["address"]
    changed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return RETYPE_SECRET.format(secret=_lower_first(secret_label), changed=changed)


def _lower_first(label: str) -> str:
    """'Base URL' -> 'base URL', but 'API key' stays (an acronym keeps its capitals)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


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
