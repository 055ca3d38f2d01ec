"""Read one subgraph's SDL (as `_service { sdl }` gives it) into a normalized model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
    print_ast,
)
from graphql.utilities import value_from_ast_untyped

FEDERATION_URL = re.compile(r"^https://specs\.apollo\.dev/federation/v(\d+)\.(\d+)")
FEDERATION_DIRECTIVES = (
    "key",
    "shareable",
    "external",
    "requires",
    "provides",
    "override",
    "inaccessible",
    "tag",
    "interfaceObject",
    "composeDirective",
    "extends",
    "link",
)
MACHINERY_TYPES = {"_Service", "_Any", "_Entity", "_FieldSet", "FieldSet", "federation__FieldSet"}
MACHINERY_FIELDS = {"_entities", "_service"}
PRINTED = "\0printed"
KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}


@dataclass
class SField:
    name: str
    node: FieldDefinitionNode | InputValueDefinitionNode
    directives: dict[str, list[dict[str, Any]]]

    def has(self, name: str) -> bool:
        return name in self.directives

    def arg(self, directive: str, arg: str) -> Any:
        found = self.directives.get(directive)
        return found[0].get(arg) if found else None


@dataclass
class SType:
    name: str
    kind: str
    extension: bool
    directives: dict[str, list[dict[str, Any]]]
    fields: dict[str, SField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValueDefinitionNode] = field(default_factory=dict)
    nodes: list[TypeDefinitionNode | TypeExtensionNode] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.directives


@dataclass
class Subgraph:
    name: str
    url: str
    federation_version: tuple[int, int]
    types: dict[str, SType]
    roots: dict[str, str]
    composed_directives: list[tuple[str, DirectiveDefinitionNode | None]]
    links: list[dict[str, Any]]
    names: dict[str, str] = field(default_factory=dict)


def _arguments(node: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in node.arguments or ()}


def _local_names(doc: DocumentNode) -> tuple[dict[str, str], tuple[int, int], list[dict[str, Any]]]:
    """Local directive name -> federation name, the federation version, other links."""
    names = {f"federation__{d}": d for d in FEDERATION_DIRECTIVES}
    version = (1, 0)
    links: list[dict[str, Any]] = []
    for d in doc.definitions:
        if not isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in d.directives or ():
            if directive.name.value != "link":
                continue
            args = _arguments(directive)
            url = str(args.get("url", ""))
            m = FEDERATION_URL.match(url)
            if not m:
                links.append(args)
                continue
            version = (int(m.group(1)), int(m.group(2)))
            prefix = str(args.get("as") or "federation")
            names = {f"{prefix}__{n}": n for n in FEDERATION_DIRECTIVES}
            for item in args.get("import") or ():
                if isinstance(item, dict):
                    local = str(item.get("as") or item["name"]).lstrip("@")
                    names[local] = str(item["name"]).lstrip("@")
                else:
                    names[str(item).lstrip("@")] = str(item).lstrip("@")
    if version < (2, 0):
        names.update({n: n for n in FEDERATION_DIRECTIVES})
    return names, version, links


def _directives(nodes: Any, names: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for directive in nodes or ():
        local = directive.name.value
        canonical = names.get(local, local)
        args = _arguments(directive)
        # The printed application, so kept directives keep their literal values exactly.
        args[PRINTED] = print_ast(directive)
        out.setdefault(canonical, []).append(args)
    return out


def read_subgraph(name: str, url: str, sdl: str) -> Subgraph:
    doc = parse(sdl)
    names, version, links = _local_names(doc)
    roots = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
    composed: list[tuple[str, DirectiveDefinitionNode | None]] = []
    definitions = {
        d.name.value: d for d in doc.definitions if isinstance(d, DirectiveDefinitionNode)
    }
    for d in doc.definitions:
        if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
            for op in d.operation_types or ():
                roots[op.operation.value] = op.type.name.value
            for directive in d.directives or ():
                if names.get(directive.name.value) == "composeDirective":
                    custom = str(_arguments(directive)["name"]).lstrip("@")
                    composed.append((custom, definitions.get(custom)))
    rename = {v: k.capitalize() for k, v in roots.items()}
    types: dict[str, SType] = {}
    for d in doc.definitions:
        if not isinstance(d, TypeDefinitionNode | TypeExtensionNode):
            continue
        tname = d.name.value
        if tname in MACHINERY_TYPES or tname.startswith(("link__", "federation__")):
            continue
        tname = rename.get(tname, tname)
        kind = KINDS[type(d)]
        directives = _directives(d.directives, names)
        if kind == "object" and "interfaceObject" in directives:
            kind = "interface"
        t = types.get(tname)
        if t is None:
            extension = isinstance(d, TypeExtensionNode) or "extends" in directives
            t = types[tname] = SType(tname, kind, extension, {})
        for k, v in directives.items():
            t.directives.setdefault(k, []).extend(v)
        t.nodes.append(d)
        for f in getattr(d, "fields", None) or ():
            if f.name.value in MACHINERY_FIELDS:
                continue
            t.fields[f.name.value] = SField(f.name.value, f, _directives(f.directives, names))
        t.interfaces += [i.name.value for i in getattr(d, "interfaces", None) or ()]
        t.members += [m.name.value for m in getattr(d, "types", None) or ()]
        for v in getattr(d, "values", None) or ():
            t.values[v.name.value] = v
    if "Query" in types and not types["Query"].fields:
        del types["Query"]
    return Subgraph(name, url, version, types, roots, composed, links, names)
