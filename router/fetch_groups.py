"""Selection-level planning: walk an operation's selections into fetch groups.

A `FetchGroup` is one future subgraph request: the fields one subgraph resolves at one
merge path. Where that subgraph cannot resolve a field, `PlanBuilder` jumps by an
entity key (with `@requires`, `@provides` and `@interfaceObject` taken into account)
to a child group in a subgraph that can. Where no key leads from the field's own
type (a value type without keys), it re-enters from the nearest ancestor that can:
an entity ancestor by its key, or the root for a shareable root field, asking the
other subgraph for the path down to the field. `router.query_planner` starts the walk
at the root fields and orders the groups into the plan.

Where several subgraphs could take a field (a shareable root field, several jump
targets), each is tried in a sandbox and the one that plans with the fewest fetches
wins; one that cannot plan at all loses.

Each field is selected with its type in the subgraph it is sent to (`@join__field(type:)`):
a field that is `Book` there and the union `Media` in the supergraph gets no fragment
on `Movie`, which that subgraph could never match.

A field no subgraph may answer from where it is asked (an `@external` field nobody
provides there, one only a non-resolvable `@interfaceObject` has) is never fetched:
it becomes an `Unreachable` group, an error naming the field at each place it is
asked, and the rest of the operation is still answered. A field taking arguments
`@fromContext` is fetched by an entity call that sends them as variables, read from
the nearest ancestor whose type sets the context; a progressive `@override` resolves
from the overriding subgraph while its label is active for the request.

The walk is bounded: a fragment spread is expanded once per (selection set being
built, type, group, path), since expanding it again there adds nothing, and every
selection walked spends one unit of the `work` budget; past it the planner refuses
the operation (`LimitExceeded("planWork")`) rather than hold the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    parse_type,
    print_ast,
)

from router.limits import LimitExceeded
from router.plan import PlanningError
from router.selection import (
    HiddenFieldNode,
    SSet,
    hidden_field_set,
    parse_field_set,
    tree_key,
)
from router.supergraph import JoinField, Supergraph

Path = tuple[str, ...]
Provided = Sequence[SelectionNode] | None
ObjectLike = GraphQLObjectType | GraphQLInterfaceType
MAX_KEY_HOPS = 3
GROUP_WORK = 5
"""Work units a fetch group costs: about what five selections take to walk."""


class PlanningCancelled(Exception):
    """Nobody waits for the plan any more (the request was cancelled)."""


@dataclass(eq=False)
class FetchGroup:
    """A fetch under construction: one subgraph, one merge path, one entity type."""

    id: int
    graph: str
    path: Path
    entity_type: str | None
    cond_type: str | None = None
    typename_rewrite: str | None = None
    selection: SSet = field(default_factory=SSet)
    requires: SSet = field(default_factory=SSet)
    """The representation: key fields and required fields, under a type condition."""
    keys: SSet = field(default_factory=SSet)
    """The key fields alone: an object whose key field is null is no representation."""
    deps: set[int] = field(default_factory=set)
    contexts: list[ContextValue] = field(default_factory=list)
    """The contextual arguments its fields take, each a variable of its own."""
    unreachable: tuple[str, str] | None = None
    """(response key, why): no subgraph may answer the field at this group's path; the
    objects there get an error for it instead of a fetch."""
    separate: str = ""
    """Set when the representations cannot share a request with other groups'
    (required fields with arguments of their own)."""


@dataclass(frozen=True)
class Frame:
    """A composite field being walked: where a field below it that no key reaches can
    be asked for again, from this field's parent."""

    group: FetchGroup
    parent: ObjectLike
    sel: FieldNode
    path: Path
    out: SSet
    provided: Provided


@dataclass(frozen=True)
class ContextValue:
    """A contextual argument (`@fromContext`): sent as `variable`, whose value is
    `selection` on the ancestor at `path` (of type `parent`, fetched by `group`)."""

    variable: str
    argument: str
    type: str
    group: FetchGroup
    parent: ObjectLike
    path: Path
    out: SSet
    provided: Provided
    selection: Sequence[SelectionNode]


@dataclass(frozen=True)
class Target:
    graph: str
    entity_type: str
    key: str
    rewrite: str | None


def _list_depth(t: GraphQLOutputType) -> int:
    depth = 0
    while True:
        if isinstance(t, GraphQLNonNull):
            t = t.of_type
        elif isinstance(t, GraphQLList):
            depth += 1
            t = t.of_type
        else:
            return depth


