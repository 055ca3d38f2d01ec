"""The error-code registry is the single source: every code the code base can hand a
client is a registered `Code`, each registered once with a meaning."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.codes import Code
from shared.errors import Problem

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "subgraphs", "router", "nexo")
CODE_LIKE = re.compile(r"^[A-Z][A-Z0-9_]+$")
# Calls whose (field, code, message) arguments put a code at position 1.
CODE_AT_1 = {"Problem", "add", "one"}
CODE_KEYWORD = {*CODE_AT_1, "UserError", "GraphQLError"}


def test_every_code_has_its_name_as_value_and_a_meaning() -> None:
    for code in Code:
        assert code.value == code.name
        assert code.meaning.strip().endswith("."), code


def test_meanings_are_distinct() -> None:
    meanings = [c.meaning for c in Code]
    assert len(set(meanings)) == len(meanings)


def test_a_problem_refuses_an_unregistered_code() -> None:
    with pytest.raises(TypeError):
        Problem("x", "NOT_A_REGISTERED_CODE", "message")  # type: ignore[arg-type]


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _extension_code(node: ast.AST) -> str | None:
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if _literal(key) == "code":
                return _literal(value)
    return None


def _codes_used(tree: ast.AST) -> Iterator[tuple[int, str, bool]]:
    """(line, literal, positional) for every string literal standing where a code goes:
    `Problem(field, code, message)` and its kin, `code=` of those, and the `code` of an
    `extensions` mapping, and a module constant named `…CODE`."""
    for top in getattr(tree, "body", []):
        if isinstance(top, ast.Assign) and (lit := _literal(top.value)) is not None:
            names = [getattr(t, "id", "") for t in top.targets]
            if any(n.endswith("CODE") for n in names) and CODE_LIKE.match(lit):
                yield top.lineno, lit, True
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            # (field, code, message): a message literal in third place tells these calls
            # from other `add`s and `one`s.
            if (
                name in CODE_AT_1
                and len(node.args) == 3
                and isinstance(node.args[2], ast.Constant | ast.JoinedStr)
            ):
                lit = _literal(node.args[1])
                if lit is not None and CODE_LIKE.match(lit):
                    yield node.lineno, lit, True
            for kw in node.keywords:
                lit = _literal(kw.value) if name in CODE_KEYWORD else None
                if kw.arg == "code" and lit is not None:
                    yield node.lineno, lit, False
                if kw.arg == "extensions" and (lit := _extension_code(kw.value)) is not None:
                    yield node.lineno, lit, False
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if _literal(key) == "extensions" and (lit := _extension_code(value)) is not None:
                    yield node.lineno, lit, False


def test_every_code_in_the_code_base_is_registered() -> None:
    registered = {c.value for c in Code}
    unregistered, untyped = [], []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, literal, positional in _codes_used(tree):
            where = f"{path.relative_to(ROOT)}:{line} {literal}"
            if literal not in registered:
                unregistered.append(where)
            elif positional:
                untyped.append(where)
    assert unregistered == [], "codes missing from shared/codes.py"
    assert untyped == [], "use the Code member, not its string"


def test_the_docs_list_every_code() -> None:
    from shared.codes import reference

    assert (ROOT / "docs" / "error-codes.md").read_text() == reference()
