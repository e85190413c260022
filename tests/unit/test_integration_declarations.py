"""Every registered integration type is declared completely, so a half-added system fails
here rather than in a customer's wizard or sync."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accountlink_ui.integrations.registry import (
    check_endpoint_overrides,
    default_registry,
    get_type,
    integration_types,
)
from accountlink_ui.integrations.types import FieldKind, IntegrationType, UnknownTypeError
from accountlink_ui.settings import Settings

TYPES = integration_types()
SANDBOX = "http://127.0.0.1:9/sandbox"


def test_the_known_systems_are_registered_once_each() -> None:
    keys = [t.key for t in TYPES]
    assert len(keys) == len(set(keys))
    assert {"xledger", "dynamics", "tripletex", "generic_rest"} <= set(keys)


@pytest.mark.parametrize("integration_type", TYPES, ids=lambda t: t.key)
def test_declaration_is_complete(integration_type: IntegrationType) -> None:
    t = integration_type
    assert t.label and t.summary and t.probe, "label, summary and probe are shown in the wizard"
    assert t.environments, "at least one environment"
    assert t.auth_flows and all(flow.fields for flow in t.auth_flows), "auth flows with fields"
    assert t.batch_size > 0
    assert get_type(t.key) is t

    endpoint_keys = {env.key: {e.key for e in env.endpoints} for env in t.environments}
    assert len(set(map(frozenset, endpoint_keys.values()))) == 1, (
        f"every environment of {t.key} declares the same endpoints: {endpoint_keys}"
    )
    for env in t.environments:
        for endpoint in env.endpoints:
            assert endpoint.sandbox_path.startswith("/"), f"{t.key}.{env.key}.{endpoint.key}"
            assert endpoint.url == "" or endpoint.url.startswith("https://")
        required = {e.key for e in env.endpoints if not e.optional}
        # With a sandbox every endpoint answers there; without one, every required one
        # has its public URL.
        assert set(t.endpoints(env.key, Settings(sandbox_url=SANDBOX))) == endpoint_keys[env.key]
        assert required <= set(t.endpoints(env.key, Settings()))
        for url in t.endpoints(env.key, Settings(sandbox_url=SANDBOX)).values():
            assert url.startswith(f"{SANDBOX}/")
    if not any(env.endpoints for env in t.environments):
        # No trusted endpoint: the admin types the URL, which the SSRF guard then checks.
        assert any(
            spec.kind is FieldKind.URL and spec.destination is not None for spec in t.common_fields
        ), f"{t.key} declares no endpoints and no URL field"

    adapter = t.adapter(Settings(sandbox_url=SANDBOX))
    assert adapter.type_key == t.key
    for method in ("test_connection", "push", "payload_lines", "chart"):
        assert callable(getattr(adapter, method)), f"{t.key} adapter lacks {method}"


def test_the_default_registry_holds_an_adapter_per_declaration() -> None:
    registry = default_registry(Settings(sandbox_url=SANDBOX))
    assert all(t.key in registry for t in TYPES)


def test_an_endpoint_override_replaces_only_its_endpoint() -> None:
    settings = Settings(
        sandbox_url=SANDBOX,
        endpoints={"xledger.production.graphql": "https://xl.example.org/graphql"},
    )
    xledger = get_type("xledger")
    assert xledger.endpoints("production", settings) == {
        "graphql": "https://xl.example.org/graphql"
    }
    assert xledger.endpoints("sandbox", settings) == {"graphql": f"{SANDBOX}/xledger/demo/graphql"}


def test_an_unknown_override_key_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"xledger\.prod\.graphql") as caught:
        check_endpoint_overrides(
            Settings(endpoints={"xledger.prod.graphql": "https://xl.example.org"})
        )
    assert "xledger.production.graphql" in str(caught.value)  # the known keys are listed


@pytest.mark.parametrize(
    ("key", "url", "named"),
    [
        ("xledger.graphql", "https://x.example.org", "xledger.graphql"),
        ("xledger.production.graphql", "ftp://x.example.org", "ftp://x.example.org"),
        ("xledger.production.graphql", "not a url", "not a url"),
    ],
)
def test_a_malformed_override_is_refused_naming_it(key: str, url: str, named: str) -> None:
    with pytest.raises(ValidationError, match=named.replace(".", r"\.")):
        Settings(endpoints={key: url})


def test_a_required_endpoint_cannot_be_unset() -> None:
    with pytest.raises(ValueError, match="cannot be empty"):
        check_endpoint_overrides(Settings(endpoints={"xledger.sandbox.graphql": ""}))


def test_the_overrides_come_from_one_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ACCOUNTLINK_ENDPOINTS", '{"dynamics.production.authority": "https://login.example.org/"}'
    )
    settings = Settings()
    assert get_type("dynamics").endpoints("production", settings)["authority"] == (
        "https://login.example.org"
    )


def test_an_unknown_type_is_named() -> None:
    with pytest.raises(UnknownTypeError, match="nope"):
        get_type("nope")


def test_a_replaced_per_system_variable_is_refused_naming_its_key() -> None:
    environ = {"ACCOUNTLINK_XLEDGER_PRODUCTION_URL": "https://xl.example.org/graphql"}
    with pytest.raises(ValueError, match="ACCOUNTLINK_XLEDGER_PRODUCTION_URL") as caught:
        check_endpoint_overrides(Settings(), environ)
    assert "xledger.production.graphql" in str(caught.value)
