"""Read a Federation 2 supergraph SDL into a model the planner can query."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    build_ast_schema,
    parse,
)
from graphql.utilities import value_from_ast_untyped

from router.api_schema import build_api_schema

LINK_URL = re.compile(r"^https://specs\.apollo\.dev/(?P<name>[\w-]+)/v(?P<version>\d+\.\d+)$")
SUPPORTED_JOIN = ("0.3", "0.4", "0.5")
# Features this router implements: planning reads join, the API schema build applies
# inaccessible (and drops tag, which only annotates).
IMPLEMENTED_FEATURES = frozenset({"link", "join", "inaccessible", "tag"})
CONTEXT_FLAG = "NEXO_ROUTER_FROM_CONTEXT"
"""Set to 1 to serve supergraphs with @context/@fromContext (the context spec, for
SECURITY), which `load_supergraph(context=True)` also allows; refused by default."""


class SupergraphError(Exception):
    """The supergraph cannot be served; the message says why."""


@dataclass(frozen=True)
class Graph:
    enum_value: str
    name: str
    url: str


@dataclass(frozen=True)
class JoinType:
    graph: str
    key: str | None
    extension: bool
    resolvable: bool
    is_interface_object: bool


@dataclass(frozen=True)
class ContextArgument:
    """An argument the router fills from an ancestor (join v0.5 `contextArguments`):
    the value of `selection` on the nearest ancestor whose type sets `context`."""

    name: str
    type: str
    context: str
    selection: str


@dataclass(frozen=True)
class JoinField:
    graph: str | None
    requires: str | None
    provides: str | None
    type: str | None
    external: bool
    override: str | None
    used_overridden: bool
    override_label: str | None = None
    """Progressive @override: the entry that overrides (`override` set) resolves the
    field while the label is active, the overridden one while it is not."""
    context_arguments: tuple[ContextArgument, ...] = ()


@dataclass(frozen=True)
class Link:
    url: str
    name: str
    version: str
    alias: str
    purpose: str | None
    imports: tuple[str, ...] = ()

    @property
    def is_apollo(self) -> bool:
        return self.url.startswith("https://specs.apollo.dev/")


@dataclass
class Supergraph:
    """The supergraph schema plus the join metadata, indexed for the planner."""

    sdl: str
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    graphs: dict[str, Graph]
    links: list[Link]
    join_types: dict[str, list[JoinType]] = field(default_factory=dict)
    join_fields: dict[tuple[str, str], list[JoinField]] = field(default_factory=dict)
    implements: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    union_members: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    contexts: dict[str, set[str]] = field(default_factory=dict)
    """The contexts (`@context(name:)`) each type sets."""

    def type_graphs(self, type_name: str) -> set[str]:
        joins = self.join_types.get(type_name)
        if not joins:
            return set(self.graphs)
        return {j.graph for j in joins}

    def join_type(self, graph: str, type_name: str) -> list[JoinType]:
        return [j for j in self.join_types.get(type_name, []) if j.graph == graph]

    def is_interface_object(self, graph: str, type_name: str) -> bool:
        return any(j.is_interface_object for j in self.join_type(graph, type_name))

    def keys(self, graph: str, type_name: str) -> list[str]:
        """Keys by which `graph` can fetch `type_name` through `_entities`."""
        return [
            j.key for j in self.join_type(graph, type_name) if j.key is not None and j.resolvable
        ]

    def all_keys(self, graph: str, type_name: str) -> list[str]:
        return [j.key for j in self.join_type(graph, type_name) if j.key is not None]

    def field_join(self, graph: str, type_name: str, field_name: str) -> JoinField | None:
        for j in self.join_fields.get((type_name, field_name), []):
            if j.graph == graph:
                return j
        return None

    def field_graphs(
        self, type_name: str, field_name: str, labels: frozenset[str] = frozenset()
    ) -> list[str]:
        """Graphs that can resolve the field, in declaration order, while the progressive
        override `labels` are active."""
        entries = self.join_fields.get((type_name, field_name))
        if not entries:
            return [g for g in self.graphs if g in self.type_graphs(type_name)]
        # An entry without a graph marks a field contributed by an @interfaceObject:
        # no graph resolves it on this type directly.
        return [
            j.graph
            for j in entries
            if j.graph
            and not j.external
            and not j.used_overridden
            and (j.override_label is None or (j.override_label in labels) == bool(j.override))
        ]

    def resolvable(
        self, graph: str, type_name: str, field_name: str, labels: frozenset[str] = frozenset()
    ) -> bool:
        if field_name.startswith("__"):
            return True
        return graph in self.field_graphs(type_name, field_name, labels)

    @property
    def override_labels(self) -> frozenset[str]:
        """The labels of every progressive @override (`percent(5)`, `beta`)."""
        return frozenset(
            j.override_label for js in self.join_fields.values() for j in js if j.override_label
        )

    def runtime_types(self, graph: str, abstract: GraphQLCompositeType) -> list[GraphQLObjectType]:
        """Object types `graph` may return for an abstract type, in schema order."""
        possible = self.schema.get_possible_types(abstract)  # type: ignore[arg-type]
        if isinstance(abstract, GraphQLUnionType):
            members = self.union_members.get(abstract.name)
            if members is None:
                return [t for t in possible if graph in self.type_graphs(t.name)]
            names = {m for g, m in members if g == graph}
            return [t for t in possible if t.name in names]
        result = []
        for t in possible:
            impl = self.implements.get(t.name)
            if impl is None:
                known = graph in self.type_graphs(t.name)
            else:
                known = (graph, abstract.name) in impl
            if known:
                result.append(t)
        return result

    def composite(self, name: str) -> GraphQLCompositeType:
        t = self.schema.get_type(name)
        if not isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            raise KeyError(name)
        return t


def _args(node: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in node.arguments or ()}


def _schema_directives(doc: DocumentNode) -> list[DirectiveNode]:
    out: list[DirectiveNode] = []
    for d in doc.definitions:
        if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode):
            out.extend(d.directives or ())
    return out


def read_links(doc: DocumentNode) -> list[Link]:
    links = []
    for d in _schema_directives(doc):
        if d.name.value not in ("link", "core"):
            continue
        args = _args(d)
        url = str(args.get("url") or args.get("feature") or "")
        m = LINK_URL.match(url.rstrip("/"))
        name, version = (m.group("name"), m.group("version")) if m else (url, "")
        alias = str(args.get("as") or name)
        purpose = args.get("for")
        imports = tuple(_import_name(i) for i in args.get("import") or ())
        links.append(Link(url, name, version, alias, str(purpose) if purpose else None, imports))
    return links


def _import_name(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("as") or item["name"]).lstrip("@")
    return str(item).lstrip("@")


def check_links(links: Iterable[Link], *, context: bool = False) -> None:
    """Refuse features this router does not implement but must (EXECUTION, SECURITY);
    the context spec only when `context` is allowed."""
    links = list(links)
    implemented = IMPLEMENTED_FEATURES | ({"context"} if context else set())
    if not any(link.name == "link" for link in links):
        raise SupergraphError("not a Federation 2 supergraph: no @link to the link spec")
    joins = [link for link in links if link.name == "join"]
    if not joins:
        raise SupergraphError("not a supergraph: no @link to the join spec")
    for link in links:
        if link.name == "join" and link.version not in SUPPORTED_JOIN:
            raise SupergraphError(f"unsupported join spec version {link.url}")
        if link.name == "link" and link.version != "1.0":
            raise SupergraphError(f"unsupported link spec version {link.url}")
        if link.purpose in ("EXECUTION", "SECURITY") and not (
            link.is_apollo and link.name in implemented
        ):
            hint = f" unless {CONTEXT_FLAG}=1" if link.name == "context" else ""
            raise SupergraphError(
                f"supergraph requires feature {link.url} for {link.purpose}, "
                f"which this router does not support{hint}"
            )


def load_supergraph(sdl: str, *, context: bool | None = None) -> Supergraph:
    """The supergraph, or SupergraphError saying why it cannot be served. `context`
    allows @context/@fromContext (default: the `NEXO_ROUTER_FROM_CONTEXT` flag)."""
    if context is None:
        context = os.environ.get(CONTEXT_FLAG) == "1"
    doc = parse(sdl)
    links = read_links(doc)
    check_links(links, context=context)
    join = next(link.alias for link in links if link.name == "join")
    schema = build_ast_schema(doc, assume_valid=True, assume_valid_sdl=True)
    graphs = _read_graphs(doc, join)
    api = build_api_schema(doc, links)
    sg = Supergraph(sdl=sdl, schema=schema, api_schema=api, graphs=graphs, links=links)
    contexts = next((link.alias for link in links if link.name == "context"), None)
    _index(sg, doc, join, contexts if context else None)
    return sg


def _read_graphs(doc: DocumentNode, join: str) -> dict[str, Graph]:
    graphs: dict[str, Graph] = {}
    for d in doc.definitions:
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == f"{join}__Graph":
            for v in d.values or ():
                for directive in v.directives or ():
                    if directive.name.value == f"{join}__graph":
                        args = _args(directive)
                        graphs[v.name.value] = Graph(
                            v.name.value, str(args.get("name", v.name.value)), str(args["url"])
                        )
    if not graphs:
        raise SupergraphError(f"supergraph has no {join}__Graph enum")
    return graphs


def _index(sg: Supergraph, doc: DocumentNode, join: str, context: str | None) -> None:
    join_types: dict[str, list[JoinType]] = defaultdict(list)
    contexts: dict[str, set[str]] = defaultdict(set)
    join_fields: dict[tuple[str, str], list[JoinField]] = defaultdict(list)
    implements: dict[str, list[tuple[str, str]]] = defaultdict(list)
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for d in doc.definitions:
        if not isinstance(d, TypeDefinitionNode | TypeExtensionNode):
            continue
        name = d.name.value
        for directive in d.directives or ():
            dn = directive.name.value
            args = _args(directive)
            if dn == f"{join}__type":
                join_types[name].append(
                    JoinType(
                        graph=str(args["graph"]),
                        key=args.get("key"),
                        extension=bool(args.get("extension", False)),
                        resolvable=bool(args.get("resolvable", True)),
                        is_interface_object=bool(args.get("isInterfaceObject", False)),
                    )
                )
            elif dn == f"{join}__implements":
                implements[name].append((str(args["graph"]), str(args["interface"])))
            elif dn == f"{join}__unionMember":
                members[name].append((str(args["graph"]), str(args["member"])))
            elif context is not None and dn == context:
                contexts[name].add(str(args["name"]))
        if isinstance(
            d,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode,
        ):
            for f in d.fields or ():
                _index_field(join_fields, join, name, f, context is not None)
    sg.join_types = dict(join_types)
    sg.contexts = dict(contexts)
    sg.join_fields = dict(join_fields)
    sg.implements = dict(implements)
    sg.union_members = dict(members)


def _index_field(
    out: dict[tuple[str, str], list[JoinField]],
    join: str,
    type_name: str,
    f: FieldDefinitionNode,
    context: bool,
) -> None:
    for directive in f.directives or ():
        if directive.name.value != f"{join}__field":
            continue
        args = _args(directive)
        graph = args.get("graph")
        if args.get("contextArguments") and not context:
            # Planning them means sending values from an ancestor: refuse rather than
            # send subgraphs requests they cannot answer.
            raise SupergraphError(
                f"{type_name}.{f.name.value} uses @fromContext (join contextArguments), "
                f"which this router serves only with {CONTEXT_FLAG}=1"
            )
        out[(type_name, f.name.value)].append(
            JoinField(
                graph=str(graph) if graph else None,
                requires=args.get("requires"),
                provides=args.get("provides"),
                type=args.get("type"),
                external=bool(args.get("external", False)),
                override=args.get("override"),
                used_overridden=bool(args.get("usedOverridden", False)),
                override_label=args.get("overrideLabel"),
                context_arguments=tuple(
                    ContextArgument(
                        str(c["name"]), str(c["type"]), str(c["context"]), str(c["selection"])
                    )
                    for c in args.get("contextArguments") or ()
                ),
            )
        )
