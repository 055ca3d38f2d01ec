"""Operation limits: what one request may ask of the router, checked before any planning.

Every refusal is a GraphQL error with `extensions.code` `OPERATION_TOO_COMPLEX`, the
limit's name, the value found and the limit (`LimitExceeded.error`). The checks never
expand a fragment twice: each fragment's figures are computed once and multiplied by
the number of places it is spread, so a document of fragments that each spread the
previous one twice costs time linear in its size, and is refused for what its
expansion would be.

Order, cheapest first: the document's size, tokens and comments while it is parsed
(`parse_document`); then, still before validation, `check_document`: directives per
element, mutation and root fields, depth, aliases, introspection list nesting and
repeats of one field per selection set; after validation and variable coercion,
`estimate_cost`. HTTP-level limits (body size, JSON nesting) and the response size,
deadline and planning budget are read from the same `OperationLimits`.

Depth counts the fields on the longest path from the root to a leaf, `__typename`
not counted and Relay wrappers transparent: `edges` and `nodes` of a `...Connection`,
`node` of an `...Edge`, and `ofType` of `__Type`, so
`customers(first: 5) { edges { node { orders(first: 3) { edges { node { lines {
product { stock { available } } } } } } } } }` is depth 6, as a client reads it.

Cost estimates how many objects the lists of the operation may return, GitHub's node
limit model: a list of objects costs its size times the sizes of the lists around it,
and a root field costs 1 (a mutation root field 10). The size is the field's
`first`/`last` argument, else its declared default, else `page_size` for a sliceable
field (a connection's `edges`/`nodes` take the size asked of the field that returned
the connection) and `list_size` for a list with no slicing argument. A singular
object inside a list costs nothing more: it comes with its list item, and how many
such fields an item has is bounded by the document's tokens, depth and aliases.
Introspection (`__schema`, `__type`) costs nothing here; its nesting of list fields is
limited instead (`introspection_lists`), like Apollo Router's introspection depth limit.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionNode,
    TypeMetaFieldDef,
    VariableNode,
    get_named_type,
    is_composite_type,
    parse,
)

from shared.codes import Code

CODE = str(Code.OPERATION_TOO_COMPLEX)
SLICING_ARGUMENTS = ("first", "last")
INTROSPECTION_LISTS = frozenset(
    {"types", "fields", "args", "inputFields", "interfaces", "possibleTypes", "enumValues"}
    | {"directives"}
)
MUTATION_FIELD_COST = 10
_CAP = 2**53  # counts past this are reported as this: JSON numbers stay exact


@dataclass(frozen=True)
class OperationLimits:
    """Limits of one request. None switches a limit off.

    `from_env` reads each from `NEXO_LIMIT_<NAME>` (e.g. `NEXO_LIMIT_DEPTH=8`,
    `NEXO_LIMIT_COST=off`).
    """

    depth: int | None = 8
    """Fields on the longest path, Relay `edges`/`node` and `__typename` not counted."""
    aliases: int | None = 15
    """Aliased fields in the operation, each fragment counted where it is spread."""
    root_fields: int | None = 10
    """Root fields of an operation (`__typename` not counted)."""
    mutation_fields: int | None = 5
    """Root fields of a mutation: so one request cannot run 50 logins."""
    directives: int | None = 4
    """Directives on one field, fragment or operation."""
    duplicate_fields: int | None = 20
    """Selections of one response key in one selection set, fragments spread or
    inlined there included: validation compares such fields pairwise (50 copies of
    one field cost it a quarter of a second)."""
    introspection_lists: int | None = 3
    """Nested list fields (`types`, `fields`, `args`...) under `__schema`/`__type`."""
    tokens: int | None = 1000
    """Lexical tokens of the document (comments are limited to as many)."""
    document_bytes: int | None = 64 * 1024
    """Characters of the query document."""
    cost: int | None = 5000
    """Estimated objects resolved (see the module's docstring)."""
    page_size: int = 20
    """Assumed size of a connection or sliceable list when `first`/`last` is absent
    and declares no default."""
    list_size: int = 20
    """Assumed size of a list with no slicing argument."""
    body_bytes: int | None = 1024 * 1024
    """HTTP request body (413 past it)."""
    json_depth: int | None = 32
    """Nesting of the JSON body, and of `variables`/`extensions` in a GET (400)."""
    response_bytes: int | None = 4 * 1024 * 1024
    """Serialised response body."""
    deadline_seconds: float | None = 30.0
    """Wall-clock time of one request in the router; past it the work is cancelled."""
    plan_work: int | None = 20_000
    """Steps the planner may take for one operation (selections walked)."""

    @classmethod
    def unlimited(cls) -> OperationLimits:
        """Every limit off (for tests of the machinery behind them)."""
        off: dict[str, Any] = {
            f.name: None for f in dataclasses.fields(cls) if f.name not in _SIZES
        }
        return dataclasses.replace(cls(), **off)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, base: OperationLimits | None = None
    ) -> OperationLimits:
        """`base` (the defaults) with each `NEXO_LIMIT_<NAME>` that is set; `off`,
        `none` or `0` switch a limit off. A malformed value raises ValueError naming
        the variable."""
        env = os.environ if environ is None else environ
        base = base or cls()
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = f"NEXO_LIMIT_{f.name.upper()}"
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            text = raw.strip().lower()
            if text in ("off", "none", "0") and f.name not in _SIZES:
                changes[f.name] = None
                continue
            try:
                value: float = float(text) if f.name == "deadline_seconds" else int(text)
            except ValueError:
                raise ValueError(f"{name} must be a number or 'off', not {raw!r}") from None
            if value <= 0:
                raise ValueError(f"{name} must be positive, not {raw!r}")
            changes[f.name] = value
        return dataclasses.replace(base, **changes)


