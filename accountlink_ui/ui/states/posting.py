"""Posting settings (which accounts, tax codes, dimensions and voucher numbers claims get)
and the posting preview, for the Posting page and the wizard's Posting step.

The state is thin: one service call per handler. What the browser may change is narrowed
here first, because any websocket event can name any key with any value: only keys in
``FIELD_KEYS`` are kept, each cut to ``MAX_FIELD`` characters. The service validates the
rest against the target's chart when saving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import reflex as rx
from babel.numbers import format_decimal

from accountlink_ui.accounting.chart import Chart, ChartEntry
from accountlink_ui.accounting.posting_settings import (
    BALANCING_LINE,
    CATEGORIES,
    COUNTER_EMPLOYEE,
    COUNTER_GL,
    EXPLICIT_LINES,
    FIELD_KEYS,
    MAX_FIELD,
    Category,
    expense_key,
    format_voucher_number,
    tax_key,
    voucher_number_problem,
)
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.posting_service import (
    PostingForm,
    PostingNotSetUp,
    PostingPreview,
)
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import Reader
from accountlink_ui.ui.states.integrations import IntegrationsState
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.views import Actor

log = logging.getLogger(__name__)

ACCOUNTS_LIST = "posting-accounts"
TAX_CODES_LIST = "posting-tax-codes"
DIMENSIONS_LIST = "posting-dimensions"
SOURCES_LIST = "posting-sources"

SAVED = "posting.saved"
FIX_FIELDS = "posting.fix_fields"
LOAD_FAILED = "posting.load_failed"
PREVIEW_FAILED = "posting.preview_failed"
SAVE_FAILED = "posting.save_failed"
"""Catalogue keys of the form's own outcomes (the field messages come from the service)."""
ENGLISH = Reader()
CATEGORY_LABELS = {
    "travel": "posting.category.travel",
    "accommodation": "posting.category.accommodation",
    "per_diem": "posting.category.per_diem",
    "meals": "posting.category.meals",
    "mileage": "posting.category.mileage",
    "courses": "posting.category.courses",
    "office_supplies": "posting.category.office_supplies",
    "other": "posting.category.other",
}
"""Catalogue keys of the expense categories (the accounting module names them in English)."""


def _category(category: Category, reader: Reader) -> str:
    key = CATEGORY_LABELS.get(category.key)
    return reader.t(key) if key else category.label


EXAMPLE_CLAIM = 123


def accepted_value(key: object, value: object) -> tuple[str, str] | None:
    """What a browser event may set: a known field, a string, at most ``MAX_FIELD`` long.

    None for anything else, which is then ignored (the form never sends such events, so
    only a forged one is refused, and it changes nothing).
    """
    if not isinstance(key, str) or key not in FIELD_KEYS or not isinstance(value, str):
        return None
    return key, value[:MAX_FIELD]


@dataclass
class Option:
    value: str
    label: str


@dataclass
class PostingField:
    """One input of the Posting form, as the page renders it."""

    key: str
    label: str
    help: str
    kind: str
    """``text`` (free entry, with suggestions when ``list_id`` is set) or ``select``."""
    value: str
    error: str
    list_id: str
    options: list[Option]
    placeholder: str


@dataclass
class PreviewLine:
    voucher: str
    account: str
    balancing: str
    debit: str
    credit: str
    tax: str
    dimensions: str
    text: str


def chart_options(entries: tuple[ChartEntry, ...]) -> list[Option]:
    """Datalist options: the code is what is entered, "code — name" is what is searched."""
    return [Option(e.code, " — ".join(p for p in (e.code, e.name, e.detail) if p)) for e in entries]


def journal_options(entries: tuple[ChartEntry, ...]) -> list[Option]:
    """A journal is chosen by its code and name; its id (a GUID) is what is stored."""
    return [
        Option(e.code, " — ".join(p for p in (e.detail, e.name) if p) or e.code) for e in entries
    ]


def _named(code: str, name: str) -> str:
    return f"{code} {name}".strip() if code else ""


