"""DynamicsAdapter against the Entra, Business Central and Dataverse sandboxes."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import Voucher
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations.contracts import ConnectionResult, PermanentError, TransientError
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.dynamics import (
    DynamicsAdapter,
    dataverse_resource,
    document_number,
)
from accountlink_ui.integrations.entra import ClientCertificate, client_assertion
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.ledger import ledger
from accountlink_ui.settings import Settings
from tests.support.sandbox import Sandbox
from tests.support.secrets import WRONG_SECRETS, assert_no_secret
from tests.support.vouchers import POSTING, config, vouchers

WRONG_SECRET = WRONG_SECRETS[1]


def bc_settings(**overrides: str) -> dict[str, str]:
    return {
        "product": "business_central",
        "tenant_id": demo.ENTRA_TENANT_ID,
        "client_id": demo.ENTRA_CLIENT_ID,
        "bc_environment": demo.BC_ENVIRONMENT,
        "bc_company": "",
        **overrides,
    }


def dataverse_settings(**overrides: str) -> dict[str, str]:
    return {
        "product": "dataverse",
        "tenant_id": demo.ENTRA_TENANT_ID,
        "client_id": demo.ENTRA_CLIENT_ID,
        "dataverse_url": demo.DATAVERSE_ORG_URL,
        **overrides,
    }


def secret_config(
    settings: dict[str, str] | None = None,
    secret: str = demo.ENTRA_CLIENT_SECRET,
    posting: PostingSettings = POSTING,
):
    return config(
        "dynamics",
        "client_secret",
        settings or bc_settings(),
        {"client_secret": secret},
        posting=posting,
    )


def cert_config(certificate_pem: str = demo.DEMO_CERT_PEM, key_pem: str = demo.DEMO_KEY_PEM):
    settings = {**bc_settings(), "certificate_pem": certificate_pem}
    return config("dynamics", "certificate", settings, {"private_key_pem": key_pem})


def run_test(sandbox: Sandbox, cfg, adapter: DynamicsAdapter | None = None) -> ConnectionResult:
    adapter = adapter or DynamicsAdapter(sandbox.settings())
    result = adapter.test_connection(cfg, Deadline(10))
    assert_no_secret(result.message)
    return result


def new_certificate() -> tuple[str, str]:
    """A self-signed certificate and key that the sandbox's app does not know."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not-registered")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert_pem, key_pem


def records(*keys: str) -> list[Voucher]:
    return vouchers(*keys, amount="99.90")


# --- Business Central connection test ------------------------------------------------------


def test_client_secret_reaches_the_business_central_company(sandbox: Sandbox) -> None:
    result = run_test(sandbox, secret_config())
    assert result.ok, result.message
    assert result.reached == demo.BC_COMPANY_NAME
    assert len(sandbox.requests("entra")) == 1
    assert len(sandbox.requests("business_central")) == 1


def test_second_test_reuses_the_cached_token(sandbox: Sandbox) -> None:
    adapter = DynamicsAdapter(sandbox.settings())
    assert run_test(sandbox, secret_config(), adapter).ok
    assert run_test(sandbox, secret_config(), adapter).ok
    assert len(sandbox.requests("entra")) == 1
    assert len(sandbox.requests("business_central")) == 2


def test_cached_token_is_not_used_for_a_different_secret(sandbox: Sandbox) -> None:
    adapter = DynamicsAdapter(sandbox.settings())
    assert run_test(sandbox, secret_config(), adapter).ok
    result = run_test(sandbox, secret_config(secret=WRONG_SECRET), adapter)
    assert not result.ok
    assert result.fields == ("client_secret",)
    assert len(sandbox.requests("entra")) == 2


def test_token_rejected_by_the_api_is_renewed_once(sandbox: Sandbox) -> None:
    adapter = DynamicsAdapter(sandbox.settings())
    assert run_test(sandbox, secret_config(), adapter).ok
    sandbox.state.credentials.expire_access_tokens()
    assert run_test(sandbox, secret_config(), adapter).ok
    assert len(sandbox.requests("entra")) == 2


