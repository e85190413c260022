"""The Posting step's chart cache serves a chart only to the connection that listed it."""

from __future__ import annotations

from typing import Any

from accountlink_ui.accounting.chart import Chart, ChartEntry
from accountlink_ui.integrations.contracts import ConnectionConfig
from accountlink_ui.services.posting_service import PostingService


class _Adapter:
    def __init__(self) -> None:
        self.read: list[str] = []

    def chart(self, config: ConnectionConfig) -> Chart:
        self.read.append(config.secrets["api_token"])
        return Chart(accounts=(ChartEntry("7790", f"Chart of {config.secrets['api_token']}"),))


class _Adapters:
    def __init__(self, adapter: _Adapter) -> None:
        self._adapter = adapter

    def get(self, type_key: str) -> Any:
        return self._adapter


def _config(token: str) -> ConnectionConfig:
    return ConnectionConfig(
        type_key="xledger",
        environment="demo",
        auth_flow="api_token",
        settings={},
        secrets={"api_token": token},
    )


def _service(adapter: _Adapter) -> PostingService:
    return PostingService(
        engine=None,  # type: ignore[arg-type]
        integrations=None,  # type: ignore[arg-type]
        adapters=_Adapters(adapter),  # type: ignore[arg-type]
        clock=lambda: 1000.0,
    )


def test_a_reused_integration_id_and_version_do_not_get_another_connections_chart() -> None:
    adapter = _Adapter()
    service = _service(adapter)
    first, _ = service._chart(1, 1, _config("token-of-org-a"))
    again, _ = service._chart(1, 1, _config("token-of-org-a"))
    other, _ = service._chart(1, 1, _config("token-of-org-b"))
    assert first.account_name("7790") == again.account_name("7790") == "Chart of token-of-org-a"
    assert other.account_name("7790") == "Chart of token-of-org-b"
    assert adapter.read == ["token-of-org-a", "token-of-org-b"]