def money(amount: Decimal, reader: Reader = ENGLISH) -> str:
    """'1,234.50' / '1 234,50': the preview's columns carry no currency sign."""
    return format_decimal(amount, format="#,##0.00", locale=reader.locale)


def preview_lines(preview: PostingPreview, reader: Reader = ENGLISH) -> list[PreviewLine]:
    """The preview's rows as table cells: debit positive, credit shown without its sign."""
    return [
        PreviewLine(
            voucher=row.voucher,
            account=_named(row.account, row.account_name),
            balancing=_named(row.balancing_account, row.balancing_name),
            debit=money(row.amount, reader) if row.amount > 0 else "",
            credit=money(-row.amount, reader) if row.amount < 0 else "",
            tax=_named(row.tax_code, row.tax_name),
            dimensions=row.dimensions,
            text=row.text,
        )
        for row in preview.rows
    ]


def voucher_example(template: str, today: date, reader: Reader = ENGLISH) -> str:
    """The live example under the voucher-number template, or why it cannot be used."""
    problem = voucher_number_problem(template)
    if problem:
        return problem
    number = format_voucher_number(template, EXAMPLE_CLAIM, today)
    return reader.t("posting.voucher_example", claim=str(EXAMPLE_CLAIM), number=number)


def _field(
    key: str,
    label: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    help: str = "",
    list_id: str = "",
    options: list[Option] | None = None,
    placeholder: str = "",
) -> PostingField:
    return PostingField(
        key=key,
        label=label,
        help=help,
        kind="select" if options is not None else "text",
        value=values.get(key, ""),
        error=errors.get(key, ""),
        list_id=list_id,
        options=options or [],
        placeholder=placeholder,
    )


def _accounts_help(listed: bool, reader: Reader) -> str:
    return reader.t("posting.help.search_accounts" if listed else "posting.help.type_account")


def expense_fields(
    values: Mapping[str, str], errors: Mapping[str, str], listed: bool, reader: Reader = ENGLISH
) -> list[PostingField]:
    fields = [
        _field(
            "default_expense_account",
            reader.t("posting.default_expense_account"),
            values,
            errors,
            help=_accounts_help(listed, reader) + " " + reader.t("posting.help.default_expense"),
            list_id=ACCOUNTS_LIST,
        )
    ]
    for category in CATEGORIES:
        fields.append(
            _field(
                expense_key(category.key),
                _category(category, reader),
                values,
                errors,
                list_id=ACCOUNTS_LIST,
                placeholder=reader.t(
                    "posting.default_placeholder",
                    account=values.get("default_expense_account", ""),
                ),
            )
        )
    return fields


def counter_fields(
    type_key: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    listed: bool,
    reader: Reader = ENGLISH,
) -> list[PostingField]:
    fields: list[PostingField] = []
    dynamics = type_key == "dynamics"
    if dynamics:
        fields.append(
            _field(
                "counter_account_type",
                reader.t("posting.balancing_type"),
                values,
                errors,
                options=[
                    Option(COUNTER_GL, reader.t("posting.balancing_type.gl")),
                    Option(COUNTER_EMPLOYEE, reader.t("posting.balancing_type.employee")),
                ],
            )
        )
    if values.get("counter_account_type", COUNTER_GL) != COUNTER_EMPLOYEE or not dynamics:
        fields.append(
            _field(
                "counter_account",
                reader.t("posting.counter_account"),
                values,
                errors,
                help=_accounts_help(listed, reader) + " " + reader.t("posting.help.counter"),
                list_id=ACCOUNTS_LIST,
            )
        )
    if dynamics:
        fields.append(
            _field(
                "counter_line",
                reader.t("posting.counter_line"),
                values,
                errors,
                help=reader.t("posting.help.counter_line"),
                options=[
                    Option(BALANCING_LINE, reader.t("posting.counter_line.balancing")),
                    Option(EXPLICIT_LINES, reader.t("posting.counter_line.explicit")),
                ],
            )
        )
    return fields