def test_certificate_assertion_reaches_business_central(sandbox: Sandbox) -> None:
    result = run_test(sandbox, cert_config())
    assert result.ok, result.message
    assert result.reached == demo.BC_COMPANY_NAME
    [entry] = sandbox.requests("entra")
    assert entry["auth_scheme"] == "client_assertion"
    assert entry["credential"] == demo.DEMO_CERT_X5T_S256  # PS256 names the SHA-256 thumbprint


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_client_assertion_has_the_claims_entra_requires() -> None:
    url = "https://login.example/tenant/oauth2/v2.0/token"
    token = client_assertion(
        ClientCertificate(demo.DEMO_CERT_PEM, demo.DEMO_KEY_PEM),
        token_url=url,
        client_id=demo.ENTRA_CLIENT_ID,
        now=1_700_000_000,
    )
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(_b64(header_b64))
    claims = json.loads(_b64(claims_b64))
    assert header == {"alg": "PS256", "typ": "JWT", "x5t#S256": demo.DEMO_CERT_X5T_S256}
    public_key = x509.load_pem_x509_certificate(demo.DEMO_CERT_PEM.encode()).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    # PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 7518): verify raises otherwise.
    public_key.verify(
        _b64(signature_b64),
        f"{header_b64}.{claims_b64}".encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    assert claims["aud"] == url
    assert claims["iss"] == claims["sub"] == demo.ENTRA_CLIENT_ID
    assert uuid.UUID(claims["jti"])
    assert claims["nbf"] == claims["iat"] == 1_700_000_000
    assert claims["exp"] - claims["nbf"] == 600


def test_rs256_assertion_names_the_sha1_thumbprint() -> None:
    token = client_assertion(
        ClientCertificate(demo.DEMO_CERT_PEM, demo.DEMO_KEY_PEM),
        token_url="https://login.example/t/oauth2/v2.0/token",
        client_id=demo.ENTRA_CLIENT_ID,
        algorithm="RS256",
    )
    header_b64, claims_b64, signature_b64 = token.split(".")
    assert json.loads(_b64(header_b64)) == {"alg": "RS256", "typ": "JWT", "x5t": demo.DEMO_CERT_X5T}
    public_key = x509.load_pem_x509_certificate(demo.DEMO_CERT_PEM.encode()).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(
        _b64(signature_b64),
        f"{header_b64}.{claims_b64}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_refused_ps256_falls_back_to_rs256_once_and_is_remembered(sandbox: Sandbox) -> None:
    sandbox.state.set_entra_refuse_ps256(True)
    adapter = DynamicsAdapter(sandbox.settings())
    result = run_test(sandbox, cert_config(), adapter)
    assert result.ok, result.message
    tried = [(e["credential"], e["status"]) for e in sandbox.requests("entra")]
    assert tried == [(demo.DEMO_CERT_X5T_S256, 401), (demo.DEMO_CERT_X5T, 200)]
    adapter.tokens.cache.clear()  # the next test must ask Entra again
    assert run_test(sandbox, cert_config(), adapter).ok
    tried = [(e["credential"], e["status"]) for e in sandbox.requests("entra")]
    assert tried[2:] == [(demo.DEMO_CERT_X5T, 200)]  # straight to RS256


def test_rs256_fallback_shares_the_connection_tests_deadline(sandbox: Sandbox) -> None:
    sandbox.state.set_entra_refuse_ps256(True)
    sandbox.state.set_fault("entra", "slow", times=2, seconds=1.5)
    started = time.monotonic()
    result = DynamicsAdapter(sandbox.settings()).test_connection(cert_config(), Deadline(2.5))
    assert time.monotonic() - started <= 3.0
    assert not result.ok
    assert result.message.startswith("Timed out after 2.5 s waiting for Microsoft Entra ID")
    assert [e["credential"] for e in sandbox.requests("entra")] == [
        demo.DEMO_CERT_X5T_S256,
        demo.DEMO_CERT_X5T,
    ]


def test_rs256_is_not_remembered_when_it_is_refused_too(sandbox: Sandbox) -> None:
    cert_pem, key_pem = new_certificate()
    adapter = DynamicsAdapter(sandbox.settings())
    result = run_test(sandbox, cert_config(cert_pem, key_pem), adapter)
    assert result.code == "AADSTS700027"
    loaded = ClientCertificate(cert_pem, key_pem).load()
    assert [e["credential"] for e in sandbox.requests("entra")] == [loaded.x5t_s256, loaded.x5t]
    assert not adapter.tokens.needs_rs256(loaded.x5t_s256)


def test_key_that_does_not_match_the_certificate_is_caught_locally(sandbox: Sandbox) -> None:
    _, other_key = new_certificate()
    result = run_test(sandbox, cert_config(key_pem=other_key))
    assert not result.ok
    assert result.fields == ("private_key_pem",)
    assert "does not belong to this certificate" in result.message
    assert sandbox.requests("entra") == []


def test_unreadable_certificate_points_at_the_certificate(sandbox: Sandbox) -> None:
    result = run_test(sandbox, cert_config(certificate_pem="-----BEGIN CERTIFICATE-----\nxx"))
    assert not result.ok
    assert result.fields == ("certificate_pem",)


def test_unregistered_certificate_is_aadsts700027(sandbox: Sandbox) -> None:
    cert_pem, key_pem = new_certificate()
    result = run_test(sandbox, cert_config(cert_pem, key_pem))
    assert not result.ok
    assert result.code == "AADSTS700027"
    assert "AADSTS700027" in result.message
    assert result.fields == ("certificate_pem", "private_key_pem")


@pytest.mark.parametrize(
    ("settings", "secret", "code", "fields"),
    [
        (bc_settings(), WRONG_SECRET, "AADSTS7000215", ("client_secret",)),
        (bc_settings(), demo.ENTRA_EXPIRED_CLIENT_SECRET, "AADSTS7000222", ("client_secret",)),
        (
            bc_settings(client_id=str(uuid.uuid4())),
            demo.ENTRA_CLIENT_SECRET,
            "AADSTS700016",
            ("client_id",),
        ),
        (
            bc_settings(tenant_id=str(uuid.uuid4())),
            demo.ENTRA_CLIENT_SECRET,
            "AADSTS90002",
            ("tenant_id",),
        ),
        (
            dataverse_settings(dataverse_url="https://other.api.crm4.dynamics.com"),
            demo.ENTRA_CLIENT_SECRET,
            "AADSTS500011",
            ("dataverse_url",),
        ),
        (
            dataverse_settings(dataverse_url="https://other.crm4.dynamics.com"),
            demo.ENTRA_CLIENT_SECRET,
            "AADSTS500011",
            ("dataverse_url",),
        ),
    ],
)
def test_entra_refusal_points_at_the_field_to_fix(
    sandbox: Sandbox, settings: dict[str, str], secret: str, code: str, fields: tuple[str, ...]
) -> None:
    result = run_test(sandbox, secret_config(settings, secret))
    assert not result.ok
    assert result.code == code
    assert code in result.message
    assert result.fields == fields
    assert sandbox.requests("business_central") == []


@pytest.mark.parametrize("flow", ["client_secret", "certificate"])
def test_unauthorized_client_700011_points_at_the_client_id(sandbox: Sandbox, flow: str) -> None:
    """Entra's `unauthorized_client` means the app is unknown in the tenant, whatever the code."""
    sandbox.state.set_entra_unknown_client_code(700011)
    cfg = secret_config() if flow == "client_secret" else cert_config()
    cfg.settings["client_id"] = str(uuid.uuid4())
    result = run_test(sandbox, cfg)
    assert (result.ok, result.code, result.fields) == (False, "AADSTS700011", ("client_id",))
    assert cfg.settings["client_id"] in result.message


@pytest.mark.parametrize(
    ("mode", "code", "fields"),
    [
        ("expired_secret", "AADSTS7000222", ("client_secret",)),
        ("unknown_tenant", "AADSTS90002", ("tenant_id",)),
    ],
)
def test_entra_fault_modes_point_at_the_field(
    sandbox: Sandbox, mode: str, code: str, fields: tuple[str, ...]
) -> None:
    sandbox.state.set_fault("entra", mode, times=1)
    result = run_test(sandbox, secret_config())
    assert (result.ok, result.code, result.fields) == (False, code, fields)


@pytest.mark.parametrize(
    ("system", "mode", "expected"),
    [
        ("entra", "http_500", "Microsoft Entra ID is not answering normally right now (HTTP 500)"),
        ("entra", "rate_limit", "Microsoft Entra ID is not answering normally right now (HTTP 429)"),
        ("entra", "malformed_json", "Microsoft Entra ID: 127.0.0.1 answered HTTP 200 with something that is not JSON"),
        ("business_central", "http_500", "Business Central had a server error (HTTP 500)"),
        ("business_central", "rate_limit", "Business Central is throttling requests (HTTP 429); try again in 1 s"),
        ("business_central", "malformed_json", "Business Central: 127.0.0.1 answered HTTP 200 with something that is not JSON"),
    ],
)  # fmt: skip
def test_service_faults_are_explained_without_blaming_a_field(
    sandbox: Sandbox, system: str, mode: str, expected: str
) -> None:
    sandbox.state.set_fault(system, mode, times=1)
    result = run_test(sandbox, secret_config())
    assert not result.ok
    assert expected in result.message
    assert result.fields == ()


@pytest.mark.parametrize(
    "answer", ["NoEnvironment", "BadRequest_ResourceNotFound", "empty", "html"]
)
def test_unknown_environment_points_at_the_environment_whatever_the_404_says(
    sandbox: Sandbox, answer: str
) -> None:
    sandbox.state.set_business_central_unknown_environment(answer)
    result = run_test(sandbox, secret_config(bc_settings(bc_environment="nosuchenv")))
    assert not result.ok
    assert result.fields == ("bc_environment", "tenant_id")
    assert "no environment 'nosuchenv'" in result.message
    assert demo.ENTRA_TENANT_ID in result.message
    assert "<" not in result.message  # an HTML error page is not echoed


def test_named_company_is_found_case_insensitively(sandbox: Sandbox) -> None:
    result = run_test(sandbox, secret_config(bc_settings(bc_company=demo.BC_COMPANY_NAME.upper())))
    assert result.ok and result.reached == demo.BC_COMPANY_NAME


def test_missing_company_names_the_company_field(sandbox: Sandbox) -> None:
    result = run_test(sandbox, secret_config(bc_settings(bc_company="Nope AS")))
    assert not result.ok
    assert result.fields == ("bc_company",)
    assert "no company named 'Nope AS'" in result.message
    assert demo.BC_COMPANY_NAME in result.message


def test_hanging_business_central_fails_within_the_deadline_naming_it(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("business_central", "hang", times=1, seconds=15)
    started = time.monotonic()
    result = DynamicsAdapter(sandbox.settings()).test_connection(secret_config(), Deadline(10))
    assert time.monotonic() - started <= 10.5
    assert not result.ok
    assert result.message.startswith("Timed out after 10 s waiting for Business Central")


# --- Dataverse ------------------------------------------------------------------------------


def test_dataverse_who_am_i_names_the_organization(sandbox: Sandbox) -> None:
    result = run_test(sandbox, secret_config(dataverse_settings()))
    assert result.ok, result.message
    assert result.reached == f"Dataverse organization {demo.DATAVERSE_ORGANIZATION_ID}"
    assert sandbox.requests("dataverse")[0]["path"] == "/dataverse/api/data/v9.2/WhoAmI"


def test_dataverse_api_host_form_reaches_who_am_i(sandbox: Sandbox) -> None:
    result = run_test(
        sandbox, secret_config(dataverse_settings(dataverse_url=demo.DATAVERSE_API_URL))
    )
    assert result.ok, result.message
    assert result.reached == f"Dataverse organization {demo.DATAVERSE_ORGANIZATION_ID}"


@pytest.mark.parametrize(
    ("url", "resource"),
    [
        ("https://hlf.crm4.dynamics.com/", "https://hlf.crm4.dynamics.com"),
        ("https://hlf.api.crm4.dynamics.com", "https://hlf.api.crm4.dynamics.com"),
        ("https://HLF.api.crm4.dynamics.com/?x=1#f", "https://HLF.api.crm4.dynamics.com"),
    ],
)
def test_dataverse_scope_is_the_environment_hosts_default(url: str, resource: str) -> None:
    assert dataverse_resource(url) == resource


def test_dataverse_server_error_is_explained(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("dataverse", "http_500", times=1)
    result = run_test(sandbox, secret_config(dataverse_settings()))
    assert not result.ok
    assert "Dataverse had a server error (HTTP 500)" in result.message


def test_dataverse_typed_url_passes_the_ssrf_guard(sandbox: Sandbox) -> None:
    """Without an operator override the typed org URL is called, so it is guarded."""
    adapter = DynamicsAdapter(
        Settings(endpoints={"dynamics.sandbox.authority": f"{sandbox.base}/entra"})
    )
    cfg = secret_config(dataverse_settings(dataverse_url=f"{sandbox.base}/dataverse"))
    result = run_test(sandbox, cfg, adapter)
    assert not result.ok
    assert result.fields == ("dataverse_url",)
    assert sandbox.requests("dataverse") == []


def test_posting_to_dataverse_is_not_supported(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError, match="not supported yet"):
        DynamicsAdapter(sandbox.settings()).push(secret_config(dataverse_settings()), records("a"))


# --- Business Central push --------------------------------------------------------------------


def test_push_books_one_balanced_line_per_voucher_in_one_batch_request(sandbox: Sandbox) -> None:
    long_key = "claim-" + "9" * 30
    result = DynamicsAdapter(sandbox.settings()).push(secret_config(), records("c-1", long_key))
    assert set(result.accepted) == {"c-1", long_key}
    lines = sandbox.state.stored("business_central")
    assert [line["externalDocumentNumber"] for line in lines] == [
        "c-1",
        document_number(long_key),
    ]
    assert [line["documentNumber"] for line in lines] == ["AL000001", "AL000002"]
    assert len(document_number(long_key)) == 20
    assert lines[0]["amount"] == pytest.approx(99.90)
    assert lines[0]["accountNumber"] == "6800"
    assert lines[0]["balancingAccountNumber"] == "2910"
    assert result.accepted["c-1"] == lines[0]["id"]
    posts = [e for e in sandbox.requests("business_central") if e["method"] == "POST"]
    assert [e["path"].rsplit("/", 1)[-1] for e in posts] == ["$batch"]
    assert ledger(sandbox.state, "business_central")["total"] == "0.00"


def test_250_vouchers_take_three_batch_requests_of_at_most_100(sandbox: Sandbox) -> None:
    keys = [f"c-{i}" for i in range(250)]
    result = DynamicsAdapter(sandbox.settings()).push(secret_config(), records(*keys))
    assert len(result.accepted) == 250
    posts = [e for e in sandbox.requests("business_central") if e["method"] == "POST"]
    assert len(posts) == 3


def test_explicit_counter_lines_share_the_document_number_in_one_atomicity_group(
    sandbox: Sandbox,
) -> None:
    posting = replace(POSTING, counter_line="explicit")
    batch = vouchers("c-1", "c-2", posting=posting)
    result = DynamicsAdapter(sandbox.settings()).push(secret_config(posting=posting), batch)
    assert set(result.accepted) == {"c-1", "c-2"}
    lines = sandbox.state.stored("business_central")
    assert [(line["documentNumber"], line["accountNumber"]) for line in lines] == [
        ("AL000001", "6800"),
        ("AL000001", "2910"),
        ("AL000002", "6800"),
        ("AL000002", "2910"),
    ]
    assert ledger(sandbox.state, "business_central")["total"] == "0.00"


def test_a_missing_journal_fails_the_push_before_anything_is_stored(sandbox: Sandbox) -> None:
    posting = replace(POSTING, journal="00000000-0000-0000-0000-000000000000")
    with pytest.raises(PermanentError) as caught:
        DynamicsAdapter(sandbox.settings()).push(secret_config(posting=posting), records("c-1"))
    assert caught.value.nothing_sent and caught.value.fields == ("journal",)
    assert sandbox.state.stored("business_central") == []


def test_chart_lists_accounts_tax_groups_dimensions_journals_and_employees(
    sandbox: Sandbox,
) -> None:
    chart = DynamicsAdapter(sandbox.settings()).chart(secret_config())
    assert chart.account_name("2910") == "Gjeld til ansatte"
    assert "7999" not in {a.code for a in chart.accounts}, "blocked accounts are not offered"
    assert {"INNG25", "INNG12"} <= {t.code for t in chart.tax_codes}
    assert {d.code for d in chart.dimensions} == {"AVDELING", "PROSJEKT"}
    assert {v.code for v in chart.dimension_values["AVDELING"]} == {"100", "200", "300"}
    assert {j.detail for j in chart.journals} >= {"GENERAL", "UTLEGG"}
    assert chart.company_id == demo.BC_COMPANY_ID


def test_find_existing_finds_lines_by_the_keys_digest(sandbox: Sandbox) -> None:
    adapter = DynamicsAdapter(sandbox.settings())
    long_key = "claim-" + "7" * 30
    pushed = adapter.push(secret_config(), records("c-1", long_key))
    found = adapter.find_existing(secret_config(), ["c-1", long_key, "c-404"])
    assert found == {"c-1": pushed.accepted["c-1"], long_key: pushed.accepted[long_key]}


def test_push_throttled_is_transient_with_retry_after(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("business_central", "rate_limit", times=1, seconds=7)
    with pytest.raises(TransientError) as caught:
        DynamicsAdapter(sandbox.settings()).push(secret_config(), records("c-1"))
    assert caught.value.retry_after == 7


def test_push_with_wrong_secret_is_permanent(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError) as caught:
        DynamicsAdapter(sandbox.settings()).push(secret_config(secret=WRONG_SECRET), records("c"))
    assert caught.value.fields == ("client_secret",)
    assert caught.value.nothing_sent
    assert_no_secret(str(caught.value))


def test_line_business_central_rejects_is_reported_as_failed(sandbox: Sandbox) -> None:
    good = records("c-1")
    bad = vouchers("c-2", account="6" * 25)
    result = DynamicsAdapter(sandbox.settings()).push(secret_config(), [*good, *bad])
    assert list(result.accepted) == ["c-1"]
    assert "Business Central refused voucher" in english(result.failed["c-2"])
