"""A scripted adapter for service tests (the real ones are proven against the sandbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from accountlink_ui.accounting.chart import Chart
from accountlink_ui.accounting.vouchers import Voucher
from accountlink_ui.integrations.contracts import (
    ConnectionConfig,
    ConnectionResult,
    PostedLine,
    PushResult,
)
from accountlink_ui.integrations.deadline import Deadline


@dataclass
class ScriptedAdapter:
    """Succeeds when the secret equals ``good_secret``; remembers every config it saw."""

    type_key: str
    secret_field: str
    good_secret: str
    seen: list[ConnectionConfig] = field(default_factory=list)

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        self.seen.append(config)
        if config.secrets.get(self.secret_field) == self.good_secret:
            return ConnectionResult(
                ok=True, message="Connected.", reached="Test Company", latency_ms=5
            )
        return ConnectionResult(
            ok=False, message="The token was rejected.", fields=(self.secret_field,), latency_ms=5
        )

    def push(self, config: ConnectionConfig, vouchers: Sequence[Voucher]) -> PushResult:
        return PushResult(accepted={v.key: f"ext-{v.key}" for v in vouchers})

    def payload_lines(self, config: ConnectionConfig, voucher: Voucher) -> list[PostedLine]:
        return [PostedLine(voucher.number, line.account, line.amount) for line in voucher.lines]

    def chart(self, config: ConnectionConfig) -> Chart:
        return Chart()
