"""No test module imports another test module or a helper beside it: what tests share
lives in tests/support/ (and fixtures in conftest.py files, used by name).

A test that imports another test module runs that module's tests' set-up code, couples
the two, and makes pytest collect fixtures twice; a helper beside the tests grows into a
second, slightly different copy of tests/support/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ALLOWED = "tests.support"


def imported_modules(path: Path, source: str) -> list[tuple[int, str]]:
    """Every module ``source`` (the text of ``path``) imports, relative imports resolved
    against its package."""
    tree = ast.parse(source, filename=str(path))
    package = path.relative_to(TESTS.parent).parent.as_posix().replace("/", ".")
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if (TESTS.parent / base.replace(".", "/")).is_dir():
                # From a package: `from tests.e2e import helpers` imports tests.e2e.helpers.
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, base))
    return found


def forbidden_imports(path: Path, source: str | None = None) -> list[str]:
    """The imports of ``path`` that reach into tests/ outside tests/support/."""
    text = path.read_text() if source is None else source
    return [
        f"{path.relative_to(TESTS.parent)}:{line} imports {module}"
        for line, module in imported_modules(path, text)
        if (module == "tests" or module.startswith("tests."))
        and not (module == ALLOWED or module.startswith(ALLOWED + "."))
    ]


def test_no_test_module_imports_another_test_module_or_a_sibling_helper() -> None:
    modules = sorted(TESTS.rglob("test_*.py")) + sorted(TESTS.rglob("conftest.py"))
    assert len(modules) > 50, "the scan found too few test modules to be looking in the right place"
    problems = [problem for path in modules for problem in forbidden_imports(path)]
    assert not problems, "move what is shared into tests/support/:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tests.support.world import build_world\n", []),
        ("from tests.support import browser\n", []),
        ("import tests.support.clock\n", []),
        ("import httpx\n", []),
        (
            "from tests.sync.test_sync_targets import VAT_POSTING\n",
            ["tests.sync.test_sync_targets"],
        ),
        ("from tests.api.conftest import ApiWorld\n", ["tests.api.conftest"]),
        ("from tests.e2e import helpers\n", ["tests.e2e.helpers"]),
        ("import tests.scheduler.support\n", ["tests.scheduler.support"]),
        ("from .test_other import thing\n", ["tests.unit.test_other"]),
        ("from . import helpers\n", ["tests.unit.helpers"]),
        ("from tests import conftest\n", ["tests.conftest"]),
    ],
    ids=[
        "support-module",
        "support-package",
        "support-plain-import",
        "third-party",
        "test-module",
        "conftest",
        "sibling-helper",
        "plain-import-of-helper",
        "relative-test-module",
        "relative-helper",
        "root-conftest",
    ],
)
def test_the_check_tells_support_imports_from_the_rest(source: str, expected: list[str]) -> None:
    fake = TESTS / "unit" / "test_fake_for_the_import_check.py"
    problems = forbidden_imports(fake, source)
    assert [problem.split(" imports ")[1] for problem in problems] == expected