_SIZES = frozenset({"page_size", "list_size"})

_LABELS = {
    "depth": "depth",
    "aliases": "aliases",
    "rootFields": "root fields",
    "mutationFields": "mutation root fields",
    "directives": "directives on one element",
    "duplicateFields": "repeats of one field in a selection set",
    "introspectionLists": "nested introspection lists",
    "tokens": "tokens",
    "comments": "comments",
    "documentBytes": "document size (characters)",
    "cost": "estimated cost",
    "planWork": "planning work",
}


class LimitExceeded(Exception):
    """A request refused by one limit, before it cost more."""

    def __init__(self, limit: str, value: int | float | None, maximum: int | float) -> None:
        self.limit = limit
        self.value = min(value, _CAP) if value is not None else None
        self.maximum = maximum
        label = _LABELS.get(limit, limit)
        found = f"{label} is {self.value}, over" if value is not None else f"{label} over"
        super().__init__(f"Operation too complex: {found} the limit of {maximum}.")

    def error(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": CODE, "limit": self.limit, "max": self.maximum}
        if self.value is not None:
            extensions["value"] = self.value
        return {"message": str(self), "extensions": extensions}


def _check(limit: str, value: int, maximum: int | None) -> None:
    if maximum is not None and value > maximum:
        raise LimitExceeded(limit, value, maximum)


# -- parsing ---------------------------------------------------------------------


def parse_document(query: str, limits: OperationLimits) -> DocumentNode:
    """The parsed document; raises LimitExceeded past the size, token or comment
    limit (the parser stops there), GraphQLSyntaxError for a malformed one."""
    if limits.document_bytes is not None and len(query) > limits.document_bytes:
        raise LimitExceeded("documentBytes", len(query), limits.document_bytes)
    try:
        return parse(
            query,
            max_lexical_tokens=limits.tokens,
            max_comments=limits.tokens,
        )
    except GraphQLSyntaxError as exc:
        message = exc.message
        if limits.tokens is not None and message.endswith("Parsing aborted."):
            limit = "comments" if "comments" in message else "tokens"
            raise LimitExceeded(limit, None, limits.tokens) from None
        raise


# -- the document's shape, before validation ---------------------------------------


def _type_named(schema: GraphQLSchema, name: str | None) -> GraphQLNamedType | None:
    return schema.get_type(name) if name else None


def _field_def(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _transparent(parent: GraphQLNamedType | None, name: str) -> bool:
    """Relay and type-reference wrappers a client does not read as a level."""
    if parent is None:
        return False
    if name in ("edges", "nodes"):
        return parent.name.endswith("Connection")
    if name == "node":
        return parent.name.endswith("Edge")
    return name == "ofType" and parent.name == "__Type"


def _is_list(t: GraphQLOutputType) -> bool:
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    return isinstance(t, GraphQLList)


@dataclass
class _Shape:
    depth: int = 0
    aliases: int = 0
    introspection_lists: int = 0


class _ShapeWalk:
    """Depth, aliases and introspection nesting of selection sets, each fragment
    walked once (its figures reused wherever it is spread)."""

    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.memo: dict[str, _Shape] = {}
        self.walking: set[str] = set()

    def fragment(self, name: str) -> _Shape:
        found = self.memo.get(name)
        if found is not None:
            return found
        frag = self.fragments.get(name)
        if frag is None or name in self.walking:  # unknown or cyclic: validation says so
            return _Shape()
        self.walking.add(name)
        try:
            parent = _type_named(self.schema, frag.type_condition.name.value)
            shape = self.selections(frag.selection_set.selections, parent, False)
        finally:
            self.walking.discard(name)
        self.memo[name] = shape
        return shape

    def selections(
        self,
        sels: tuple[SelectionNode, ...],
        parent: GraphQLNamedType | None,
        introspecting: bool,
    ) -> _Shape:
        out = _Shape()
        for sel in sels:
            if isinstance(sel, FieldNode):
                inner = self.field(sel, parent, introspecting)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                sub_parent = _type_named(self.schema, cond.name.value) if cond else parent
                inner = self.selections(sel.selection_set.selections, sub_parent, introspecting)
            elif isinstance(sel, FragmentSpreadNode):
                inner = self.fragment(sel.name.value)
            else:
                continue
            out.depth = max(out.depth, inner.depth)
            out.aliases = min(out.aliases + inner.aliases, _CAP)
            out.introspection_lists = max(out.introspection_lists, inner.introspection_lists)
        return out

    def field(self, sel: FieldNode, parent: GraphQLNamedType | None, introspecting: bool) -> _Shape:
        name = sel.name.value
        fdef = _field_def(parent, name)
        introspecting = introspecting or name in ("__schema", "__type")
        shape = _Shape()
        if sel.selection_set is not None:
            named = get_named_type(fdef.type) if fdef is not None else None
            shape = self.selections(sel.selection_set.selections, named, introspecting)
        if name != "__typename" and not _transparent(parent, name):
            shape.depth += 1
        if sel.alias is not None:
            shape.aliases = min(shape.aliases + 1, _CAP)
        if introspecting and name in INTROSPECTION_LISTS:
            shape.introspection_lists += 1
        return shape


def _root_fields(
    op: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> int:
    memo: dict[str, int] = {}

    def count(sels: tuple[SelectionNode, ...], walking: frozenset[str]) -> int:
        total = 0
        for sel in sels:
            if isinstance(sel, FieldNode):
                total += sel.name.value != "__typename"
            elif isinstance(sel, InlineFragmentNode):
                total += count(sel.selection_set.selections, walking)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                frag = fragments.get(name)
                if frag is None or name in walking:
                    continue
                if name not in memo:
                    memo[name] = count(frag.selection_set.selections, walking | {name})
                total += memo[name]
        return min(total, _CAP)

    return count(op.selection_set.selections, frozenset())


def _directive_checks(doc: DocumentNode, limits: OperationLimits) -> None:
    """Directives per element: each node once."""
    pending: list[Node] = list(doc.definitions)
    while pending:
        node = pending.pop()
        directives: tuple[DirectiveNode, ...] = getattr(node, "directives", None) or ()
        _check("directives", len(directives), limits.directives)
        for var in getattr(node, "variable_definitions", None) or ():
            _check("directives", len(var.directives or ()), limits.directives)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)


class _RepeatWalk:
    """How often each response key is selected in each selection set, counting the
    fields of the fragments spread or inlined there (each fragment counted once, and
    reused). Validation compares the fields of one response key pairwise."""

    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], limits: OperationLimits
    ) -> None:
        self.fragments = fragments
        self.limit = limits.duplicate_fields
        self.memo: dict[str, dict[str, int]] = {}
        self.walking: set[str] = set()

    def check(self, counts: Mapping[str, int]) -> None:
        _check("duplicateFields", max(counts.values(), default=0), self.limit)

    def fragment(self, name: str) -> dict[str, int]:
        found = self.memo.get(name)
        if found is not None:
            return found
        frag = self.fragments.get(name)
        if frag is None or name in self.walking:
            return {}
        self.walking.add(name)
        try:
            counts = self.merged(frag.selection_set.selections)
        finally:
            self.walking.discard(name)
        self.check(counts)
        self.memo[name] = counts
        return counts

    def merged(self, sels: tuple[SelectionNode, ...]) -> dict[str, int]:
        counts: dict[str, int] = {}

        def add(more: Mapping[str, int]) -> None:
            for key, n in more.items():
                counts[key] = min(counts.get(key, 0) + n, _CAP)

        for sel in sels:
            if isinstance(sel, FieldNode):
                add({(sel.alias or sel.name).value: 1})
                if sel.selection_set is not None:
                    self.check(self.merged(sel.selection_set.selections))
            elif isinstance(sel, InlineFragmentNode):
                add(self.merged(sel.selection_set.selections))
            elif isinstance(sel, FragmentSpreadNode):
                add(self.fragment(sel.name.value))
        return counts


