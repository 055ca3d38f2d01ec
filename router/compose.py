"""Compose subgraph SDLs into a Federation 2 supergraph in the standard join format."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldDefinitionNode,
    FieldNode,
    GraphQLError,
    InputValueDefinitionNode,
    ListTypeNode,
    NonNullTypeNode,
    TypeNode,
    parse,
    print_ast,
    print_schema,
)

from router.selection import parse_field_set
from router.subgraph_sdl import PRINTED, SField, SType, Subgraph, read_subgraph
from router.supergraph import load_supergraph

BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


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


def join_version(subgraphs: Iterable[Subgraph]) -> str:
    """The join spec the subgraphs' federation versions call for, as composers emit it."""
    highest = max((s.federation_version for s in subgraphs), default=(2, 0))
    if highest >= (2, 8):
        return "0.5"
    return "0.4" if highest >= (2, 7) else "0.3"


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _enum_name(name: str) -> str:
    return re.sub(r"\W", "_", name).upper()


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


class _Composer:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subgraphs = subgraphs
        self.graph = {s.name: _enum_name(s.name) for s in subgraphs}
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
            if defs[0][1].kind in ("object", "interface"):
                self.validate_fields(name, defs)

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

    def validate_fields(self, type_name: str, defs: list[tuple[Subgraph, SType]]) -> None:
        fields = {f for _, t in defs for f in t.fields}
        for fname in sorted(fields):
            owners = [(s, t, t.fields[fname]) for s, t in defs if fname in t.fields]
            shapes = {_shape(f.node.type) for _, _, f in owners}
            if len(shapes) > 1:
                detail = ", ".join(f"{print_ast(f.node.type)} in {s.name}" for s, _, f in owners)
                self.fail(owners[1][0].name, f"{type_name}.{fname}", f"type conflict: {detail}")
                continue
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


_JOIN_FIELD_ARGS = {
    "0.3": "",
    "0.4": "\n  overrideLabel: String",
    "0.5": "\n  overrideLabel: String\n  contextArguments: [join__ContextArgument!]",
}
_KEEP_DIRECTIVES = {"deprecated", "specifiedBy"}


def _header(version: str, roots: dict[str, str], extra_links: list[str]) -> str:
    schema_ops = "\n".join(f"  {op}: {name}" for op, name in roots.items())
    context = (
        "\ninput join__ContextArgument {\n  name: String!\n  type: String!\n"
        "  context: String!\n  selection: join__FieldValue!\n}\n\nscalar join__FieldValue\n"
        if version == "0.5"
        else ""
    )
    links = " ".join(
        [
            '@link(url: "https://specs.apollo.dev/link/v1.0")',
            f'@link(url: "https://specs.apollo.dev/join/v{version}", for: EXECUTION)',
            '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
            '@link(url: "https://specs.apollo.dev/tag/v0.3")',
            *extra_links,
        ]
    )
    return f"""schema {links} {{
{schema_ops}
}}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__field(
  graph: join__Graph
  requires: join__FieldSet
  provides: join__FieldSet
  type: String
  external: Boolean
  override: String
  usedOverridden: Boolean{_JOIN_FIELD_ARGS[version]}
) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__implements(
  graph: join__Graph!
  interface: String!
) repeatable on OBJECT | INTERFACE

directive @join__type(
  graph: join__Graph!
  key: join__FieldSet
  extension: Boolean! = false
  resolvable: Boolean! = true
  isInterfaceObject: Boolean! = false
) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

scalar join__FieldSet
{context}
directive @link(
  url: String
  as: String
  for: link__Purpose
  import: [link__Import]
) repeatable on SCHEMA

scalar link__Import

enum link__Purpose {{
  SECURITY
  EXECUTION
}}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION \
| SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION \
| ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION \
| SCHEMA
""".replace("\\\n", "")


def _dir_nodes(text: str) -> tuple[Any, ...]:
    if not text:
        return ()
    return tuple(parse(f"scalar _D {text}").definitions[0].directives or ())  # type: ignore[attr-defined]


def _args_text(args: Mapping[str, Any]) -> str:
    parts = []
    for k, v in args.items():
        if v is None or v is False:
            continue
        if v is True:
            parts.append(f"{k}: true")
        elif k == "graph":
            parts.append(f"{k}: {v}")
        else:
            parts.append(f"{k}: {_q(str(v))}")
    return ", ".join(parts)