def vat_fields(
    type_key: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    listed: bool,
    reader: Reader = ENGLISH,
) -> list[PostingField]:
    fields = [
        _field(
            "vat_registered",
            reader.t("posting.vat_registered"),
            values,
            errors,
            help=reader.t("posting.help.vat_registered"),
            options=[Option("no", reader.t("posting.no")), Option("yes", reader.t("posting.yes"))],
        )
    ]
    if values.get("vat_registered") != "yes":
        return fields
    for category in CATEGORIES:
        fields.append(
            _field(
                tax_key(category.key),
                reader.t("posting.tax_code_for", category=_category(category, reader)),
                values,
                errors,
                list_id=TAX_CODES_LIST,
                placeholder=reader.t("posting.no_vat"),
            )
        )
    needs_account = type_key != "dynamics" or values.get("counter_line") == EXPLICIT_LINES
    if needs_account:
        fields.append(
            _field(
                "vat_account",
                reader.t("posting.vat_account"),
                values,
                errors,
                help=_accounts_help(listed, reader),
                list_id=ACCOUNTS_LIST,
            )
        )
    return fields


def dimension_fields(
    values: Mapping[str, str], errors: Mapping[str, str], reader: Reader = ENGLISH
) -> list[PostingField]:
    return [
        _field(
            "cost_centre_dimension",
            reader.t("posting.cost_centre_dimension"),
            values,
            errors,
            help=reader.t("posting.help.cost_centre_dimension"),
            list_id=DIMENSIONS_LIST,
            placeholder=reader.t("posting.not_posted"),
        ),
        _field(
            "project_dimension",
            reader.t("posting.project_dimension"),
            values,
            errors,
            help=reader.t("posting.help.project_dimension"),
            list_id=DIMENSIONS_LIST,
            placeholder=reader.t("posting.not_posted"),
        ),
    ]


def voucher_fields(
    type_key: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    journals: list[Option],
    reader: Reader = ENGLISH,
) -> list[PostingField]:
    fields = [
        _field(
            "voucher_number",
            reader.t("posting.voucher_number"),
            values,
            errors,
            help=reader.t("posting.help.voucher_number"),
        )
    ]
    if type_key == "xledger":
        fields.append(
            _field(
                "transaction_source",
                reader.t("posting.transaction_source"),
                values,
                errors,
                help=reader.t("posting.help.transaction_source"),
                list_id=SOURCES_LIST,
            )
        )
    if type_key == "dynamics":
        if journals:
            fields.append(
                _field(
                    "journal",
                    reader.t("posting.journal"),
                    values,
                    errors,
                    help=reader.t("posting.help.journal"),
                    options=[Option("", reader.t("posting.choose_journal")), *journals],
                )
            )
        else:
            fields.append(
                _field(
                    "journal",
                    reader.t("posting.journal"),
                    values,
                    errors,
                    help=reader.t("posting.help.journal_id"),
                )
            )
    return fields


