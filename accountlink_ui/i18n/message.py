"""The value a service returns instead of a sentence: a code, its parameters, a raw detail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Message:
    """What to tell a person, before it is put in their language.

    ``code`` is a catalogue key such as ``"sync.claims_exported"``; ``params`` fill its
    ``{placeholders}`` (numbers, amounts and datetimes are formatted for the reader's
    locale and time zone when rendered); ``detail`` is text that came from outside (an
    external system's error body) and is shown as-is, never translated.
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    detail: str | None = None

    @classmethod
    def of(cls, code: str, detail: str | None = None, **params: Any) -> Message:
        return cls(code=code, params=MappingProxyType(dict(params)), detail=detail)
