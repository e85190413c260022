"""Below ``ui/`` nothing writes a finished sentence for a person (DESIGN rule 11).

A heuristic over the source of ``services/``, ``integrations/``, ``api/`` and ``emails.py``:
it fails when a string literal that reads like English prose (three or more words in a row,
letters and spaces) appears where a Message belongs. What it does not flag, and why:

* docstrings and comments (documentation, not output);
* log calls (``log.info(...)`` and the like): operators read logs, in English;
* ``raise ValueError/TypeError/RuntimeError/KeyError/LookupError/AssertionError`` and
  ``SystemExit``: programmer and operator errors (startup checks, the CLI), not answers
  to a person using the product;
* keyword arguments that document the API or declare an integration type (``description=``,
  ``summary=``, ``help=``, ``label=``, ``probe=``, ``placeholder=``, ``title=``, ``example=``)
  and dict entries under ``"description"``: OpenAPI text and type declarations (their
  translation is tracked separately, see ``KNOWN``);
* text sent to another program rather than a person (GraphQL queries, SQL, header values).

Limits: it reads literals only, so a sentence assembled from short fragments (each under
three words) or read from a data file passes; and it cannot tell a sentence meant for a
person from one meant for a program, so ``KNOWN`` lists the remaining literals by file with
the reason each is not a Message yet. The list may only shrink: a new literal fails the test.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "accountlink_ui"
SCANNED = [
    *sorted((PACKAGE / "services").glob("*.py")),
    *sorted((PACKAGE / "integrations").glob("*.py")),
    *sorted((PACKAGE / "api").rglob("*.py")),
    PACKAGE / "emails.py",
]
PROSE = re.compile(r"[A-Za-z]{2,}'?[a-z]* [a-z]{2,} [a-z]{2,}")
"""Three words in a row, the last two lower case: how a sentence looks, not a code or a name."""
NOT_FOR_PEOPLE = re.compile(
    r"^\s*(query|mutation|select|insert|update|delete)\b|%[sd]|\{ \w+\(", re.I
)
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
PROGRAMMER_ERRORS = {
    "ValueError",
    "TypeError",
    "RuntimeError",
    "KeyError",
    "LookupError",
    "AssertionError",
    "SystemExit",
    "NotImplementedError",
    "UnknownAdapterError",
    "MailError",
    "SmtpNotConfigured",
    "Counter",  # Prometheus metric help texts, read by operators
    "Histogram",
    "Gauge",
    "GaugeMetricFamily",
}
DOC_KEYWORDS = {"description", "summary", "help", "label", "probe", "placeholder", "title"}
DOC_KEYWORDS |= {"example", "examples", "scheme_name", "alias", "pattern"}

KNOWN: dict[str, int] = {
    # Kept English on purpose: stored records, operator tools, text for other programs.
    "services/masking.py": 1,  # the stored mask of a PEM key
    "services/members_service.py": 1,  # an audit detail ("by" the person themselves)
    "services/auth_service.py": 2,  # audit details of sign-ins (who typed the email)
    "services/key_rotation.py": 9,  # `accountlink keys rotate` output, for the operator
    "services/wiring.py": 1,  # the vault's name for draft secrets (a log label)
    "integrations/xledger.py": 2,  # Xledger's own error text (matched); a declaration
    "api/errors.py": 1,  # Starlette's own error text (matched)
    "api/health.py": 11,  # /readyz check results, for load balancers and operators
    "api/metrics.py": 2,  # the /metrics refusal, for the Prometheus operator
    "api/app.py": 1,  # the OpenAPI description (developer documentation)
    "api/claim_schemas.py": 3,  # OpenAPI field descriptions (developer documentation)
    # Not converted yet (see the branch report):
    "services/audit_service.py": 5,  # audit event descriptions, built from stored details
    "integrations/types.py": 2,  # environment declarations (labels/descriptions)
    "integrations/tripletex.py": 1,  # an environment declaration
    "api/routes/claims.py": 1,  # a query parameter's error, worded like pydantic's own
}
"""File → how many prose literals it may still hold, each with its reason."""


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _excused(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Expr) and isinstance(child, ast.Constant):
            return True  # a docstring or a bare string statement
        if isinstance(parent, ast.keyword) and parent.arg in DOC_KEYWORDS:
            return True
        if isinstance(parent, ast.Dict):
            for key, value in zip(parent.keys, parent.values, strict=True):
                if value is child and isinstance(key, ast.Constant) and key.value in DOC_KEYWORDS:
                    return True
        if isinstance(parent, ast.Call):
            name = _name(parent.func)
            if name in LOG_METHODS or name in PROGRAMMER_ERRORS:
                return True
        if (
            isinstance(parent, ast.Raise)
            and isinstance(parent.exc, ast.Call)
            and _name(parent.exc.func) in PROGRAMMER_ERRORS
        ):
            return True
        child, parent = parent, parents.get(parent)
    return False


def prose_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if not PROSE.search(text) or NOT_FOR_PEOPLE.search(text) or "ACCOUNTLINK_" in text:
            continue
        if not _excused(node, parents):
            found.append((node.lineno, text))
    return found


def test_the_heuristic_finds_a_sentence_where_a_message_belongs(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import logging\nlog = logging.getLogger()\n"
        "def f(x):\n"
        '    """Docstrings are fine."""\n'
        '    log.info("the operator reads this one")\n'
        '    if x:\n        raise ValueError("a programmer error is fine too")\n'
        '    raise PermanentError(f"Xledger refused the voucher {x}.")\n'
    )
    assert [text for _, text in prose_literals(sample)] == ["Xledger refused the voucher "]


def test_services_adapters_and_the_api_return_messages_not_sentences() -> None:
    counts: Counter[str] = Counter()
    shown: dict[str, list[str]] = {}
    for path in SCANNED:
        relative = str(path.relative_to(PACKAGE))
        for line, text in prose_literals(path):
            counts[relative] += 1
            shown.setdefault(relative, []).append(f"  {relative}:{line}: {text[:70]!r}")
    over = {name: count for name, count in counts.items() if count > KNOWN.get(name, 0)}
    details = "\n".join(line for name in over for line in shown[name])
    assert not over, (
        "English sentences where a Message belongs (use Message.of with a catalogue code; "
        f"see accountlink_ui/i18n):\n{details}"
    )
    stale = {name: known for name, known in KNOWN.items() if counts[name] < known}
    assert not stale, f"fewer literals than KNOWN says; lower these counts: {stale}"