class PostingFormState(rx.State, mixin=True):
    """A mixin: the Posting form's vars and handlers, for the page and the wizard step.

    Names are prefixed ``posting_`` so the wizard can hold them beside the connection form.
    """

    posting_id: int = 0
    posting_type: str = ""
    posting_label: str = ""
    posting_values: dict[str, str] = {}
    posting_errors: dict[str, str] = {}
    posting_notice: str = ""
    """Why the target's lists could not be read: entries are then taken as typed."""
    posting_form_error: str = ""
    posting_message: str = ""
    posting_version: int = 0
    posting_saving: bool = False
    posting_reloading: bool = False
    posting_listed: bool = False
    posting_accounts: list[Option] = []
    posting_tax_codes: list[Option] = []
    posting_dimensions: list[Option] = []
    posting_journals: list[Option] = []
    posting_sources: list[Option] = []
    _actor: ClassVar[Callable[..., Actor | None]]
    locale: ClassVar[Any]
    time_zone: ClassVar[Any]
    _t: ClassVar[Callable[..., str]]
    """From LocaleState (through SessionState): the page's language."""

    # ---- what the form shows -------------------------------------------------------

    @rx.var
    def posting_expense_fields(self) -> list[PostingField]:
        return expense_fields(
            self.posting_values,
            self.posting_errors,
            self.posting_listed,
            Reader(self.locale, self.time_zone),
        )

    @rx.var
    def posting_counter_fields(self) -> list[PostingField]:
        return counter_fields(
            self.posting_type,
            self.posting_values,
            self.posting_errors,
            self.posting_listed,
            Reader(self.locale, self.time_zone),
        )

    @rx.var
    def posting_vat_fields(self) -> list[PostingField]:
        return vat_fields(
            self.posting_type,
            self.posting_values,
            self.posting_errors,
            self.posting_listed,
            Reader(self.locale, self.time_zone),
        )

    @rx.var
    def posting_dimension_fields(self) -> list[PostingField]:
        return dimension_fields(
            self.posting_values, self.posting_errors, Reader(self.locale, self.time_zone)
        )

    @rx.var
    def posting_voucher_fields(self) -> list[PostingField]:
        return voucher_fields(
            self.posting_type,
            self.posting_values,
            self.posting_errors,
            self.posting_journals,
            Reader(self.locale, self.time_zone),
        )

    @rx.var
    def posting_voucher_example(self) -> str:
        return voucher_example(
            self.posting_values.get("voucher_number", ""),
            date.today(),
            Reader(self.locale, self.time_zone),
        )

    # ---- loading -------------------------------------------------------------------

    def _show_posting_form(self, form: PostingForm) -> None:
        self.posting_id = form.integration_id
        self.posting_type = form.type_key
        self.posting_label = form.label
        self.posting_values = dict(form.values)
        self.posting_errors = {}
        self.posting_form_error = self.posting_message = ""
        self.posting_version = form.version or 0
        self._show_chart(form)

    def _show_chart(self, form: PostingForm) -> None:
        chart: Chart = form.chart
        self.posting_notice = form.chart_error
        self.posting_listed = chart.listed
        self.posting_accounts = chart_options(chart.accounts)
        self.posting_tax_codes = chart_options(chart.tax_codes)
        self.posting_dimensions = chart_options(chart.dimensions)
        self.posting_journals = journal_options(chart.journals)
        self.posting_sources = chart_options(chart.transaction_sources)

    @rx.event(background=True)
    async def reload_lists(self):  # type: ignore[no-untyped-def]
        """Read the accounts and codes from the system again; what is typed stays."""
        async with self:
            actor = self._actor()
            if actor is None or not self.posting_id or self.posting_reloading:
                return
            self.posting_reloading = True
            integration_id = self.posting_id
        form: PostingForm | None = None
        failure = ""
        try:
            form = await asyncio.to_thread(
                get_services().postings.form, actor, integration_id, fresh=True
            )
        except ServiceError as refused:
            failure = str(refused)
        except Exception:
            log.exception("lists of integration %s could not be read again", integration_id)
            failure = self._t(LOAD_FAILED)
        async with self:
            self.posting_reloading = False
            if form is None:
                self.posting_form_error = failure
            else:
                self._show_chart(form)

    # ---- editing and saving ----------------------------------------------------------

    @rx.event
    def set_posting_value(self, key: str, value: str) -> None:
        """One field changed; anything but a known field's text is ignored (the event gate
        refuses what is not text before this runs; the check here keeps it so when called
        from elsewhere)."""
        accepted = accepted_value(key, value)
        if accepted is None:
            return
        key, value = accepted
        self.posting_values = {**self.posting_values, key: value}
        self.posting_message = ""
        if key in self.posting_errors:
            self.posting_errors = {k: v for k, v in self.posting_errors.items() if k != key}
            if not self.posting_errors:
                self.posting_form_error = ""

    @rx.event(background=True)
    async def save_posting(self):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._actor()
            if actor is None or not self.posting_id or self.posting_saving:
                return
            self.posting_saving = True
            self.posting_message = self.posting_form_error = ""
            integration_id, values = self.posting_id, dict(self.posting_values)
        service = get_services().postings
        version: int | None = None
        errors: dict[str, str] = {}
        failure = ""
        try:
            version, errors = await asyncio.to_thread(service.save, actor, integration_id, values)
        except ServiceError as refused:
            failure = str(refused)
        except Exception:
            log.exception("posting settings of integration %s could not be saved", integration_id)
            failure = self._t(SAVE_FAILED)
        async with self:
            self.posting_saving = False
            if failure:
                self.posting_form_error = failure
            elif version is None:
                self.posting_errors = {k: v for k, v in errors.items() if k != "form"}
                self.posting_form_error = errors.get("form") or self._t(FIX_FIELDS)
            else:
                self.posting_errors = {}
                self.posting_version = version
                self.posting_message = self._t(SAVED, version=version)


