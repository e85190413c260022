"""The words for ``MemberRefused`` codes (services/members_service.py), for pages and the CLI.

Plain Python (no Reflex), so the command line shows the same sentences as the pages. The
words live in the catalogues as ``member.<code>`` (English and bokmål).
"""

from __future__ import annotations

from accountlink_ui.i18n import Message, render, translate
from accountlink_ui.services.errors import ServiceError

MEMBER_CODES: tuple[str, ...] = (
    "email_missing",
    "email_invalid",
    "role_invalid",
    "already_member",
    "account_elsewhere",
    "no_account",
    "organization_name_missing",
    "organization_name_long",
    "organization_slug_invalid",
    "organization_slug_taken",
    "organization_unknown",
    "invitation_unknown",
    "not_member",
    "last_admin_demote",
    "last_admin_remove",
    "reset_other_organization",
    "link_unknown",
    "link_used",
    "link_revoked",
    "link_expired",
    "name_missing",
    "name_long",
    "password_short",
    "password_long",
    "password_is_email",
    "password_mismatch",
    "account_exists",
)
"""Every code ``MemberRefused`` can carry; its words are ``member.<code>`` in the catalogues."""

MEMBER_MESSAGES: dict[str, str] = {code: translate("en", f"member.{code}") for code in MEMBER_CODES}
"""The English templates (what the sign-up link page checks a route's answer against)."""

FIELD_OF: dict[str, str] = {
    "email_missing": "email",
    "email_invalid": "email",
    "already_member": "email",
    "account_elsewhere": "email",
    "role_invalid": "role",
    "name_missing": "name",
    "name_long": "name",
    "password_short": "password",
    "password_long": "password",
    "password_is_email": "password",
    "password_mismatch": "confirm",
}
"""Which form field a refusal belongs next to; the rest are shown above the form."""

GENERIC = translate("en", "error.refused")


def member_message(refused: ServiceError, locale: str = "en") -> str:
    """The sentence for a refusal in ``locale``: a code's words, or the service's own message
    for other refusals; an unknown code (never from the service) gets the generic words."""
    code = getattr(refused, "code", None)
    if code is None:
        return render(refused.said, locale)
    if code not in MEMBER_CODES:
        return translate(locale, "error.refused")
    return render(Message.of(f"member.{code}", **getattr(refused, "params", {})), locale)


def code_message(code: str, locale: str = "en") -> str:
    """The sentence for a bare code a route answered with; unknown text gets GENERIC."""
    if code not in MEMBER_CODES or "{" in MEMBER_MESSAGES[code]:
        return translate(locale, "error.refused")
    return translate(locale, f"member.{code}")
