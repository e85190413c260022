"""The shapes of /claims: what the organization's app posts and what it reads back.

A posted claim is checked by the service (``services/claim_intake``), not by these
models, so that every problem can name the claim it belongs to; the request schema
below is what the OpenAPI document shows, kept in step with those checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from accountlink_ui.accounting.posting_settings import CATEGORY_KEYS
from accountlink_ui.services.claim_intake import (
    AMOUNT,
    CURRENCIES,
    EXTERNAL_ID,
    MAX_AMOUNT,
    MAX_BATCH,
    MAX_DAYS_AHEAD,
    MAX_YEARS_BACK,
    TEXT_FIELDS,
    VAT_AMOUNT,
)
from accountlink_ui.services.claim_intake_service import ClaimStatusView, IntakeResult

AMOUNT_PATTERN = f"^{AMOUNT.pattern}$"
VAT_PATTERN = f"^{VAT_AMOUNT.pattern}$"


def _text(name: str, description: str) -> dict[str, Any]:
    longest, required = TEXT_FIELDS[name]
    schema: dict[str, Any] = {
        "type": "string",
        "maxLength": longest,
        "pattern": r"^[^\x00-\x1f\x7f]*$",
        "description": description,
    }
    if required:
        schema["minLength"] = 1
        schema["pattern"] = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"
    else:
        schema["type"] = ["string", "null"]
    return schema


CLAIM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ClaimIn",
    "additionalProperties": False,
    "required": ["external_id", "claimant", "claim_date", "amount", "currency", "description"],
    "properties": {
        "external_id": {
            "type": "string",
            "pattern": f"^{EXTERNAL_ID.pattern}$",
            "description": "The claim's id in your app: unique in your organization, and "
            "the {claim_id} of GET /claims/{claim_id}. Posting it again with the same "
            "values is safe; with other values it is refused (409).",
        },
        "claimant": _text("claimant", "Who is reimbursed."),
        "claim_date": {
            "type": "string",
            "format": "date",
            "description": f"YYYY-MM-DD; at most {MAX_DAYS_AHEAD} days ahead and "
            f"{MAX_YEARS_BACK} years back.",
        },
        "amount": {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "description": f"The total including VAT, as a decimal string with at most two "
            f"decimals, above 0 and at most {MAX_AMOUNT}. Not a JSON number: a float can lose cents.",
        },
        "currency": {"type": "string", "enum": list(CURRENCIES), "description": "ISO 4217."},
        "description": _text("description", "What was bought; shown on the voucher."),
        "category": {
            "type": "string",
            "enum": sorted(CATEGORY_KEYS),
            "description": "Decides the expense account (the posting settings); default other.",
        },
        "vat_amount": {
            "type": ["string", "null"],
            "pattern": VAT_PATTERN,
            "description": "Deductible VAT included in amount (0 to amount), if the receipt "
            "shows it.",
        },
        "cost_centre": _text("cost_centre", "Department dimension."),
        "project": _text("project", "Project dimension."),
        "employee_number": _text("employee_number", "The claimant's employee number."),
        "account_code": _text(
            "account_code", "An expense account your app chose; empty lets the category decide."
        ),
    },
}
BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "ClaimBatchIn",
    "additionalProperties": False,
    "required": ["claims"],
    "properties": {
        "claims": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": CLAIM_SCHEMA}
    },
}
_EXAMPLE_CLAIM = {
    "external_id": "exp-2026-000123",
    "claimant": "Kari Nordmann",
    "claim_date": "2026-11-27",
    "amount": "1250.00",
    "currency": "NOK",
    "description": "Train Oslo-Bergen, regional meeting",
    "category": "travel",
    "vat_amount": "133.93",
    "cost_centre": "200",
}
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"oneOf": [BATCH_SCHEMA, CLAIM_SCHEMA]},
            "examples": {
                "one": {"summary": "One claim", "value": _EXAMPLE_CLAIM},
                "batch": {
                    "summary": "A batch (up to 500)",
                    "value": {
                        "claims": [
                            _EXAMPLE_CLAIM,
                            {
                                **_EXAMPLE_CLAIM,
                                "external_id": "exp-2026-000124",
                                "amount": "389.00",
                                "vat_amount": None,
                                "category": "meals",
                                "description": "Lunch with volunteers",
                            },
                        ]
                    },
                },
            },
        }
    },
}


class ClaimOut(BaseModel):
    id: str = Field(description="The claim's id in your app (its external_id).")
    status: str = Field(
        description="waiting (for the next sync), sending (sent, confirmation pending), "
        "exported (in the ledger), refused (see refusal; fix, then POST .../retry) or "
        "withdrawn."
    )
    claimant: str
    claim_date: str
    amount: str
    currency: str
    description: str
    category: str
    vat_amount: str | None
    cost_centre: str | None
    project: str | None
    employee_number: str | None
    account_code: str
    received_at: datetime
    changed_at: datetime = Field(description="When the status last changed.")
    ledger_reference: str | None = Field(
        description="The accounting system's reference, once exported."
    )
    exported_at: datetime | None
    refusal: str | None = Field(
        description="Why the accounting system refused the claim: what to fix before retrying."
    )

    @classmethod
    def of(cls, view: ClaimStatusView) -> ClaimOut:
        values = {name: getattr(view, name) for name in _VIEW_FIELDS}
        return cls(id=view.external_id, **values)


_VIEW_FIELDS = tuple(name for name in ClaimOut.model_fields if name != "id")


class IntakeItemOut(BaseModel):
    index: int = Field(description="The claim's position in the request (0 for one claim).")
    id: str = Field(description="Its external_id; GET /claims/{id} gives the whole claim.")
    outcome: str = Field(description="created, or existing (sent before with the same values).")
    status: str = Field(description="As in GET /claims/{id}: waiting for a new claim.")
    changed_at: datetime


class IntakeOut(BaseModel):
    created: int
    existing: int
    sync_requested: bool = Field(
        description="True when an integration set to send at once will sync within seconds."
    )
    results: list[IntakeItemOut]

    @staticmethod
    def body(result: IntakeResult) -> dict[str, Any]:
        """This model's JSON, built directly: validating 500 items cost more than storing them.

        New claims share one time, so each distinct time is written out once."""
        times: dict[datetime, str] = {}

        def written(at: datetime) -> str:
            text = times.get(at)
            if text is None:
                text = times[at] = at.isoformat().replace("+00:00", "Z")
            return text

        return {
            "created": result.created,
            "existing": len(result.items) - result.created,
            "sync_requested": result.sync_requested,
            "results": [
                {
                    "index": item.position,
                    "id": item.external_id,
                    "outcome": "created" if item.created else "existing",
                    "status": item.status,
                    "changed_at": written(item.changed_at),
                }
                for item in result.items
            ],
        }


class ClaimListOut(BaseModel):
    claims: list[ClaimOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class ClaimProblemOut(BaseModel):
    index: int | None = Field(
        default=None, description="The claim's position in the request (absent for a header)."
    )
    id: str | None = Field(
        default=None, description="The claim's external_id, when it had a readable one."
    )
    field: str
    location: str = "body"
    message: str
    code: str | None = Field(default=None, description="The problem's code, e.g. 'required'.")


class ClaimsInvalidOut(BaseModel):
    detail: str
    code: str | None = None
    errors: list[ClaimProblemOut]


class ClaimConflictOut(BaseModel):
    index: int
    id: str
    fields: list[str] = Field(description="The fields whose values differ from the stored claim.")


class ClaimsConflictOut(BaseModel):
    detail: str
    code: str | None = None
    conflicts: list[ClaimConflictOut]


class SendAtOnceIn(BaseModel):
    send_at_once: bool = Field(
        strict=True,
        description="True: posted claims start a sync within seconds; false: they wait for "
        "the schedule.",
    )


class SendAtOnceOut(BaseModel):
    integration_id: int
    send_at_once: bool
