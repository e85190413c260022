"""The page text catalogue: complete in both languages, every key used, no text around it.

A page shows words only through ``t("key")`` / ``tf("key", ...)`` (``ui/states/locale.py``)
or a state's ``self._t("key", ...)``; these tests fail when a ``ui.po`` key lacks its
English or Norwegian text, when a key is no longer used anywhere in ``ui/`` (or the app
module), and when a page or component passes a user-facing string literal to Reflex.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from accountlink_ui.i18n.catalogue import domain_catalogue
from accountlink_ui.ui.states.locale import ui_texts

PACKAGE = Path(__file__).resolve().parents[2] / "accountlink_ui"
UI = PACKAGE / "ui"
CHECKED_DIRS = (UI / "pages", UI / "components")
"""Where a literal passed to a component is a bypass of the catalogue."""

TEXT_COMPONENTS = {
    "text",
    "heading",
    "button",
    "badge",
    "link",
    "callout",
    "label",
    "legend",
    "option",
    "span",
    "p",
    "li",
    "th",
    "td",
    "column_header_cell",
    "cell",
    "row_header_cell",
    "tooltip",
    "alert_dialog.title",
    "alert_dialog.description",
    "dialog.title",
    "dialog.description",
    "code",
    "strong",
    "em",
    "summary",
    "caption",
    "checkbox",
    "switch",
    "radio",
    "value",
}
"""Reflex components whose positional string arguments are shown to a person."""
TEXT_KEYWORDS = {"aria_label", "title", "placeholder", "label", "alt", "content", "text"}
"""Keyword arguments that a person reads or a screen reader announces."""
NOT_WORDS = {"AccountLink", "Norsk", "English"}
"""Names, not sentences: the brand, and each language named in itself."""


def _component_name(call: ast.Call) -> str:
    parts: list[str] = []
    func: ast.expr = call.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not (isinstance(func, ast.Name) and func.id == "rx"):
        return ""
    return ".".join(reversed(parts))


def _is_words(value: object) -> bool:
    return (
        isinstance(value, str)
        and bool(re.search(r"[A-Za-zÆØÅæøå]{2}", value))
        and (value not in NOT_WORDS)
    )


def _literals_shown(node: ast.expr) -> list[ast.Constant]:
    """String constants in ``node`` that would be shown: itself, or a branch of rx.cond /
    rx.match, or a part of an f-string or a concatenation."""
    if isinstance(node, ast.Constant):
        return [node] if _is_words(node.value) else []
    if isinstance(node, ast.JoinedStr):
        return [v for v in node.values if isinstance(v, ast.Constant) and _is_words(v.value)]
    if isinstance(node, ast.BinOp):
        return _literals_shown(node.left) + _literals_shown(node.right)
    if isinstance(node, ast.Call) and _component_name(node) in ("cond", "match"):
        return [found for arg in node.args[1:] for found in _literals_shown(arg)]
    return []


def literal_bypasses(path: Path) -> list[str]:
    """Every user-facing literal in ``path``, as 'file:line: text'."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _component_name(node)
        if not name or name == "icon":
            continue
        shown: list[ast.Constant] = []
        if name.split(".")[-1] in TEXT_COMPONENTS or name in TEXT_COMPONENTS:
            for arg in node.args:
                shown += _literals_shown(arg)
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                shown += _literals_shown(keyword.value)
        found += [f"{path.relative_to(PACKAGE)}:{c.lineno}: {c.value!r}" for c in shown]
    return found


def _checked_files() -> list[Path]:
    return sorted(p for folder in CHECKED_DIRS for p in folder.glob("*.py"))


def test_pages_and_components_show_no_literal_text() -> None:
    bypasses = [line for path in _checked_files() for line in literal_bypasses(path)]
    assert bypasses == [], "user-facing text outside the catalogue:\n" + "\n".join(bypasses)


def test_the_check_finds_a_literal(tmp_path: Path) -> None:
    """The AST check itself: each way a literal reaches the page is caught."""
    sample = PACKAGE / "ui" / "pages" / "_sample_for_test.py"
    sample.write_text(
        "import reflex as rx\n"
        "def page():\n"
        "    return rx.vstack(\n"
        "        rx.heading('Hello'),\n"
        "        rx.button(rx.cond(x, 'Finish', 'Skip')),\n"
        "        rx.link(t('ok.key'), aria_label=f'Set up {name}'),\n"
        "        rx.el.label('Name', html_for='field-name'),\n"
        "        rx.icon('plus'),\n"
        "        rx.text(' ', '…'),\n"
        "    )\n"
    )
    try:
        found = [line.split(": ", 1)[1] for line in literal_bypasses(sample)]
    finally:
        sample.unlink()
    assert found == ["'Hello'", "'Finish'", "'Skip'", "'Set up '", "'Name'"]


def test_every_ui_key_has_english_and_norwegian_text() -> None:
    english, norwegian = domain_catalogue("en", "ui"), domain_catalogue("nb", "ui")
    assert set(english) - set(norwegian) == set(), "keys without Norwegian text"
    assert set(norwegian) - set(english) == set(), "keys without English text"
    assert len(english) > 100


def test_placeholders_match_between_languages() -> None:
    """A translation that drops or renames ``{name}`` would show the raw placeholder."""
    english, norwegian = domain_catalogue("en", "ui"), domain_catalogue("nb", "ui")
    for key, text in english.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", norwegian[key])), key


def _string_constants_in_ui() -> set[str]:
    sources = [*UI.rglob("*.py"), PACKAGE / "accountlink_ui.py"]
    constants: set[str] = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
    return constants


def test_every_ui_key_is_used() -> None:
    """A key no page or state names any more is dead text a translator would still maintain."""
    unused = set(domain_catalogue("en", "ui")) - _string_constants_in_ui()
    assert unused == set(), f"ui.po keys nothing in ui/ uses: {sorted(unused)}"


def _keys_looked_up() -> set[str]:
    """First arguments of ``t(...)``, ``tf(...)``, ``self._t(...)`` and ``reader.t(...)``."""
    keys: set[str] = set()
    for path in [*UI.rglob("*.py"), PACKAGE / "accountlink_ui.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if name in ("t", "tf", "_t") and isinstance(first, ast.Constant):
                keys.add(str(first.value))
    return keys


def test_every_key_a_page_looks_up_exists() -> None:
    """``t("typo")`` would show the raw key on the page."""
    missing = _keys_looked_up() - set(domain_catalogue("en", "ui"))
    assert missing == set(), f"keys looked up in ui/ but missing from ui.po: {sorted(missing)}"


@pytest.mark.parametrize("locale", ["en", "nb"])
def test_the_page_catalogue_falls_back_to_english(locale: str) -> None:
    texts = ui_texts(locale)
    assert (
        texts["nav.integrations"]
        == {
            "en": "External Integrations",
            "nb": "Eksterne integrasjoner",
        }[locale]
    )
