"""Shape the merged subgraph data into the client's response.

The response tree holds everything the fetches returned, including fields the
planner added (keys, `__typename`, required fields). Walking the client's operation
over it keeps only what was asked, under the client's aliases, in the client's order,
and applies the GraphQL spec's null propagation (section 6.4.4, "Handling Field Errors").

What the client may not see never reaches it: an object whose type is not in the API
schema (`@inaccessible`) and an enum value that is not are null, which null
propagation reports where the position is non-null. Client response keys starting
with `__` are stored in the tree escaped (`router.selection.tree_key`), so they never
meet the router's own `__typename` or hidden keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    VariableNode,
    Visitor,
    is_abstract_type,
    is_leaf_type,
    visit,
)
from graphql.execution.values import VariableValues, get_directive_values

from router.selection import client_key, tree_key
from router.shaping_code import Compiled, compile_plan
from router.tree import Chain, path_of

Json = Any
_INTROSPECTION = frozenset({"__schema", "__type"})
_ObjectLike = GraphQLObjectType | GraphQLInterfaceType


_FieldPlan = tuple[
    str,
    str,
    GraphQLField | None,
    list[SelectionSetNode],
    str,
    bool,
    bool,
    GraphQLObjectType | None,
]
"""Response key, key in the tree, the field (None: `__typename`), its selection sets,
its label for errors, whether its value is kept raw (introspection), whether a value
that is there is the answer as it stands (a scalar that is not a list: most fields,
which then cost one dictionary lookup), and the field's object type when it is one
(its objects are completed without a frame for the field)."""


class _Kept:
    """A plan with the selection-set list it was made for, how often it was used, and
    once that is `_COMPILE_AFTER` times, the plan written out as code."""

    __slots__ = ("code", "plan", "sets", "uses")

    def __init__(self, sets: Sequence[SelectionSetNode], plan: list[_FieldPlan]) -> None:
        self.sets = sets
        self.plan = plan
        self.uses = 0
        self.code: Compiled | None = None


_COMPILE_AFTER = 8
"""Writing a plan's code costs about as much as walking it some dozens of times."""


class ShapePlans:
    """The field plans of one operation of one document, kept with the checked document
    from one request to the next: a plan depends on the schema, the document and the
    values of the variables that @skip/@include read, so `plans_for` keeps one set per
    operation and such values (at most `_MEMOS` of them; past that a request works its
    plans out alone)."""

    __slots__ = ("fields", "op", "root")

    def __init__(self, op: OperationDefinitionNode) -> None:
        self.op = op
        # The plans name selection-set lists by id: the root list, made once here, and
        # the lists the plans hold, live as long as the plans do.
        self.root: list[SelectionSetNode] = [op.selection_set]
        self.fields: dict[tuple[str, int, bool], _Kept] = {}


_MEMOS = 16


def directive_variables(doc: DocumentNode) -> tuple[str, ...]:
    """The variables whose values @skip and @include read anywhere in `doc`."""
    found: dict[str, None] = {}

    class Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for arg in node.arguments or ():
                    if isinstance(arg.value, VariableNode):
                        found[arg.value.name.value] = None

    visit(doc, Finder())
    return tuple(found)


def plans_for(
    memos: dict[tuple[Any, ...], ShapePlans],
    op: OperationDefinitionNode,
    names: tuple[str, ...],
    variables: Mapping[str, Any],
) -> ShapePlans:
    """The kept plans of `op` under these values of the directive variables `names`."""
    key = (id(op), *(variables.get(n) for n in names))
    found = memos.get(key)
    if found is None:
        found = ShapePlans(op)
        if len(memos) < _MEMOS:
            memos[key] = found
    return found


class _Bubble:
    """A non-null violation travelling up to the nearest nullable position."""


BUBBLE = _Bubble()


class Shaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        errors: list[dict[str, Any]],
        plans: ShapePlans | None = None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.errors = errors
        # What an object of a runtime type under given selection sets completes: the
        # same for every item of a list, and for every request with the same values
        # of the variables @skip/@include read (`ShapePlans`).
        self._memo = plans
        self._plans: dict[tuple[str, int, bool], _Kept] = {}
        self._error_prefixes: set[tuple[str | int, ...]] = set()
        for e in errors:
            path = e.get("path")
            if isinstance(path, list):
                # Paths came in the response tree's keys; clients read their own.
                e["path"] = path = [client_key(p) if isinstance(p, str) else p for p in path]
            self._note(path)

    def _note(self, path: Sequence[str | int] | None) -> None:
        if path:
            for i in range(1, len(path) + 1):
                self._error_prefixes.add(tuple(path[:i]))

    def shape(self, op: OperationDefinitionNode, tree: dict[str, Json]) -> dict[str, Json] | None:
        root = self.schema.get_root_type(op.operation)
        assert root is not None
        memo = self._memo if self._memo is not None and self._memo.op is op else ShapePlans(op)
        self._plans = memo.fields
        result = self.complete_object(tree, root, memo.root, ())
        return None if result is BUBBLE else result  # type: ignore[return-value]

    # -- field collection -------------------------------------------------------

    def included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        if not node.directives:
            return True
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def applies(self, cond: str | None, runtime: _ObjectLike) -> bool:
        if cond is None or cond == runtime.name:
            return True
        cond_type = self.schema.get_type(cond)
        if isinstance(runtime, GraphQLObjectType) and is_abstract_type(cond_type):
            return self.schema.is_sub_type(cond_type, runtime)
        return False

    def collect(
        self,
        runtime: _ObjectLike,
        sets: Sequence[SelectionSetNode],
        out: dict[str, list[FieldNode]] | None = None,
        visited: set[str] | None = None,
    ) -> dict[str, list[FieldNode]]:
        """The fields to complete, by response key. A fragment spread a second time
        is skipped (the spec's visitedFragments): its fields are collected already,
        and a document of fragments that each spread the previous one twice stays
        linear."""
        out = {} if out is None else out
        visited = set() if visited is None else visited
        for selection_set in sets:
            for sel in selection_set.selections:
                if not self.included(sel):  # type: ignore[arg-type]
                    continue
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    out.setdefault(key, []).append(sel)
                elif isinstance(sel, InlineFragmentNode):
                    cond = sel.type_condition.name.value if sel.type_condition else None
                    if self.applies(cond, runtime):
                        self.collect(runtime, [sel.selection_set], out, visited)
                elif isinstance(sel, FragmentSpreadNode):
                    if sel.name.value in visited:
                        continue
                    visited.add(sel.name.value)
                    frag = self.fragments.get(sel.name.value)
                    if frag and self.applies(frag.type_condition.name.value, runtime):
                        self.collect(runtime, [frag.selection_set], out, visited)
        return out

    # -- completion -------------------------------------------------------------

    def runtime_type(self, static: GraphQLOutputType, obj: dict[str, Json]) -> _ObjectLike | None:
        if isinstance(static, GraphQLObjectType):
            return static
        typename = obj.get("__typename")
        found = self.schema.get_type(str(typename))
        if isinstance(found, GraphQLObjectType) and self.schema.is_sub_type(
            static,  # type: ignore[arg-type]
            found,
        ):
            return found
        # Only an @interfaceObject answered: the concrete type is unknown, but fields
        # declared on the interface can still be shaped. Any other type is one the
        # client may not see (@inaccessible): no object at all.
        if isinstance(static, GraphQLInterfaceType) and typename in (None, static.name):
            return static
        return None

    def field_def(self, parent: _ObjectLike, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        if name == "__typename":
            return TypeNameMetaFieldDef
        found: GraphQLField | None = parent.fields.get(name)
        return found

    def complete_object(
        self,
        obj: Json,
        static: GraphQLOutputType,
        sets: Sequence[SelectionSetNode],
        path: Chain,
        raw: bool = False,
    ) -> dict[str, Json] | _Bubble | None:
        if not isinstance(obj, dict):
            self.error(f"Expected an object for {static}, got {type(obj).__name__}.", path)
            return None
        runtime = static if type(static) is GraphQLObjectType else self.runtime_type(static, obj)
        if runtime is None:
            # An object of a type the client may not see (@inaccessible) is no object:
            # null, which null propagation reports where the position is non-null.
            return None
        kept = self._plans.get((runtime.name, id(sets), raw))
        if kept is None or kept.sets is not sets:
            kept = self._plan(runtime, sets, raw)
        if kept.code is not None:
            return kept.code(self, obj, path)  # type: ignore[no-any-return]
        kept.uses += 1
        if kept.uses >= _COMPILE_AFTER:
            kept.code = compile_plan(runtime, kept.plan, BUBBLE)
            return kept.code(self, obj, path)  # type: ignore[no-any-return]
        result: dict[str, Json] = {}
        plan = kept.plan
        for key, stored, fdef, sub_sets, label, inner_raw, as_is, direct in plan:
            if fdef is None:
                # An interface name here means only an @interfaceObject answered.
                typename = obj.get("__typename")
                concrete = isinstance(runtime, GraphQLObjectType) or not isinstance(typename, str)
                result[key] = runtime.name if concrete else typename
                continue
            value: Json = obj.get(stored)
            if as_is and value is not None:
                result[key] = value
                continue
            if direct is not None and isinstance(value, dict):
                value = self.complete_object(value, direct, sub_sets, (path, key), inner_raw)
                if not isinstance(value, dict):
                    value = self._nulled(fdef.type, direct, (path, key), label)
            else:
                value = self.complete(value, fdef.type, sub_sets, (path, key), label, inner_raw)
            if isinstance(value, _Bubble):
                return BUBBLE
            result[key] = value
        return result

    def written(
        self,
        runtime: GraphQLObjectType,
        sets: Sequence[SelectionSetNode],
        raw: bool,
        holder: list[Compiled | None],
    ) -> Compiled | None:
        """The code of the plan for `runtime` under `sets`, if it is written out yet,
        put in `holder` for the code that asked (`router.shaping_code`): that plan is
        kept as long as the code that holds it."""
        kept = self._plans.get((runtime.name, id(sets), raw))
        if kept is None or kept.sets is not sets or kept.code is None:
            return None
        holder[0] = kept.code
        return kept.code

    def _plan(self, runtime: _ObjectLike, sets: Sequence[SelectionSetNode], raw: bool) -> _Kept:
        # `sets` is the list a parent's plan holds (or the operation's); it is kept
        # with the plan, so its id names no other list while the plan is kept.
        memo_key = (runtime.name, id(sets), raw)
        made: list[_FieldPlan] = []
        for key, nodes in self.collect(runtime, sets).items():
            name = nodes[0].name.value
            stored = key if raw else tree_key(key, name)
            if name == "__typename":
                made.append((key, stored, None, [], "", raw, False, None))
                continue
            fdef = self.field_def(runtime, name)
            if fdef is None:
                continue
            sub_sets = [n.selection_set for n in nodes if n.selection_set is not None]
            label = f"{runtime.name}.{name}"
            named = fdef.type.of_type if isinstance(fdef.type, GraphQLNonNull) else fdef.type
            as_is = is_leaf_type(named) and not isinstance(named, GraphQLEnumType)
            direct = named if type(named) is GraphQLObjectType else None
            inner_raw = raw or name in _INTROSPECTION
            made.append((key, stored, fdef, sub_sets, label, inner_raw, as_is, direct))
        kept = self._plans[memo_key] = _Kept(sets, made)
        return kept

    def complete(
        self,
        value: Json,
        t: GraphQLOutputType,
        sets: Sequence[SelectionSetNode],
        path: Chain,
        label: str,
        raw: bool = False,
    ) -> Json:
        # The non-null wrapper is handled in the same call as the type it wraps, and
        # list items in a loop: fewer frames per level, for documents as deep as the
        # parser allows.
        nullable = t.of_type if isinstance(t, GraphQLNonNull) else t
        result: Json
        if value is None:
            result = None
        elif isinstance(nullable, GraphQLList):
            if isinstance(value, list):
                items = []
                item_type = nullable.of_type
                inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
                direct = type(inner) is GraphQLObjectType
                bubbled = False
                for i, item in enumerate(value):
                    if direct and isinstance(item, dict):
                        # An object of an object type, the common item: one frame.
                        done = self.complete_object(item, inner, sets, (path, i), raw)
                        if not isinstance(done, dict):
                            done = self._nulled(item_type, inner, (path, i), label)
                    else:
                        done = self.complete(item, item_type, sets, (path, i), label, raw)
                    bubbled = bubbled or done is BUBBLE
                    items.append(done)
                result = None if bubbled else items
            else:
                self.error(f"Expected a list for {label}.", path)
                result = None
        elif isinstance(nullable, GraphQLEnumType) and not (
            isinstance(value, str) and value in nullable.values
        ):
            # A value the client may not see (@inaccessible): null, as for a hidden type.
            result = None
        elif is_leaf_type(nullable):
            result = value
        else:
            shaped = self.complete_object(value, nullable, sets, path, raw)
            result = None if shaped is BUBBLE else shaped
        if result is None:
            return self._nulled(t, nullable, path, label)
        return result

    def _nulled(
        self, t: GraphQLOutputType, nullable: GraphQLOutputType, path: Chain, label: str
    ) -> Json:
        """What a null completes to at a position of type `t` (`nullable` unwrapped):
        null, or where `t` is non-null an error and a bubble to the nearest nullable."""
        if nullable is not t:
            if tuple(path_of(path)) not in self._error_prefixes:
                self.error(f"Cannot return null for non-nullable field {label}.", path)
            return BUBBLE
        return None

    def error(self, message: str, path: Chain) -> None:
        at = path_of(path)
        self.errors.append({"message": message, "path": at})
        self._note(at)
