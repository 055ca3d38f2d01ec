"""The public API schema (`schema.graphql`) and breaking-change checks against it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from graphql import (
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    lexicographic_sort_schema,
    print_schema,
)


def api_schema_sdl() -> str:
    """`schema.graphql`: the composed API schema, sorted so diffs stay readable."""
    from nexo.graph import build_graph

    api = build_graph().composition.api_schema_sdl
    return print_schema(lexicographic_sort_schema(build_schema(api))) + "\n"


def _previous_sdl(against: str) -> str:
    path = Path(against)
    if path.exists():
        return path.read_text(encoding="utf-8")
    return subprocess.run(  # noqa: S603 - a fixed git command, the ref is an argument
        ["git", "show", f"{against}:schema.graphql"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def check_against(against: str) -> tuple[list[str], list[str]]:
    old = build_schema(_previous_sdl(against))
    new = build_schema(api_schema_sdl())
    breaking = [f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)]
    dangerous = [f"{c.type.name}: {c.description}" for c in find_dangerous_changes(old, new)]
    return breaking, dangerous
