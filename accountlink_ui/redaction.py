"""The one scrubber: nothing derived from a secret leaves in an error, a log line or an audit entry.

Targets echo what they were sent. A server that repeats the ``Authorization``
header hands back ``Basic <base64 of user:password>``, an OAuth API repeats
the access token AccountLink obtained, a proxy quotes the URL with
``?api_key=...``. So the scrubber removes, wherever it appears:

* every known secret value and what is derived from it: standard and
  url-safe base64 (padded or not), percent-encoding, and base64 of
  ``identity:secret`` (Basic auth, client_secret_basic);
* any base64 run that decodes to text containing a known secret (a secret
  inside a longer encoded blob);
* whole ``Authorization``/``Proxy-Authorization`` values and credential-looking
  values after ``Basic``/``Bearer``/``token`` (even when the secret is unknown,
  e.g. a token issued in another process);
* values of secret-named query or form parameters (``api_key=...``) and JSON
  members (``"client_secret": "..."``);
* access tokens issued to adapters in this process (:func:`remember_issued`,
  called by the token cache), so a text scrubbed without the configuration
  at hand still loses them.

Applied where adapter text is worded (``contracts.IntegrationError``), where connection
test results and sync run errors are stored, where audit details are
written, and to every log record (:func:`install_log_scrubbing`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_CHARS = 4
"""Shorter values would blank out ordinary words; the validator refuses such secrets anyway."""

SECRET_PARAM_NAMES = (
    "api_key",
    "api-key",
    "apikey",
    "x-api-key",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "password",
    "passwd",
    "pwd",
    "secret",
    "sig",
    "signature",
    "auth",
)
"""Parameter and member names whose value is a secret in any text."""

_ISSUED_LIMIT = 4096
_ISSUED_GRACE_SECONDS = 24 * 3600.0
"""An expired token is harmless, but an echo of it is still noise to scrub: keep it a day."""

_VALUE = r"[A-Za-z0-9._~+/-]*[A-Za-z0-9_~+/-]={0,2}"
_SCHEMES = ("basic", "bearer", "token", "digest", "negotiate", "ntlm")
_SCHEME_VALUE = re.compile(r"(?i)\b(basic|bearer|token|digest|negotiate|ntlm)(\s+)(" + _VALUE + ")")
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization)([\"']?\s*[:=]\s*[\"']?)([^\r\n\"',;}\]]+)"
)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")


# --- issued tokens ----------------------------------------------------------------------------

_issued: OrderedDict[str, float] = OrderedDict()
_issued_lock = threading.Lock()
_issued_version = 0


def remember_issued(token: str, seconds: float) -> None:
    """Scrub ``token`` (an access token an adapter obtained) from every text for its lifetime."""
    global _issued_version
    if not token or len(token) < MIN_SECRET_CHARS:
        return
    until = time.monotonic() + max(0.0, seconds) + _ISSUED_GRACE_SECONDS
    with _issued_lock:
        _issued[token] = until
        _issued.move_to_end(token)
        while len(_issued) > _ISSUED_LIMIT:
            _issued.popitem(last=False)
        _issued_version += 1


_PURGE_SECONDS = 60.0
_next_purge = 0.0
_issued_snapshot: tuple[int, tuple[str, ...]] = (0, ())


def _issued_tokens() -> tuple[int, tuple[str, ...]]:
    """The live tokens and a version that changes with them (the compiled-scrubber cache key).

    Expired ones are dropped at most once a minute: a sync scrubs every refusal
    message, and a scan of thousands of tokens per message would dominate.
    """
    global _issued_version, _next_purge, _issued_snapshot
    now = time.monotonic()
    with _issued_lock:
        if now >= _next_purge:
            _next_purge = now + _PURGE_SECONDS
            expired = [token for token, until in _issued.items() if until <= now]
            for token in expired:
                del _issued[token]
            if expired:
                _issued_version += 1
        if _issued_snapshot[0] != _issued_version:
            _issued_snapshot = (_issued_version, tuple(_issued))
        return _issued_snapshot


# --- the scrubber -----------------------------------------------------------------------------


def scrub(
    text: str,
    secrets: Iterable[str] = (),
    *,
    identities: Iterable[str] = (),
    params: Iterable[str] = (),
) -> str:
    """``text`` without any secret, anything derived from one, or any credential-shaped value.

    ``identities`` are the non-secret halves of pairs (user name, client id)
    whose ``identity:secret`` base64 may be echoed; ``params`` are extra
    parameter names whose value is a secret (e.g. the API-key query parameter
    the admin chose).
    """
    if not text:
        return text
    version, issued = _issued_tokens()
    if issued:
        text = _issued_values(version, issued).sub(MASK, text)
    known = tuple(sorted({s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_CHARS}))
    who = tuple(sorted({i for i in identities if isinstance(i, str) and i}))
    names = tuple(sorted({p.lower() for p in params if isinstance(p, str) and p}))
    return _scrubber(known, who, names).apply(text)


def scrub_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` (an audit detail: dicts, lists, text) with every string scrubbed."""
    known = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, known)
    if isinstance(value, Mapping):
        return {key: scrub_data(item, known) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(item, known) for item in value]
    return value


