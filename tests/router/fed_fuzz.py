"""Hypothesis strategies for valid operations against an API schema.

The operations mix what a planner must get right: aliases, inline fragments and
named fragments on interfaces, unions and their members, arguments (literal and
variables), `@skip`/`@include` (literal and variables) and `__typename`. Every drawn
operation is valid against the schema (the few that graphql's field-merging rule
refuses are rejected with `assume`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLCompositeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_composite_type,
    parse,
    validate,
)
from hypothesis import assume
from hypothesis import strategies as st

Json = Any

SCALARS: dict[str, list[Json]] = {
    "ID": ["1", "2", "3", "b1", "m1", "u1", "c"],
    "String": ["L", "a", "USD", "EUR", "Dune"],
    "Int": [0, 1, 2, 3],
    "Float": [0.5, 2.0],
    "Boolean": [True, False],
}


@dataclass
class _Doc:
    draw: Any
    avoid: frozenset[tuple[str, str]]
    max_depth: int
    plain: frozenset[tuple[str, str]]
    fragments: list[str] = field(default_factory=list)
    variables: dict[str, tuple[str, Json]] = field(default_factory=dict)
    aliases: int = 0

    def alias(self) -> str | None:
        if self.aliases >= 12:  # the router's alias limit is 15
            return None
        self.aliases += 1
        return f"a{self.aliases}"

    def variable(self, type_text: str, value: Json) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = (type_text, value)
        return f"${name}"


def _literal(value: Json) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    return str(value)


def _type_text(t: GraphQLInputType) -> str:
    if isinstance(t, GraphQLNonNull):
        return _type_text(t.of_type) + "!"
    if isinstance(t, GraphQLList):
        return "[" + _type_text(t.of_type) + "]"
    return str(t.name)  # type: ignore[attr-defined]


def _value(doc: _Doc, t: GraphQLInputType) -> tuple[str, Json]:
    """A literal for `t` and the same value as JSON."""
    inner = t.of_type if isinstance(t, GraphQLNonNull) else t
    if isinstance(inner, GraphQLList):
        text, value = _value(doc, inner.of_type)
        return f"[{text}]", [value]
    if isinstance(inner, GraphQLEnumType):
        name = doc.draw(st.sampled_from(sorted(inner.values)))
        return name, name
    if isinstance(inner, GraphQLInputObjectType):
        parts, out = [], {}
        for fname, f in inner.fields.items():
            required = isinstance(f.type, GraphQLNonNull) and f.default_value is None
            if required or doc.draw(st.booleans()):
                text, value = _value(doc, f.type)
                parts.append(f"{fname}: {text}")
                out[fname] = value
        return "{" + ", ".join(parts) + "}", out
    assert isinstance(inner, GraphQLScalarType)
    value = doc.draw(st.sampled_from(SCALARS.get(inner.name, ["x"])))
    return _literal(value), value


def _arguments(doc: _Doc, args: Mapping[str, GraphQLArgument]) -> str:
    parts = []
    for name, arg in args.items():
        required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        if not required and not doc.draw(st.booleans()):
            continue
        text, value = _value(doc, arg.type)
        if doc.draw(st.integers(0, 3)) == 0:
            text = doc.variable(_type_text(arg.type), value)
        parts.append(f"{name}: {text}")
    return f"({', '.join(parts)})" if parts else ""


def _directive(doc: _Doc) -> str:
    choice = doc.draw(st.integers(0, 9))
    if choice > 1:
        return ""
    name = "include" if choice == 0 else "skip"
    value = doc.draw(st.booleans())
    cond = doc.variable("Boolean!", value) if doc.draw(st.booleans()) else _literal(value)
    return f" @{name}(if: {cond})"


def _selection(
    doc: _Doc, schema: GraphQLSchema, t: GraphQLCompositeType, depth: int, nest: int = 0
) -> str:
    parts: list[str] = []
    if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
        names = [
            n
            for n, f in t.fields.items()
            if (t.name, n) not in doc.avoid
            and (depth < doc.max_depth or not is_composite_type(get_named_type(f.type)))
        ]
        if names:
            chosen = doc.draw(
                st.lists(
                    st.sampled_from(names), min_size=1, max_size=min(4, len(names)), unique=True
                )
            )
            for name in chosen:
                parts.append(_field(doc, schema, t, name, depth))
    if doc.draw(st.integers(0, 4)) == 0 or not parts:
        alias = doc.alias() if doc.draw(st.booleans()) else None
        parts.append(f"{alias}: __typename" if alias else "__typename")
    if nest >= 2:
        return "{ " + " ".join(parts) + " }"
    if isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
        possible = list(schema.get_possible_types(t))
        if isinstance(t, GraphQLUnionType):
            # A member's interfaces are fragments the union's selection may take too.
            possible_ifaces = {i.name: i for p in possible for i in p.interfaces}
            candidates: list[GraphQLCompositeType] = [*possible, *possible_ifaces.values()]
        else:
            candidates = list(possible)
        frags = doc.draw(
            st.lists(st.sampled_from(candidates), max_size=3, unique_by=lambda c: c.name)
        )
        for cond in frags:
            parts.append(_fragment(doc, schema, cond, t, depth, nest + 1))
    elif doc.draw(st.integers(0, 6)) == 0:
        parts.append(_fragment(doc, schema, t, t, depth, nest + 1))
    return "{ " + " ".join(parts) + " }"


def _fragment(
    doc: _Doc,
    schema: GraphQLSchema,
    cond: GraphQLCompositeType,
    parent: GraphQLCompositeType,
    depth: int,
    nest: int,
) -> str:
    inner = _selection(doc, schema, cond, depth, nest)
    if doc.draw(st.integers(0, 3)) == 0:
        name = f"F{len(doc.fragments)}"
        doc.fragments.append(f"fragment {name} on {cond.name} {inner}")
        return f"...{name}{_directive(doc)}"
    if cond is parent and doc.draw(st.integers(0, 2)) == 0:
        return f"...{_directive(doc)} {inner}"
    return f"... on {cond.name}{_directive(doc)} {inner}"


def _field(
    doc: _Doc,
    schema: GraphQLSchema,
    t: GraphQLObjectType | GraphQLInterfaceType,
    name: str,
    depth: int,
) -> str:
    f = t.fields[name]
    alias = doc.alias() if doc.draw(st.integers(0, 3)) == 0 else None
    directive = "" if (t.name, name) in doc.plain else _directive(doc)
    text = f"{alias + ': ' if alias else ''}{name}{_arguments(doc, f.args)}{directive}"
    named = get_named_type(f.type)
    if is_composite_type(named):
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        text += " " + _selection(doc, schema, named, depth + 1)
    return text


@st.composite
def operations(
    draw: Any,
    schema: GraphQLSchema,
    avoid: Iterable[tuple[str, str]] = (),
    max_depth: int = 3,
    plain: Iterable[tuple[str, str]] = (),
) -> tuple[str, dict[str, Json]]:
    """(document, variables): a valid query against `schema`, without the fields in
    `avoid`, and without `@skip`/`@include` on the fields in `plain`."""
    doc = _Doc(draw, frozenset(avoid), max_depth, frozenset(plain))
    assert schema.query_type is not None
    body = _selection(doc, schema, schema.query_type, 0)
    defs = ", ".join(f"${n}: {t}" for n, (t, _) in doc.variables.items())
    head = f"query Fuzz({defs}) " if defs else "query Fuzz "
    text = " ".join([head + body, *doc.fragments])
    document = parse(text)
    assume(not validate(schema, document))
    return text, {n: v for n, (_, v) in doc.variables.items()}
