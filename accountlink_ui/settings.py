"""The one settings object, read from ``ACCOUNTLINK_*`` environment variables.

Defaults are the embedded set-up: a SQLite file and a key file under the data
directory, and the real public endpoints of every external system. Demos and
tests point the base URLs at the sandbox through the same variables an
operator would use.
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

    data_dir: Path = Path(".accountlink")
    database_url: str | None = None
    master_keys: str | None = Field(default=None, repr=False)
    master_key_file: Path | None = None

    xledger_sandbox_url: str = "https://demo.xledger.net/graphql"
    xledger_production_url: str = "https://www.xledger.net/graphql"
    entra_authority_url: str = "https://login.microsoftonline.com"
    business_central_url: str = "https://api.businesscentral.dynamics.com"
    dataverse_url: str | None = None
    """When set, Dataverse calls go here instead of the organization URL the admin typed."""

    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """``host:port`` entries an admin may type although they resolve to private or loopback
    addresses (and may use plain http for). A bare host is refused at startup."""

    sandbox_url: str | None = None
    """Where the sandbox answers (e.g. http://127.0.0.1:8000/sandbox). When set, every
    external base URL not given explicitly points at it, and its host and port (only
    those: not the rest of loopback) are allowlisted."""
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

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = [entry for entry in value.split(",") if entry.strip()]
        if isinstance(value, list | tuple | set):
            return [allowlist_entry(str(entry)) for entry in value]
        return value

    @model_validator(mode="after")
    def _point_at_sandbox(self) -> Settings:
        if not self.sandbox_url:
            return self
        base = self.sandbox_url.rstrip("/")
        defaults = {
            "xledger_sandbox_url": f"{base}/xledger/demo/graphql",
            "xledger_production_url": f"{base}/xledger/production/graphql",
            "entra_authority_url": f"{base}/entra",
            "business_central_url": f"{base}/businesscentral",
            "dataverse_url": f"{base}/dataverse",
        }
        for name, url in defaults.items():
            if name not in self.model_fields_set:
                setattr(self, name, url)
        parts = urlsplit(base)
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