def check_document(schema: GraphQLSchema, doc: DocumentNode, limits: OperationLimits) -> None:
    """Raise LimitExceeded for the first limit the document's operations break.

    Runs before validation, so it copes with unknown fields, types and fragments
    (they count as leaves) and with fragment cycles (counted once)."""
    _directive_checks(doc, limits)
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _ShapeWalk(schema, fragments)
    repeats = _RepeatWalk(fragments, limits)
    for op in doc.definitions:
        if not isinstance(op, OperationDefinitionNode):
            continue
        roots = _root_fields(op, fragments)
        if op.operation == OperationType.MUTATION:
            _check("mutationFields", roots, limits.mutation_fields)
        root = schema.get_root_type(op.operation)
        try:
            shape = walk.selections(op.selection_set.selections, root, False)
        except RecursionError:
            raise LimitExceeded("depth", None, limits.depth or 0) from None
        _check("depth", shape.depth, limits.depth)
        _check("aliases", shape.aliases, limits.aliases)
        _check("rootFields", roots, limits.root_fields)
        _check("introspectionLists", shape.introspection_lists, limits.introspection_lists)
        if limits.duplicate_fields is not None:
            repeats.check(repeats.merged(op.selection_set.selections))
    if limits.duplicate_fields is not None:
        for name in fragments:  # validation compares within unused fragments too
            repeats.fragment(name)


