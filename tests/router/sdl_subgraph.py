"""Federation subgraphs written as SDL plus plain Python data, run by graphql-core.

Strawberry cannot declare everything a Federation 2 subgraph may (`@context`,
`@fromContext`, `@override(label:)`, a field typed `Book` here and `Media` there), so
the federation scenario tests write each subgraph the way the federation spec shows
them: its SDL as `_service { sdl }` reports it, and the data it serves.

Data are dicts. A field reads the key of its name; a callable value is called with
the field's arguments (so `"price": lambda currency: ...` takes arguments), and an
exception raised there becomes a GraphQL error at that field, as in any subgraph.
Abstract types dispatch on the object's `__typename`. `_entities` hands each
representation to `entities[typename]`, whose result (a dict, or None) is the entity.

The subgraph validates every request against its own schema, as a real one does:
a router that sends an empty selection, a fragment on a type this subgraph does not
have, or two fields that cannot merge, gets the error a real subgraph would give.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SelectionSetNode,
    TypeDefinitionNode,
    Visitor,
    build_ast_schema,
    graphql,
    parse,
    visit,
)

Json = Any
Resolver = Callable[[dict[str, Json]], dict[str, Json] | None]


@dataclass
class SdlSubgraph:
    name: str
    sdl: str
    query: dict[str, Json] = field(default_factory=dict)
    mutation: dict[str, Json] = field(default_factory=dict)
    entities: dict[str, Resolver] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)
    """Every operation text this subgraph was sent, in order (for plan assertions)."""

    def __post_init__(self) -> None:
        self.schema = executable_schema(self.sdl, list(self.entities))

    async def execute(self, request: Mapping[str, Json], headers: Mapping[str, str]) -> Json:
        query = str(request.get("query", ""))
        self.received.append(query)
        strict = strict_syntax_error(query)
        if strict is not None:
            return {"data": None, "errors": [{"message": strict}]}
        result = await graphql(
            self.schema,
            query,
            root_value=_Root(self),
            variable_values=request.get("variables"),
            operation_name=request.get("operationName"),
            field_resolver=_resolve_field,
            type_resolver=_resolve_type,
        )
        body: dict[str, Json] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return body


class _Root(dict[str, Json]):
    """The root value: query and mutation fields, plus `_entities` and `_service`."""

    def __init__(self, sub: SdlSubgraph) -> None:
        super().__init__({**sub.query, **sub.mutation})
        self.sub = sub
        self["_service"] = {"sdl": sub.sdl}
        self["_entities"] = self.entities

    def entities(self, representations: list[dict[str, Json]]) -> list[Json]:
        out = []
        for rep in representations:
            typename = str(rep.get("__typename"))
            resolve = self.sub.entities.get(typename)
            if resolve is None:
                raise ValueError(f"{self.sub.name} cannot resolve {typename} entities")
            found = resolve(rep)
            if isinstance(found, dict):
                found = {"__typename": typename, **found}
            out.append(found)
        return out


async def _resolve_field(source: Json, info: Any, **args: Json) -> Json:
    if isinstance(source, dict):
        value = source.get(info.field_name)
    else:
        value = getattr(source, info.field_name, None)
    if callable(value):
        value = value(**args)
        if inspect.isawaitable(value):
            value = await value
    return value


def _resolve_type(value: Json, info: Any, abstract: Any) -> str | None:
    return value.get("__typename") if isinstance(value, dict) else None


def strict_syntax_error(query: str) -> str | None:
    """graphql-js's parser (most subgraphs') refuses an empty selection set; graphql-core's
    accepts one, so this subgraph refuses it itself."""
    try:
        doc = parse(query)
    except GraphQLError as exc:
        return exc.message
    empty: list[SelectionSetNode] = []

    class _Empty(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *_: object) -> None:
            if not node.selections:
                empty.append(node)

    visit(doc, _Empty())
    return 'Syntax Error: Expected Name, found "}".' if empty else None


FEDERATION_SDL = """
scalar _Any
type _Service { sdl: String }
"""


def executable_schema(sdl: str, entity_types: list[str]) -> GraphQLSchema:
    """The subgraph's schema with `_service`, and `_entities` when it has entities."""
    doc = parse(sdl)
    defined = {
        d.name.value
        for d in doc.definitions
        if isinstance(d, TypeDefinitionNode) and not isinstance(d, ObjectTypeExtensionNode)
    }
    # Federation 1 style `extend type X` for an X defined nowhere else defines it.
    definitions = []
    for d in doc.definitions:
        if isinstance(d, ObjectTypeExtensionNode) and d.name.value not in defined:
            defined.add(d.name.value)
            d = ObjectTypeDefinitionNode(
                name=d.name, interfaces=d.interfaces, directives=d.directives, fields=d.fields
            )
        definitions.append(d)
    extra = FEDERATION_SDL
    if "Query" not in defined:
        extra += "type Query\n"
    extra += "extend type Query { _service: _Service! }\n"
    objects = [
        t
        for t in entity_types
        if any(isinstance(d, ObjectTypeDefinitionNode) and d.name.value == t for d in definitions)
    ]
    if objects:
        extra += f"union _Entity = {' | '.join(objects)}\n"
        extra += "extend type Query { _entities(representations: [_Any!]!): [_Entity]! }\n"
    full = DocumentNode(definitions=(*definitions, *parse(extra).definitions))
    return build_ast_schema(full, assume_valid_sdl=True)


def by_key(rows: Mapping[str, dict[str, Json]], key: str = "id") -> Resolver:
    """Entities looked up by one key field; the representation's fields (required
    fields among them) stay readable on the entity."""

    def resolve(rep: dict[str, Json]) -> dict[str, Json] | None:
        row = rows.get(str(rep.get(key)))
        return None if row is None else {**rep, **row}

    return resolve


def echo(rep: dict[str, Json]) -> dict[str, Json]:
    """An entity known only by its representation (`@key` and `@requires` fields)."""
    return dict(rep)


class SubgraphApp:
    """One ASGI app serving many SDL subgraphs, each at `/<prefix>/graphql`."""

    def __init__(self) -> None:
        self.routes: dict[str, SdlSubgraph] = {}

    def mount(self, prefix: str, sub: SdlSubgraph) -> str:
        path = f"/{prefix}/graphql"
        self.routes[path] = sub
        return path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        sub = self.routes.get(scope["path"])
        if sub is None:
            await _respond(send, 404, {"errors": [{"message": "no such subgraph"}]})
            return
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            await _respond(send, 400, {"errors": [{"message": "body is not JSON"}]})
            return
        headers = {k.decode(): v.decode() for k, v in scope.get("headers", [])}
        await _respond(send, 200, await sub.execute(request, headers))


async def _respond(send: Any, status: int, payload: Json) -> None:
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": data})
