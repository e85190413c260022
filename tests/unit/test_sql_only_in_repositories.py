"""SQL lives in the repositories: no module under services/ or api/ builds or runs a query.

DESIGN rules 3, 7 and 8 put policy in the services and queries in the
``*_repository`` modules. This test reads every module under
``accountlink_ui/services`` and ``accountlink_ui/api`` and fails, naming the file
and line, when one imports query construction from SQLAlchemy or SQLModel
(``select``, ``text``, ``update``, ``delete``, ``insert``, or a dialect's
``insert``) or calls ``.exec(``, ``.execute(`` or ``.exec_driver_sql(``.
Engine and Session types, exceptions and ``session.get``/``session.add`` stay
allowed: they are the unit of work, not a query.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "accountlink_ui"
CHECKED = ("services", "api")
QUERY_NAMES = frozenset({"select", "text", "update", "delete", "insert"})
QUERY_CALLS = frozenset({"exec", "execute", "exec_driver_sql"})
SQL_PACKAGES = ("sqlalchemy", "sqlmodel")


def _is_sql_module(module: str) -> bool:
    return module.split(".")[0] in SQL_PACKAGES


def sql_uses(source: str, filename: str = "<source>") -> list[str]:
    """Each query construction or execution in ``source``, as 'line: what'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom) and node.module and _is_sql_module(node.module):
            for alias in node.names:
                if (
                    alias.name in QUERY_NAMES
                    or alias.name in ("dialects", "sql")
                    or ".dialects" in node.module
                ):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_sql_module(alias.name) and (
                    ".dialects" in alias.name or alias.name.endswith(".sql")
                ):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_CALLS
        ):
            found.append(f"{node.lineno}: .{node.func.attr}(...)")
    return found


def _modules() -> list[Path]:
    return sorted(path for part in CHECKED for path in (PACKAGE / part).rglob("*.py"))


def test_the_check_sees_every_kind_of_query() -> None:
    source = "\n".join(
        [
            "from sqlmodel import Session, col, select",
            "from sqlalchemy import Engine, text",
            "from sqlalchemy.sql import update",
            "from sqlalchemy.dialects import postgresql",
            "import sqlalchemy.dialects.sqlite",
            "session.exec(query)",
            "connection.execute(query)",
            "connection.exec_driver_sql('SELECT 1')",
        ]
    )
    assert sql_uses(source) == [
        "1: from sqlmodel import select",
        "2: from sqlalchemy import text",
        "3: from sqlalchemy.sql import update",
        "4: from sqlalchemy.dialects import postgresql",
        "5: import sqlalchemy.dialects.sqlite",
        "6: .exec(...)",
        "7: .execute(...)",
        "8: .exec_driver_sql(...)",
    ]


def test_the_unit_of_work_is_not_a_query() -> None:
    source = "\n".join(
        [
            "from sqlalchemy import Engine",
            "from sqlalchemy.exc import IntegrityError",
            "from sqlmodel import Session",
            "session.get(Model, 1)",
            "session.add(row)",
            "executor.submit(task)",
        ]
    )
    assert sql_uses(source) == []


@pytest.mark.parametrize(
    "path", _modules(), ids=lambda path: str(path.relative_to(PACKAGE)).replace("/", ".")
)
def test_no_sql_outside_the_repositories(path: Path) -> None:
    uses = sql_uses(path.read_text(), str(path))
    assert not uses, (
        f"{path.relative_to(PACKAGE.parent)} builds or runs SQL; move the query into a "
        "*_repository module and call it:\n  " + "\n  ".join(uses)
    )
