"""The words for ``MemberRefused`` codes (services/members_service.py), for pages and the CLI.

Plain Python (no Reflex), so the command line shows the same sentences as the pages.
"""

from __future__ import annotations

from accountlink_ui.services.errors import ServiceError

MEMBER_MESSAGES: dict[str, str] = {
    "email_missing": "Enter an email address.",
    "email_invalid": "That is not an email address. Check it, e.g. name@organization.org.",
    "role_invalid": "Choose a role: admin or member.",
    "already_member": "{email} is already a member of this organization.",
    "account_elsewhere": (
        "{email} already has an AccountLink account. Adding an existing account to a "
        "second organization is not supported yet."
    ),
    "no_account": "No account has the email {email}.",
    "organization_name_missing": "Give the organization a name.",
    "organization_name_long": "Use at most {maximum} characters for the organization name.",
    "organization_slug_invalid": "The short name (slug) must contain letters or digits.",
    "organization_slug_taken": "An organization with the short name {slug!r} already exists.",
    "organization_unknown": "No organization has the short name or id {reference!r}.",
    "invitation_unknown": "That invitation does not exist.",
    "not_member": "That person is not a member of this organization.",
    "last_admin_demote": (
        "{email} is the last admin of this organization and cannot be made a member. "
        "Make someone else an admin first."
    ),
    "last_admin_remove": (
        "{email} is the last admin of this organization and cannot be removed. "
        "Make someone else an admin first."
    ),
    "reset_other_organization": (
        "{email} also belongs to an organization you do not administer, so only they can "
        "reset their password (Forgot password? on the sign-in page)."
    ),
    "link_unknown": (
        "This link is not valid. Check that you opened the whole link, or ask for a new one."
    ),
    "link_used": "This link has already been used. Each link works once: sign in, or ask for a new one.",
    "link_revoked": "This link was replaced by a newer one. Use the newest link you were sent.",
    "link_expired": "This link has expired. Ask an admin of your organization for a new one.",
    "name_missing": "Enter your name.",
    "name_long": "Use at most {maximum} characters for your name.",
    "password_short": "Use at least {minimum} characters for your password.",
    "password_long": "Use at most {maximum} characters for your password.",
    "password_is_email": "Choose a password that is not your email address.",
    "password_mismatch": "The two passwords differ. Type the same password in both fields.",
    "account_exists": "{email} already has an account. Sign in instead.",
}

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

GENERIC = "That did not go through. Try again in a moment."


def member_message(refused: ServiceError) -> str:
    """The sentence for a refusal: a code's words, or the service's own for older errors."""
    code = getattr(refused, "code", None)
    if code is None:
        return str(refused)
    template = MEMBER_MESSAGES.get(code)
    if template is None:
        return GENERIC
    try:
        return template.format(**getattr(refused, "params", {}))
    except (KeyError, IndexError, ValueError):
        return template


def code_message(code: str) -> str:
    """The sentence for a bare code a route answered with; unknown text gets GENERIC."""
    template = MEMBER_MESSAGES.get(code)
    if template is None or "{" in template:
        return GENERIC
    return template
