"""The import-cycle check ``make lint`` runs finds a circle, also one hidden in a function."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_import_cycles.py"


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False
    )


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_a_circle_through_a_deferred_import_is_reported(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "registry.py": "def build():\n    from pkg.adapter import Adapter\n",
            "adapter.py": "from pkg.registry import build\n",
            "alone.py": "import pkg.adapter\n",
        },
    )
    result = _check(root)
    assert result.returncode == 1
    assert "pkg.adapter -> pkg.registry" in result.stdout
    assert "pkg.registry -> pkg.adapter" in result.stdout
    assert "pkg.alone" not in result.stdout


def test_type_checking_imports_and_acyclic_packages_pass(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n",
            "b.py": "from . import a\n",
        },
    )
    result = _check(root)
    assert result.returncode == 0, result.stdout


def test_the_package_itself_has_no_cycle() -> None:
    result = _check(SCRIPT.parents[1] / "accountlink_ui")
    assert result.returncode == 0, result.stdout
