"""Every message code the code can produce is in both catalogues and renders in both.

The scan reads the source (AST), so a code added anywhere in ``accountlink_ui`` without a
catalogue entry fails here before anyone sees the bare code on a page:

* ``Message.of("a.code", ...)`` and ``Message(code="a.code")`` with a literal code: the code
  must be in the English and the Norwegian catalogue, and render in both with the keyword
  parameters given there (dummy values) without a ``{placeholder}`` left over;
* a code built from a module-level constant (``Message.of(TESTS_BUSY, ...)``) is resolved
  within its module;
* a code built with an f-string (``f"member.{code}"``) must match at least one catalogue key,
  and the families behind the dynamic ones (member refusals, admin-only actions, audit
  actions, claim problems and states, AADSTS explanations) are enumerated below.

Catalogue-wide: English and Norwegian hold the same keys, each Norwegian text uses exactly
the placeholders of its English one, and no text is empty.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

import pytest

from accountlink_ui.i18n import LOCALES, Message, catalogue_keys, render, translate

PACKAGE = Path(__file__).resolve().parents[2] / "accountlink_ui"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
RESERVED = {"detail", "code"}
"""Keyword names ``Message.of`` takes for itself: never a parameter name."""


@dataclass(frozen=True)
class Use:
    where: str
    code: str
    params: frozenset[str]


@dataclass(frozen=True)
class Pattern:
    where: str
    regex: str


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants: dict[str, str] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and node.targets else None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        value = getattr(node, "value", None)
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            constants[target.id] = value.value
    return constants


def _is_message_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "of":
        return isinstance(func.value, ast.Name) and func.value.id == "Message"
    return isinstance(func, ast.Name) and func.id == "Message"


def _scan() -> tuple[list[Use], list[Pattern]]:
    uses: list[Use] = []
    patterns: list[Pattern] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _is_message_call(node):
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            code_node: ast.expr | None = node.args[0] if node.args else None
            for keyword in node.keywords:
                if keyword.arg == "code":
                    code_node = keyword.value
            params = frozenset(k.arg for k in node.keywords if k.arg and k.arg not in RESERVED)
            if isinstance(code_node, ast.Constant) and isinstance(code_node.value, str):
                uses.append(Use(where, code_node.value, params))
            elif isinstance(code_node, ast.Name) and code_node.id in constants:
                uses.append(Use(where, constants[code_node.id], params))
            elif isinstance(code_node, ast.JoinedStr):
                regex = "".join(
                    re.escape(part.value) if isinstance(part, ast.Constant) else r"[a-z0-9_.]+"
                    for part in code_node.values
                )
                patterns.append(Pattern(where, regex))
    return uses, patterns


USES, PATTERNS = _scan()


def _ids(items: list[Use]) -> list[str]:
    return [f"{use.code}@{use.where}" for use in items]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_the_scan_finds_the_codes() -> None:
    """The scan itself works: a broken pattern would make every other test vacuous."""
    assert len(USES) > 250, len(USES)
    assert any(use.code == "xledger.token_missing" for use in USES)
    assert any("member" in pattern.regex for pattern in PATTERNS)


@pytest.mark.parametrize("use", USES, ids=_ids(USES))
def test_every_literal_code_is_in_both_catalogues_and_renders(use: Use) -> None:
    for locale in LOCALES:
        assert use.code in catalogue_keys(locale), f"{use.code} ({use.where}) missing in {locale}"
        template = translate(locale, use.code)
        missing = _placeholders(template) - use.params
        assert not missing, f"{use.where}: {use.code} in {locale} needs {sorted(missing)}"
        rendered = render(Message.of(use.code, **dict.fromkeys(use.params, "[x]")), locale)
        assert not PLACEHOLDER.search(rendered), f"{use.code} in {locale}: {rendered!r}"


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.where for p in PATTERNS])
def test_every_built_code_matches_a_catalogue_key(pattern: Pattern) -> None:
    matching = [key for key in catalogue_keys("en") if re.fullmatch(pattern.regex, key)]
    assert matching, f"{pattern.where}: no catalogue key matches {pattern.regex!r}"


def _families() -> Iterator[str]:
    """The codes the f-strings above build, enumerated from their sources."""
    from accountlink_ui.integrations.entra import _EXPLANATIONS
    from accountlink_ui.services import audit_service, claim_intake
    from accountlink_ui.services.sync_service import TRIGGERS
    from accountlink_ui.ui.member_messages import MEMBER_CODES

    yield from (f"member.{code}" for code in MEMBER_CODES)
    yield from (f"audit.action.{action}" for action in audit_service.ACTIONS)
    yield from (code for code, _, _ in _EXPLANATIONS.values())
    for path in sorted((PACKAGE / "services").glob("*.py")):
        for match in re.finditer(r'require_admin\([^)]*to="([a-z_]+)"', path.read_text()):
            yield f"access.admins_only.{match.group(1)}"
    yield from (f"access.admins_only.{to}" for to in ("integrations", "demo_controls"))
    yield from (f"claims.problem.{code}" for code in _problem_codes(claim_intake.__file__))
    yield from (f"claims.state.{action}" for action in ("retry", "withdraw"))
    yield from (
        f"claims.status.{status}"
        for status in ("waiting", "sending", "exported", "refused", "withdrawn")
    )
    yield from (f"work.what.{what}" for what in ("connection_tests", "syncs"))
    yield from (f"tripletex.token.{key}" for key in ("consumer_token", "employee_token"))
    for template in ("integration.error", "credentials.rejected", "integration.recovered"):
        yield from (f"email.{template}.subject", f"email.{template}.body")
    assert TRIGGERS  # the sync triggers need no words of their own


def _problem_codes(path: str) -> set[str]:
    """The codes ``claim_intake`` gives: ``ClaimProblem(index, id, field, code, ...)`` and
    ``problem(field, code, ...)``."""
    codes: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            position = {"ClaimProblem": 3, "problem": 1}.get(node.func.id)
            if position is not None and len(node.args) > position:
                code = node.args[position]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    codes.add(code.value)
    return codes


FAMILIES = sorted(set(_families()))


@pytest.mark.parametrize("code", FAMILIES)
def test_every_code_of_a_family_is_in_both_catalogues(code: str) -> None:
    for locale in LOCALES:
        assert code in catalogue_keys(locale), f"{code} missing in {locale}"


def test_the_catalogues_hold_the_same_keys() -> None:
    english, norwegian = catalogue_keys("en"), catalogue_keys("nb")
    assert not english - norwegian, f"missing in nb: {sorted(english - norwegian)}"
    assert not norwegian - english, f"missing in en: {sorted(norwegian - english)}"


@pytest.mark.parametrize("key", sorted(catalogue_keys("en")))
def test_norwegian_uses_the_english_placeholders(key: str) -> None:
    english, norwegian = translate("en", key), translate("nb", key)
    assert english.strip() and norwegian.strip()
    assert _placeholders(norwegian) == _placeholders(english), key


def test_a_message_renders_in_norwegian_with_numbers_and_a_nested_label() -> None:
    said = Message.of("sync.sent_refused", sent=1234, total=2000, refused=3, label="Xledger")
    assert render(said, "en") == "Sent 1,234 of 2,000 claims to Xledger; 3 refused."
    assert (
        render(said, "nb") == "Sendte 1\u00a0234 av 2\u00a0000 refusjonskrav til Xledger; 3 avvist."
    )
    nested = Message.of("work.server_busy", what=Message.of("work.what.syncs"))
    assert "andre organisasjoners synkroniseringer" in render(nested, "nb")


def test_an_external_detail_is_shown_as_sent_in_every_language() -> None:
    said = Message.of("xledger.voucher_refused", detail="Unknown account 9999")
    assert render(said, "en") == "Xledger refused this voucher: Unknown account 9999"
    assert render(said, "nb") == "Xledger avviste dette bilaget: Unknown account 9999"
