"""The slice of Xledger's GraphQL schema that AccountLink uses, and its resolvers.

Types are declared as data so a query is validated before anything runs (an
unknown field fails the whole request, as on a real GraphQL server), and a
bulk mutation is checked in full before any node is stored.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.credentials import XledgerToken
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.sandbox.xledger_graphql import Field, Operation
from accountlink_ui.sandbox.xledger_vouchers import (
    GL_OBJECT_DIMENSIONS,
    balance_problems,
    chart_problems,
)

MAX_BULK_NODES = 500
SCALAR = "scalar"

_CODE_OBJECT = {"code": SCALAR}
_GL_OBJECT_FIELDS = (
    "account",
    "currency",
    "transactionSource",
    "taxRule",
    "company",
    *GL_OBJECT_DIMENSIONS,
)
_GL_DATE_FIELDS = ("postedDate", "invoiceDate", "dueDate")
_GL_DECIMAL_FIELDS = ("amount", "taxAmount")
_GL_SCALAR_FIELDS = ("text", "yourReference", "trRegNumber", "invoiceNumber")
GL_NODE_FIELDS = _GL_OBJECT_FIELDS + _GL_DATE_FIELDS + _GL_DECIMAL_FIELDS + _GL_SCALAR_FIELDS
_GL_FILTERS = ("yourReference", "yourReference_in", "dbId", "dbId_in")


def _connection_types(node: str) -> dict[str, dict[str, str]]:
    return {
        f"{node}Connection": {"edges": f"{node}Edge", "pageInfo": "PageInfo"},
        f"{node}Edge": {"cursor": SCALAR, "node": node},
    }


_CODED = {"dbId": SCALAR, "code": SCALAR, "description": SCALAR}
# Read queries over the chart: names UNVERIFIED except `accounts`.
CHART_QUERIES = {
    "accounts": "Account",
    "taxRules": "TaxRule",
    "transactionSources": "TransactionSource",
    "glObjectValues": "GLObjectValue",
}
TYPES: dict[str, dict[str, str]] = {
    "Query": {
        "companies": "CompanyConnection",
        "glImportItems": "GLImportItemConnection",
        **{name: f"{node}Connection" for name, node in CHART_QUERIES.items()},
    },
    "Mutation": {"addGLImportItems": "GLImportItemConnection"},
    "PageInfo": {f: SCALAR for f in ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")},
    "Company": _CODED,
    "Account": _CODED,
    "TaxRule": _CODED,
    "TransactionSource": _CODED,
    "GLObjectValue": {**_CODED, "objectNumber": SCALAR},
    "CodeObject": _CODE_OBJECT,
    "GLImportItem": {
        "dbId": SCALAR,
        "createdAt": SCALAR,
        **{f: "CodeObject" for f in _GL_OBJECT_FIELDS},
        **{f: SCALAR for f in _GL_DATE_FIELDS + _GL_DECIMAL_FIELDS + _GL_SCALAR_FIELDS},
    },
    **_connection_types("Company"),
    **_connection_types("GLImportItem"),
    **{k: v for node in CHART_QUERIES.values() for k, v in _connection_types(node).items()},
}
ROOT_SCOPES = {
    "companies": "read",
    "glImportItems": "read",
    **{name: "read" for name in CHART_QUERIES},
    "addGLImportItems": "write",
}
# The answer to a mutation the token may not run; the shape is UNVERIFIED.
MISSING_WRITE_SCOPE = {
    "message": "The API token lacks the scope needed for addGLImportItems (GL import: write).",
    "code": "FORBIDDEN.MISSING_SCOPE",
    "extensions": {"code": "FORBIDDEN", "scope": "GLImport:write"},
}


class XledgerError(Exception):
    """An error entry in Xledger's shape: code, message, and optional path/extensions."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        path: list[str | int] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path
        self.extensions = extensions

    def entry(self) -> dict[str, Any]:
        """The JSON object for the response's `errors` list."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.path:
            body["path"] = self.path
        if self.extensions:
            body["extensions"] = self.extensions
        return body


def validate(operation: Operation) -> list[XledgerError]:
    """Check every selected field exists and objects have sub-selections, like GraphQL does."""
    root = "Query" if operation.kind == "query" else "Mutation"
    problems: list[XledgerError] = []
    _validate_selection(operation.selections, root, problems)
    return problems


def _validate_selection(fields: list[Field], type_name: str, problems: list[XledgerError]) -> None:
    for selected in fields:
        if selected.name == "__typename":
            continue
        field_type = TYPES[type_name].get(selected.name)
        if field_type is None:
            problems.append(
                _invalid(f'Cannot query field "{selected.name}" on type "{type_name}".')
            )
        elif field_type == SCALAR and selected.selections:
            problems.append(
                _invalid(f'Field "{selected.name}" must not have a selection since it is a scalar.')
            )
        elif field_type != SCALAR and not selected.selections:
            problems.append(
                _invalid(
                    f'Field "{selected.name}" of type "{field_type}" must have a selection '
                    "of subfields."
                )
            )
        elif field_type != SCALAR:
            _validate_selection(selected.selections, field_type, problems)


def _invalid(message: str) -> XledgerError:
    return XledgerError("GRAPHQL_VALIDATION_FAILED", message)


def execute(state: SandboxState, token: XledgerToken, operation: Operation) -> dict[str, Any]:
    """Run a validated operation; field errors (e.g. a missing scope) null that field only."""
    root = "Query" if operation.kind == "query" else "Mutation"
    if root == "Mutation" and "write" not in token.scopes:
        # A read-only token: the whole mutation is refused before any field resolves.
        return {"data": None, "errors": [copy.deepcopy(MISSING_WRITE_SCOPE)]}
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for selected in operation.selections:
        if selected.name == "__typename":
            data[selected.key] = root
            continue
        scope = ROOT_SCOPES[selected.name]
        try:
            if scope not in token.scopes:
                raise XledgerError(
                    "UNAUTHORIZED.MISSING_SCOPE",
                    f"The API token does not have the '{scope}' scope required for "
                    f"'{selected.name}'. Create a token with {scope} access under "
                    "System Access > GraphQL > API tokens.",
                    path=[selected.key],
                )
            value = _RESOLVERS[selected.name](state, token, selected)
            data[selected.key] = _project(selected, value, TYPES[root][selected.name])
        except XledgerError as error:
            data[selected.key] = None
            error.path = error.path or [selected.key]
            errors.append(error.entry())
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = errors
    return body


def _project(selected: Field, value: Any, type_name: str) -> Any:
    """Shape `value` to exactly the fields the query asked for."""
    if value is None or type_name == SCALAR:
        return value
    if isinstance(value, list):
        return [_project(selected, item, type_name) for item in value]
    out: dict[str, Any] = {}
    for sub in selected.selections:
        if sub.name == "__typename":
            out[sub.key] = type_name
        else:
            out[sub.key] = _project(sub, value.get(sub.name), TYPES[type_name][sub.name])
    return out


# --- resolvers ---------------------------------------------------------------
def _companies(state: SandboxState, token: XledgerToken, selected: Field) -> dict[str, Any]:
    description = (
        demo.XLEDGER_COMPANY if token.environment == "demo" else demo.XLEDGER_PRODUCTION_COMPANY
    )
    company = {"dbId": demo.XLEDGER_COMPANY_DB_ID, "code": "BF", "description": description}
    return _connection([company], selected.arguments)


def _gl_import_items(state: SandboxState, token: XledgerToken, selected: Field) -> dict[str, Any]:
    wanted = selected.arguments.get("filter") or {}
    if not isinstance(wanted, dict):
        raise XledgerError("BAD_REQUEST.INVALID_INPUT", "'filter' must be an input object.")
    for key in wanted:
        if key not in _GL_FILTERS:
            raise XledgerError(
                "GRAPHQL_VALIDATION_FAILED",
                f'Field "{key}" is not defined by type "GLImportItemFilter".',
            )
    items = [r for r in state.stored("xledger") if r.get("environment") == token.environment]
    for key, value in wanted.items():
        name, _, op = key.partition("_")
        accepted = set(value or []) if op == "in" else {value}
        items = [item for item in items if item.get(name) in accepted]
    return _connection(items, selected.arguments)


def _add_gl_import_items(
    state: SandboxState, token: XledgerToken, selected: Field
) -> dict[str, Any]:
    inputs = selected.arguments.get("inputs")
    if isinstance(inputs, dict):  # GraphQL input coercion: one value where a list is expected
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        raise XledgerError(
            "BAD_REQUEST.INVALID_INPUT",
            "addGLImportItems needs 'inputs': a list of { node: AddGLImportItemsInputNode }.",
        )
    if len(inputs) > MAX_BULK_NODES:
        raise XledgerError(
            "BAD_REQUEST.TOO_MANY_NODES",
            f"A bulk mutation accepts at most {MAX_BULK_NODES} nodes; this one has {len(inputs)}.",
            extensions={"maxNodes": MAX_BULK_NODES, "received": len(inputs)},
        )
    problems = [p for index, item in enumerate(inputs) for p in _node_problems(index, item)]
    nodes = [
        (index, item["node"])
        for index, item in enumerate(inputs)
        if isinstance(item, dict) and isinstance(item.get("node"), dict)
    ]
    for index, node in nodes:
        problems.extend(
            chart_problems(
                state.chart,
                index,
                node,
                require_source=state.xledger_require_transaction_source,
            )
        )
    problems.extend(balance_problems(nodes))
    if problems:
        raise _refusal(state, sorted(problems, key=_input_index))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    batch = str(state.next_id())
    records = []
    for item in inputs:
        node = item["node"]
        record = {"dbId": str(state.next_id()), "environment": token.environment, "createdAt": now}
        record.update({name: node.get(name) for name in GL_NODE_FIELDS})
        record["importBatch"] = batch  # which call it came in: a voucher never spans two
        records.append(record)
    state.record("xledger", records, records)
    return _connection(records, {})


def _input_index(problem: str) -> int:
    """The N of a problem starting "inputs[N]", so problems read in input order."""
    head = problem.partition("]")[0]
    digits = head.removeprefix("inputs[")
    return int(digits) if digits.isdigit() else -1


def _refusal(state: SandboxState, problems: list[str]) -> XledgerError:
    """The refusal of a whole batch, with per-line detail or without (a sandbox setting)."""
    if state.xledger_refusal_detail == "batch":
        return XledgerError(
            "BAD_REQUEST.INVALID_INPUT",
            "One or more inputs are invalid.",
            extensions={"code": "INVALID_VALUE"},
        )
    return XledgerError(
        "BAD_REQUEST.INVALID_INPUT",
        "; ".join(problems[:10]) + ("" if len(problems) <= 10 else " (and more)"),
        extensions={"problems": problems},
    )


def _node_problems(index: int, item: Any) -> list[str]:
    where = f"inputs[{index}].node"
    if not isinstance(item, dict) or not isinstance(item.get("node"), dict):
        return [f"inputs[{index}] must be an object with a 'node' field"]
    node: dict[str, Any] = item["node"]
    problems = [
        f'{where}: Field "{key}" is not defined by type "AddGLImportItemsInputNode"'
        for key in node
        if key not in GL_NODE_FIELDS
    ]
    for name in _GL_OBJECT_FIELDS:
        value = node.get(name)
        if value is not None and not (
            isinstance(value, dict) and isinstance(value.get("code"), str)
        ):
            problems.append(f'{where}.{name} must be an object like {{ code: "..." }}')
    account = node.get("account")
    if not (isinstance(account, dict) and str(account.get("code") or "").strip()):
        problems.append(f"{where}.account.code is required")
    for name in _GL_DECIMAL_FIELDS:
        if (name == "amount" or node.get(name) is not None) and not _is_decimal(node.get(name)):
            problems.append(f"{where}.{name} must be a decimal number")
    for name in _GL_DATE_FIELDS:
        if (name == "postedDate" or node.get(name) is not None) and not _is_date(node.get(name)):
            problems.append(f"{where}.{name} must be a date as YYYY-MM-DD")
    return problems


def _is_decimal(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _connection(items: list[dict[str, Any]], arguments: dict[str, Any]) -> dict[str, Any]:
    """A Relay connection over `items`, honouring `first` and `after`."""
    start = 0
    after = arguments.get("after")
    if after is not None:
        start = _decode_cursor(after) + 1
    first = arguments.get("first")
    if first is not None and (not isinstance(first, int) or isinstance(first, bool) or first < 0):
        raise XledgerError("BAD_REQUEST.INVALID_INPUT", "'first' must be a non-negative integer.")
    end = len(items) if first is None else min(len(items), start + first)
    edges = [{"cursor": _encode_cursor(i), "node": items[i]} for i in range(start, end)]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _encode_cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    try:
        prefix, _, index = base64.b64decode(str(cursor)).decode().partition(":")
        if prefix != "cursor":
            raise ValueError(cursor)
        return int(index)
    except ValueError as error:
        raise XledgerError("BAD_REQUEST.INVALID_INPUT", f"Invalid cursor {cursor!r}.") from error


def _chart_filter(selected: Field, allowed: tuple[str, ...], type_name: str) -> dict[str, Any]:
    wanted = selected.arguments.get("filter") or {}
    if not isinstance(wanted, dict):
        raise XledgerError("BAD_REQUEST.INVALID_INPUT", "'filter' must be an input object.")
    for key in wanted:
        if key not in allowed:
            raise XledgerError(
                "GRAPHQL_VALIDATION_FAILED",
                f'Field "{key}" is not defined by type "{type_name}".',
            )
    return wanted


def _filtered(items: list[dict[str, Any]], wanted: dict[str, Any]) -> list[dict[str, Any]]:
    for key, value in wanted.items():
        name, _, op = key.partition("_")
        accepted = set(value or []) if op == "in" else {value}
        items = [item for item in items if item.get(name) in accepted]
    return items


def _accounts(state: SandboxState, token: XledgerToken, selected: Field) -> dict[str, Any]:
    wanted = _chart_filter(selected, ("code", "code_in"), "AccountFilter")
    items = [
        {"dbId": str(a.db_id), "code": a.code, "description": a.name}
        for a in state.chart.account_list()
    ]
    return _connection(_filtered(items, wanted), selected.arguments)


def _tax_rules(state: SandboxState, token: XledgerToken, selected: Field) -> dict[str, Any]:
    wanted = _chart_filter(selected, ("code", "code_in"), "TaxRuleFilter")
    items = [
        {"dbId": str(t.db_id), "code": t.code, "description": t.name} for t in state.chart.tax_codes
    ]
    return _connection(_filtered(items, wanted), selected.arguments)


def _transaction_sources(
    state: SandboxState, token: XledgerToken, selected: Field
) -> dict[str, Any]:
    wanted = _chart_filter(selected, ("code", "code_in"), "TransactionSourceFilter")
    items = [
        {"dbId": str(db_id), "code": code, "description": name}
        for code, name, db_id in state.chart.transaction_sources
    ]
    return _connection(_filtered(items, wanted), selected.arguments)


def _gl_object_values(state: SandboxState, token: XledgerToken, selected: Field) -> dict[str, Any]:
    wanted = _chart_filter(selected, ("objectNumber", "code", "code_in"), "GLObjectValueFilter")
    items = [
        {
            "dbId": str(v.db_id),
            "code": v.code,
            "description": v.name,
            "objectNumber": d.object_number,
        }
        for d in state.chart.dimensions
        for v in d.values
    ]
    return _connection(_filtered(items, wanted), selected.arguments)


_RESOLVERS = {
    "accounts": _accounts,
    "taxRules": _tax_rules,
    "transactionSources": _transaction_sources,
    "glObjectValues": _gl_object_values,
    "companies": _companies,
    "glImportItems": _gl_import_items,
    "addGLImportItems": _add_gl_import_items,
}
