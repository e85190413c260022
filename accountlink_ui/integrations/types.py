"""What an integration type declares: each accounting system described as data.

A type lists its label, its environments with the endpoints each talks to (and where
each answers under ``ACCOUNTLINK_SANDBOX_URL``), its auth flows and, per flow, its
fields, its probe, its batch size and the adapter to build. The wizard's form, the
validator, masking, the sync and the adapters all read this one declaration.

Each system declares itself as ``INTEGRATION_TYPE`` in its own module under
``integrations/`` (next to its adapter); ``registry.py`` finds them, so adding a system
is its module, its sandbox module and its demo credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations.contracts import Adapter
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
    pattern_message: Message | None = None
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
class Endpoint:
    """A base URL the operator trusts (it is not typed by an admin, so it is not guarded)."""

    key: str
    url: str
    """The real public URL; empty when there is none to pin (the admin's typed URL is used
    unless the operator sets one)."""
    sandbox_path: str
    """Where the sandbox answers for it, under ``ACCOUNTLINK_SANDBOX_URL``."""

    @property
    def optional(self) -> bool:
        return not self.url


@dataclass(frozen=True)
class Environment:
    key: str
    label: str
    description: str
    endpoints: tuple[Endpoint, ...] = ()


SANDBOX = Environment(
    "sandbox", "Sandbox", "A test company or demo tenant: nothing real is posted."
)
PRODUCTION = Environment("production", "Production", "Your live accounting data.")


def override_key(type_key: str, environment: str, endpoint: str) -> str:
    """How ``ACCOUNTLINK_ENDPOINTS`` names one endpoint: ``xledger.production.graphql``."""
    return f"{type_key}.{environment}.{endpoint}"


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
    batch_size: int
    """Vouchers per ``push`` call of a sync."""
    adapter: Callable[[Settings], Adapter] = field(repr=False, compare=False)
    """Builds the adapter from the operator's settings."""
    order: int = 100
    """Where the type appears in the wizard's list (lower first)."""
    environment_is_destination: bool = False
    """True when choosing another environment sends the secrets to another host."""
    _flows: dict[str, AuthFlow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_flows", {flow.key: flow for flow in self.auth_flows})

    def flow(self, key: str) -> AuthFlow:
        try:
            return self._flows[key]
        except KeyError:
            raise UnknownTypeError(Message.of("types.no_flow", type=self.label, key=key)) from None

    def has_flow(self, key: str) -> bool:
        return key in self._flows

    def has_environment(self, key: str) -> bool:
        return any(env.key == key for env in self.environments)

    def endpoint_keys(self) -> tuple[str, ...]:
        """Every override key ``ACCOUNTLINK_ENDPOINTS`` accepts for this type."""
        return tuple(
            override_key(self.key, env.key, endpoint.key)
            for env in self.environments
            for endpoint in env.endpoints
        )

    def endpoints(self, environment: str, settings: Settings) -> dict[str, str]:
        """The operator-trusted base URLs this type talks to in ``environment``.

        Per endpoint: the operator's override (``ACCOUNTLINK_ENDPOINTS``), else
        ``<ACCOUNTLINK_SANDBOX_URL>/<sandbox path>`` when a sandbox is set, else the declared
        public URL. An optional endpoint with none of these is left out (Dataverse: the
        admin's typed URL is used, and guarded). Generic REST declares none.
        """
        env = next((e for e in self.environments if e.key == environment), None)
        if env is None:
            raise UnknownTypeError(
                Message.of("types.no_environment", type=self.label, key=environment)
            )
        sandbox = (settings.sandbox_url or "").rstrip("/")
        urls: dict[str, str] = {}
        for endpoint in env.endpoints:
            key = override_key(self.key, env.key, endpoint.key)
            if key in settings.endpoints:
                url = settings.endpoints[key]
            elif sandbox:
                url = f"{sandbox}{endpoint.sandbox_path}"
            else:
                url = endpoint.url
            if url:
                urls[endpoint.key] = url.rstrip("/")
        return urls

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
    """An unknown type, flow or environment key; ``said`` is the message code for a person."""

    def __init__(self, said: Message) -> None:
        super().__init__(english(said))
        self.said = said

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
