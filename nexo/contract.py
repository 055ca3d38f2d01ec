"""The public API schema (`schema.graphql`) and breaking-change checks against it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    lexicographic_sort_schema,
    print_schema,
    specified_directives,
)

FEDERATION_FIELDS = {"_service", "_entities"}


def _is_federation_type(name: str) -> bool:
    return name.startswith("_") or "__" in name or name in {"FieldSet"}


def _strip_federation(schema: GraphQLSchema) -> GraphQLSchema:
    query = schema.query_type
    assert query is not None
    api_query = GraphQLObjectType(
        query.name,
        {k: v for k, v in query.fields.items() if k not in FEDERATION_FIELDS},
        description=query.description,
    )
    types = [
        t
        for name, t in schema.type_map.items()
        if not name.startswith("__") and not _is_federation_type(name) and t is not query
    ]
    return GraphQLSchema(
        query=api_query,
        mutation=schema.mutation_type,
        types=types,
        directives=specified_directives,
    )


def api_schema_sdl() -> str:
    """The API schema clients see. With one subgraph it is that subgraph's schema minus
    federation machinery; composition of several is the router's job."""
    from subgraphs.registry import SUBGRAPHS

    if len(SUBGRAPHS) != 1:
        from router.compose import compose_api_schema_sdl  # type: ignore[import-not-found]

        return str(compose_api_schema_sdl())
    schema = SUBGRAPHS[0].build_schema()
    api = _strip_federation(schema._schema)
    # Round-trip through SDL so the result has no ties to Strawberry's runtime objects.
    return print_schema(lexicographic_sort_schema(build_schema(print_schema(api)))) + "\n"


def _previous_sdl(against: str) -> str:
    path = Path(against)
    if path.exists():
        return path.read_text(encoding="utf-8")
    return subprocess.run(
        ["git", "show", f"{against}:schema.graphql"],
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