class PostingState(PostingFormState, PageLoadState, SessionState):
    """The Posting page: the form, plus the preview of what the next sync would send."""

    previewing: bool = False
    preview_done: bool = False
    preview_error: str = ""
    preview_lines: list[PreviewLine] = []
    preview_problems: list[str] = []
    preview_claims: int = 0
    preview_balancing: bool = False
    """Business Central balancing-account lines: the table shows the balancing column."""
    sync_pressed: bool = False

    @rx.var
    def preview_summary(self) -> str:
        reader = Reader(self.locale, self.time_zone)
        if self.preview_claims == 0:
            return reader.t("posting.preview.none")
        return reader.t("posting.preview.showing", count=self.preview_claims)

    @rx.event(background=True)
    async def open(self):  # type: ignore[no-untyped-def]
        async with self:
            self.loading = True
            self.refused = self.load_error = ""
            self.previewing = self.preview_done = self.sync_pressed = False
            self.preview_lines, self.preview_problems = [], []
            actor = self._actor()
            parts = [p for p in self.router.url.path.split("/") if p]
            raw_id = parts[2] if len(parts) >= 4 else ""
        if actor is None:
            yield rx.redirect("/login", replace=True)
            return
        if not raw_id.isdigit():
            async with self:
                self.refused = self._t("credential_form.no_such_integration")
                self.loading = False
            return
        refused = failure = ""
        form: PostingForm | None = None
        try:
            form = await asyncio.to_thread(get_services().postings.form, actor, int(raw_id))
        except ServiceError as exc:
            refused = str(exc)
        except Exception:
            log.exception("posting settings of integration %s could not be loaded", raw_id)
            failure = "load.posting"
        async with self:
            self.refused, self.load_error = refused, failure
            if form is not None:
                self._show_posting_form(form)
            self.loading = False

    @rx.event(background=True)
    async def preview(self):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._actor()
            if actor is None or not self.posting_id or self.previewing:
                return
            self.previewing = True
            self.preview_error = ""
            integration_id = self.posting_id
        result: PostingPreview | None = None
        failure = ""
        try:
            result = await asyncio.to_thread(get_services().postings.preview, actor, integration_id)
        except (ServiceError, PostingNotSetUp) as refused:
            failure = str(refused)
        except Exception:
            log.exception("posting preview of integration %s failed", integration_id)
            failure = self._t(PREVIEW_FAILED)
        async with self:
            self.previewing = False
            self.preview_done = result is not None
            self.preview_error = failure
            if result is not None:
                self.preview_lines = preview_lines(result, self._reader())
                self.preview_problems = [
                    self._t("posting.preview.problem", claim=str(cid), why=why)
                    for cid, why in result.problems
                ]
                self.preview_claims = result.claims
                self.preview_balancing = any(row.balancing_account for row in result.rows)
                if result.chart_error:
                    self.posting_notice = result.chart_error

    @rx.event
    def sync_now(self):  # type: ignore[no-untyped-def]
        """The dashboard's Sync now, for this integration; its progress shows here too."""
        if not self.posting_id:
            return None
        self.sync_pressed = True
        return IntegrationsState.sync_now(self.posting_id)
