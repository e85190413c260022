"""Which edits send a stored secret somewhere else: the registry's destination declarations."""

from __future__ import annotations

from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations.dynamics import DYNAMICS
from accountlink_ui.integrations.generic_rest import GENERIC_REST
from accountlink_ui.integrations.xledger import XLEDGER
from accountlink_ui.services import errors

REST = {
    "base_url": "https://api.example.com/v1",
    "header_name": "X-API-Key",
    "health_path": "/health",
}


def _rest_changes(**changes: str) -> tuple[str, ...]:
    return GENERIC_REST.destination_changes(
        ("sandbox", "api_key_header", REST), ("sandbox", "api_key_header", {**REST, **changes})
    )


def test_a_url_counts_by_scheme_host_and_port_not_by_path_or_case() -> None:
    assert _rest_changes(base_url="https://API.example.com:443/v2/") == ()
    assert _rest_changes(base_url="http://api.example.com/v1") == ("base_url",)
    assert _rest_changes(base_url="https://api.example.com:8443/v1") == ("base_url",)
    assert _rest_changes(base_url="https://api.example.com.evil.test/v1") == ("base_url",)


def test_a_header_name_counts_without_case_and_a_blank_one_is_its_default() -> None:
    assert _rest_changes(header_name="x-api-key") == ()
    assert _rest_changes(header_name="") == ()
    assert _rest_changes(header_name="X-Other") == ("header_name",)
    assert _rest_changes(health_path="/ping") == ()


def test_the_environment_counts_only_where_it_changes_the_host() -> None:
    assert XLEDGER.destination_changes(
        ("sandbox", "api_token", {}), ("production", "api_token", {})
    ) == ("environment",)
    values = {"product": "business_central", "tenant_id": "contoso.onmicrosoft.com"}
    assert (
        DYNAMICS.destination_changes(
            ("sandbox", "client_secret", values), ("production", "client_secret", values)
        )
        == ()
    )
    assert (
        DYNAMICS.destination_changes(
            ("sandbox", "client_secret", values),
            ("sandbox", "client_secret", {**values, "tenant_id": "Contoso.onmicrosoft.com"}),
        )
        == ()
    )


def test_switching_product_or_flow_to_other_destination_fields_is_a_change() -> None:
    bc = {"product": "business_central", "tenant_id": "contoso.onmicrosoft.com"}
    dataverse = {**bc, "product": "dataverse", "dataverse_url": "https://x.crm4.dynamics.com"}
    assert DYNAMICS.destination_changes(
        ("sandbox", "client_secret", bc), ("sandbox", "client_secret", dataverse)
    ) == ("dataverse_url",)
    assert GENERIC_REST.destination_changes(
        ("sandbox", "api_key_header", REST),
        ("sandbox", "api_key_query", {**REST, "query_param": "api_key"}),
    ) == ("auth_flow", "header_name", "query_param")


def retype_secret_message(secret_label: str, changed_labels: list[str]) -> str:
    return english(errors.retype_secret_message(secret_label, changed_labels))


def test_the_retype_message_names_the_secret_and_what_changed() -> None:
    assert retype_secret_message("API key", ["Base URL"]) == (
        "Type the API key again: the base URL changed, and a stored secret is never sent "
        "to a new address."
    )
    assert retype_secret_message(
        "Client secret", ["Sign-in method", "Header name", "Query parameter"]
    ) == (
        "Type the client secret again: the sign-in method, header name and query parameter "
        "changed, and a stored secret is never sent to a new address."
    )
