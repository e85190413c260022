"""What alert emails say: message codes and parameters from the services, worded here
(DESIGN rule 11). Plain English for now; a Norwegian catalogue comes later."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TEMPLATES: dict[str, tuple[str, str]] = {
    "integration.error": (
        "AccountLink: {integration} has stopped working",
        "{integration} in {organization} has stopped working, and expense claims are not "
        "reaching the accounting system.\n\nWhy: {reason}\n\nOpen AccountLink → Integrations to "
        "fix it. You will get one more email when it works again; not one per failed run.\n",
    ),
    "credentials.rejected": (
        "AccountLink: {integration} refused its credentials",
        "{integration} in {organization} refused the stored credentials, so no claims can be "
        "sent.\n\nWhy: {reason}\n\nOpen AccountLink → Integrations → Credentials, enter valid "
        "ones and test the connection. You will get one more email when it works again.\n",
    ),
    "integration.recovered": (
        "AccountLink: {integration} is working again",
        "{integration} in {organization} is working again: a sync reached the accounting "
        "system. Claims that waited meanwhile are being sent.\n",
    ),
    "webhook.disabled": (
        "AccountLink: a webhook endpoint was disabled",
        "Every delivery to the webhook endpoint {url} has failed since {since} "
        "({failures} attempts in a row), so AccountLink stopped sending to it.\n\n"
        "Fix the receiver, then add the endpoint again under Settings → Webhooks.\n",
    ),
}


def render(template: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of an alert email; an unknown code still gives a readable email."""
    subject, body = _TEMPLATES.get(
        template, ("AccountLink notice: {template}", "AccountLink notice {template}: {params}\n")
    )
    values = {"integration": "An integration", "organization": "your organization", **params}
    values.setdefault("template", template)
    values.setdefault("params", dict(params))
    try:
        return subject.format(**values), body.format(**values)
    except (KeyError, IndexError):
        return f"AccountLink notice: {template}", f"{template}: {dict(params)}\n"
