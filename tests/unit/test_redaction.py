"""The one scrubber: every form a secret can take in an echoed answer is blanked out."""

from __future__ import annotations

import base64
import logging
import re
from urllib.parse import quote, quote_plus

import pytest

from accountlink_ui.integrations.contracts import ConnectionConfig, PermanentError, TransientError
from accountlink_ui.integrations.entra import TokenCache
from accountlink_ui.integrations.http import scrub, scrub_config
from accountlink_ui.redaction import ScrubbingLogFilter, install_log_scrubbing, scrub_data

PASSWORD = "Pw-9xQ2mZ7vL4tR"
PAIR = f"robot:{PASSWORD}"


def b64(value: str, *, url_safe: bool = False, padded: bool = True) -> str:
    encode = base64.urlsafe_b64encode if url_safe else base64.b64encode
    text = encode(value.encode()).decode()
    return text if padded else text.rstrip("=")


@pytest.mark.parametrize(
    "form",
    [
        PASSWORD,
        b64(PASSWORD),
        b64(PASSWORD, padded=False),
        b64(PASSWORD, url_safe=True),
        b64(PASSWORD, url_safe=True, padded=False),
        quote(PASSWORD, safe=""),
        quote_plus(b64(PASSWORD)),
        b64(PAIR),
        b64(PAIR, url_safe=True, padded=False),
        quote(b64(PAIR), safe=""),
    ],
)
def test_a_secret_and_what_is_derived_from_it_are_blanked(form: str) -> None:
    text = f"the server said: you sent {form} which is wrong"
    assert form not in scrub(text, [PASSWORD])
    assert "the server said: you sent" in scrub(text, [PASSWORD])


def test_percent_encoding_with_lower_case_hex_is_blanked() -> None:
    secret = "s3cret/+=value"
    lower = re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe=""))
    assert lower == "s3cret%2f%2b%3dvalue"
    assert lower not in scrub(f"query was k={lower}x&y=1", [secret])


def test_basic_pair_is_blanked_inside_a_longer_base64_blob() -> None:
    blob = b64(f"prefix-data|{PAIR}|more")
    assert blob not in scrub(f"echo {blob}", [PASSWORD])


def test_config_scrubber_knows_the_user_name_half_of_the_pair() -> None:
    config = ConnectionConfig(
        "generic_rest",
        "sandbox",
        "basic",
        {"username": "robot", "base_url": "https://x"},
        {"password": PASSWORD},
    )
    pair = quote_plus(b64(PAIR, padded=False))
    assert pair not in scrub_config(f"got {pair}", config)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: ***"),
        ('{"authorization": "Bearer eyJhbGciOi.J9.abc"}', '{"authorization": "***"}'),
        ("proxy said Bearer 0a1b2c3d4e5f6a7b8c9d then hung up", "Bearer *** then hung up"),
        ("header was token ghp_16C7e42F292c6912E7710c838347Ae178B4a", "token ***"),
        ("GET /v1/x?api_key=k-123456&page=2 failed", "?api_key=***&page=2 failed"),
        ("form client_secret=abc%2Bdef&grant_type=x", "client_secret=***&grant_type=x"),
        ('{"access_token": "unknown-token-value", "n": 1}', '{"access_token": "***", "n": 1}'),
    ],
)
def test_credential_shaped_values_go_even_when_the_secret_is_unknown(text: str, kept: str) -> None:
    assert kept in scrub(text)


@pytest.mark.parametrize(
    "text",
    [
        "The token URL rejected the client ID or secret.",
        "Use a Bearer token or Basic authentication.",
        "Idempotency-Key=accountlink-1234567890 was reused",
        "expected HTTP 200, got 401 for GET /health",
    ],
)
def test_ordinary_wording_is_left_alone(text: str) -> None:
    assert scrub(text, [PASSWORD]) == text


def test_an_issued_access_token_is_scrubbed_without_the_configuration() -> None:
    token = "at-" + "Zq81" * 10
    TokenCache().put(("rest", "https://id/token", "client", "", "fp"), token, 3600)
    failure = PermanentError(f"The API said: token {token} is not valid for {quote(token)}")
    assert token not in failure.message
    assert token not in scrub(f"bare {token}")


def test_audit_details_are_scrubbed_all_the_way_down() -> None:
    details = {"message": f"echo {b64(PAIR)}", "nested": [{"why": "Authorization: Basic abc"}]}
    cleaned = scrub_data(details, [PASSWORD])
    assert b64(PAIR) not in str(cleaned) and "Basic abc" not in str(cleaned)


def test_log_records_are_scrubbed_whichever_logger_and_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_scrubbing()
    caplog.set_level(logging.INFO)
    token = "at-" + "Lk02" * 10
    TokenCache().put(("k",), token, 60)
    logging.getLogger("some.library").info("sent %s and Authorization: %s", token, "Basic Zm9v")
    try:
        raise ValueError(f"server echoed {token}")
    except ValueError:
        logging.getLogger("other").exception("failed")
    text = caplog.text
    assert token not in text and "Basic Zm9v" not in text
    assert "sent *** and Authorization: ***" in text


def test_push_errors_are_scrubbed_as_they_are_raised() -> None:
    permanent = PermanentError("refused: you sent Authorization: Basic cm9ib3Q6cHc=")
    transient = TransientError("slow down, api_key=k-99887766 is over its quota")
    assert "cm9ib3Q6cHc" not in str(permanent)
    assert "k-99887766" not in str(transient)


def test_audit_rows_written_before_scrubbing_are_cleaned_when_read() -> None:
    from accountlink_ui.models import AuditEvent, utcnow
    from accountlink_ui.services.audit_service import _view

    event = AuditEvent(
        id=1,
        organization_id=1,
        actor_id=None,
        action="integration.synced",
        details={"error": "refused: Authorization: Basic cm9ib3Q6UHctOXhRMm1a"},
        created_at=utcnow(),
    )
    view = _view(event, {}, {})
    assert "cm9ib3Q6UHctOXhRMm1a" not in str(view.details)


def test_the_handler_filter_scrubs_a_record_made_without_our_factory() -> None:
    record = logging.LogRecord(
        "lib", logging.INFO, __file__, 1, "GET %s", ("/x?client_secret=abc123",), None
    )
    assert ScrubbingLogFilter().filter(record) is True
    assert record.getMessage() == "GET /x?client_secret=***"