class _Emitter(_Composer):
    def kept(self, s: Subgraph, directives: Mapping[str, list[dict[str, Any]]]) -> list[str]:
        """Directives that survive into the supergraph: visibility, tags, composed ones."""
        out: list[str] = []
        custom = {name for name, _ in s.composed_directives}
        for name, uses in directives.items():
            if name == "inaccessible":
                out.append("@inaccessible")
            elif name == "tag":
                out += [f"@tag(name: {_q(str(u['name']))})" for u in uses]
            elif name in custom or name in _KEEP_DIRECTIVES:
                out += [str(u[PRINTED]) for u in uses]
        return out

    def type_joins(self, name: str) -> list[str]:
        out = []
        for s, t in self.defining(name):
            g = self.graph[s.name]
            io = t.has("interfaceObject")
            keys = t.directives.get("key", [])
            for key in keys or [{}]:
                args: dict[str, Any] = {"graph": g}
                if key:
                    args["key"] = key["fields"]
                    args["extension"] = t.extension
                    if key.get("resolvable") is False:
                        out.append(
                            f"@join__type({_args_text(args)}, resolvable: false"
                            + (", isInterfaceObject: true" if io else "")
                            + ")"
                        )
                        continue
                args["isInterfaceObject"] = io
                out.append(f"@join__type({_args_text(args)})")
        return out

    def clean_args(
        self, s: Subgraph, node: FieldDefinitionNode
    ) -> tuple[InputValueDefinitionNode, ...]:
        from router.subgraph_sdl import _directives, _local_names

        del _local_names
        out = []
        for arg in node.arguments or ():
            kept = self.kept(s, _directives(arg.directives, {}))
            out.append(
                InputValueDefinitionNode(
                    description=arg.description,
                    name=arg.name,
                    type=arg.type,
                    default_value=arg.default_value,
                    directives=_dir_nodes(" ".join(kept)),
                )
            )
        return tuple(out)

    def emit_field(
        self,
        type_name: str,
        fname: str,
        owners: list[tuple[Subgraph, SType, SField]],
        type_graphs: list[str],
        from_interface_object: bool,
    ) -> str:
        overridden = {str(f.arg("override", "from")) for _, _, f in owners if f.has("override")}
        chosen = next(
            ((s, f) for s, _, f in owners if not f.has("external") and s.name not in overridden),
            None,
        )
        s0, f0 = chosen or (owners[0][0], owners[0][2])
        node = f0.node
        assert isinstance(node, FieldDefinitionNode)
        printed = {print_ast(f.node.type) for _, _, f in owners}
        nullable = [f for _, _, f in owners if not isinstance(f.node.type, NonNullTypeNode)]
        field_type = (nullable[0] if nullable else f0).node.type
        joins: list[str] = []
        special = len(printed) > 1 or from_interface_object
        for s, _, f in owners:
            if s.name in overridden:
                continue
            args: dict[str, Any] = {
                "graph": self.graph[s.name],
                "requires": f.arg("requires", "fields"),
                "provides": f.arg("provides", "fields"),
                "type": print_ast(f.node.type) if len(printed) > 1 else None,
                "external": f.has("external"),
                "override": f.arg("override", "from"),
            }
            if any(v for k, v in args.items() if k != "graph"):
                special = True
            joins.append(f"@join__field({_args_text(args)})")
        owner_graphs = [self.graph[s.name] for s, _, _ in owners]
        if not special and sorted(owner_graphs) == sorted(type_graphs):
            joins = []
        if from_interface_object:
            joins = ["@join__field"]
        directives: list[str] = []
        for s, _, f in owners:
            directives += [d for d in self.kept(s, f.directives) if d not in directives]
        made = FieldDefinitionNode(
            description=node.description,
            name=node.name,
            arguments=self.clean_args(s0, node),
            type=field_type,
            directives=_dir_nodes(" ".join(joins + directives)),
        )
        return "  " + print_ast(made).replace("\n", "\n  ")

    def emit_type(
        self, name: str, io_fields: dict[str, list[tuple[Subgraph, SType, SField]]]
    ) -> str:
        defs = self.defining(name)
        kind = defs[0][1].kind
        directives = self.type_joins(name)
        type_graphs = [self.graph[s.name] for s, _ in defs]
        for s, t in defs:
            directives += [
                f'@join__implements(graph: {self.graph[s.name]}, interface: "{i}")'
                for i in t.interfaces
            ]
            if kind == "union":
                directives += [
                    f'@join__unionMember(graph: {self.graph[s.name]}, member: "{m}")'
                    for m in t.members
                ]
        for s, t in defs:
            directives += [d for d in self.kept(s, t.directives) if d not in directives]
        head_dirs = " ".join(directives)
        desc = next(
            (d for _, t in defs for n in t.nodes if (d := getattr(n, "description", None))),
            None,
        )
        prefix = (print_ast(desc) + "\n") if desc is not None else ""
        if kind == "scalar":
            return f"{prefix}scalar {name} {head_dirs}"
        if kind == "union":
            members = list(dict.fromkeys(m for _, t in defs for m in t.members))
            return f"{prefix}union {name} {head_dirs} = {' | '.join(members)}"
        if kind == "enum":
            values = []
            for vname in dict.fromkeys(v for _, t in defs for v in t.values):
                joins = " ".join(
                    f"@join__enumValue(graph: {self.graph[s.name]})"
                    for s, t in defs
                    if vname in t.values
                )
                node = next(t.values[vname] for _, t in defs if vname in t.values)
                dirs = " ".join(
                    d
                    for s, t in defs
                    if vname in t.values
                    for d in self.kept(s, _vdirs(t.values[vname]))
                )
                vdesc = (print_ast(node.description) + "\n  ") if node.description else ""
                values.append(f"  {vdesc}{vname} {joins} {dirs}".rstrip())
            return f"{prefix}enum {name} {head_dirs} {{\n" + "\n".join(values) + "\n}"
        if kind == "input":
            common = [f for f in defs[0][1].fields if all(f in t.fields for _, t in defs)]
            lines = []
            for fname in common:
                f = defs[0][1].fields[fname]
                dirs = " ".join(
                    d for s, t in defs for d in self.kept(s, t.fields[fname].directives)
                )
                lines.append(f"  {print_ast(f.node)} {dirs}".rstrip())
            return f"{prefix}input {name} {head_dirs} {{\n" + "\n".join(lines) + "\n}"
        interfaces = list(dict.fromkeys(i for _, t in defs for i in t.interfaces))
        impl = f" implements {' & '.join(interfaces)}" if interfaces else ""
        keyword = "interface" if kind == "interface" else "type"
        lines = []
        all_fields = list(dict.fromkeys(f for _, t in defs for f in t.fields))
        for fname in all_fields:
            owners = [(s, t, t.fields[fname]) for s, t in defs if fname in t.fields]
            lines.append(self.emit_field(name, fname, owners, type_graphs, False))
        for fname, owners in io_fields.items():
            if fname not in all_fields:
                lines.append(self.emit_field(name, fname, owners, type_graphs, True))
        return f"{prefix}{keyword} {name}{impl} {head_dirs} {{\n" + "\n".join(lines) + "\n}"

    def interface_object_fields(self, name: str) -> dict[str, list[tuple[Subgraph, SType, SField]]]:
        """Fields an @interfaceObject adds to the interfaces `name` implements."""
        out: dict[str, list[tuple[Subgraph, SType, SField]]] = {}
        interfaces = {i for _, t in self.defining(name) for i in t.interfaces}
        for iface in sorted(interfaces):
            for s, t in self.defining(iface):
                if t.has("interfaceObject"):
                    for fname, f in t.fields.items():
                        out.setdefault(fname, []).append((s, t, f))
        return out

    def emit(self) -> str:
        roots: dict[str, str] = {}
        for op in ("query", "mutation", "subscription"):
            if any(op.capitalize() in s.types for s in self.subgraphs):
                roots[op] = op.capitalize()
        extra_links: list[str] = []
        definitions: list[str] = []
        for s in self.subgraphs:
            for name, definition in s.composed_directives:
                link = next(
                    (
                        lk
                        for lk in s.links
                        if f"@{name}" in [str(i) for i in lk.get("import") or ()]
                    ),
                    None,
                )
                if link is not None:
                    text = f"@link(url: {_q(str(link['url']))}, import: [{_q('@' + name)}])"
                    if text not in extra_links:
                        extra_links.append(text)
                if definition is not None and print_ast(definition) not in definitions:
                    definitions.append(print_ast(definition))
        parts = [_header(join_version(self.subgraphs), roots, extra_links), *definitions]
        graphs = "\n".join(
            f"  {self.graph[s.name]} @join__graph(name: {_q(s.name)}, url: {_q(s.url)})"
            for s in sorted(self.subgraphs, key=lambda s: self.graph[s.name])
        )
        parts.append(f"enum join__Graph {{\n{graphs}\n}}")
        names = list(dict.fromkeys(t for s in self.subgraphs for t in s.types))
        for name in names:
            if name in BUILTIN_SCALARS:
                continue
            io_fields = (
                self.interface_object_fields(name)
                if self.defining(name)[0][1].kind == "object"
                else {}
            )
            parts.append(self.emit_type(name, io_fields))
        return "\n\n".join(parts) + "\n"


def _vdirs(node: Any) -> dict[str, list[dict[str, Any]]]:
    from router.subgraph_sdl import _directives

    return _directives(node.directives, {})


def compose(services: Iterable[Mapping[str, str]]) -> Composition:
    """Compose `[{name, url, sdl}]` into a supergraph; raise CompositionError naming each issue."""
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
    emitter = _Emitter(subgraphs)
    emitter.validate()
    if emitter.issues:
        raise CompositionError(emitter.issues)
    sdl = emitter.emit()
    try:
        supergraph = load_supergraph(sdl)
    except GraphQLError as exc:
        raise CompositionError([CompositionIssue("(supergraph)", "(schema)", exc.message)]) from exc
    return Composition(sdl, print_schema(supergraph.api_schema))
