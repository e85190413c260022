"""The Posting form: which accounts, VAT, dimensions and voucher numbers a claim gets.

Used by the Posting page and the wizard's Posting step. Accounts, tax codes, dimensions and
transaction sources are offered from the live system in a ``<datalist>``: typing searches
"code — name", and any code can still be typed when the lists could not be read.
"""

from __future__ import annotations

import reflex as rx

from accountlink_ui.accounting.posting_settings import MAX_FIELD
from accountlink_ui.ui.components.connection_form import field_error
from accountlink_ui.ui.states.locale import t
from accountlink_ui.ui.states.posting import (
    ACCOUNTS_LIST,
    DIMENSIONS_LIST,
    SOURCES_LIST,
    TAX_CODES_LIST,
    Option,
    PostingField,
    PostingFormState,
)


def _described_by(item: PostingField) -> rx.Var:
    return rx.cond(item.error != "", f"help-{item.key} error-{item.key}", f"help-{item.key}")  # type: ignore[return-value]


def _input(state: type[PostingFormState], item: PostingField) -> rx.Component:
    common = dict(
        id=f"posting-{item.key}",
        name=item.key,
        value=item.value,
        on_change=lambda value: state.set_posting_value(item.key, value),
        aria_invalid=rx.cond(item.error != "", "true", "false"),
        aria_describedby=_described_by(item),
    )
    return rx.cond(
        item.kind == "select",
        rx.el.select(
            rx.foreach(item.options, lambda opt: rx.el.option(opt.label, value=opt.value)),
            class_name="native-select",
            **common,
        ),
        rx.el.input(
            type="text",
            list=item.list_id,
            placeholder=item.placeholder,
            max_length=MAX_FIELD,
            auto_complete="off",
            spell_check=False,
            class_name="posting-input",
            **common,
        ),
    )


def _field_row(state: type[PostingFormState], item: PostingField) -> rx.Component:
    return rx.vstack(
        rx.el.label(item.label, html_for=f"posting-{item.key}", font_weight="500"),
        _input(state, item),
        rx.text(item.help, size="1", color_scheme="gray", id=f"help-{item.key}"),
        field_error(item.error, item.key, test_id=f"posting-error-{item.key}"),
        spacing="1",
        width="100%",
        align="stretch",
        data_testid=f"posting-field-{item.key}",
    )


def _datalist(list_id: str, options: rx.Var) -> rx.Component:
    def option(opt: Option) -> rx.Component:
        return rx.el.option(opt.label, value=opt.value)

    return rx.el.datalist(rx.foreach(options, option), id=list_id)


def _section(
    title_key: str, note: str | rx.Component, fields: rx.Var, state: type[PostingFormState]
) -> rx.Component:
    """``note`` is a catalogue key, or a component that shows its own text."""
    return rx.el.fieldset(
        rx.el.legend(rx.heading(t(title_key), size="4", as_="h2")),
        rx.text(t(note), size="2", color_scheme="gray") if isinstance(note, str) else note,
        rx.grid(
            rx.foreach(fields, lambda item: _field_row(state, item)),
            columns={"initial": "1", "sm": "2"},
            spacing_x="4",
            spacing_y="3",
            width="100%",
        ),
        class_name="posting-section",
    )


def posting_fields(state: type[PostingFormState]) -> rx.Component:
    """The sections of the form, the lists they offer, and the save outcome."""
    return rx.vstack(
        rx.cond(
            state.posting_notice != "",
            rx.callout(
                state.posting_notice,
                icon="info",
                color_scheme="amber",
                width="100%",
                data_testid="posting-chart-notice",
            ),
        ),
        rx.hstack(
            rx.text(
                rx.cond(
                    state.posting_listed,
                    t("posting.lists_offered"),
                    t("posting.no_lists"),
                ),
                size="2",
                color_scheme="gray",
            ),
            rx.button(
                rx.icon("rotate-cw", size=14, aria_hidden="true"),
                t("posting.read_lists_again"),
                type="button",
                size="1",
                variant="ghost",
                loading=state.posting_reloading,
                on_click=state.reload_lists,
            ),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        _datalist(ACCOUNTS_LIST, state.posting_accounts),
        _datalist(TAX_CODES_LIST, state.posting_tax_codes),
        _datalist(DIMENSIONS_LIST, state.posting_dimensions),
        _datalist(SOURCES_LIST, state.posting_sources),
        _section(
            "posting.section.expense",
            "posting.section.expense_note",
            state.posting_expense_fields,
            state,
        ),
        _section(
            "posting.section.counter",
            "posting.section.counter_note",
            state.posting_counter_fields,
            state,
        ),
        _section(
            "posting.section.vat",
            "posting.section.vat_note",
            state.posting_vat_fields,
            state,
        ),
        _section(
            "posting.section.dimensions",
            "posting.section.dimensions_note",
            state.posting_dimension_fields,
            state,
        ),
        _section(
            "posting.section.vouchers",
            rx.text(
                state.posting_voucher_example,
                size="2",
                color_scheme="gray",
                data_testid="voucher-example",
                role="status",
            ),
            state.posting_voucher_fields,
            state,
        ),
        rx.cond(
            state.posting_form_error != "",
            rx.callout(
                state.posting_form_error,
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
                width="100%",
                data_testid="posting-form-error",
            ),
        ),
        rx.box(
            rx.cond(
                state.posting_message != "",
                rx.callout(
                    state.posting_message,
                    icon="circle-check",
                    color_scheme="green",
                    width="100%",
                    data_testid="posting-saved",
                ),
            ),
            role="status",
            width="100%",
        ),
        spacing="5",
        width="100%",
    )


def save_posting_button(state: type[PostingFormState]) -> rx.Component:
    return rx.button(
        rx.icon("save", size=16, aria_hidden="true"),
        t("posting.save"),
        type="button",
        loading=state.posting_saving,
        on_click=state.save_posting,
    )
