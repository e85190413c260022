"""The credential fields of one integration type, generated from its declaration.

Used by the wizard and the credential form. Secret inputs have a name but no
bound value: what is typed leaves the browser once, in the form's submit
payload, and the state never sends it back.
"""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.states.connection_form import Choice, ConnectionFormState, FieldView
from accountlink_ui.ui.states.locale import t, tf

_MASKED = {"-webkit-text-security": "disc"}


def field_error(error: rx.Var, key: rx.Var, *, test_id: rx.Var | str) -> rx.Component:
    """A field's message under it, with an icon (not colour alone), linked by ``error-<key>``
    from the input's aria-describedby; nothing when the field has no error."""
    return rx.cond(
        error != "",
        rx.text(
            rx.icon("circle-alert", size=12, aria_hidden="true"),
            " ",
            error,
            size="2",
            color_scheme="red",
            id=f"error-{key}",
            data_testid=test_id,
        ),
    )


def _described_by(item: FieldView) -> rx.Var:
    return rx.cond(item.error != "", f"help-{item.key} error-{item.key}", f"help-{item.key}")  # type: ignore[return-value]


def _secret_input(state: type[ConnectionFormState], item: FieldView) -> rx.Component:
    shown = state.shown_secrets.contains(item.key)  # type: ignore[attr-defined]
    common = dict(
        id=f"field-{item.key}",
        name=item.key,
        placeholder=rx.cond(item.stored_mask != "", "••••••••", item.placeholder),
        auto_complete="off",
        spell_check=False,
        on_change=state.secret_edited,
        on_blur=lambda value: state.check_secret(item.key, value),
        aria_invalid=rx.cond(item.error != "", "true", "false"),
        aria_describedby=_described_by(item),
        required=item.required,
        width="100%",
        custom_attrs={"data-secret": "true"},
    )
    toggle = rx.button(
        rx.cond(
            shown,
            rx.icon("eye-off", size=16, aria_hidden="true"),
            rx.icon("eye", size=16, aria_hidden="true"),
        ),
        rx.cond(shown, t("form.hide"), t("form.show")),
        type="button",
        variant="soft",
        color_scheme="gray",
        size="2",
        aria_label=rx.cond(
            shown, tf("form.hide_field", field=item.label), tf("form.show_field", field=item.label)
        ),
        aria_pressed=rx.cond(shown, "true", "false"),
        on_click=state.toggle_secret(item.key),
    )
    return rx.cond(
        item.multiline,
        rx.vstack(
            rx.el.textarea(
                **common,
                rows="6",
                style=rx.cond(shown, {}, _MASKED),
                class_name="rt-reset rt-TextAreaInput",
                font_family="monospace",
                font_size="12px",
                padding="8px",
                border="1px solid var(--gray-a7)",
                border_radius="var(--radius-2)",
            ),
            toggle,
            width="100%",
            align="start",
        ),
        rx.hstack(
            rx.input(type=rx.cond(shown, "text", "password"), **common),
            toggle,
            width="100%",
            align="center",
        ),
    )


def _plain_input(state: type[ConnectionFormState], item: FieldView) -> rx.Component:
    common = dict(
        id=f"field-{item.key}",
        name=item.key,
        value=item.value,
        placeholder=item.placeholder,
        on_change=lambda value: state.set_value(item.key, value),
        aria_invalid=rx.cond(item.error != "", "true", "false"),
        aria_describedby=_described_by(item),
        required=item.required,
        width="100%",
    )

    def check(value: rx.Var[str]) -> rx.EventSpec:
        return state.check_value(item.key, value)

    return rx.match(
        item.kind,
        (
            "select",
            rx.el.select(
                rx.foreach(item.options, lambda opt: rx.el.option(opt["label"], value=opt["key"])),
                **common,
                class_name="native-select",
            ),
        ),
        ("pem", rx.text_area(rows="6", font_family="monospace", on_blur=check, **common)),
        rx.input(type="text", spell_check=False, auto_complete="off", on_blur=check, **common),
    )


