"""Alert emails over SMTP (stdlib ``smtplib``), configured by ``ACCOUNTLINK_SMTP_URL``.

``smtp://[user:pass@]host[:25]`` plain, ``smtp+starttls://...[:587]`` upgraded with
STARTTLS, ``smtps://...[:465]`` TLS from the first byte. User and password are
URL-encoded in the URL. Only the outbox deliverer sends, so a slow mail server
never holds up the change that caused the email.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from accountlink_ui.settings import Settings

log = logging.getLogger(__name__)

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(Exception):
    """Sending failed; the message says why, without the password."""


class SmtpNotConfigured(MailError):
    pass


@dataclass(frozen=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ValueError(
                f"ACCOUNTLINK_SMTP_URL must start with one of {', '.join(s + '://' for s in SCHEMES)}"
            )
        if not parts.hostname:
            raise ValueError("ACCOUNTLINK_SMTP_URL has no host, like smtp://mail.example.com:25")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or SCHEMES[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class Mailer:
    def __init__(self, target: SmtpTarget | None, *, sender: str, timeout: float) -> None:
        self._target = target
        self._sender = sender
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        target = SmtpTarget.parse(settings.smtp_url) if settings.smtp_url else None
        return cls(target, sender=settings.smtp_from, timeout=settings.smtp_timeout_seconds)

    @property
    def configured(self) -> bool:
        return self._target is not None

    def send(self, to: str, subject: str, text: str, *, message_id: str) -> None:
        target = self._target
        if target is None:
            raise SmtpNotConfigured("ACCOUNTLINK_SMTP_URL is not set")
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        # One Message-ID per outbox message: a resend after a crash is recognisably a repeat.
        message["Message-ID"] = make_msgid(idstring=message_id, domain="accountlink")
        message.set_content(text)
        try:
            if target.scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    target.host,
                    target.port,
                    timeout=self._timeout,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(target.host, target.port, timeout=self._timeout)
            with client:
                if target.scheme == "smtp+starttls":
                    client.starttls(context=ssl.create_default_context())
                if target.username:
                    client.login(target.username, target.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"{target.host}:{target.port}: {type(exc).__name__}: {str(exc)[:200]}"
            ) from None


def send_now(settings: Settings, *, to: str, subject: str, body: str) -> bool:
    """Send one person their own invitation or password reset link, after its commit.

    These two do not go through the outbox (DESIGN rule 12) on purpose: their body holds
    a live one-time sign-in token, which the outbox table would keep readable until
    delivered. Nothing is lost when sending fails: the admin who invited sees the link,
    and a reset is asked for again. False (with a log line, never the body) when SMTP is
    unset or the server refused."""
    mailer = Mailer.from_settings(settings)
    if not mailer.configured:
        log.info("No email sent to %s (%s): ACCOUNTLINK_SMTP_URL is not set", to, subject)
        return False
    try:
        mailer.send(to, subject, body, message_id=secrets.token_hex(8))
    except MailError as exc:
        log.warning("Email to %s (%s) was not sent: %s", to, subject, exc)
        return False
    return True
