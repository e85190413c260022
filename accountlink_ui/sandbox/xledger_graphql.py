"""A small GraphQL reader: enough of the language to answer AccountLink's queries.

It parses operations (query/mutation, variables, aliases, arguments, nested
selections) genuinely rather than matching strings, so a malformed query gets
a GraphQL syntax error like a real server would give. Fragments, directives
and subscriptions are out of scope and rejected with a clear message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$()\[\]{}:=@|&])
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    """,
    re.VERBOSE,
)


class GraphQLSyntaxError(ValueError):
    """The document is not valid GraphQL (or uses a part this reader does not support)."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class Field:
    """One selected field: its name, alias, resolved arguments and sub-selection."""

    name: str
    alias: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    selections: list[Field] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The key this field has in the response (its alias, else its name)."""
        return self.alias or self.name


@dataclass
class Operation:
    """A parsed operation: 'query' or 'mutation' and its top-level fields."""

    kind: str
    name: str | None
    selections: list[Field]


@dataclass
class _Token:
    kind: str
    value: str
    pos: int


def parse_operation(
    source: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
) -> Operation:
    """Parse `source` and return the operation to run, with variables substituted."""
    return _Parser(source, dict(variables or {})).document(operation_name)


class _Parser:
    def __init__(self, source: str, variables: dict[str, Any]) -> None:
        self.source = source
        self.variables = variables
        self.tokens = self._tokenize(source)
        self.index = 0

    def _tokenize(self, source: str) -> list[_Token]:
        tokens: list[_Token] = []
        pos = 0
        while pos < len(source):
            match = _TOKEN.match(source, pos)
            if match is None:
                self._fail(f'Unexpected character "{source[pos]}".', pos)
            assert match is not None
            kind = match.lastgroup or ""
            if kind != "skip":
                tokens.append(_Token(kind, match.group(), pos))
            pos = match.end()
        tokens.append(_Token("eof", "<EOF>", len(source)))
        return tokens

    def _fail(self, message: str, pos: int) -> None:
        line = self.source.count("\n", 0, pos) + 1
        column = pos - (self.source.rfind("\n", 0, pos) + 1) + 1
        raise GraphQLSyntaxError(f"Syntax Error: {message}", line, column)

    # --- token helpers -------------------------------------------------------
    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        token = self.tokens[self.index]
        return (value is None or token.value == value) and (kind is None or token.kind == kind)

    def take(self, value: str | None = None, kind: str | None = None) -> _Token:
        token = self.tokens[self.index]
        if not self.peek(value, kind):
            expected = f'"{value}"' if value else (kind or "token").capitalize()
            self._fail(f'Expected {expected}, found "{token.value}".', token.pos)
        self.index += 1
        return token

    # --- grammar -------------------------------------------------------------
    def document(self, operation_name: str | None) -> Operation:
        operations: list[Operation] = []
        while not self.peek(kind="eof"):
            operations.append(self.operation())
        if not operations:
            self._fail("Unexpected <EOF>.", len(self.source))
        if operation_name is None:
            if len(operations) > 1:
                raise GraphQLSyntaxError(
                    "Must provide operation name if query contains multiple operations."
                )
            return operations[0]
        for operation in operations:
            if operation.name == operation_name:
                return operation
        raise GraphQLSyntaxError(f'Unknown operation named "{operation_name}".')

    def operation(self) -> Operation:
        if self.peek("{"):
            return Operation("query", None, self.selection_set())
        token = self.take(kind="name")
        if token.value == "fragment":
            self._fail("Fragments are not supported by this sandbox.", token.pos)
        if token.value not in ("query", "mutation"):
            self._fail(f'Unexpected Name "{token.value}".', token.pos)
        name = self.take(kind="name").value if self.peek(kind="name") else None
        if self.peek("("):
            self.variable_definitions()
        return Operation(token.value, name, self.selection_set())

    def variable_definitions(self) -> None:
        self.take("(")
        while not self.peek(")"):
            self.take("$")
            name = self.take(kind="name").value
            self.take(":")
            self.type_ref()
            if self.peek("="):
                self.take("=")
                default = self.value()
                self.variables.setdefault(name, default)
        self.take(")")

    def type_ref(self) -> None:
        if self.peek("["):
            self.take("[")
            self.type_ref()
            self.take("]")
        else:
            self.take(kind="name")
        if self.peek("!"):
            self.take("!")

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields: list[Field] = []
        while not self.peek("}"):
            if self.peek(kind="spread"):
                self._fail(
                    "Fragments are not supported by this sandbox.", self.tokens[self.index].pos
                )
            fields.append(self.field())
        self.take("}")
        if not fields:
            self._fail('Expected Name, found "}".', self.tokens[self.index - 1].pos)
        return fields

    def field(self) -> Field:
        name = self.take(kind="name").value
        alias = None
        if self.peek(":"):
            self.take(":")
            alias, name = name, self.take(kind="name").value
        arguments: dict[str, Any] = {}
        if self.peek("("):
            self.take("(")
            while not self.peek(")"):
                arg = self.take(kind="name").value
                self.take(":")
                arguments[arg] = self.value()
            self.take(")")
        if self.peek("@"):
            self._fail("Directives are not supported by this sandbox.", self.tokens[self.index].pos)
        selections = self.selection_set() if self.peek("{") else []
        return Field(name, alias, arguments, selections)

    def value(self) -> Any:
        token = self.tokens[self.index]
        if token.value == "$":
            self.take("$")
            return self.variables.get(self.take(kind="name").value)
        if token.value == "[":
            self.take("[")
            items = []
            while not self.peek("]"):
                items.append(self.value())
            self.take("]")
            return items
        if token.value == "{":
            self.take("{")
            obj = {}
            while not self.peek("}"):
                key = self.take(kind="name").value
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        self.index += 1
        if token.kind == "string":
            return json.loads(token.value)
        if token.kind == "number":
            return float(token.value) if re.search(r"[.eE]", token.value) else int(token.value)
        if token.kind == "name":
            return {"true": True, "false": False, "null": None}.get(token.value, token.value)
        self._fail(f'Unexpected "{token.value}".', token.pos)
        return None
