"""The seeded world served over real HTTP for the API tests: two organizations with
integrations that really work against the sandbox, three claims, and token helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from accountlink_ui.api import API_PREFIX
from accountlink_ui.services.api_token_service import ApiTokenService, token_hash
from accountlink_ui.services.rate_limits import RateLimiter
from accountlink_ui.views import Actor
from tests.support.secrets import KNOWN_SECRETS
from tests.support.world import Person, SeededWorld

BOTH_ADMIN = Person("both_admin", "per@both.test", "Per Begge")


@dataclass(repr=False)
class ApiWorld(SeededWorld):
    base: str = field(kw_only=True)
    """The server root: /readyz, and the API under /api/v1."""
    limiter: RateLimiter = field(kw_only=True)
    both_admin: Actor = field(kw_only=True)
    """Admin of both organizations: a token for one must still not reach the other."""
    bf_xledger: int = field(kw_only=True)
    hlf_dynamics: int = field(kw_only=True)
    issued: list[str] = field(default_factory=list, kw_only=True)

    @property
    def api(self) -> str:
        return f"{self.base}{API_PREFIX}"

    @property
    def tokens(self) -> ApiTokenService:
        return ApiTokenService(engine=self.services.engine)

    def token(self, actor: Actor | None = None, organization_id: int | None = None) -> str:
        issued = self.tokens.create_token(
            actor or self.bf_admin,
            organization_id or self.bf_org,
            f"test token {len(self.issued) + 1}",
        )
        self.issued.append(issued.token)
        return issued.token

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=30, trust_env=False)

    def secrets(self) -> tuple[str, ...]:
        """Everything no response may contain: credentials, API tokens and their hashes."""
        return (*KNOWN_SECRETS, *self.issued, *(token_hash(t) for t in self.issued))
