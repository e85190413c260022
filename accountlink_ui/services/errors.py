"""What a service call can refuse with: a message code for the person acting (DESIGN rule 11).

Every refusal carries a :class:`Message` (``.said``); the page, the API and the CLI render it
in the reader's language. ``str(error)`` is its English rendering, for logs and for callers
that store text.
"""

from __future__ import annotations

from collections.abc import Mapping

from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import as_message, english


class ServiceError(Exception):
    """Base class: the call changed nothing. Give it a Message; a plain string (tests, old
    callers) is carried verbatim and shown untranslated."""

    default: Message | None = None

    def __init__(self, message: Message | str | None = None) -> None:
        said = as_message(message) if message is not None else self.default
        self.said: Message = said or Message.of("error.refused")
        super().__init__(english(self.said))


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    """Also what another organization's integration looks like: existence is not leaked."""


class InvalidConfig(ServiceError):
    """Field key → what is wrong with it; ``errors`` keeps the English text for old readers,
    ``field_messages`` the codes."""

    def __init__(self, errors: Mapping[str, Message | str]) -> None:
        self.field_messages: dict[str, Message] = {
            key: as_message(value) for key, value in errors.items()
        }
        self.errors: dict[str, str] = {
            key: english(value) for key, value in self.field_messages.items()
        }
        super().__init__(Message.of("error.invalid_fields", fields=", ".join(sorted(errors))))


def retype_secret_message(secret_label: str, changed_labels: list[str]) -> Message:
    """On a secret field left blank ('keep the stored one') after a destination field
    changed, e.g. 'Type the API key again: the base URL changed, ...'."""
    names = [_lower_first(label) for label in changed_labels]
    if not names:
        return Message.of("error.retype_secret_address", secret=_lower_first(secret_label))
    if len(names) == 1:
        return Message.of(
            "error.retype_secret", secret=_lower_first(secret_label), changed=names[0]
        )
    return Message.of(
        "error.retype_secret_many",
        secret=_lower_first(secret_label),
        changed=", ".join(names[:-1]),
        last=names[-1],
    )


def _lower_first(label: str) -> str:
    """'Base URL' -> 'base URL', but 'API key' stays (an acronym keeps its capitals)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


class RetestRequired(ServiceError):
    default = Message.of("error.retest_required")


class AlreadyConfigured(ServiceError):
    pass


class SignInFailed(ServiceError):
    pass


class SignInThrottled(SignInFailed):
    """Too many failures for this email or address; the password was not checked."""

    def __init__(self, message: Message | str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
