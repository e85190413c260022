"""Sending one plain-text email through the operator's SMTP server (``ACCOUNTLINK_SMTP_URL``).

Deliberately small: invitation and password reset links only. Unset, nothing is sent
and a log line says so (the inviting admin is shown the link instead). The alert emails
of issue 12 bring their own mailer; the two should become one (with the outbox of
DESIGN rule 12) when the branches meet.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from accountlink_ui.settings import Settings

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10.0


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_url)


def send_mail(settings: Settings, *, to: str, subject: str, body: str) -> bool:
    """Send one email; False (with a log line, never the body) when unset or it failed."""
    if not settings.smtp_url:
        log.info("No email sent to %s (%s): ACCOUNTLINK_SMTP_URL is not set", to, subject)
        return False
    url = urlsplit(settings.smtp_url)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    context = ssl.create_default_context()
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                url.hostname or "localhost",
                url.port or 465,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=context,
            )
        else:
            client = smtplib.SMTP(
                url.hostname or "localhost", url.port or 587, timeout=SMTP_TIMEOUT_SECONDS
            )
        with client:
            if url.scheme == "smtp":
                # UNVERIFIED which relays allow plain SMTP: ``smtp+plain://`` skips STARTTLS
                # (a local relay on port 25), ``smtp://`` insists on it.
                client.starttls(context=context)
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("Email to %s (%s) was not sent: %s", to, subject, type(exc).__name__)
        return False
    return True
