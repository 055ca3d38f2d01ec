"""Compose subgraph SDLs into a Federation 2 supergraph in the standard join format."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from graphql import (
    FieldDefinitionNode,
    FieldNode,
    GraphQLError,
    ListTypeNode,
    NonNullTypeNode,
    TypeNode,
    print_ast,
    print_schema,
)

from router.compose_emit import emit_supergraph
from router.compose_satisfiability import unsatisfiable
from router.compose_types import enum_name, join_version
from router.selection import parse_field_set
from router.subgraph_sdl import SField, SType, Subgraph, read_subgraph
from router.supergraph import load_supergraph
from router.transport import Transport

__all__ = [
    "Composition",
    "CompositionError",
    "CompositionIssue",
    "compose",
    "compose_subgraphs",
    "fetch_sdl",
    "join_version",
]


@dataclass(frozen=True)
class CompositionIssue:
    subgraph: str
    coordinate: str
    reason: str

    def __str__(self) -> str:
        return f"[{self.subgraph}] {self.coordinate}: {self.reason}"


class CompositionError(Exception):
    def __init__(self, issues: list[CompositionIssue]) -> None:
        self.issues = issues
        super().__init__("composition failed:\n" + "\n".join(str(i) for i in issues))


@dataclass(frozen=True)
class Composition:
    supergraph_sdl: str
    api_schema_sdl: str


def _base(t: TypeNode) -> str:
    while isinstance(t, NonNullTypeNode | ListTypeNode):
        t = t.type
    return str(t.name.value)  # type: ignore[attr-defined]


def _shape(t: TypeNode) -> str:
    """The type without nullability: conflicting shapes cannot be merged."""
    if isinstance(t, NonNullTypeNode):
        return _shape(t.type)
    if isinstance(t, ListTypeNode):
        return f"[{_shape(t.type)}]"
    return str(t.name.value)  # type: ignore[attr-defined]


UNSUPPORTED = frozenset(
    {"context", "fromContext", "authenticated", "requiresScopes", "policy", "cost", "listSize"}
)


def _top_fields(field_set: str) -> set[str]:
    return {s.name.value for s in parse_field_set(field_set) if isinstance(s, FieldNode)}


def _shape_of(printed: str) -> str:
    return printed.replace("!", "")


class _Composer:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subgraphs = subgraphs
        self.graph = {s.name: enum_name(s.name) for s in subgraphs}
        self.issues: list[CompositionIssue] = []

    def fail(self, subgraph: str, coordinate: str, reason: str) -> None:
        self.issues.append(CompositionIssue(subgraph, coordinate, reason))

    def defining(self, type_name: str) -> list[tuple[Subgraph, SType]]:
        return [(s, s.types[type_name]) for s in self.subgraphs if type_name in s.types]

    # -- validation -------------------------------------------------------------

    def validate(self) -> None:
        names = sorted({t for s in self.subgraphs for t in s.types})
        for name in names:
            defs = self.defining(name)
            kinds = {t.kind for _, t in defs}
            if len(kinds) > 1:
                detail = ", ".join(f"{t.kind} in {s.name}" for s, t in defs)
                self.fail(defs[1][0].name, name, f"type conflict: {name} is {detail}")
                continue
            for s, t in defs:
                self.validate_directives(s, t)
                self.validate_unsupported(s, t)
                self.validate_externals(s, t)
            if defs[0][1].kind in ("object", "interface"):
                self.validate_fields(name, defs)
            if defs[0][1].kind == "input":
                self.validate_input(name, defs)
            objects = [s.name for s, t in defs if t.has("interfaceObject")]
            if objects and all(t.has("interfaceObject") for _, t in defs):
                self.fail(
                    objects[0],
                    name,
                    f"@interfaceObject, but no subgraph defines the interface {name}",
                )

    def validate_input(self, name: str, defs: list[tuple[Subgraph, SType]]) -> None:
        """Composers keep the fields every subgraph has: a required field some lack
        could never be sent to those subgraphs."""
        for s, t in defs:
            for fname, f in t.fields.items():
                missing = [o.name for o, ot in defs if fname not in ot.fields]
                if (
                    missing
                    and isinstance(f.node.type, NonNullTypeNode)
                    and (
                        f.node.default_value is None  # type: ignore[union-attr]
                    )
                ):
                    self.fail(
                        s.name,
                        f"{name}.{fname}",
                        f"required input field is missing from {', '.join(missing)}",
                    )

    def validate_externals(self, s: Subgraph, t: SType) -> None:
        used: set[str] = set()
        for key in t.directives.get("key", []):
            used |= _top_fields(str(key["fields"]))
        for f in t.fields.values():
            requires = f.arg("requires", "fields")
            if requires:
                used |= _top_fields(str(requires))
            override = f.arg("override", "from")
            if override == s.name:
                self.fail(s.name, f"{t.name}.{f.name}", "@override(from:) names its own subgraph")
        provided = {
            (_base(f.node.type), name)
            for other in s.types.values()
            for f in other.fields.values()
            if f.arg("provides", "fields") and isinstance(f.node, FieldDefinitionNode)
            for name in _top_fields(str(f.arg("provides", "fields")))
        }
        for f in t.fields.values():
            if f.has("external") and f.name not in used and (t.name, f.name) not in provided:
                self.fail(
                    s.name,
                    f"{t.name}.{f.name}",
                    "@external field is used by no @key, @requires or @provides",
                )

    def validate_unsupported(self, s: Subgraph, t: SType) -> None:
        """Dropping these would change what the graph allows (access control, cost
        limits, context): refuse them by name instead."""
        for name in sorted(UNSUPPORTED & set(t.directives)):
            self.fail(s.name, t.name, f"@{name} is not supported by this composer")
        for f in t.fields.values():
            for name in sorted(UNSUPPORTED & set(f.directives)):
                self.fail(
                    s.name, f"{t.name}.{f.name}", f"@{name} is not supported by this composer"
                )
            for arg in getattr(f.node, "arguments", None) or ():
                names = {s.names.get(d.name.value, d.name.value) for d in arg.directives or ()}
                for name in sorted(UNSUPPORTED & names):
                    self.fail(
                        s.name,
                        f"{t.name}.{f.name}({arg.name.value}:)",
                        f"@{name} is not supported by this composer",
                    )

    def validate_directives(self, s: Subgraph, t: SType) -> None:
        for key in t.directives.get("key", []):
            for sel in parse_field_set(str(key["fields"])):
                if isinstance(sel, FieldNode) and sel.name.value not in t.fields:
                    self.fail(
                        s.name,
                        f"{t.name}.{sel.name.value}",
                        f'@key(fields: "{key["fields"]}") names a field that {t.name} '
                        "does not define",
                    )
        for f in t.fields.values():
            requires = f.arg("requires", "fields")
            if requires:
                for sel in parse_field_set(str(requires)):
                    if not isinstance(sel, FieldNode):
                        continue
                    target = t.fields.get(sel.name.value)
                    if target is None or not target.has("external"):
                        self.fail(
                            s.name,
                            f"{t.name}.{f.name}",
                            f'@requires(fields: "{requires}") names {t.name}.{sel.name.value}, '
                            "which is not marked @external",
                        )
            provides = f.arg("provides", "fields")
            if provides and isinstance(f.node, FieldDefinitionNode):
                target_type = s.types.get(_base(f.node.type))
                for sel in parse_field_set(str(provides)):
                    if isinstance(sel, FieldNode) and (
                        target_type is None or sel.name.value not in target_type.fields
                    ):
                        self.fail(
                            s.name,
                            f"{t.name}.{f.name}",
                            f'@provides(fields: "{provides}") names an unknown field '
                            f"{_base(f.node.type)}.{sel.name.value}",
                        )

    def key_fields(self, t: SType) -> set[str]:
        found: set[str] = set()
        for key in t.directives.get("key", []):
            found |= {
                s.name.value
                for s in parse_field_set(str(key["fields"]))
                if isinstance(s, FieldNode)
            }
        return found

    def validate_arguments(
        self, type_name: str, fname: str, owners: list[tuple[Subgraph, SType, SField]]
    ) -> None:
        seen: dict[str, tuple[str, str]] = {}
        for s, _, f in owners:
            if not isinstance(f.node, FieldDefinitionNode):
                continue
            for arg in f.node.arguments or ():
                printed = print_ast(arg.type)
                first = seen.setdefault(arg.name.value, (printed, s.name))
                if _shape(arg.type) != _shape_of(first[0]):
                    self.fail(
                        s.name,
                        f"{type_name}.{fname}({arg.name.value}:)",
                        f"type conflict: argument is {first[0]} in {first[1]} "
                        f"but {printed} in {s.name}",
                    )

    def validate_fields(self, type_name: str, defs: list[tuple[Subgraph, SType]]) -> None:
        fields = {f for _, t in defs for f in t.fields}
        for fname in sorted(fields):
            owners = [(s, t, t.fields[fname]) for s, t in defs if fname in t.fields]
            shapes = {_shape(f.node.type) for _, _, f in owners}
            if len(shapes) > 1:
                detail = ", ".join(f"{print_ast(f.node.type)} in {s.name}" for s, _, f in owners)
                self.fail(owners[1][0].name, f"{type_name}.{fname}", f"type conflict: {detail}")
                continue
            self.validate_arguments(type_name, fname, owners)
            overridden = {str(f.arg("override", "from")) for _, _, f in owners if f.has("override")}
            resolving = [
                (s, t, f)
                for s, t, f in owners
                if not f.has("external") and s.name not in overridden
            ]
            if len(resolving) < 2:
                continue
            unshared = [
                s.name
                for s, t, f in resolving
                if not (f.has("shareable") or t.has("shareable") or fname in self.key_fields(t))
            ]
            if unshared and not all(t.kind == "interface" for _, t, _ in resolving):
                names = ", ".join(s.name for s, _, _ in resolving)
                self.fail(
                    unshared[0],
                    f"{type_name}.{fname}",
                    f"non-shareable field is resolved by several subgraphs ({names}); "
                    "mark it @shareable in each of them",
                )


def compose(
    services: Iterable[Mapping[str, str]], *, check_satisfiability: bool = True
) -> Composition:
    """Compose `[{name, url, sdl}]` into a supergraph; raise CompositionError naming each
    issue. `check_satisfiability=False` skips proving that every query of the API schema
    can be planned (for tests of how the router refuses one that cannot)."""
    subgraphs = []
    issues: list[CompositionIssue] = []
    for svc in services:
        try:
            subgraphs.append(read_subgraph(svc["name"], svc.get("url", ""), svc["sdl"]))
        except GraphQLError as exc:
            issues.append(CompositionIssue(svc["name"], "(schema)", f"invalid SDL: {exc.message}"))
    if issues:
        raise CompositionError(issues)
    for s in subgraphs:
        if s.federation_version < (2, 0):
            issues.append(
                CompositionIssue(s.name, "(schema)", "not a Federation 2 subgraph: no @link")
            )
    if issues:
        raise CompositionError(issues)
    validator = _Composer(subgraphs)
    validator.validate()
    if validator.issues:
        raise CompositionError(validator.issues)
    sdl = emit_supergraph(subgraphs)
    try:
        supergraph = load_supergraph(sdl)
    except GraphQLError as exc:
        raise CompositionError([CompositionIssue("(supergraph)", "(schema)", exc.message)]) from exc
    if check_satisfiability:
        unplannable = unsatisfiable(supergraph)
        if unplannable:
            raise CompositionError(
                [
                    CompositionIssue(
                        u.graph or "(supergraph)",
                        u.coordinate,
                        f"the query `{u.path}` cannot be planned: {u.reason}",
                    )
                    for u in unplannable
                ]
            )
    return Composition(sdl, print_schema(supergraph.api_schema))


async def fetch_sdl(transport: Transport) -> str:
    """A subgraph's SDL as it reports it through `_service { sdl }`."""
    answer = await transport.fetch({"query": "{ _service { sdl } }"}, {})
    try:
        return str(answer["data"]["_service"]["sdl"])
    except (KeyError, TypeError) as exc:
        raise CompositionError(
            [CompositionIssue("(subgraph)", "_service", f"no SDL in the answer: {answer}")]
        ) from exc


async def compose_subgraphs(subgraphs: Mapping[str, tuple[str, Transport]]) -> Composition:
    """Compose live subgraphs, `{name: (url, transport)}`, asking each for its SDL."""
    sdls = await asyncio.gather(*(fetch_sdl(t) for _, t in subgraphs.values()))
    return compose(
        {"name": name, "url": url, "sdl": sdl}
        for (name, (url, _)), sdl in zip(subgraphs.items(), sdls, strict=True)
    )
