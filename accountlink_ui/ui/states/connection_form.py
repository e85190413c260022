"""State shared by the setup wizard and the credential form.

Non-secret values live in state (the admin sees them anyway), but only under
the keys the integration type declares and only up to each field's maximum
length: a value beyond it is refused with a message by the field and not kept,
so whatever a browser sends, the state stays small. Secret inputs
are uncontrolled: their values arrive only in the form's submit payload, are
sealed at once by the service (services/connection_form.py) and never written to a public var, so no
state delta can carry them back to the browser (DESIGN rule 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import reflex as rx

from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.registry import get_type
from accountlink_ui.integrations.types import FieldKind, FieldSpec
from accountlink_ui.integrations.validation import (
    DISPLAY_NAME_MAX,
    DISPLAY_NAME_TOO_LONG,
    applicable_fields,
    length_error,
    validate_field,
)
from accountlink_ui.services.connection_form import FormSubmission
from accountlink_ui.services.errors import (
    InvalidConfig,
    RetestRequired,
    ServiceError,
)
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import Reader
from accountlink_ui.views import Actor

UNDECLARED_FIELD = "form.undeclared_field"
UNKNOWN_CHOICE = "form.unknown_choice"
CORRECT_FIELDS = "form.correct_fields"
"""Catalogue keys of the form's own refusals (the field messages come from the validator)."""


def deadline_from_click(arrived: float) -> Deadline:
    """A connection test's deadline counted from the click (``arrived``, wall clock), less
    the time the answer needs to reach the page: the result shows within the promise."""
    settings = get_services().settings
    budget = settings.connection_test_seconds - settings.ui_round_trip_seconds
    waited = min(max(0.0, time.time() - arrived), budget)
    return Deadline(budget, _started=time.monotonic() - waited)


def clear_secret_inputs() -> Any:
    """Empty the browser's secret inputs once they have been used (they are uncontrolled)."""
    return rx.call_script(
        "document.querySelectorAll('[data-secret=true]').forEach((e) => { e.value = ''; })"
    )


@dataclass
class FieldView:
    key: str
    label: str
    kind: str
    required: bool
    help: str
    placeholder: str
    value: str
    options: list[dict[str, str]]
    secret: bool
    multiline: bool
    error: str
    stored_mask: str
    at_fault: bool


@dataclass
class Choice:
    key: str
    label: str
    description: str


