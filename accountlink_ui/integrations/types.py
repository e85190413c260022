"""Integration Type Registry: each accounting system declared as data.

A type lists its environments, its auth flows and, per flow, its fields. The
wizard's form, the validator, masking and the adapters all read this one
declaration, so adding a system is one declaration plus one adapter module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from accountlink_ui.settings import Settings


class Destination(StrEnum):
    """How a field decides where the secrets go, and so how two of its values are compared."""

    ORIGIN = "origin"
    """A URL: its scheme, host and port (its path does not move a secret elsewhere)."""
    NAME = "name"
    """A name compared without regard to case (an HTTP header name, an Entra tenant)."""
    EXACT = "exact"
    """A name compared exactly (a query parameter name)."""


class FieldKind(StrEnum):
    TEXT = "text"
    SECRET = "secret"
    URL = "url"
    SELECT = "select"
    PEM = "pem"
    SECRET_PEM = "secret_pem"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    help: str = ""
    placeholder: str = ""
    default: str = ""
    options: tuple[tuple[str, str], ...] = ()
    pattern: str | None = None
    """A regular expression the whole value must match (checked by the validator)."""
    pattern_message: str = ""
    max_length: int = 500
    shown_when: tuple[tuple[str, str], ...] = ()
    """The field applies only while each named field has the given value."""
    destination: Destination | None = None
    """Set when the field decides where a secret (or a token bought with it) is sent: a
    stored secret is never reused once such a field changes (it must be typed again)."""

    @property
    def secret(self) -> bool:
        return self.kind in (FieldKind.SECRET, FieldKind.SECRET_PEM)

    def applies(self, values: Mapping[str, str]) -> bool:
        return all(values.get(key, "") == wanted for key, wanted in self.shown_when)


@dataclass(frozen=True)
class AuthFlow:
    key: str
    label: str
    description: str
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class Environment:
    key: str
    label: str
    description: str


SANDBOX = Environment(
    "sandbox", "Sandbox", "A test company or demo tenant: nothing real is posted."
)
PRODUCTION = Environment("production", "Production", "Your live accounting data.")


@dataclass(frozen=True)
class IntegrationType:
    key: str
    label: str
    summary: str
    """One line on what the admin needs before starting."""
    probe: str
    """What Test Connection asks the system, in the admin's words."""
    environments: tuple[Environment, ...]
    common_fields: tuple[FieldSpec, ...]
    auth_flows: tuple[AuthFlow, ...]
    environment_is_destination: bool = False
    """True when choosing another environment sends the secrets to another host."""
    _flows: dict[str, AuthFlow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_flows", {flow.key: flow for flow in self.auth_flows})

    def flow(self, key: str) -> AuthFlow:
        try:
            return self._flows[key]
        except KeyError:
            raise UnknownTypeError(f"{self.label} has no sign-in method '{key}'") from None

    def has_flow(self, key: str) -> bool:
        return key in self._flows

    def has_environment(self, key: str) -> bool:
        return any(env.key == key for env in self.environments)

    def fields_for(self, flow_key: str) -> tuple[FieldSpec, ...]:
        return self.common_fields + self.flow(flow_key).fields

    def secret_keys(self, flow_key: str) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields_for(flow_key) if spec.secret)

    @property
    def default_flow(self) -> AuthFlow:
        return self.auth_flows[0]

    def destination_of(
        self, environment: str, auth_flow: str, values: Mapping[str, str]
    ) -> dict[str, str]:
        """Where this configuration sends its secrets, as comparable values keyed by field.

        Only the destination fields that apply (given the flow and choices such as the
        Dynamics product) are included, so switching to a flow or product with other
        destination fields is a change too.
        """
        where: dict[str, str] = {}
        if self.environment_is_destination:
            where["environment"] = environment
        if not self.has_flow(auth_flow):
            return where
        for spec in self.fields_for(auth_flow):
            if spec.destination is not None and spec.applies(values):
                raw = values.get(spec.key, "")
                text = (raw.strip() if isinstance(raw, str) else "") or spec.default
                where[spec.key] = _comparable(spec.destination, text)
        return where

    def destination_changes(
        self,
        before: tuple[str, str, Mapping[str, str]],
        after: tuple[str, str, Mapping[str, str]],
    ) -> tuple[str, ...]:
        """Keys of the destination fields that differ between two (environment, flow, values).

        ``"environment"`` and ``"auth_flow"`` stand for those choices. Empty: same destination.
        """
        old, new = self.destination_of(*before), self.destination_of(*after)
        changed = [key for key in {**old, **new} if old.get(key) != new.get(key)]
        if before[1] != after[1] and changed:
            changed.insert(0, "auth_flow")
        return tuple(changed)

    def label_of(self, key: str) -> str:
        """A field's label for messages (also 'environment' and 'auth_flow')."""
        if key == "environment":
            return "Environment"
        if key == "auth_flow":
            return "Sign-in method"
        for flow in self.auth_flows:
            for spec in self.fields_for(flow.key):
                if spec.key == key:
                    return spec.label
        return key