def tree_alias(sel: FieldNode) -> str | None:
    """The alias a client field is sent with: its response key, kept apart from the
    router's own keys (`router.selection.tree_key`); None when that is the name."""
    if isinstance(sel, HiddenFieldNode):
        return sel.alias.value if sel.alias else None
    key = tree_key(sel.alias.value if sel.alias else sel.name.value, sel.name.value)
    return None if key == sel.name.value else key


class PlanBuilder:
    def __init__(
        self,
        sg: Supergraph,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        work: int | None = None,
        cancelled: threading.Event | None = None,
        *,
        parent: PlanBuilder | None = None,
        labels: frozenset[str] = frozenset(),
    ) -> None:
        self.sg = sg
        self.labels: frozenset[str] = parent.labels if parent is not None else labels
        """The progressive @override labels active for this plan."""
        self.op = op
        self.doc = doc
        self.parent = parent
        self.fragments: dict[str, FragmentDefinitionNode] = (
            parent.fragments
            if parent is not None
            else {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        )
        self.groups: list[FetchGroup] = []
        self.root_groups: dict[str, FetchGroup] = {}
        self.children: dict[tuple[object, ...], FetchGroup] = {}
        self._touched: list[set[int]] = []
        self._depth = 0
        self.work = work
        self.cancelled = cancelled
        self.spent = 0
        self._expanded: set[tuple[object, ...]] = set()
        self._interface_levels: dict[tuple[object, ...], bool] = {}
        self._frames: list[Frame] = []
        self._reentering: set[tuple[str, int]] = set()
        self._costs: dict[tuple[object, ...], int | None] = (
            parent._costs if parent is not None else {}
        )
        # Objects whose id is in a memo key stay alive, so no id is reused meanwhile.
        self._kept: list[object] = parent._kept if parent is not None else []

    def spend(self, units: int = 1) -> None:
        if self.parent is not None:
            self.parent.spend(units)
            return
        self.spent += units
        if self.work is not None and self.spent > self.work:
            raise LimitExceeded("planWork", None, self.work)
        if self.cancelled is not None and self.cancelled.is_set():
            raise PlanningCancelled

    def field_graphs(self, type_name: str, field_name: str) -> list[str]:
        return self.sg.field_graphs(type_name, field_name, self.labels)

    def resolvable(self, graph: str, type_name: str, field_name: str) -> bool:
        return self.sg.resolvable(graph, type_name, field_name, self.labels)

    def first_expansion(self, key: tuple[object, ...], *keep: object) -> bool:
        """Whether this is the first time `key` is expanded; idempotent walks need
        not run twice."""
        if key in self._expanded:
            return False
        self._expanded.add(key)
        self._kept.extend(keep)
        return True

    # -- groups ---------------------------------------------------------------

    def new_group(self, graph: str, path: Path, entity_type: str | None) -> FetchGroup:
        # A group becomes a subgraph operation to merge and print: more than a step.
        self.spend(GROUP_WORK)
        g = FetchGroup(len(self.groups), graph, path, entity_type)
        self.groups.append(g)
        for touched in self._touched:
            touched.add(g.id)
        return g

    def root_group(self, graph: str) -> FetchGroup:
        g = self.root_groups.get(graph)
        if g is None:
            g = self.root_groups[graph] = self.new_group(graph, (), None)
        return g

    def child(
        self,
        parent: FetchGroup,
        graph: str,
        path: Path,
        cond_type: str,
        entity_type: str,
        rewrite: str | None,
        for_requires: bool,
        separate: str = "",
    ) -> FetchGroup:
        key = (parent.id, graph, path, cond_type, entity_type, for_requires, separate)
        g = self.children.get(key)
        if g is None:
            g = self.new_group(graph, path, entity_type)
            g.cond_type, g.typename_rewrite, g.separate = cond_type, rewrite, separate
            g.deps.add(parent.id)
            self.children[key] = g
        for touched in self._touched:
            touched.add(g.id)
        return g

    @contextmanager
    def touching(self) -> Iterator[set[int]]:
        touched: set[int] = set()
        self._touched.append(touched)
        try:
            yield touched
        finally:
            self._touched.pop()

    # -- trying alternatives ----------------------------------------------------

    def sandbox(self) -> PlanBuilder:
        return PlanBuilder(self.sg, self.doc, self.op, parent=self)

    def cost(
        self,
        memo: tuple[object, ...],
        graph: str,
        t: ObjectLike,
        sels: Sequence[SelectionNode],
        path: Path,
        entity_type: str | None,
        provided: Provided,
        *,
        as_field: bool = False,
    ) -> int | None:
        """How many fetches `sels` take when planned standing in `graph` at `t`; None
        when they cannot be planned from there."""
        key = (graph, t.name, entity_type, as_field, *memo)
        if key in self._costs:
            return self._costs[key]
        self._costs[key] = None  # a walk that comes back here is no way through
        trial = self.sandbox()
        g = trial.new_group(graph, path, entity_type)
        if entity_type is None and not path:
            trial.root_groups[graph] = g
        found: int | None
        try:
            if as_field:
                sel = sels[0]
                assert isinstance(sel, FieldNode)
                join = self.sg.field_join(graph, t.name, sel.name.value)
                inner = parse_field_set(join.provides) if join and join.provides else None
                trial.add_field(g, t, sel, path, g.selection, inner, provided)
            else:
                trial.select_object(g, t, sels, path, g.selection, provided)
            found = len(trial.groups)
        except PlanningError:
            found = None
        self._costs[key] = found
        return found

    def cheapest(self, options: Sequence[tuple[int | None, int]]) -> int | None:
        """The index of the feasible option with the lowest cost, earlier ones first."""
        best: tuple[int, int] | None = None
        for i, (cost, bonus) in enumerate(options):
            if cost is None:
                continue
            if best is None or cost - bonus < best[0]:
                best = (cost - bonus, i)
        return None if best is None else best[1]

    # -- walking --------------------------------------------------------------

    def select(
        self,
        g: FetchGroup,
        parent: GraphQLCompositeType,
        sels: Sequence[SelectionNode],
        path: Path,
        out: SSet,
        provided: Provided,
        local: GraphQLCompositeType | None = None,
    ) -> None:
        """Walk `sels` at `parent`; `local` is the field's type in g's subgraph when it
        differs from the supergraph's (an object where the supergraph has a union)."""
        if local is not None and local.name != parent.name:
            if isinstance(parent, GraphQLObjectType):
                self.select_object(g, parent, sels, path, out, provided)
                return
            out.typename()
            if isinstance(local, GraphQLObjectType):
                self.select_object(g, local, sels, path, out.fragment(local.name), provided)
                return
            possible = {t.name for t in self.sg.schema.get_possible_types(local)}
            for runtime in self.sg.runtime_types(g.graph, parent):
                if runtime.name in possible:
                    sub = out.fragment(runtime.name)
                    self.select_object(g, runtime, sels, path, sub, provided)
            return
        if isinstance(parent, GraphQLObjectType):
            self.select_object(g, parent, sels, path, out, provided)
            return
        if isinstance(parent, GraphQLInterfaceType) and self.interface_level(g, parent, sels):
            # The concrete type tells whether the client may see the object at all.
            out.typename()
            self.select_object(g, parent, sels, path, out, provided)
            return
        if isinstance(parent, GraphQLInterfaceType) and self.sg.is_interface_object(
            g.graph, parent.name
        ):
            self.leave_interface_object(g, parent, sels, path, out, provided)
            return
        out.typename()
        for runtime in self.sg.runtime_types(g.graph, parent):
            self.select_object(g, runtime, sels, path, out.fragment(runtime.name), provided)

    def leave_interface_object(
        self,
        g: FetchGroup,
        iface: GraphQLInterfaceType,
        sels: Sequence[SelectionNode],
        path: Path,
        out: SSet,
        provided: Provided,
    ) -> None:
        """g sees the interface as an object: only a graph with the implementations
        knows each object's concrete type, so what depends on it is asked there. The
        interface's own fields g resolves are taken here, also where the client
        selects them under a fragment on an implementation."""
        here, rest = self.split_interface_object(g, iface, sels)
        self.select_object(g, iface, here, path, out, provided)
        if not rest:
            return
        home = next(
            (
                (graph, key)
                for graph in self.sg.type_graphs(iface.name)
                if not self.sg.is_interface_object(graph, iface.name)
                for key in self.sg.keys(graph, iface.name)
                if self.key_local(g.graph, iface, parse_field_set(key), provided)
            ),
            None,
        )
        if home is None:
            raise PlanningError(
                f"{iface.name} is an @interfaceObject in {self.name(g.graph)} and no subgraph "
                "with its implementations can be reached by a key from there"
            )
        graph, key = home
        child = self.child(g, graph, path, iface.name, iface.name, iface.name, False)
        key_sels = hidden_field_set(key)
        out.typename()
        self.select_object(g, iface, key_sels, path, out, provided)
        self.add_representation(child, iface.name, key_sels, None)
        self.select(child, iface, rest, path, child.selection, None)

    def split_interface_object(
        self, g: FetchGroup, iface: GraphQLInterfaceType, sels: Sequence[SelectionNode]
    ) -> tuple[list[SelectionNode], list[SelectionNode]]:
        """(fields of `iface` g resolves, the rest): fields under fragments on the
        interface or its implementations are taken out of them."""
        here: list[SelectionNode] = []
        signatures: dict[str, str] = {}
        conditional = False

        def split(items: Sequence[SelectionNode], under: str | None) -> list[SelectionNode]:
            nonlocal conditional
            rest: list[SelectionNode] = []
            for sel in items:
                self.spend()
                if isinstance(sel, FieldNode):
                    name = sel.name.value
                    key = sel.alias.value if sel.alias else name
                    signature = print_ast(FieldNode(name=sel.name, arguments=sel.arguments))
                    if (
                        name in iface.fields
                        and self.resolvable(g.graph, iface.name, name)
                        and signatures.setdefault(key, signature) == signature
                    ):
                        here.append(sel)
                        conditional = conditional or under is not None
                    else:
                        rest.append(sel)
                    continue
                cond, inner = self.fragment_parts(sel)
                cond_type = self.sg.schema.get_type(cond) if cond else iface
                if cond_type is not iface and not (
                    isinstance(cond_type, GraphQLObjectType) and iface in cond_type.interfaces
                ):
                    rest.append(sel)
                    continue
                left = split(inner, cond if cond_type is not iface else under)
                if left:
                    rest.append(
                        InlineFragmentNode(
                            type_condition=NamedTypeNode(name=NameNode(value=cond))
                            if cond
                            else None,
                            directives=sel.directives,
                            selection_set=SelectionSetNode(selections=tuple(left)),
                        )
                    )
            return rest

        rest = split(sels, None)
        if conditional and not rest:
            # Taken from under a fragment on an implementation: whether it applies
            # is the concrete type's to say, which only the implementations' graph knows.
            rest = [FieldNode(name=NameNode(value="__typename"))]
        self._kept.append(rest)
        return here, rest

    def interface_level(
        self, g: FetchGroup, iface: GraphQLInterfaceType, sels: Sequence[SelectionNode]
    ) -> bool:
        """Whether the selection needs no per-implementation planning."""
        key = (g.graph, iface.name, id(sels))
        found = self._interface_levels.get(key)
        if found is None:
            found = self._interface_levels[key] = self._interface_level(g, iface, sels)
            self._kept.append(sels)
        return found

    def _interface_level(
        self, g: FetchGroup, iface: GraphQLInterfaceType, sels: Sequence[SelectionNode]
    ) -> bool:
        runtimes: list[GraphQLObjectType] | None = None
        for sel in sels:
            self.spend()
            if never_included(sel):
                continue
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name == "__typename":
                    if self.sg.is_interface_object(g.graph, iface.name):
                        return False
                    continue
                local = self.resolvable(g.graph, iface.name, name)
                if not local and not self.jump_targets(g, iface, name, None):
                    return False
                if self.sg.is_interface_object(g.graph, iface.name):
                    continue
                # An implementation may take the field from elsewhere (@override,
                # @requires, a field it does not have here): then ask per implementation.
                if runtimes is None:
                    runtimes = self.sg.runtime_types(g.graph, iface)
                for runtime in runtimes:
                    if name not in runtime.fields:
                        return False
                    join = self.sg.field_join(g.graph, runtime.name, name)
                    here = self.resolvable(g.graph, runtime.name, name) and not (
                        join and join.requires
                    )
                    if here != local:
                        return False
            else:
                cond, inner = self.fragment_parts(sel)
                if cond not in (None, iface.name) or not self.interface_level(g, iface, inner):
                    return False
        return True

    def fragment_parts(self, sel: SelectionNode) -> tuple[str | None, Sequence[SelectionNode]]:
        if isinstance(sel, FragmentSpreadNode):
            frag = self.fragments[sel.name.value]
            return frag.type_condition.name.value, frag.selection_set.selections
        assert isinstance(sel, InlineFragmentNode)
        cond = sel.type_condition.name.value if sel.type_condition else None
        return cond, sel.selection_set.selections

    def applies(self, cond: str | None, t: GraphQLCompositeType) -> bool:
        if cond is None or cond == t.name:
            return True
        cond_type = self.sg.schema.get_type(cond)
        if isinstance(t, GraphQLObjectType) and isinstance(
            cond_type, GraphQLInterfaceType | GraphQLUnionType
        ):
            return self.sg.schema.is_sub_type(cond_type, t)
        return False

    def select_object(
        self,
        g: FetchGroup,
        t: ObjectLike,
        sels: Sequence[SelectionNode],
        path: Path,
        out: SSet,
        provided: Provided,
    ) -> None:
        for sel in sels:
            self.spend()
            if never_included(sel):
                continue
            if not isinstance(sel, FieldNode):
                cond, inner = self.fragment_parts(sel)
                if not self.applies(cond, t):
                    continue
                target = out.fragment(t.name, sel.directives) if sel.directives else out
                if isinstance(sel, FragmentSpreadNode):
                    key = (sel.name.value, id(target), t.name, g.id, path, id(provided))
                    if not self.first_expansion(key, target, provided):
                        continue
                self.select_object(g, t, inner, path, target, provided)
                continue
            name = sel.name.value
            if name == "__typename":
                made = out.field(name, tree_alias(sel), (), sel.directives)
                made.local_type = "String!"
                continue
            found, provided_inner = provided_field(self, provided, t, name)
            join = self.sg.field_join(g.graph, t.name, name)
            local = self.resolvable(g.graph, t.name, name) and not (
                join and (join.requires or join.context_arguments)
            )
            if found or local:
                inner_provided: Provided = None
                if found and provided_inner:
                    inner_provided = provided_inner
                elif join is not None and join.provides:
                    inner_provided = parse_field_set(join.provides)
                self.add_field(g, t, sel, path, out, inner_provided, provided)
            else:
                self.jump(g, t, sel, path, out, provided)

    def add_field(
        self,
        g: FetchGroup,
        t: ObjectLike,
        sel: FieldNode,
        path: Path,
        out: SSet,
        provided: Provided,
        outer: Provided = None,
    ) -> None:
        """Add `sel` to g's selection; `provided` is what g's subgraph provides below
        it, `outer` what it provides at `t`."""
        name = sel.name.value
        fdef = t.fields[name]
        named = get_named_type(fdef.type)
        composite = is_composite_type(named)
        alias = tree_alias(sel)
        made = out.field(name, alias, sel.arguments, sel.directives, composite=composite)
        join = self.sg.field_join(g.graph, t.name, name)
        local_type = join.type if join is not None and join.type else None
        made.local_type = local_type or str(fdef.type)
        if composite and sel.selection_set is not None and made.sub is not None:
            key = alias or name
            sub_path = (*path, key, *(["@"] * _list_depth(fdef.type)))
            assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            local = self.local_named(local_type)
            self._frames.append(Frame(g, t, sel, path, out, outer))
            try:
                self.select(
                    g, named, sel.selection_set.selections, sub_path, made.sub, provided, local
                )
            finally:
                self._frames.pop()

    def local_named(self, printed: str | None) -> GraphQLCompositeType | None:
        if not printed:
            return None
        found = self.sg.schema.get_type(_named(printed))
        return found if isinstance(found, GraphQLCompositeType) else None

    def jump_targets(
        self,
        g: FetchGroup,
        t: ObjectLike,
        name: str,
        provided: Provided,
        *,
        direct: bool = True,
    ) -> list[Target]:
        """The subgraphs, keys (and typename rewrites) by which g can reach a graph that
        resolves `t.name`. Direct targets take a key g can select itself (or that is
        provided on this path); the others need the key's fields fetched first."""
        found = []
        for graph in self.field_graphs(t.name, name):
            for key in self.sg.keys(graph, t.name):
                if not direct or self.key_local(g.graph, t, parse_field_set(key), provided):
                    rewrite = t.name if self.sg.is_interface_object(graph, t.name) else None
                    found.append(Target(graph, t.name, key, rewrite))
                    break
        if found or not isinstance(t, GraphQLObjectType):
            return found
        for iface in t.interfaces:
            for graph in self.field_graphs(iface.name, name):
                if not self.sg.is_interface_object(graph, iface.name):
                    continue
                for key in self.sg.keys(graph, iface.name):
                    if not direct or self.key_local(g.graph, t, parse_field_set(key), provided):
                        found.append(Target(graph, iface.name, key, iface.name))
                        break
        return found

    def key_reachable(
        self, g: FetchGroup, t: ObjectLike, key: str, path: Path, provided: Provided
    ) -> bool:
        """Whether g can get the key's fields, from other subgraphs if need be."""
        sels = hidden_field_set(key)
        self._depth += 1
        try:
            cost = self.cost((key,), g.graph, t, sels, path, g.entity_type, provided)
        finally:
            self._depth -= 1
        return cost is not None

    def key_local(
        self,
        graph: str,
        t: ObjectLike,
        key: Sequence[SelectionNode],
        provided: Provided = None,
    ) -> bool:
        for sel in key:
            if not isinstance(sel, FieldNode):
                return False
            name = sel.name.value
            found, inner_provided = provided_field(self, provided, t, name)
            if not found and not self.resolvable(graph, t.name, name):
                return False
            if sel.selection_set is not None:
                inner = get_named_type(t.fields[name].type)
                if not isinstance(inner, GraphQLObjectType | GraphQLInterfaceType):
                    return False
                if not self.key_local(
                    graph, inner, sel.selection_set.selections, inner_provided if found else None
                ):
                    return False
        return True

    def jump(
        self,
        g: FetchGroup,
        t: ObjectLike,
        sel: FieldNode,
        path: Path,
        out: SSet,
        provided: Provided,
    ) -> None:
        name = sel.name.value
        targets = self.jump_targets(g, t, name, provided)
        indirect = not targets and self._depth < MAX_KEY_HOPS
        if indirect:
            targets = [
                tg
                for tg in self.jump_targets(g, t, name, provided, direct=False)
                if tg.graph != g.graph and self.key_reachable(g, t, tg.key, path, provided)
            ]
        if not targets:
            if self.reenter(g, t, sel, path, out, provided):
                return
            self.unreachable(
                g,
                path,
                tree_alias(sel) or name,
                f"cannot reach {t.name}.{name} from subgraph {self.name(g.graph)}: "
                "no subgraph resolving it has a key available there",
            )
            return
        join_of = {tg.graph: self.sg.field_join(tg.graph, tg.entity_type, name) for tg in targets}
        chosen = targets[0]
        if len(targets) > 1:
            options = []
            for tg in targets:
                cost = self.cost(
                    (id(sel),), tg.graph, t, [sel], path, tg.entity_type, None, as_field=True
                )
                bonus = 1 if self.has_child(g, tg, path, t.name, join_of[tg.graph]) else 0
                options.append((cost, bonus))
            self._kept.append(sel)
            best = self.cheapest(options)
            if best is not None:
                chosen = targets[best]
        graph, entity_type, key, rewrite = (
            chosen.graph,
            chosen.entity_type,
            chosen.key,
            chosen.rewrite,
        )
        join = join_of[graph]
        requires = join.requires if join else None
        # Through an @interfaceObject every implementation shares one fetch.
        cond = entity_type if rewrite else t.name
        waits = bool(requires) or indirect
        # Required fields with arguments of their own (`price(currency: "USD")`) make
        # representations no other requirement of the field may share.
        separate = requires if requires and "(" in requires else ""
        contexts = self.contexts(join, t, name) if join and join.context_arguments else []
        if contexts:
            # Each context value asks its own request: the group is this field's alone.
            separate += "|".join(f"{c.variable}@{'.'.join(c.path)}" for c in contexts)
            separate += f"|{id(sel)}"
            self._kept.append(sel)
        child = self.child(g, graph, path, cond, entity_type, rewrite, waits, separate)
        if contexts:
            child.contexts = contexts
            for c in contexts:
                with self.touching() as touched:
                    self.select_object(c.group, c.parent, c.selection, c.path, c.out, c.provided)
                child.deps |= touched - {child.id}
                child.deps.add(c.group.id)
            sel = _with_arguments(sel, contexts)
        key_sels = hidden_field_set(key)
        out.typename()
        # A key g lacks is fetched like a required field: from a graph that has it, first.
        self._depth += indirect
        try:
            with self.touching() as touched:
                self.select_object(g, t, key_sels, path, out, provided)
        finally:
            self._depth -= indirect
        child.deps |= touched - {child.id}
        req_sels: Sequence[SelectionNode] | None = None
        if requires:
            req_sels = hidden_field_set(requires)
            with self.touching() as touched:
                self.select_object(g, t, req_sels, path, out, provided)
            child.deps |= touched - {child.id}
        self.add_representation(child, cond, key_sels, req_sels)
        inner = child.selection
        provides = join.provides if join else None
        self.add_field(child, t, sel, path, inner, parse_field_set(provides) if provides else None)

    def contexts(self, join: JoinField, t: ObjectLike, name: str) -> list[ContextValue]:
        """Where each contextual argument of `t.name` comes from: the nearest ancestor
        on the walk whose type sets its context."""
        found = []
        for i, arg in enumerate(join.context_arguments):
            frame = next(
                (f for f in reversed(self._frames) if self.sets_context(f.parent, arg.context)),
                None,
            )
            if frame is None:
                raise PlanningError(
                    f"{t.name}.{name} takes its argument {arg.name} from the context "
                    f"{arg.context}, which no parent in this operation sets"
                )
            found.append(
                ContextValue(
                    f"nexoContext{i}_{arg.name}",
                    arg.name,
                    arg.type,
                    frame.group,
                    frame.parent,
                    frame.path,
                    frame.out,
                    frame.provided,
                    hidden_field_set(_unbraced(arg.selection)),
                )
            )
        return found

    def sets_context(self, t: ObjectLike, context: str) -> bool:
        names = {t.name}
        if isinstance(t, GraphQLObjectType):
            names |= {i.name for i in t.interfaces}
            names |= {
                u.name
                for u in self.sg.schema.type_map.values()
                if isinstance(u, GraphQLUnionType) and t in u.types
            }
        return any(context in self.sg.contexts.get(n, ()) for n in names)

    def add_representation(
        self,
        child: FetchGroup,
        cond: str,
        key_sels: Sequence[SelectionNode],
        req_sels: Sequence[SelectionNode] | None,
    ) -> None:
        rep = child.requires.fragment(cond)
        rep.field("__typename")
        copy_selections(key_sels, rep)
        copy_selections(key_sels, child.keys.fragment(cond))
        if req_sels:
            copy_selections(req_sels, rep)

    def has_child(
        self,
        g: FetchGroup,
        target: Target,
        path: Path,
        type_name: str,
        join: JoinField | None,
    ) -> bool:
        cond = target.entity_type if target.rewrite else type_name
        requires = join.requires if join else None
        separate = requires if requires and "(" in requires else ""
        base = (g.id, target.graph, path, cond, target.entity_type)
        return (*base, bool(requires), separate) in self.children or (
            *base,
            True,
            separate,
        ) in self.children

    def unreachable(self, g: FetchGroup, path: Path, key: str, message: str) -> None:
        """No subgraph may answer the field: the objects at `path` get an error for it
        once g has run (null propagation does the rest), and the other fields of the
        operation are still answered. A trial only learns that this way is closed."""
        if self.parent is not None:
            raise PlanningError(message)
        made = self.new_group(g.graph, path, None)
        made.unreachable = (key, message)
        made.deps.add(g.id)

    # -- re-entering from an ancestor --------------------------------------------

    def reenter(
        self,
        g: FetchGroup,
        t: ObjectLike,
        sel: FieldNode,
        path: Path,
        out: SSet,
        provided: Provided,
    ) -> bool:
        """No key leads from `t` to a subgraph that has `sel`: ask such a subgraph for
        the path down to it from the nearest ancestor it can be reached at (an entity
        by its key, or the root for a shareable root field). Whether it could."""
        frames: list[Frame] = []
        for frame in reversed(self._frames):
            if frame.group is not g:
                break
            frames.insert(0, frame)
        guard = (g.graph, id(sel))
        if guard in self._reentering:
            return False
        root = self.sg.schema.get_root_type(OperationType.QUERY)
        query = self.op.operation == OperationType.QUERY
        for i in reversed(range(len(frames))):
            frame = frames[i]
            chain = frames[i:]
            synthetic = _chain_selection(self, chain, t, sel)
            self._kept.append(synthetic)
            at_root = frame.parent is root and not frame.path and g.entity_type is None
            options: list[tuple[str, Target | None]] = []
            if at_root and query:
                for graph in self.field_graphs(frame.parent.name, frame.sel.name.value):
                    if graph != g.graph and self.chain_resolvable(graph, chain):
                        options.append((graph, None))
            else:
                for graph in self.sg.type_graphs(frame.parent.name):
                    if graph == g.graph or not self.chain_resolvable(graph, chain):
                        continue
                    for key in self.sg.keys(graph, frame.parent.name):
                        if self.key_local(
                            g.graph, frame.parent, parse_field_set(key), frame.provided
                        ):
                            options.append((graph, Target(graph, frame.parent.name, key, None)))
                            break
            if not options:
                continue
            self._reentering.add(guard)
            try:
                costs = []
                for graph, target in options:
                    entity = None if target is None else target.entity_type
                    cost = self.cost(
                        (id(synthetic),),
                        graph,
                        frame.parent,
                        [synthetic],
                        frame.path,
                        entity,
                        None,
                    )
                    costs.append((cost, 0))
                best = self.cheapest(costs)
                graph, target = options[best if best is not None else 0]
                if target is None:
                    group = self.root_group(graph)
                    self.select_object(group, frame.parent, [synthetic], (), group.selection, None)
                else:
                    self.reenter_entity(frame, target, synthetic)
            finally:
                self._reentering.discard(guard)
            return True
        return False

    def reenter_entity(self, frame: Frame, target: Target, synthetic: FieldNode) -> None:
        g, t = frame.group, frame.parent
        child = self.child(g, target.graph, frame.path, t.name, t.name, None, False)
        key_sels = hidden_field_set(target.key)
        frame.out.typename()
        with self.touching() as touched:
            self.select_object(g, t, key_sels, frame.path, frame.out, frame.provided)
        child.deps |= touched - {child.id}
        self.add_representation(child, t.name, key_sels, None)
        self.select_object(child, t, [synthetic], frame.path, child.selection, None)

    def chain_resolvable(self, graph: str, chain: Sequence[Frame]) -> bool:
        return all(
            self.resolvable(graph, f.parent.name, f.sel.name.value)
            and not (
                (join := self.sg.field_join(graph, f.parent.name, f.sel.name.value))
                and join.requires
            )
            for f in chain
        )

    def name(self, graph: str) -> str:
        return self.sg.graphs[graph].name


def _unbraced(selection: str) -> str:
    text = selection.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return text


def _with_arguments(sel: FieldNode, contexts: Sequence[ContextValue]) -> FieldNode:
    """`sel` with its contextual arguments, as variables."""
    extra = tuple(
        ArgumentNode(
            name=NameNode(value=c.argument), value=VariableNode(name=NameNode(value=c.variable))
        )
        for c in contexts
    )
    return type(sel)(
        alias=sel.alias,
        name=sel.name,
        arguments=(*(sel.arguments or ()), *extra),
        directives=sel.directives,
        selection_set=sel.selection_set,
    )


def never_included(sel: SelectionNode) -> bool:
    """Whether `@skip(if: true)` or `@include(if: false)`, literally, drops `sel`: a
    selection no request will execute needs no plan (and may have none)."""
    for directive in getattr(sel, "directives", None) or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        for arg in directive.arguments or ():
            value = arg.value
            dropped = isinstance(value, BooleanValueNode) and value.value == (name == "skip")
            if arg.name.value == "if" and dropped:
                return True
    return False


def _named(printed: str) -> str:
    node = parse_type(printed)
    while not isinstance(node, NamedTypeNode):
        node = node.type  # type: ignore[attr-defined]
    return str(node.name.value)


def _chain_selection(
    build: PlanBuilder, chain: Sequence[Frame], t: ObjectLike, sel: FieldNode
) -> FieldNode:
    """`sel` wrapped in the fields of `chain` (and the type conditions between them),
    to be selected at the first frame's parent."""
    node: FieldNode = sel
    inner: ObjectLike = t
    for frame in reversed(chain):
        field_type = get_named_type(frame.parent.fields[frame.sel.name.value].type)
        sels: tuple[SelectionNode, ...] = (node,)
        if field_type.name != inner.name:
            sels = (
                InlineFragmentNode(
                    type_condition=NamedTypeNode(name=NameNode(value=inner.name)),
                    directives=(),
                    selection_set=SelectionSetNode(selections=sels),
                ),
            )
        node = type(frame.sel)(
            alias=frame.sel.alias,
            name=frame.sel.name,
            arguments=frame.sel.arguments,
            directives=frame.sel.directives,
            selection_set=SelectionSetNode(selections=sels),
        )
        inner = frame.parent
    del build
    return node


def provided_field(
    build: PlanBuilder, provided: Provided, t: ObjectLike, name: str
) -> tuple[bool, Provided]:
    """Whether `@provides` on this path provides `t.name` (also under a type condition
    that applies to `t`), and what it provides below that field."""
    found = False
    inner: list[SelectionNode] = []
    pending = list(provided or ())
    while pending:
        sel = pending.pop(0)
        if isinstance(sel, FieldNode):
            if sel.name.value == name:
                found = True
                if sel.selection_set is not None:
                    inner.extend(sel.selection_set.selections)
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else None
            if build.applies(cond, t):
                pending.extend(sel.selection_set.selections)
    return found, (tuple(inner) if inner else None)


def copy_selections(sels: Sequence[SelectionNode], out: SSet) -> None:
    """Add `sels` (a field set, as the router selects it) to `out`."""
    for sel in sels:
        if isinstance(sel, FieldNode):
            alias = sel.alias.value if sel.alias else None
            made = out.field(
                sel.name.value, alias, sel.arguments, composite=sel.selection_set is not None
            )
            if sel.selection_set is not None and made.sub is not None:
                copy_selections(sel.selection_set.selections, made.sub)
        elif isinstance(sel, InlineFragmentNode) and sel.type_condition:
            copy_selections(
                sel.selection_set.selections, out.fragment(sel.type_condition.name.value)
            )
