"""Print the supergraph SDL of validated subgraphs: join directives, links, types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldDefinitionNode,
    InputValueDefinitionNode,
    NonNullTypeNode,
    parse,
    print_ast,
)

from router.compose_types import BUILTIN_SCALARS, enum_name, join_version, quote
from router.subgraph_sdl import PRINTED, SField, SType, Subgraph, _directives

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
            parts.append(f"{k}: {quote(str(v))}")
    return ", ".join(parts)


class _Emitter:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subgraphs = subgraphs
        self.graph = {s.name: enum_name(s.name) for s in subgraphs}
        self.join = join_version(subgraphs)

    def defining(self, type_name: str) -> list[tuple[Subgraph, SType]]:
        return [(s, s.types[type_name]) for s in self.subgraphs if type_name in s.types]

    def kept(self, s: Subgraph, directives: Mapping[str, list[dict[str, Any]]]) -> list[str]:
        """Directives that survive into the supergraph: visibility, tags, composed ones."""
        out: list[str] = []
        custom = {name for name, _ in s.composed_directives}
        for name, uses in directives.items():
            if name == "inaccessible":
                out.append("@inaccessible")
            elif name == "tag":
                out += [f"@tag(name: {quote(str(u['name']))})" for u in uses]
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
        from router.subgraph_sdl import _local_names

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
        # Progressive @override(label:): both subgraphs keep the field, each while the
        # label is (the overriding one) or is not (the overridden one) active.
        labels = {
            str(f.arg("override", "from")): str(f.arg("override", "label"))
            for _, _, f in owners
            if f.has("override") and f.arg("override", "label")
        }
        for s, _, f in owners:
            if s.name in overridden and s.name not in labels:
                continue
            label = labels.get(s.name) or f.arg("override", "label")
            args: dict[str, Any] = {
                "graph": self.graph[s.name],
                "requires": f.arg("requires", "fields"),
                "provides": f.arg("provides", "fields"),
                "type": print_ast(f.node.type) if len(printed) > 1 else None,
                "external": f.has("external"),
                "override": f.arg("override", "from"),
                "overrideLabel": label if label and self.join != "0.3" else None,
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
                    text = f"@link(url: {quote(str(link['url']))}, import: [{quote('@' + name)}])"
                    if text not in extra_links:
                        extra_links.append(text)
                if definition is not None and print_ast(definition) not in definitions:
                    definitions.append(print_ast(definition))
        parts = [_header(join_version(self.subgraphs), roots, extra_links), *definitions]
        graphs = "\n".join(
            f"  {self.graph[s.name]} @join__graph(name: {quote(s.name)}, url: {quote(s.url)})"
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

    return _directives(node.directives, {})


def emit_supergraph(subgraphs: list[Subgraph]) -> str:
    return _Emitter(subgraphs).emit()