class _Scrubber:
    """Compiled for one set of secrets; cached, since a sync scrubs many refusals alike."""

    def __init__(
        self, secrets: tuple[str, ...], identities: tuple[str, ...], params: tuple[str, ...]
    ):
        self._secrets = secrets
        forms: set[str] = set()
        for secret in secrets:
            forms.update(_derived_forms(secret))
            for identity in identities:
                forms.update(_encoded_forms(f"{identity}:{secret}", with_plain=False))
        forms = {form for form in forms if len(form) >= MIN_SECRET_CHARS}
        self._values = (
            re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
            if forms
            else None
        )
        names = sorted({*SECRET_PARAM_NAMES, *params}, key=len, reverse=True)
        alternatives = "|".join(re.escape(name) for name in names)
        self._query = re.compile(r"(?i)(?<![A-Za-z0-9_-])(" + alternatives + r")=([^&\s\"'<>#,;]+)")
        self._member = re.compile(
            r"(?i)([\"'](?:" + alternatives + r")[\"']\s*:\s*[\"'])([^\"']*)([\"'])"
        )

    def apply(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(MASK, text)
        if self._secrets:
            text = _BASE64_RUN.sub(self._blank_encoded, text)
        # Cheap substring checks first: most texts (refusal reasons) hold none of these.
        lowered = text.lower()
        if "authorization" in lowered:
            text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        if any(scheme in lowered for scheme in _SCHEMES):
            text = _SCHEME_VALUE.sub(_blank_scheme_value, text)
        if "=" in text:
            text = self._query.sub(lambda m: f"{m.group(1)}={MASK}", text)
        if ":" in text and ('"' in text or "'" in text):
            text = self._member.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
        return text

    def _blank_encoded(self, match: re.Match[str]) -> str:
        run = match.group(0)
        decoded = _decode_base64(run)
        if decoded and any(secret in decoded for secret in self._secrets):
            return MASK
        return run


@lru_cache(maxsize=64)
def _scrubber(
    secrets: tuple[str, ...], identities: tuple[str, ...], params: tuple[str, ...]
) -> _Scrubber:
    return _Scrubber(secrets, identities, params)


@lru_cache(maxsize=2)
def _issued_values(version: int, tokens: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for every live issued token and its encodings; rebuilt when they change.

    ``tokens`` is the same tuple object for one ``version``, so the cache key is cheap.
    """
    forms = {form for token in tokens for form in _derived_forms(token)}
    forms = {form for form in forms if len(form) >= MIN_SECRET_CHARS}
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


def _derived_forms(secret: str) -> set[str]:
    return _encoded_forms(secret, with_plain=True)


def _encoded_forms(value: str, *, with_plain: bool) -> set[str]:
    raw = value.encode("utf-8")
    standard = base64.b64encode(raw).decode("ascii")
    url_safe = base64.urlsafe_b64encode(raw).decode("ascii")
    encodings = {standard, standard.rstrip("="), url_safe, url_safe.rstrip("=")}
    if with_plain:
        encodings.add(value)
    forms = set(encodings)
    for form in encodings:
        for percent in (quote(form, safe=""), quote_plus(form, safe="")):
            forms.add(percent)
            forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), percent))
    return forms


def _decode_base64(run: str) -> str:
    body = run.rstrip("=")
    padded = body + "=" * (-len(body) % 4)
    alphabet = "-_" if ("-" in body or "_" in body) else "+/"
    try:
        raw = base64.b64decode(padded, altchars=alphabet.encode(), validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", errors="ignore")


def _blank_scheme_value(match: re.Match[str]) -> str:
    scheme, space, value = match.group(1), match.group(2), match.group(3)
    if _looks_like_credential(scheme, value):
        return f"{scheme}{space}{MASK}"
    return match.group(0)


def _looks_like_credential(scheme: str, value: str) -> bool:
    """Random-looking, not a word: "Bearer token" and "token endpoint" stay readable."""
    if scheme.lower() == "basic" and ":" in _decode_base64(value):
        return True
    if len(value) < 8:
        return False
    return len(value) >= 24 or any(ch.isdigit() or ch in "._~+/=-" for ch in value)


# --- log records ------------------------------------------------------------------------------


class ScrubbingLogFilter(logging.Filter):
    """Scrubs a record's message (and formatted traceback) in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def scrub_record(record: logging.LogRecord) -> None:
    if getattr(record, "_accountlink_scrubbed", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: let the handler report it as usual
        return
    record.msg, record.args = scrub(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    record._accountlink_scrubbed = True


_installed = False
_install_lock = threading.Lock()


def install_log_scrubbing() -> None:
    """Scrub every log record this process creates, whichever logger or handler it goes to.

    A record factory first: it covers loggers and handlers configured later
    (uvicorn, Reflex) and records that propagate. The root handlers present now
    also get :class:`ScrubbingLogFilter`, for records made by a factory some
    library installs after this one. Idempotent.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        for handler in logging.getLogger().handlers:
            handler.addFilter(ScrubbingLogFilter())
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