def field_row(state: type[ConnectionFormState], item: FieldView) -> rx.Component:
    return rx.vstack(
        rx.el.label(
            item.label,
            rx.cond(
                item.required,
                rx.text(" ", t("form.required"), as_="span", color_scheme="gray", size="1"),
            ),
            html_for=f"field-{item.key}",
            font_weight="500",
        ),
        rx.cond(item.secret, _secret_input(state, item), _plain_input(state, item)),
        rx.cond(
            item.stored_mask != "",
            rx.text(
                item.stored_mask, size="1", color_scheme="gray", data_testid=f"mask-{item.key}"
            ),
        ),
        rx.text(item.help, size="1", color_scheme="gray", id=f"help-{item.key}"),
        field_error(item.error, item.key, test_id=f"error-{item.key}"),
        rx.cond(
            item.at_fault,
            rx.text(
                t("form.test_points_here"),
                size="2",
                color_scheme="red",
                weight="medium",
                data_testid=f"fault-{item.key}",
            ),
        ),
        spacing="1",
        width="100%",
        align="stretch",
        padding="2",
        border_radius="var(--radius-3)",
        border=rx.cond(item.at_fault, "2px solid var(--red-9)", "2px solid transparent"),
    )


def _choice_group(
    legend_key: str, name: str, choices: rx.Var, selected: rx.Var, on_pick: rx.EventHandler
) -> rx.Component:
    def option(choice: Choice) -> rx.Component:
        return rx.el.label(
            rx.hstack(
                rx.el.input(
                    type="radio",
                    name=name,
                    value=choice.key,
                    checked=selected == choice.key,
                    on_change=lambda _: on_pick(choice.key),
                ),
                rx.vstack(
                    rx.text(choice.label, weight="medium", size="2"),
                    rx.text(choice.description, size="1", color_scheme="gray"),
                    spacing="0",
                ),
                align="start",
                spacing="2",
            ),
            padding="10px",
            border="1px solid var(--gray-a6)",
            border_radius="var(--radius-3)",
            background=rx.cond(selected == choice.key, "var(--accent-a3)", "transparent"),
            cursor="pointer",
            flex="1 1 220px",
        )

    return rx.el.fieldset(
        rx.el.legend(t(legend_key), font_weight="500", margin_bottom="6px"),
        rx.flex(rx.foreach(choices, option), gap="8px", wrap="wrap"),
        border="none",
        padding="0",
        margin="0",
        width="100%",
    )


def connection_fields(state: type[ConnectionFormState]) -> rx.Component:
    """Environment, sign-in method and the generated fields."""
    return rx.vstack(
        _choice_group(
            "dashboard.environment",
            "environment",
            state.environment_choices,
            state.environment,
            state.set_environment,
        ),
        rx.cond(
            state.flow_choices.length() > 1,  # type: ignore[attr-defined]
            _choice_group(
                "dashboard.sign_in_method",
                "auth_flow",
                state.flow_choices,
                state.auth_flow,
                state.set_auth_flow,
            ),
        ),
        rx.foreach(state.fields, lambda item: field_row(state, item)),
        spacing="4",
        width="100%",
    )


def test_result(state: type[ConnectionFormState]) -> rx.Component:
    """Progress while testing, then the outcome, announced to screen readers."""
    return rx.box(
        rx.cond(
            state.testing,
            rx.callout(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(
                        t("form.testing"), " ", state.probe_description, " ", t("form.at_most")
                    ),
                    align="center",
                ),
                color_scheme="blue",
                data_testid="test-progress",
            ),
            rx.cond(
                state.test_done,
                rx.cond(
                    state.test_ok,
                    rx.callout(
                        rx.vstack(
                            rx.text(state.test_message, weight="medium"),
                            rx.cond(
                                state.test_reached != "",
                                rx.text(t("form.reached"), " ", state.test_reached),
                            ),
                            rx.text(
                                t("form.answered_in"),
                                " ",
                                state.test_seconds,
                                size="1",
                                color_scheme="gray",
                            ),
                            spacing="1",
                        ),
                        icon="circle-check",
                        color_scheme="green",
                        data_testid="test-success",
                    ),
                    rx.callout(
                        rx.vstack(
                            rx.text(t("form.connection_failed"), weight="bold"),
                            rx.text(state.test_message),
                            spacing="1",
                        ),
                        icon="circle-x",
                        color_scheme="red",
                        data_testid="test-failure",
                    ),
                ),
            ),
        ),
        role="status",
        aria_live="polite",
        width="100%",
    )
