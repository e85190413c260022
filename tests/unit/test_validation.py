"""The Integration Config Validator returns field errors and never raises."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations import validation
from accountlink_ui.integrations.registry import get_type, integration_types
from accountlink_ui.sandbox.demo_credentials import DEMO_CERT_PEM, DEMO_KEY_PEM

INTEGRATION_TYPES = integration_types()


def validate_config(*args: object, **kwargs: object) -> dict[str, str]:
    """The validator's codes rendered in English, as the tests read them."""
    errors = validation.validate_config(*args, **kwargs)  # type: ignore[arg-type]
    assert all(isinstance(said, Message) for said in errors.values())
    return {key: english(said) for key, said in errors.items()}


def validate_field(*args: object, **kwargs: object) -> str | None:
    said = validation.validate_field(*args, **kwargs)  # type: ignore[arg-type]
    assert said is None or isinstance(said, Message)
    return english(said) if said else None


GUID = "5f0b2a61-8c3e-4d7a-9b1e-2c4d6e8f0a13"


def dynamics(**values: str) -> dict[str, str]:
    return validate_config(
        "dynamics",
        "production",
        values.pop("flow", "client_secret"),
        {
            "product": "business_central",
            "tenant_id": GUID,
            "client_id": GUID,
            "bc_environment": "production",
            "client_secret": "s3cret-value",
            **values,
        },
    )


def test_valid_dynamics_has_no_errors() -> None:
    assert dynamics() == {}


def test_tenant_accepts_guid_or_domain_only() -> None:
    assert dynamics(tenant_id="hlf.onmicrosoft.com") == {}
    assert "tenant_id" in dynamics(tenant_id="hlf")
    assert "tenant_id" in dynamics(tenant_id="5f0b2a61-8c3e")


def test_required_fields_are_named() -> None:
    errors = dynamics(client_id="", client_secret="  ")
    assert errors == {
        "client_id": "Application (client) ID is required.",
        "client_secret": "Client secret is required.",
    }


def test_fields_of_the_other_product_do_not_apply() -> None:
    assert "dataverse_url" not in dynamics()
    errors = dynamics(product="dataverse", dataverse_url="http://hlf.crm4.dynamics.com")
    assert "dataverse_url" in errors
    assert dynamics(product="dataverse", dataverse_url="https://hlf.crm4.dynamics.com") == {}


def test_dataverse_url_takes_both_microsoft_host_forms() -> None:
    for url in (
        "https://hlf.crm4.dynamics.com",
        "https://hlf.crm.dynamics.com/",
        "https://hlf.api.crm4.dynamics.com",
        "https://HLF.API.CRM11.dynamics.com",
    ):
        assert dynamics(product="dataverse", dataverse_url=url) == {}, url


def test_dataverse_url_refuses_other_hosts_naming_both_forms() -> None:
    for url in (
        "https://hlf.operations.dynamics.com",
        "https://hlf.api.businesscentral.dynamics.com",
        "https://hlf.crm4.dynamics.com.evil.example",
        "https://evil.example/hlf.api.crm4.dynamics.com",
        "https://hlf.api.crm4.dynamics.com/api/data/v9.2",
    ):
        message = dynamics(product="dataverse", dataverse_url=url)["dataverse_url"]
        assert "https://contoso.api.crm4.dynamics.com" in message, url


def test_urls_must_be_https_unless_allowlisted() -> None:
    values = {
        "base_url": "http://ledger.internal/api",
        "health_path": "/health",
        "expected_status": "200",
        "records_path": "/expenses",
        "bearer_token": "tok-12345",
    }
    errors = validate_config("generic_rest", "production", "bearer", values)
    assert "https://" in errors["base_url"]
    assert (
        validate_config(
            "generic_rest", "production", "bearer", values, allowed_hosts=["ledger.internal:80"]
        )
        == {}
    )
    for bad in ("ftp://x.example", "https://user:pw@x.example", "not a url", "https://"):
        assert "base_url" in validate_config(
            "generic_rest", "production", "bearer", {**values, "base_url": bad}
        )


def test_header_names_are_checked() -> None:
    base = {
        "base_url": "https://api.example.com",
        "health_path": "/health",
        "expected_status": "200",
        "records_path": "/expenses",
        "api_key": "k3y-value",
    }
    assert (
        validate_config(
            "generic_rest", "sandbox", "api_key_header", {**base, "header_name": "X-API-Key"}
        )
        == {}
    )
    errors = validate_config(
        "generic_rest", "sandbox", "api_key_header", {**base, "header_name": "X API: Key"}
    )
    assert "header_name" in errors


def test_certificate_and_key_must_parse_and_match() -> None:
    assert (
        dynamics(flow="certificate", certificate_pem=DEMO_CERT_PEM, private_key_pem=DEMO_KEY_PEM)
        == {}
    )
    other_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    errors = dynamics(flow="certificate", certificate_pem=DEMO_CERT_PEM, private_key_pem=other_key)
    assert errors == {
        "private_key_pem": "This private key does not belong to the certificate above."
    }
    errors = dynamics(
        flow="certificate",
        certificate_pem="-----BEGIN CERTIFICATE-----\nxx",
        private_key_pem="junk",
    )
    assert set(errors) == {"certificate_pem", "private_key_pem"}


def test_lengths_and_control_characters() -> None:
    assert "at most" in dynamics(client_secret="x" * 201)["client_secret"]
    assert "control characters" in dynamics(client_secret="abc\x00defghij")["client_secret"]


def test_unknown_type_environment_and_flow() -> None:
    assert "type_key" in validate_config("sap", "sandbox", "x", {})
    errors = validate_config("xledger", "staging", "password", {})
    assert set(errors) == {"environment", "auth_flow"}


def test_blank_stored_secret_is_allowed_on_edit() -> None:
    spec = next(f for f in get_type("xledger").fields_for("api_token") if f.key == "api_token")
    assert validate_field(spec, "", blank_means_keep=True) is None
    assert validate_field(spec, "") == "API token is required."


anything = st.one_of(st.none(), st.text(), st.integers(), st.lists(st.text()), st.binary())
type_keys = st.sampled_from([t.key for t in INTEGRATION_TYPES] + ["", "nope"])
flow_keys = st.sampled_from(
    [*sorted({flow.key for t in INTEGRATION_TYPES for flow in t.auth_flows}), "", "nope"]
)
field_keys = st.sampled_from(
    sorted(
        {
            spec.key
            for t in INTEGRATION_TYPES
            for flow in t.auth_flows
            for spec in t.fields_for(flow.key)
        }
    )
)


@settings(max_examples=400, deadline=None)
@given(
    type_key=st.one_of(type_keys, anything),
    environment=st.one_of(st.sampled_from(["sandbox", "production"]), anything),
    auth_flow=st.one_of(flow_keys, anything),
    values=st.dictionaries(st.one_of(field_keys, st.text()), anything, max_size=12),
    display_name=anything,
)
def test_no_input_raises(type_key, environment, auth_flow, values, display_name) -> None:  # type: ignore[no-untyped-def]
    errors = validate_config(type_key, environment, auth_flow, values, display_name=display_name)
    assert isinstance(errors, dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())


@settings(max_examples=300, deadline=None)
@given(value=anything)
def test_no_single_field_value_raises(value: object) -> None:
    for integration_type in INTEGRATION_TYPES:
        for flow in integration_type.auth_flows:
            for spec in integration_type.fields_for(flow.key):
                result = validate_field(spec, value)
                assert result is None or isinstance(result, str)
