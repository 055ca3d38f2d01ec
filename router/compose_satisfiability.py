"""Satisfiability: every query of the API schema can be planned over the subgraphs.

Composition that merges types without this check accepts subgraphs in which some
field can never be fetched (an `@external` field nobody provides, a key no subgraph
on the way can give, a field only a non-resolvable `@interfaceObject` declares): the
router would find out only when a client asks. So composition plans, with the router's
own planner, a query for every field along every way of reaching its type: for each
field returning an object (the edge `Parent.field`), each field of what it returns,
each once. A field that cannot be planned is an issue naming the query path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    GraphQLArgument,
    GraphQLCompositeType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    Undefined,
    ValueNode,
    get_named_type,
)

from router.plan import PlanningError
from router.supergraph import Supergraph

MAX_QUERIES = 20_000
"""Planning stops past this many queries (a graph that large is checked in part)."""


@dataclass(frozen=True)
class Unsatisfiable:
    path: str
    """The query path, `products.name` (fragments as `... on Book`)."""
    coordinate: str
    """The field that cannot be reached, `Product.name`."""
    graph: str
    """The subgraph from which it cannot be reached."""
    reason: str


@dataclass(frozen=True)
class _Step:
    """One level of a path: a field (with its arguments) or a type condition."""

    field: GraphQLField | None
    name: str
    condition: str | None = None


def unsatisfiable(sg: Supergraph) -> list[Unsatisfiable]:
    """Every (path, field) of the API schema the planner cannot plan, shortest first."""
    api = sg.api_schema
    found: list[Unsatisfiable] = []
    seen_edges: set[tuple[str, str]] = set()
    queries = 0
    for operation in (OperationType.QUERY, OperationType.MUTATION):
        root = api.get_root_type(operation)
        if root is None:
            continue
        pending: deque[tuple[list[_Step], GraphQLCompositeType]] = deque([([], root)])
        while pending:
            path, parent = pending.popleft()
            for steps, last, owner in _fields(api, parent):
                queries += 1
                if queries > MAX_QUERIES:
                    return found
                full = [*path, *steps]
                failure = _plan(sg, operation, full, last, f"{owner.name}.{last.name}")
                if failure is not None:
                    found.append(failure)
                    continue
                assert last.field is not None
                named = get_named_type(last.field.type)
                edge = (owner.name, last.name)
                if (
                    isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
                    and edge not in seen_edges
                ):
                    seen_edges.add(edge)
                    pending.append(([*full, last], named))
    return found


def _fields(
    api: GraphQLSchema, parent: GraphQLCompositeType
) -> Iterator[tuple[list[_Step], _Step, GraphQLObjectType | GraphQLInterfaceType]]:
    """(type conditions, field, the type it is selected on) for each field selectable
    at `parent`: its own, and each implementation's or member's (an interface's field
    too: an implementation may take it from elsewhere, by @override or @requires)."""
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        for name, f in parent.fields.items():
            yield [], _Step(f, name), parent
    if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
        for member in api.get_possible_types(parent):
            for name, f in member.fields.items():
                yield [_Step(None, "", member.name)], _Step(f, name), member


def _plan(
    sg: Supergraph, operation: OperationType, path: list[_Step], last: _Step, coordinate: str
) -> Unsatisfiable | None:
    from router.query_planner import plan_groups

    op = OperationDefinitionNode(
        operation=operation,
        selection_set=_selection([*path, last]),
        variable_definitions=(),
        directives=(),
    )
    text = _path_text([*path, last])
    try:
        build = plan_groups(sg, DocumentNode(definitions=(op,)), op)
    except PlanningError as exc:
        return Unsatisfiable(text, coordinate, "", str(exc))
    for g in build.groups:
        if g.unreachable is not None:
            return Unsatisfiable(text, coordinate, sg.graphs[g.graph].name, g.unreachable[1])
    return None


def _selection(steps: list[_Step]) -> SelectionSetNode:
    inner: SelectionSetNode | None = None
    last = steps[-1]
    assert last.field is not None
    if not isinstance(get_named_type(last.field.type), GraphQLScalarType | GraphQLEnumType):
        inner = SelectionSetNode(selections=(FieldNode(name=NameNode(value="__typename")),))
    for step in reversed(steps):
        node: SelectionNode
        if step.field is None:
            assert step.condition is not None
            assert inner is not None
            node = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=step.condition)),
                directives=(),
                selection_set=inner,
            )
        else:
            node = FieldNode(
                name=NameNode(value=step.name),
                arguments=tuple(_arguments(step.field.args)),
                directives=(),
                selection_set=inner,
            )
        inner = SelectionSetNode(selections=(node,))
    assert inner is not None
    return inner


def _path_text(steps: list[_Step]) -> str:
    return ".".join(s.name if s.field is not None else f"... on {s.condition}" for s in steps)


def _arguments(args: dict[str, GraphQLArgument]) -> Iterator[ArgumentNode]:
    for name, arg in args.items():
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
            yield ArgumentNode(name=NameNode(value=name), value=_placeholder(arg.type))


def _placeholder(t: GraphQLInputType) -> ValueNode:
    """Some value of type `t`: planning looks at no argument's value."""
    if isinstance(t, GraphQLNonNull):
        return _placeholder(t.of_type)
    if isinstance(t, GraphQLList):
        return ListValueNode(values=())
    if isinstance(t, GraphQLEnumType):
        return EnumValueNode(value=next(iter(t.values)))
    if isinstance(t, GraphQLInputObjectType):
        return ObjectValueNode(
            fields=tuple(
                ObjectFieldNode(name=NameNode(value=n), value=_placeholder(f.type))
                for n, f in t.fields.items()
                if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
            )
        )
    name = getattr(t, "name", "")
    if name == "Int":
        return IntValueNode(value="0")
    if name == "Float":
        return FloatValueNode(value="0")
    if name == "Boolean":
        return BooleanValueNode(value=False)
    return StringValueNode(value="0")
