"""The one settings object, read from ``ACCOUNTLINK_*`` environment variables.

Defaults are the embedded set-up: a SQLite file and a key file under the data
directory, and the real public endpoints every integration type declares
(``integrations/types.py``). ``ACCOUNTLINK_ENDPOINTS`` overrides any of them;
``ACCOUNTLINK_SANDBOX_URL`` points them all at the sandbox (demos and tests).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from accountlink_ui.integrations.ssrf import allowlist_entry, default_port, host_port


class Settings(BaseSettings):
    """Everything an operator can configure; nothing here is per-organization."""

    model_config = SettingsConfigDict(
        env_prefix="ACCOUNTLINK_", extra="ignore", validate_assignment=False
    )

    env: Literal["demo", "development", "production"] = "development"
    """The one switch (``ACCOUNTLINK_ENV``). ``demo`` turns the demo and the mounted sandbox
    on unless they are set explicitly; ``production`` refuses to start with either, with
    a generated master key, or with SQLite under several workers (``production.py``)."""
    data_dir: Path = Path(".accountlink")
    database_url: str | None = None
    master_keys: str | None = Field(default=None, repr=False)
    master_key_file: Path | None = None

    endpoints: dict[str, str] = Field(default_factory=dict)
    """Operator overrides of the base URLs an integration type declares, as JSON keyed
    ``<type>.<environment>.<endpoint>``, e.g. ``ACCOUNTLINK_ENDPOINTS='{"xledger.production.graphql":
    "https://www.xledger.net/graphql"}'``. Keys are checked against the declarations at
    start-up (``registry.check_endpoint_overrides``); an empty value unsets an optional
    endpoint (Dataverse: the admin's typed URL is then used)."""

    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """``host:port`` entries an admin may type although they resolve to private or loopback
    addresses (and may use plain http for). A bare host is refused at startup."""

    sandbox_url: str | None = None
    """Where the sandbox answers (e.g. http://127.0.0.1:8000/sandbox). When set, every
    declared endpoint not overridden in ``endpoints`` points at ``<sandbox>/<its sandbox
    path>``, and the sandbox's host and port (only those: not the rest of loopback) are
    allowlisted."""
    mount_sandbox: bool = False
    """Serve the sandbox inside the app under /sandbox (the demo does)."""
    demo: bool = False
    log_format: Literal["text", "json"] = "text"
    """``json``: the app's log lines as one JSON object each, with the request id."""
    metrics_token: str | None = Field(default=None, repr=False)
    """When set, ``/metrics`` answers only a scrape sending ``Authorization: Bearer <token>``.
    Production should require it (see ``api/metrics.py``: ``required_scrape_token``)."""
    scheduler_enabled: bool = True
    """Run the sync scheduler in this process (one process holds the lease at a time)."""
    scheduler_reconcile_seconds: float = 15.0
    """How soon a new or re-timed integration gets its job."""
    api_organization_budget: int = Field(default=30, ge=1)
    """API connection tests (and, separately, syncs) one organization may start per minute
    over all its API tokens together; each token also has its own budget of 10."""
    session_hours: int = 12
    """A browser session ends this long after sign-in, however active it is."""
    session_idle_minutes: int = 30
    """A browser session with no event for this long is refused and ended."""
    session_cookie_secure: bool | None = None
    """Mark the session cookie Secure: None decides per request (HTTPS or not); set true
    behind a proxy that terminates TLS without telling the app."""
    connection_test_seconds: float = 10.0
    connection_test_workers: int = 16
    """Connection tests started from the app that may run at once (each waits on HTTP)."""
    connection_tests_per_organization: int = 2
    """Of those, at most this many for one organization; more are refused as busy at once."""
    connection_tests_per_minute: int = 10
    """Connection tests one organization may start from the app per minute (all workers)."""
    sync_workers: int = 8
    syncs_per_organization: int = 1
    syncs_per_minute: int = 5
    ui_round_trip_seconds: float = 0.8
    """Kept back from a test's deadline for the answer to reach the page: the result is on
    screen within ``connection_test_seconds`` of the click."""
    sync_lease_seconds: float = 60.0
    """How long a sync run's claim on its integration lasts unless renewed. A live run renews
    it every third of this; a run that crashed frees its integration within this long."""

    public_url: str = "http://localhost:8000"
    """The address people reach this app at: invitation and password reset links start
    with it (``<public_url>/invite/<token>``)."""
    invitation_hours: int = Field(default=72, ge=1, le=24 * 30)
    """How long an invitation link works."""
    password_reset_minutes: int = Field(default=60, ge=5, le=24 * 60)
    """How long a password reset link works."""
    # Outbox (services/outbox.py): webhooks and alert emails, delivered by one leased worker.
    outbox_enabled: bool = True
    """Run the outbox deliverer in this process (one process holds its lease at a time)."""
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    """How often the deliverer looks for due messages when no commit in its own process
    woke it (a commit that enqueues in the same process wakes it at once)."""
    outbox_lease_seconds: float = Field(default=30.0, gt=0)
    outbox_retry_seconds: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 24000.0]
    )
    """Waits before the 2nd, 3rd, ... attempt (comma-separated seconds in the environment).
    The default is the Standard Webhooks reference schedule (5 s, 5 min, 30 min, 2 h, 5 h,
    10 h) with a last wait making about 24 h in all; after the last attempt the message
    is given up."""
    outbox_request_seconds: float = Field(default=15.0, gt=0)
    """Deadline of one webhook POST, connect to last byte."""
    webhook_disable_after_failures: int = Field(default=15, ge=1)
    webhook_disable_after_hours: float = Field(default=24.0, ge=0)
    """An endpoint is disabled (and its organization's admins told) once every delivery to it
    has failed for this long and at least ``webhook_disable_after_failures`` times in a row."""
    smtp_url: str | None = Field(default=None, repr=False)
    """Where alert emails go: ``smtp://user:pass@host:25`` (plain), ``smtp+starttls://...:587``
    (STARTTLS) or ``smtps://...:465`` (TLS from the start); user and password are optional
    and URL-encoded. Unset: alert emails are skipped with a log line, and invitation and password reset
    links are shown to the admin who makes them instead of being emailed."""
    smtp_from: str = "AccountLink <accountlink@localhost>"
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)

    # Sign-in throttling (services/sign_in_throttle.py). Counted per typed email and per
    # client address, in the database so every backend worker shares the counts. The
    # client address is Reflex's: X-Forwarded-For counts only when the operator sets
    # Reflex's ``trusted_proxy_hops`` (REFLEX_TRUSTED_PROXY_HOPS).
    signin_free_failures: int = Field(default=5, ge=0)
    """Wrong passwords for one email that cost nothing; each one after waits longer."""
    signin_first_delay_seconds: float = Field(default=1.0, gt=0)
    """The wait after the first failure past the free ones; it doubles with each more."""
    signin_lockout_failures: int = Field(default=20, ge=1)
    """Failures for one email after which it is locked out for ``signin_lockout_minutes``."""
    signin_lockout_minutes: float = Field(default=15.0, gt=0)
    """Also how long failures are remembered: this long without attempts, once any wait
    or lockout is over, and the email or address starts afresh."""
    signin_address_free_failures: int = Field(default=10, ge=0)
    """The same per client address: higher than per email, as an office shares one address,
    but low enough that an attacker rotating emails gets delays soon (``bench/sign_in_flood.py``:
    every free failure costs one argon2 hash)."""
    signin_address_lockout_failures: int = Field(default=100, ge=1)
    signin_throttled_answer_seconds: float = Field(default=1.0, ge=0)
    """A throttled attempt, or a wrong password, is answered after this long, so one
    connection cannot ask again and again at full speed (it costs the server nothing to
    wait)."""
    signin_hash_workers: int = Field(default=1, ge=1)
    """Threads that check passwords, so a flood cannot take every thread. One check already
    keeps several cores busy (argon2 runs 4 lanes in threads of its own)."""

    @field_validator("outbox_retry_seconds", mode="before")
    @classmethod
    def _split_seconds(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = [entry for entry in value.split(",") if entry.strip()]
        if isinstance(value, list | tuple | set):
            return [allowlist_entry(str(entry)) for entry in value]
        return value

    @field_validator("endpoints", mode="after")
    @classmethod
    def _check_endpoints(cls, value: dict[str, str]) -> dict[str, str]:
        """Shape only: three dotted parts and an http(s) URL (or empty); whether each key
        names a declared endpoint is checked against the declarations at start-up."""
        for key, url in value.items():
            parts = key.split(".")
            if len(parts) != 3 or not all(parts):
                raise ValueError(
                    f"ACCOUNTLINK_ENDPOINTS key {key!r} is not <type>.<environment>.<endpoint> "
                    "(e.g. xledger.production.graphql)"
                )
            if url == "":
                continue
            split = urlsplit(url)
            if split.scheme not in ("http", "https") or not split.hostname:
                raise ValueError(
                    f"ACCOUNTLINK_ENDPOINTS[{key!r}] is not an http(s) URL with a host: {url!r}"
                )
        return value

    @model_validator(mode="after")
    def _demo_defaults(self) -> Settings:
        if self.env == "demo":
            for name in ("demo", "mount_sandbox"):
                if name not in self.model_fields_set:
                    setattr(self, name, True)
        return self

    @property
    def production(self) -> bool:
        return self.env == "production"

    @model_validator(mode="after")
    def _point_at_sandbox(self) -> Settings:
        if not self.sandbox_url:
            return self
        parts = urlsplit(self.sandbox_url.rstrip("/"))
        sandbox = host_port(
            (parts.hostname or "").lower(), parts.port or default_port(parts.scheme)
        )
        self.allowed_hosts = sorted(set(self.allowed_hosts) | {sandbox})
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accountlink.db').resolve()}"

    @property
    def resolved_master_key_file(self) -> Path:
        return self.master_key_file or self.data_dir / "master.keys"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
