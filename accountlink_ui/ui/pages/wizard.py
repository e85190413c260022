"""Integration Setup Wizard ("Add Integration"): type → credentials → test → confirm → posting."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.connection_form import connection_fields, test_result
from accountlink_ui.ui.components.page_states import error_callout, page_states
from accountlink_ui.ui.components.posting_form import posting_fields, save_posting_button
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.states.locale import t, tf
from accountlink_ui.ui.states.wizard import STEPS, TypeOption, WizardState


def _stepper() -> rx.Component:
    def step(number: int, label_key: str) -> rx.Component:
        current = WizardState.step == number
        done = WizardState.step > number
        return rx.el.li(
            rx.hstack(
                rx.box(
                    rx.cond(
                        done,
                        rx.icon("check", size=14, aria_hidden="true"),
                        rx.text(str(number), size="1"),
                    ),
                    width="24px",
                    height="24px",
                    border_radius="50%",
                    display="flex",
                    align_items="center",
                    justify_content="center",
                    background=rx.cond(current | done, "var(--accent-9)", "var(--gray-a4)"),
                    color=rx.cond(current | done, "white", "var(--gray-12)"),
                ),
                rx.text(t(label_key), size="2", weight=rx.cond(current, "bold", "regular")),
                rx.cond(done, rx.text(t("wizard.step_done"), as_="span", class_name="sr-only")),
                align="center",
                spacing="2",
            ),
            aria_current=rx.cond(current, "step", "false"),
            list_style="none",
        )

    return rx.el.ol(
        *[step(i + 1, label) for i, label in enumerate(STEPS)],
        display="flex",
        flex_wrap="wrap",
        gap="16px",
        padding="0",
        margin="0",
        aria_label=t("wizard.steps"),
    )


def _type_option(option: TypeOption) -> rx.Component:
    selected = WizardState.type_key == option.key
    return rx.el.label(
        rx.hstack(
            rx.el.input(
                type="radio",
                name="integration_type",
                value=option.key,
                checked=selected,
                disabled=option.configured,
                on_change=lambda _: WizardState.choose_type(option.key),
            ),
            rx.vstack(
                rx.text(option.label, weight="bold"),
                rx.text(option.summary, size="2", color_scheme="gray"),
                rx.cond(
                    option.configured,
                    rx.badge(t("wizard.already_set_up"), color_scheme="gray"),
                ),
                spacing="1",
            ),
            align="start",
            spacing="3",
        ),
        padding="14px",
        border=rx.cond(selected, "2px solid var(--accent-9)", "1px solid var(--gray-a6)"),
        border_radius="var(--radius-3)",
        background=rx.cond(selected, "var(--accent-a2)", "var(--color-panel-solid)"),
        cursor=rx.cond(option.configured, "not-allowed", "pointer"),
        opacity=rx.cond(option.configured, "0.6", "1"),
        flex="1 1 260px",
    )


def _form_error() -> rx.Component:
    return rx.cond(
        WizardState.form_error != "",
        rx.callout(
            WizardState.form_error,
            icon="triangle-alert",
            color_scheme="red",
            role="alert",
            width="100%",
        ),
    )


def _actions(*buttons: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.button(
            t("wizard.cancel"),
            type="button",
            variant="ghost",
            color_scheme="gray",
            on_click=WizardState.cancel,
        ),
        rx.spacer(),
        *buttons,
        width="100%",
        wrap="wrap",
        spacing="3",
        padding_top="2",
    )


def _back_button() -> rx.Component:
    return rx.button(
        t("wizard.back"),
        type="button",
        variant="soft",
        color_scheme="gray",
        on_click=WizardState.back,
    )


def _step_type() -> rx.Component:
    return rx.vstack(
        rx.heading(t("wizard.type.heading"), size="4", as_="h2"),
        rx.el.fieldset(
            rx.el.legend(t("wizard.type.legend"), class_name="sr-only"),
            rx.flex(rx.foreach(WizardState.type_options, _type_option), gap="12px", wrap="wrap"),
            border="none",
            padding="0",
            margin="0",
            width="100%",
        ),
        _form_error(),
        _actions(
            rx.button(t("wizard.continue"), type="button", on_click=WizardState.continue_from_type)
        ),
        spacing="4",
        width="100%",
    )


def _step_credentials() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(
                t("wizard.credentials.heading"), " ", WizardState.type_label, size="4", as_="h2"
            ),
            rx.vstack(
                rx.el.label(
                    t("wizard.credentials.name"), html_for="field-display_name", font_weight="500"
                ),
                rx.input(
                    id="field-display_name",
                    name="display_name",
                    value=WizardState.display_name,
                    on_change=WizardState.set_display_name,
                    placeholder=WizardState.type_label,
                    width="100%",
                ),
                spacing="1",
                width="100%",
            ),
            connection_fields(WizardState),
            _form_error(),
            _actions(_back_button(), rx.button(t("wizard.continue"), type="submit")),
            spacing="4",
            width="100%",
        ),
        on_submit=WizardState.submit_credentials,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _step_test() -> rx.Component:
    return rx.vstack(
        rx.heading(t("wizard.test.heading"), size="4", as_="h2"),
        rx.text(
            t("wizard.test.probe"),
            " ",
            WizardState.probe_description,
            ". ",
            t("wizard.test.unsaved"),
        ),
        test_result(WizardState),
        _form_error(),
        _actions(
            _back_button(),
            rx.button(
                rx.icon("plug-zap", size=16, aria_hidden="true"),
                t("form.test_connection"),
                type="button",
                variant=rx.cond(WizardState.test_ok, "soft", "solid"),
                loading=WizardState.testing,
                on_click=WizardState.run_test,
            ),
            rx.button(
                t("wizard.continue"),
                type="button",
                disabled=~WizardState.can_save,
                on_click=WizardState.continue_to_confirm,
            ),
        ),
        spacing="4",
        width="100%",
    )


def _summary_row(label_key: str, value: rx.Var | str) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(t(label_key)), rx.data_list.value(value))


def _step_confirm() -> rx.Component:
    return rx.vstack(
        rx.heading(t("wizard.confirm.heading"), size="4", as_="h2"),
        rx.data_list.root(
            _summary_row("wizard.confirm.system", WizardState.type_label),
            _summary_row("dashboard.environment", WizardState.environment_label),
            _summary_row("dashboard.sign_in_method", WizardState.auth_flow_label),
            _summary_row("wizard.confirm.test", WizardState.test_message),
            orientation={"initial": "vertical", "sm": "horizontal"},
        ),
        rx.text(
            t("wizard.confirm.explain"),
            size="2",
            color_scheme="gray",
        ),
        _form_error(),
        _actions(
            _back_button(),
            rx.button(
                rx.icon("save", size=16, aria_hidden="true"),
                t("wizard.save"),
                type="button",
                disabled=~WizardState.can_save,
                loading=WizardState.saving,
                on_click=WizardState.save,
            ),
        ),
        spacing="4",
        width="100%",
    )


def _step_posting() -> rx.Component:
    saved = WizardState.posting_version > 0
    return rx.vstack(
        rx.heading(t("wizard.step.posting"), size="4", as_="h2"),
        rx.text(tf("wizard.posting.intro", system=WizardState.type_label), size="2"),
        rx.cond(
            WizardState.posting_loading,
            rx.vstack(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(tf("wizard.posting.reading", system=WizardState.type_label), size="2"),
                    align="center",
                    role="status",
                ),
                rx.skeleton(rx.box(height="160px"), loading=True, width="100%"),
                width="100%",
            ),
            rx.cond(
                WizardState.posting_load_error != "",
                error_callout(WizardState.posting_load_error),
                posting_fields(WizardState),
            ),
        ),
        rx.hstack(
            rx.cond(
                saved,
                rx.link(
                    rx.button(
                        rx.icon("eye", size=16, aria_hidden="true"),
                        t("wizard.posting.preview"),
                        type="button",
                        variant="soft",
                    ),
                    href=f"/settings/integrations/{WizardState.posting_id}/posting#preview",
                ),
            ),
            rx.spacer(),
            rx.button(
                rx.cond(saved, t("wizard.posting.finish"), t("wizard.posting.skip")),
                type="button",
                variant=rx.cond(saved, "solid", "soft"),
                color_scheme=rx.cond(saved, "indigo", "gray"),
                on_click=WizardState.finish,
            ),
            rx.cond(
                (~WizardState.posting_loading) & (WizardState.posting_load_error == ""),
                save_posting_button(WizardState),
            ),
            width="100%",
            wrap="wrap",
            spacing="3",
            padding_top="2",
        ),
        spacing="4",
        width="100%",
    )


def wizard_body() -> rx.Component:
    return rx.vstack(
        rx.heading(t("dashboard.add_integration"), size="7", as_="h1"),
        page_states(
            rx.card(
                rx.vstack(
                    _stepper(),
                    rx.separator(size="4"),
                    rx.match(
                        WizardState.step,
                        (1, _step_type()),
                        (2, _step_credentials()),
                        (3, _step_test()),
                        (4, _step_confirm()),
                        _step_posting(),
                    ),
                    spacing="4",
                    width="100%",
                ),
                size="3",
                width="100%",
            ),
            loading=WizardState.opening,
            refused=WizardState.refused,
            placeholder=rx.skeleton(rx.card(rx.box(height="200px")), loading=True, width="100%"),
        ),
        spacing="4",
        width="100%",
    )


wizard_page = signed_in_page(wizard_body)