def _comparable(how: Destination, value: str) -> str:
    if how is Destination.NAME:
        return value.casefold()
    if how is Destination.ORIGIN:
        return _origin(value)
    return value


def _origin(url: str) -> str:
    """scheme://host:port with the default port made explicit; the raw text if unparsable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if port is None:
        port = {"https": 443, "http": 80}.get(scheme)
    if not scheme or not host:
        return url
    return f"{scheme}://{host}:{port}"


class UnknownTypeError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
DOMAIN = r"(?=.{4,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
# A Dataverse environment URL: https://<org>.crm<N>.dynamics.com or, as Microsoft's
# Web API samples write it, https://<env>.api.<region>.dynamics.com (region: crm<N>).
# Host names are case-insensitive, hence (?i) (patterns are checked in Python only).
DATAVERSE_URL = (
    r"(?i)https://[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.(?:api\.)?crm[0-9]*\.dynamics\.com/?"
)

XLEDGER = IntegrationType(
    key="xledger",
    label="Xledger",
    summary="Needs an Xledger API token created by a Domain Administrator.",
    probe="reads your first company from the Xledger GraphQL API",
    environments=(
        Environment("sandbox", "Demo (sandbox)", "demo.xledger.net: a demo token works only here."),
        Environment("production", "Production", "www.xledger.net: your live Xledger entity."),
    ),
    common_fields=(),
    environment_is_destination=True,
    auth_flows=(
        AuthFlow(
            key="api_token",
            label="API token",
            description="Sent as 'Authorization: token <API token>'.",
            fields=(
                FieldSpec(
                    key="api_token",
                    label="API token",
                    kind=FieldKind.SECRET,
                    help=(
                        "Create it in Xledger under System Access → GraphQL → API tokens, "
                        "with read and write scope."
                    ),
                    pattern=r"\S{8,}",
                    pattern_message="An Xledger API token is at least 8 characters with no spaces.",
                    max_length=400,
                ),
            ),
        ),
    ),
)

_PRODUCT = FieldSpec(
    key="product",
    label="Dynamics product",
    kind=FieldKind.SELECT,
    options=(
        ("business_central", "Business Central"),
        ("dataverse", "Dataverse (Dynamics 365 Sales / Customer Service)"),
    ),
    default="business_central",
    help="Which Dynamics 365 product holds your accounts.",
)
_BC = (("product", "business_central"),)
_DATAVERSE = (("product", "dataverse"),)

DYNAMICS = IntegrationType(
    key="dynamics",
    label="Microsoft Dynamics 365",
    summary="Needs a Microsoft Entra app registration: tenant, client id, and a secret or certificate.",
    probe="gets a token from Microsoft Entra ID, then lists companies (Business Central) "
    "or calls WhoAmI (Dataverse)",
    environments=(SANDBOX, PRODUCTION),
    common_fields=(
        _PRODUCT,
        FieldSpec(
            key="tenant_id",
            label="Tenant (directory) ID",
            help="The directory GUID or a verified domain such as contoso.onmicrosoft.com.",
            placeholder="00000000-0000-0000-0000-000000000000",
            pattern=f"(?:{GUID})|(?:{DOMAIN})",
            pattern_message="Enter the tenant as a GUID or a domain such as contoso.onmicrosoft.com.",
            max_length=253,
            destination=Destination.NAME,
        ),
        FieldSpec(
            key="client_id",
            label="Application (client) ID",
            help="The app registration's Application (client) ID in Microsoft Entra.",
            placeholder="00000000-0000-0000-0000-000000000000",
            pattern=GUID,
            pattern_message="The application (client) ID is a GUID like 0c8a7e52-3b4f-4e1d-a9c6-7d2e1f3b5a90.",
            max_length=36,
        ),
        FieldSpec(
            key="bc_environment",
            label="Business Central environment",
            help="The environment name in the Business Central admin center, e.g. 'production' or 'sandbox'.",
            default="production",
            pattern=r"[A-Za-z0-9_-]{1,30}",
            pattern_message="Environment names use letters, digits, '-' and '_' (at most 30).",
            shown_when=_BC,
            max_length=30,
        ),
        FieldSpec(
            key="bc_company",
            label="Company name",
            required=False,
            help="The company to post journal lines to; empty means the first company.",
            shown_when=_BC,
            max_length=120,
        ),
        FieldSpec(
            key="dataverse_url",
            label="Environment URL",
            kind=FieldKind.URL,
            help="Your Dataverse environment URL, e.g. https://contoso.crm4.dynamics.com or "
            "https://contoso.api.crm4.dynamics.com.",
            placeholder="https://contoso.crm4.dynamics.com",
            pattern=DATAVERSE_URL,
            pattern_message=(
                "Use your Dataverse environment URL without a path, like "
                "https://contoso.crm4.dynamics.com or https://contoso.api.crm4.dynamics.com."
            ),
            shown_when=_DATAVERSE,
            max_length=200,
            destination=Destination.ORIGIN,
        ),
    ),
    auth_flows=(
        AuthFlow(
            key="client_secret",
            label="Client secret",
            description="OAuth 2.0 client credentials with an app secret.",
            fields=(
                FieldSpec(
                    key="client_secret",
                    label="Client secret",
                    kind=FieldKind.SECRET,
                    help="The secret's Value (not its ID) from Certificates & secrets.",
                    pattern=r"\S{8,}",
                    pattern_message="A client secret is at least 8 characters with no spaces.",
                    max_length=200,
                ),
            ),
        ),
        AuthFlow(
            key="certificate",
            label="Certificate",
            description="OAuth 2.0 client credentials with a signed client assertion.",
            fields=(
                FieldSpec(
                    key="certificate_pem",
                    label="Certificate (PEM)",
                    kind=FieldKind.PEM,
                    help="The public certificate uploaded to the app registration.",
                    placeholder="-----BEGIN CERTIFICATE-----",
                    max_length=20_000,
                ),
                FieldSpec(
                    key="private_key_pem",
                    label="Private key (PEM)",
                    kind=FieldKind.SECRET_PEM,
                    help="The certificate's RSA private key, unencrypted PEM.",
                    placeholder="-----BEGIN PRIVATE KEY-----",
                    max_length=20_000,
                ),
            ),
        ),
    ),
)

_BASE_URL = FieldSpec(
    key="base_url",
    label="Base URL",
    kind=FieldKind.URL,
    help="The API's root, e.g. https://api.example.com/v1.",
    placeholder="https://api.example.com/v1",
    max_length=500,
    destination=Destination.ORIGIN,
)
_SECRET_CHARS = r"\S{4,}"
_API_KEY = FieldSpec(
    key="api_key",
    label="API key",
    kind=FieldKind.SECRET,
    pattern=_SECRET_CHARS,
    pattern_message="The key has no spaces.",
    max_length=1000,
)

GENERIC_REST = IntegrationType(
    key="generic_rest",
    label="Generic REST API",
    summary="Needs the API's base URL and how it authenticates (key, token, basic or OAuth2).",
    probe="calls the health path and checks the status code",
    environments=(SANDBOX, PRODUCTION),
    common_fields=(
        _BASE_URL,
        FieldSpec(
            key="health_path",
            label="Health check path",
            help="A cheap GET that needs authentication.",
            default="/health",
            pattern=r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*",
            pattern_message="Start the path with '/', e.g. /health.",
            max_length=300,
        ),
        FieldSpec(
            key="expected_status",
            label="Expected status",
            help="The HTTP status the health check answers when all is well.",
            default="200",
            pattern=r"[1-5][0-9]{2}",
            pattern_message="Enter an HTTP status code such as 200.",
            max_length=3,
        ),
        FieldSpec(
            key="records_path",
            label="Records path",
            help="Where approved expense claims are POSTed as JSON.",
            default="/expenses",
            pattern=r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*",
            pattern_message="Start the path with '/', e.g. /expenses.",
            max_length=300,
        ),
    ),
    auth_flows=(
        AuthFlow(
            key="api_key_header",
            label="API key in a header",
            description="Each request carries the key in a header you name.",
            fields=(
                FieldSpec(
                    key="header_name",
                    label="Header name",
                    default="X-API-Key",
                    pattern=r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}",
                    pattern_message="A header name uses letters, digits and - (no spaces or colons).",
                    max_length=100,
                    destination=Destination.NAME,
                ),
                _API_KEY,
            ),
        ),
        AuthFlow(
            key="api_key_query",
            label="API key in the query",
            description="Each request carries the key as a query parameter.",
            fields=(
                FieldSpec(
                    key="query_param",
                    label="Query parameter",
                    default="api_key",
                    pattern=r"[A-Za-z0-9._~-]{1,100}",
                    pattern_message="A parameter name uses letters, digits, '.', '_', '~' and '-'.",
                    max_length=100,
                    destination=Destination.EXACT,
                ),
                _API_KEY,
            ),
        ),
        AuthFlow(
            key="bearer",
            label="Bearer token",
            description="'Authorization: Bearer <token>' with a token you paste.",
            fields=(
                FieldSpec(
                    key="bearer_token",
                    label="Bearer token",
                    kind=FieldKind.SECRET,
                    pattern=_SECRET_CHARS,
                    pattern_message="The token has no spaces.",
                    max_length=4000,
                ),
            ),
        ),
        AuthFlow(
            key="basic",
            label="Basic auth",
            description="A user name and password.",
            fields=(
                FieldSpec(
                    key="username",
                    label="User name",
                    max_length=200,
                    pattern=r"[^:]+",
                    pattern_message="A user name cannot contain ':'.",
                ),
                FieldSpec(key="password", label="Password", kind=FieldKind.SECRET, max_length=400),
            ),
        ),
        AuthFlow(
            key="oauth2_client_credentials",
            label="OAuth 2.0 client credentials",
            description="A token from your token URL, renewed before it expires.",
            fields=(
                FieldSpec(
                    key="token_url",
                    label="Token URL",
                    kind=FieldKind.URL,
                    placeholder="https://auth.example.com/oauth2/token",
                    max_length=500,
                    destination=Destination.ORIGIN,
                ),
                FieldSpec(key="client_id", label="Client ID", max_length=300),
                FieldSpec(
                    key="client_secret",
                    label="Client secret",
                    kind=FieldKind.SECRET,
                    max_length=1000,
                ),
                FieldSpec(
                    key="scope",
                    label="Scope",
                    required=False,
                    max_length=500,
                    help="Space-separated scopes, if the API asks for any.",
                ),
            ),
        ),
    ),
)

INTEGRATION_TYPES: tuple[IntegrationType, ...] = (XLEDGER, DYNAMICS, GENERIC_REST)
_BY_KEY = {integration_type.key: integration_type for integration_type in INTEGRATION_TYPES}


def get_type(key: str) -> IntegrationType:
    try:
        return _BY_KEY[key]
    except KeyError:
        known = ", ".join(_BY_KEY)
        raise UnknownTypeError(f"Unknown integration type '{key}' (known: {known})") from None


def endpoints(type_key: str, environment: str, settings: Settings) -> dict[str, str]:
    """The operator-configured (trusted) base URLs a type talks to in one environment.

    Generic REST has none: its URLs are typed by the admin and guarded instead.
    """
    if type_key == XLEDGER.key:
        url = (
            settings.xledger_production_url
            if environment == "production"
            else settings.xledger_sandbox_url
        )
        return {"graphql": url}
    if type_key == DYNAMICS.key:
        urls = {
            "authority": settings.entra_authority_url.rstrip("/"),
            "business_central": settings.business_central_url.rstrip("/"),
        }
        if settings.dataverse_url:
            urls["dataverse"] = settings.dataverse_url.rstrip("/")
        return urls
    return {}