# -- cost, after validation ------------------------------------------------------


class _CostWalk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        limits: OperationLimits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.limits = limits
        self.memo: dict[tuple[str, int | None], int] = {}
        self.walking: set[str] = set()

    def slice_size(self, sel: FieldNode, fdef: GraphQLField) -> int | None:
        """The page the field asks for: its first/last argument, else the declared
        default; None when it has no slicing argument at all."""
        sizes: list[int] = []
        declared = False
        given = {a.name.value: a.value for a in sel.arguments or ()}
        for name in SLICING_ARGUMENTS:
            arg: GraphQLArgument | None = fdef.args.get(name)
            if arg is None:
                continue
            declared = True
            value: Any = None
            node = given.get(name)
            if isinstance(node, IntValueNode):
                value = int(node.value)
            elif isinstance(node, VariableNode):
                value = self.variables.get(node.name.value)
            elif node is None:
                value = arg.default_value
            if isinstance(value, int) and not isinstance(value, bool):
                sizes.append(max(value, 0))
        if sizes:
            return max(sizes)
        return self.limits.page_size if declared else None

    def selections(
        self, sels: tuple[SelectionNode, ...], parent: GraphQLNamedType | None, page: int | None
    ) -> int:
        total = 0
        for sel in sels:
            if isinstance(sel, FieldNode):
                total += self.field(sel, parent, page)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                sub_parent = _type_named(self.schema, cond.name.value) if cond else parent
                total += self.selections(sel.selection_set.selections, sub_parent, page)
            elif isinstance(sel, FragmentSpreadNode):
                total += self.fragment(sel.name.value, page)
            total = min(total, _CAP)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        found = self.memo.get(key)
        if found is not None:
            return found
        frag = self.fragments.get(name)
        if frag is None or name in self.walking:
            return 0
        self.walking.add(name)
        try:
            parent = _type_named(self.schema, frag.type_condition.name.value)
            cost = self.selections(frag.selection_set.selections, parent, page)
        finally:
            self.walking.discard(name)
        self.memo[key] = cost
        return cost

    def field(self, sel: FieldNode, parent: GraphQLNamedType | None, page: int | None) -> int:
        name = sel.name.value
        if name in ("__typename", "__schema", "__type"):
            return 0
        fdef = _field_def(parent, name)
        if fdef is None:
            return 0
        named = get_named_type(fdef.type)
        if not is_composite_type(named):
            return 0
        size = self.slice_size(sel, fdef)
        own, times, inner_page = 0, 1, None
        if _is_list(fdef.type):
            if size is not None:
                times = size
            elif page is not None and name in ("edges", "nodes"):
                times = page
            else:
                times = self.limits.list_size
            own = 1
        else:
            inner_page = size  # a connection: its edges take the page asked for here
        inner = 0
        if sel.selection_set is not None:
            inner = self.selections(sel.selection_set.selections, named, inner_page)
        return min(times * (own + inner), _CAP)


def estimate_cost(
    schema: GraphQLSchema,
    doc: DocumentNode,
    op: OperationDefinitionNode,
    variables: Mapping[str, Any],
    limits: OperationLimits,
) -> int:
    """The operation's estimated cost (see the module's docstring); the document
    must be valid."""
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _CostWalk(schema, fragments, variables, limits)
    root = schema.get_root_type(op.operation)
    cost = walk.selections(op.selection_set.selections, root, None)
    per_root = MUTATION_FIELD_COST if op.operation == OperationType.MUTATION else 1
    return min(cost + per_root * _root_fields(op, fragments), _CAP)


def check_cost(
    schema: GraphQLSchema,
    doc: DocumentNode,
    op: OperationDefinitionNode,
    variables: Mapping[str, Any],
    limits: OperationLimits,
) -> int:
    if limits.cost is None:
        return 0
    try:
        cost = estimate_cost(schema, doc, op, variables, limits)
    except RecursionError:
        raise LimitExceeded("cost", None, limits.cost) from None
    _check("cost", cost, limits.cost)
    return cost


def graphql_error(exc: LimitExceeded) -> GraphQLError:
    return GraphQLError(str(exc), extensions=exc.error()["extensions"])
