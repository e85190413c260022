"""The connection form's submit, decided once for the setup wizard and the credential form.

A page hands over what the admin submitted (the payload, secrets among it) with what
the form already held, and gets back field errors and a sealed draft. The page keeps
only the sealed blob and the keys of the secrets typed (never their values), so the
rules that decide what a blank secret means live here and in the integration service,
not in a Reflex state (DESIGN rules 1 and 8):

- a blank secret on edit keeps the stored one while the destination is unchanged
  (``integration_service.blank_keeps_stored``, the same rule the test and the save use);
- a secret typed earlier in this form is not sent to an address it was not typed for:
  once a destination field changes, it must be typed again;
- a value over its field's maximum length is refused and not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from accountlink_ui.integrations.registry import get_type
from accountlink_ui.integrations.types import IntegrationType
from accountlink_ui.integrations.validation import (
    DISPLAY_NAME_MAX,
    DISPLAY_NAME_TOO_LONG,
    length_error,
    validate_config,
)
from accountlink_ui.services.drafts import DraftSecrets
from accountlink_ui.services.errors import retype_secret_message
from accountlink_ui.services.integration_service import (
    ConnectionDraft,
    IntegrationService,
    blank_keeps_stored,
)
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor

CORRECT_FIELDS = "Please correct the highlighted fields."


@dataclass(frozen=True)
class FormSubmission:
    """One press of the form's submit button, with what the form held before it."""

    type_key: str
    environment: str
    auth_flow: str
    values: Mapping[str, str]
    """Non-secret values the form holds (typed or loaded)."""
    display_name: str
    payload: Mapping[str, object] = field(repr=False)
    """The browser's submit payload: non-secrets and secrets by field key (and anything
    else a browser sends; only declared fields are read)."""
    sealed: str = field(default="", repr=False)
    """The draft sealed by the previous submit of this form ('' for none)."""
    integration_id: int | None = None
    """On edit, the integration whose stored secrets a blank field keeps."""


@dataclass(frozen=True)
class FormOutcome:
    errors: dict[str, str]
    """Field key → message; empty when the submission is ready to test."""
    values: dict[str, str]
    """The non-secret values to keep showing (refused over-long ones left out)."""
    display_name: str
    sealed: str = field(repr=False)
    """The secrets typed so far, sealed with where they were typed for: keep it, not them."""
    entered: list[str]
    """Keys of the secrets in ``sealed`` (never their values): lets the page say 'entered'."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def form_error(self) -> str:
        return CORRECT_FIELDS if self.errors else ""


class ConnectionForms:
    """Reads a connection form's submit payload and opens the draft it sealed."""

    def __init__(
        self, *, integrations: IntegrationService, drafts: DraftSecrets, settings: Settings
    ) -> None:
        self._integrations = integrations
        self._drafts = drafts
        self._settings = settings

    def submit(self, actor: Actor, organization_id: int, submission: FormSubmission) -> FormOutcome:
        """Validate the submission and seal its secrets; see the module docstring for the rules.

        On edit the stored configuration is read as ``actor`` (admin check, tenancy), so an
        integration outside their organization "does not exist" here too.
        """
        integration_type = get_type(submission.type_key)
        flow = submission.auth_flow
        plain = {s.key: s for s in integration_type.fields_for(flow) if not s.secret}
        secret = {s.key: s for s in integration_type.fields_for(flow) if s.secret}
        too_long: dict[str, str] = {}

        values = dict(submission.values)
        for key, value in submission.payload.items():
            if key in plain and isinstance(value, str):
                if error := length_error(plain[key], value):
                    too_long[key] = error  # refused, not kept
                else:
                    values[key] = value

        secrets, retype_typed = self._typed_before(
            actor, organization_id, submission, integration_type, values
        )
        for key, spec in secret.items():
            typed = submission.payload.get(key, "")
            if isinstance(typed, str) and typed.strip():
                if error := length_error(spec, typed):
                    too_long[key] = error  # refused, not sealed
                else:
                    secrets[key] = typed
        secrets = {k: v for k, v in secrets.items() if k in secret}
        destination = (submission.environment, flow, dict(values))
        sealed = self._drafts.seal(
            secrets, actor_id=actor.user_id, organization_id=organization_id, typed_for=destination
        )

        name = submission.payload.get("display_name", submission.display_name)
        name = name if isinstance(name, str) else ""
        if len(name.strip()) > DISPLAY_NAME_MAX:
            too_long["display_name"] = DISPLAY_NAME_TOO_LONG
            name = submission.display_name

        kept, retype_stored = self._kept_from_vault(
            actor, submission, integration_type, {**values, **secrets}
        )
        errors = validate_config(
            submission.type_key,
            submission.environment,
            flow,
            {**values, **secrets},
            display_name=name,
            allowed_hosts=self._settings.allowed_hosts,
            stored_secret_keys=kept,
        )
        errors.update(too_long)
        errors.update(retype_stored)
        errors.update({k: v for k, v in retype_typed.items() if k not in secrets and k not in kept})
        return FormOutcome(
            errors=errors,
            values=values,
            display_name=name,
            sealed=sealed,
            entered=sorted(secrets),
        )

    def draft(
        self,
        actor: Actor,
        organization_id: int,
        *,
        sealed: str,
        type_key: str,
        environment: str,
        auth_flow: str,
        values: Mapping[str, str],
        display_name: str,
    ) -> ConnectionDraft:
        """What to test or save: the form's declared values with the sealed secrets.
        Blank secrets stay blank; the integration service decides what they keep."""
        secrets = self._drafts.open(sealed, actor_id=actor.user_id, organization_id=organization_id)
        names = {s.key for s in get_type(type_key).fields_for(auth_flow)}
        return ConnectionDraft(
            type_key=type_key,
            environment=environment,
            auth_flow=auth_flow,
            values={**{k: v for k, v in values.items() if k in names}, **secrets},
            display_name=display_name,
        )

    def _typed_before(
        self,
        actor: Actor,
        organization_id: int,
        submission: FormSubmission,
        integration_type: IntegrationType,
        values: Mapping[str, str],
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Secrets sealed by an earlier submit, unless the destination moved since they were
        typed: then none of them, and a 'type it again' message for each."""
        secrets, typed_for = self._drafts.open_draft(
            submission.sealed, actor_id=actor.user_id, organization_id=organization_id
        )
        if not secrets or typed_for is None:
            return secrets, {}
        moved = integration_type.destination_changes(
            typed_for, (submission.environment, submission.auth_flow, values)
        )
        if not moved:
            return secrets, {}
        secret_keys = set(integration_type.secret_keys(submission.auth_flow))
        changed = [integration_type.label_of(key) for key in moved]
        retype = {
            key: retype_secret_message(integration_type.label_of(key), changed)
            for key in secrets
            if key in secret_keys
        }
        return {}, retype

    def _kept_from_vault(
        self,
        actor: Actor,
        submission: FormSubmission,
        integration_type: IntegrationType,
        values: Mapping[str, str],
    ) -> tuple[set[str], dict[str, str]]:
        """On edit: the stored secrets a blank field keeps, and the blank ones to type again.
        ``values`` holds the secrets typed so far: a typed secret is not blank."""
        if submission.integration_id is None:
            return set(), {}
        stored = self._integrations.get_integration(actor, submission.integration_id)
        return blank_keeps_stored(
            integration_type,
            stored,
            list(stored.secret_masks),
            submission.environment,
            submission.auth_flow,
            values,
        )