class ConnectionFormState(rx.State, mixin=True):
    """A mixin: each page gets its own copy of these vars and handlers."""

    type_key: str = ""
    environment: str = "sandbox"
    auth_flow: str = ""
    display_name: str = ""
    values: dict[str, str] = {}
    field_errors: dict[str, str] = {}
    stored_masks: dict[str, str] = {}
    shown_secrets: list[str] = []
    entered_secrets: list[str] = []
    """Keys of secrets typed in this form (never their values): lets blank mean 'keep'."""
    stored_environment: str = ""
    stored_auth_flow: str = ""
    stored_settings: dict[str, str] = {}
    """On edit, where the stored secrets go: once that changes they must be typed again."""
    testing: bool = False
    test_done: bool = False
    test_ok: bool = False
    test_message: str = ""
    test_reached: str = ""
    test_fields: list[str] = []
    test_seconds: str = ""
    form_error: str = ""
    saving: bool = False
    _sealed_secrets: str = ""
    """The service's sealed draft: the secrets typed so far and where they were typed for."""
    _proof: str = ""
    _pressed_at: float = 0.0
    """When the click that leads to the next test arrived (wall clock), if not this event."""
    # The concrete states also inherit SessionState, which provides `_actor()` and
    # `organization_id`; this mixin relies on both.
    organization_id: ClassVar[Any]
    _actor: ClassVar[Callable[..., Actor | None]]
    locale: ClassVar[Any]
    time_zone: ClassVar[Any]
    _t: ClassVar[Callable[..., str]]
    _speak: ClassVar[Callable[..., str]]
    """From LocaleState: what a service said, in the page's language and time zone."""
    """From LocaleState (through SessionState): a catalogue string in the page's language."""

    # ---- what the form shows -------------------------------------------------------

    @rx.var
    def fields(self) -> list[FieldView]:
        if not self.type_key:
            return []
        integration_type = get_type(self.type_key)
        if not integration_type.has_flow(self.auth_flow):
            return []
        views = []
        moved = bool(self._destination_moved())
        reader = Reader(self.locale, self.time_zone)  # named here: the var follows the language
        texts = reader.system(self.type_key)
        for spec in applicable_fields(integration_type, self.auth_flow, self.values):
            if spec.secret and spec.key in self.entered_secrets:
                mask = reader.t("form.secret_entered")
            elif spec.secret and spec.key in self.stored_masks and not moved:
                mask = reader.t("form.secret_stored", mask=self.stored_masks[spec.key])
            else:
                mask = ""
            views.append(
                FieldView(
                    key=spec.key,
                    label=texts.field_label(spec),
                    kind=spec.kind.value,
                    required=spec.required and not mask,
                    help=texts.field_help(spec),
                    placeholder=spec.placeholder,
                    value="" if spec.secret else self.values.get(spec.key, spec.default),
                    options=[
                        {"key": k, "label": texts.option(spec, k, label)}
                        for k, label in spec.options
                    ],
                    secret=spec.secret,
                    multiline=spec.kind in (FieldKind.PEM, FieldKind.SECRET_PEM),
                    error=self.field_errors.get(spec.key, ""),
                    stored_mask=mask,
                    at_fault=spec.key in self.test_fields,
                )
            )
        return views

    @rx.var
    def environment_choices(self) -> list[Choice]:
        if not self.type_key:
            return []
        texts = Reader(self.locale, self.time_zone).system(self.type_key)
        return [Choice(e.key, *texts.environment(e)) for e in get_type(self.type_key).environments]

    @rx.var
    def flow_choices(self) -> list[Choice]:
        if not self.type_key:
            return []
        texts = Reader(self.locale, self.time_zone).system(self.type_key)
        return [Choice(f.key, *texts.flow(f)) for f in get_type(self.type_key).auth_flows]

    @rx.var
    def type_label(self) -> str:
        return get_type(self.type_key).label if self.type_key else ""

    @rx.var
    def environment_label(self) -> str:
        """The chosen environment as the form names it (the summary shows this, not its key)."""
        if not self.type_key:
            return ""
        texts = Reader(self.locale, self.time_zone).system(self.type_key)
        environments = get_type(self.type_key).environments
        chosen = next((e for e in environments if e.key == self.environment), None)
        return texts.environment(chosen)[0] if chosen else self.environment

    @rx.var
    def auth_flow_label(self) -> str:
        if not self.type_key or not get_type(self.type_key).has_flow(self.auth_flow):
            return self.auth_flow
        return (
            Reader(self.locale, self.time_zone)
            .system(self.type_key)
            .flow(get_type(self.type_key).flow(self.auth_flow))[0]
        )

    @rx.var
    def probe_description(self) -> str:
        return (
            Reader(self.locale, self.time_zone).system(self.type_key).probe if self.type_key else ""
        )

    @rx.var
    def can_save(self) -> bool:
        return self.test_done and self.test_ok and not self.testing and not self.saving

    # ---- editing -------------------------------------------------------------------

    def _reset_form(self, type_key: str) -> None:
        integration_type = get_type(type_key)
        self.type_key = type_key
        self.auth_flow = integration_type.default_flow.key
        self.environment = integration_type.environments[0].key
        self.values = {
            spec.key: spec.default
            for flow in integration_type.auth_flows
            for spec in integration_type.fields_for(flow.key)
            if not spec.secret and spec.default
        }
        self.display_name = ""
        self.field_errors = {}
        self.stored_masks = {}
        self.shown_secrets = []
        self.entered_secrets = []
        self.stored_environment = self.stored_auth_flow = ""
        self.stored_settings = {}
        self._sealed_secrets = ""
        self._invalidate_test()

    def _invalidate_test(self) -> None:
        self.test_done = self.test_ok = False
        self.test_message = self.test_reached = self.test_seconds = ""
        self.test_fields = []
        self._proof = ""

    def _declared(self, key: str, *, secret: bool) -> FieldSpec | None:
        """The current flow's field called ``key`` (secret or not), or None: then say so."""
        spec = None
        if self.type_key:
            integration_type = get_type(self.type_key)
            if integration_type.has_flow(self.auth_flow):
                spec = next(
                    (s for s in integration_type.fields_for(self.auth_flow) if s.key == key), None
                )
        if spec is None or spec.secret != secret:
            self.form_error = self._t(UNDECLARED_FIELD)
            return None
        return spec

    def _keep_value(self, key: str, value: str) -> bool:
        """Keep a non-secret value if its field is declared and the value fits; else say why."""
        spec = self._declared(key, secret=False)
        if spec is None:
            return False
        too_long = length_error(spec, value)
        if too_long:
            self.field_errors = {**self.field_errors, key: self._speak(too_long)}
            return False
        self.values = {**self.values, key: value}
        return True

    @rx.event
    def set_value(self, key: str, value: str) -> None:
        """A non-secret field changed: keep it, and the last test no longer applies."""
        if not self._keep_value(key, value):
            return
        self._invalidate_test()
        if key in self.field_errors:
            self.field_errors = {k: v for k, v in self.field_errors.items() if k != key}

    @rx.event
    def check_value(self, key: str, value: str) -> None:
        """Inline validation as the admin leaves a non-secret field."""
        if self._keep_value(key, value):
            self._set_field_error(key, value)

    @rx.event
    def check_secret(self, key: str, value: str) -> None:
        """Inline validation of a secret on blur: only the verdict is kept, never the value."""
        if self._declared(key, secret=True) is not None:
            self._set_field_error(key, value)

    @rx.event
    def secret_edited(self) -> None:
        self._invalidate_test()

    def _set_field_error(self, key: str, value: str) -> None:
        """Check one field as the admin leaves it; an empty field only loses its error.

        "Required" waits for Continue: said on blur, it inserts a line above the buttons
        while the pointer that caused the blur is on its way to Continue, and the moved
        button misses the click (seen in CI: the admin's Continue did nothing).
        """
        integration_type = get_type(self.type_key)
        spec = next((s for s in integration_type.fields_for(self.auth_flow) if s.key == key), None)
        if spec is None:
            return
        if not value.strip():
            if key in self.field_errors:
                self.field_errors = {k: v for k, v in self.field_errors.items() if k != key}
            return
        keep = spec.secret and (key in self.stored_masks or key in self.entered_secrets)
        error = validate_field(
            spec, value, allowed_hosts=get_services().settings.allowed_hosts, blank_means_keep=keep
        )
        errors = {k: v for k, v in self.field_errors.items() if k != key}
        if error:
            errors[key] = self._speak(error)
        self.field_errors = errors

    @rx.event
    def set_environment(self, environment: str) -> None:
        if not self.type_key or not get_type(self.type_key).has_environment(environment):
            self.form_error = self._t(UNKNOWN_CHOICE)
            return
        self.environment = environment
        self._invalidate_test()

    @rx.event
    def set_auth_flow(self, auth_flow: str) -> None:
        if not self.type_key or not get_type(self.type_key).has_flow(auth_flow):
            self.form_error = self._t(UNKNOWN_CHOICE)
            return
        self.auth_flow = auth_flow
        self.field_errors = {}
        self._invalidate_test()

    @rx.event
    def set_display_name(self, name: str) -> None:
        if len(name.strip()) > DISPLAY_NAME_MAX:
            self.field_errors = {
                **self.field_errors,
                "display_name": self._speak(DISPLAY_NAME_TOO_LONG),
            }
            return
        self.display_name = name

    @rx.event
    def toggle_secret(self, key: str) -> None:
        if self._declared(key, secret=True) is None:
            return
        self.shown_secrets = (
            [k for k in self.shown_secrets if k != key]
            if key in self.shown_secrets
            else [*self.shown_secrets, key]
        )

    # ---- submitting the credentials step -------------------------------------------

    def _integration_id(self) -> int | None:
        return None

    def _destination_moved(self) -> tuple[str, ...]:
        """The destination fields changed since the stored configuration (the service's rule)."""
        if not self.stored_masks or not self.stored_auth_flow or not self.type_key:
            return ()
        return get_type(self.type_key).destination_changes(
            (self.stored_environment, self.stored_auth_flow, self.stored_settings),
            (self.environment, self.auth_flow, self.values),
        )

    def _accept_form(self, form: dict[str, str]) -> bool:
        """Hand the submit payload to the service; show its errors, keep its sealed draft.

        What a blank secret means, and when a typed one must be typed again, is decided
        by ``services/connection_form.py``; this state keeps only the sealed blob.
        """
        actor = self._actor()
        if actor is None or not self.type_key:
            return False
        submission = FormSubmission(
            type_key=self.type_key,
            environment=self.environment,
            auth_flow=self.auth_flow,
            values=dict(self.values),
            display_name=self.display_name,
            payload=form,
            sealed=self._sealed_secrets,
            integration_id=self._integration_id(),
        )
        self._invalidate_test()
        try:
            outcome = get_services().forms.submit(actor, self.organization_id, submission)
        except ServiceError as refused:
            self.form_error = self._speak(refused.said)
            return False
        self.values = outcome.values
        self.display_name = outcome.display_name
        self._sealed_secrets = outcome.sealed
        self.entered_secrets = outcome.entered
        self.field_errors = {key: self._speak(said) for key, said in outcome.errors.items()}
        self.form_error = self._t(CORRECT_FIELDS) if outcome.form_error else ""
        return outcome.ok

    def _draft(self) -> ConnectionDraft:
        actor = self._actor()
        if actor is None:
            return ConnectionDraft(self.type_key, self.environment, self.auth_flow, {})
        return get_services().forms.draft(
            actor,
            self.organization_id,
            sealed=self._sealed_secrets,
            type_key=self.type_key,
            environment=self.environment,
            auth_flow=self.auth_flow,
            values=self.values,
            display_name=self.display_name,
        )

    def _show_save_refusal(self, refusal: ServiceError) -> str:
        """Show why saving was refused; returns the step that should be shown ('test', 'fields')."""
        self.saving = False
        if isinstance(refusal, InvalidConfig):
            self.field_errors = {k: self._speak(v) for k, v in refusal.field_messages.items()}
            self.form_error = self._t(CORRECT_FIELDS)
            return "fields"
        if isinstance(refusal, RetestRequired):
            self._invalidate_test()
        self.form_error = self._speak(refusal.said)
        return "test"

    # ---- testing -------------------------------------------------------------------

    @rx.event(background=True)
    async def run_test(self):  # type: ignore[no-untyped-def]
        arrived = time.time()
        async with self:
            actor = self._actor()
            if actor is None or self.testing:
                return
            if 0 < arrived - self._pressed_at < 5:
                arrived = self._pressed_at
            self._pressed_at = 0.0
            self.testing = True
            self._invalidate_test()
            draft = self._draft()
            organization_id = self.organization_id
            integration_id = self._integration_id()
        services = get_services()
        proof, message, reached, fields, ok, seconds = "", "", "", [], False, ""
        refused_fields: dict[str, str] = {}
        try:
            outcome = await services.test_runs.run(
                organization_id,
                partial(
                    services.integrations.test_connection,
                    actor,
                    organization_id,
                    draft,
                    integration_id=integration_id,
                    deadline=deadline_from_click(arrived),
                ),
            )
            result = outcome.result
            ok, reached = result.ok, result.reached or ""
            message = self._speak(result.message_code)
            fields, proof = list(result.fields), outcome.proof or ""
            seconds = self._t("form.seconds", seconds=round(result.latency_ms / 1000, 1))
        except InvalidConfig as invalid:
            refused_fields = {k: self._speak(v) for k, v in invalid.field_messages.items()}
            message = self._t("form.invalid_values", errors="; ".join(refused_fields.values()))
            fields = list(refused_fields)
        except ServiceError as refused:
            message = self._speak(refused.said)
        async with self:
            if refused_fields:
                self.field_errors = {**self.field_errors, **refused_fields}
            self.testing = False
            self.test_done = True
            self.test_ok = ok
            self.test_message = message
            self.test_reached = reached
            self.test_fields = fields
            self.test_seconds = seconds
            self._proof = proof
