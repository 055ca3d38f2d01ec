"""Selection-level planning: walk an operation's selections into fetch groups.

A `FetchGroup` is one future subgraph request: the fields one subgraph resolves at one
merge path. Where that subgraph cannot resolve a field, `PlanBuilder` jumps by an
entity key (with `@requires`, `@provides` and `@interfaceObject` taken into account)
to a child group in a subgraph that can. `router.query_planner` starts the walk at
the root fields and orders the groups into the plan.

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
    OperationDefinitionNode,
    SelectionNode,
    get_named_type,
    is_composite_type,
)

from router.limits import LimitExceeded
from router.plan import PlanningError
from router.selection import SSet, hidden_field_set, parse_field_set
from router.supergraph import JoinField, Supergraph

Path = tuple[str, ...]
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
    deps: set[int] = field(default_factory=set)


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


class PlanBuilder:
    def __init__(
        self,
        sg: Supergraph,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        work: int | None = None,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.sg = sg
        self.op = op
        self.fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.groups: list[FetchGroup] = []
        self.children: dict[tuple[object, ...], FetchGroup] = {}
        self._touched: list[set[int]] = []
        self._depth = 0
        self.work = work
        self.cancelled = cancelled
        self.spent = 0
        self._expanded: set[tuple[object, ...]] = set()
        self._interface_levels: dict[tuple[str, str, int], bool] = {}
        # Objects whose id is in a memo key stay alive, so no id is reused meanwhile.
        self._kept: list[object] = []

    def spend(self, units: int = 1) -> None:
        self.spent += units
        if self.work is not None and self.spent > self.work:
            raise LimitExceeded("planWork", None, self.work)
        if self.cancelled is not None and self.cancelled.is_set():
            raise PlanningCancelled

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
    ) -> FetchGroup:
        key = (parent.id, graph, path, cond_type, entity_type, for_requires)
        g = self.children.get(key)
        if g is None:
            g = self.new_group(graph, path, entity_type)
            g.cond_type, g.typename_rewrite = cond_type, rewrite
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

    # -- walking --------------------------------------------------------------

    def select(
        self,
        g: FetchGroup,
        parent: GraphQLCompositeType,
        sels: Sequence[SelectionNode],
        path: Path,
        out: SSet,
        provided: Sequence[SelectionNode] | None,
    ) -> None:
        if isinstance(parent, GraphQLObjectType):
            self.select_object(g, parent, sels, path, out, provided)
            return
        if isinstance(parent, GraphQLInterfaceType) and self.interface_level(g, parent, sels):
            self.select_object(g, parent, sels, path, out, provided)
            return
        if isinstance(parent, GraphQLInterfaceType) and self.sg.is_interface_object(
            g.graph, parent.name
        ):
            self.leave_interface_object(g, parent, sels, path, out, provided)
            return
        out.field("__typename")
        for runtime in self.sg.runtime_types(g.graph, parent):
            self.select_object(g, runtime, sels, path, out.fragment(runtime.name), provided)

    def leave_interface_object(
        self,
        g: FetchGroup,
        iface: GraphQLInterfaceType,
        sels: Sequence[SelectionNode],
        path: Path,
        out: SSet,
        provided: Sequence[SelectionNode] | None,
    ) -> None:
        """g sees the interface as an object: only a graph with the implementations
        knows each object's concrete type, so what depends on it is asked there."""
        here = [
            s
            for s in sels
            if isinstance(s, FieldNode)
            and s.name.value != "__typename"
            and self.sg.resolvable(g.graph, iface.name, s.name.value)
        ]
        self.select_object(g, iface, here, path, out, provided)
        rest = [s for s in sels if s not in here]
        if not rest:
            return
        home = next(
            (
                (graph, key)
                for graph in self.sg.type_graphs(iface.name)
                if not self.sg.is_interface_object(graph, iface.name)
                for key in self.sg.keys(graph, iface.name)
                if self.key_local(g.graph, iface, parse_field_set(key))
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
        out.field("__typename")
        self.select_object(g, iface, key_sels, path, out, None)
        rep = child.requires.fragment(iface.name)
        rep.field("__typename")
        _copy(key_sels, rep)
        self.select(child, iface, rest, path, child.selection, None)

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
        for sel in sels:
            self.spend()
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name == "__typename":
                    if self.sg.is_interface_object(g.graph, iface.name):
                        return False
                    continue
                local = self.sg.resolvable(g.graph, iface.name, name)
                if not local and not self.jump_targets(g, iface, name):
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
        t: GraphQLObjectType | GraphQLInterfaceType,
        sels: Sequence[SelectionNode],
        path: Path,
        out: SSet,
        provided: Sequence[SelectionNode] | None,
    ) -> None:
        for sel in sels:
            self.spend()
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
            alias = sel.alias.value if sel.alias else None
            if name == "__typename":
                out.field(name, alias, (), sel.directives)
                continue
            provided_node = _find(provided, name)
            join = self.sg.field_join(g.graph, t.name, name)
            local = self.sg.resolvable(g.graph, t.name, name) and not (join and join.requires)
            if provided_node is not None or local:
                inner_provided: Sequence[SelectionNode] | None = None
                if provided_node is not None and provided_node.selection_set:
                    inner_provided = provided_node.selection_set.selections
                elif join is not None and join.provides:
                    inner_provided = parse_field_set(join.provides)
                self.add_field(g, t, sel, path, out, inner_provided)
            else:
                self.jump(g, t, sel, path, out)

    def add_field(
        self,
        g: FetchGroup,
        t: GraphQLObjectType | GraphQLInterfaceType,
        sel: FieldNode,
        path: Path,
        out: SSet,
        provided: Sequence[SelectionNode] | None,
    ) -> None:
        fdef = t.fields[sel.name.value]
        named = get_named_type(fdef.type)
        composite = is_composite_type(named)
        alias = sel.alias.value if sel.alias else None
        made = out.field(sel.name.value, alias, sel.arguments, sel.directives, composite=composite)
        if composite and sel.selection_set is not None and made.sub is not None:
            key = alias or sel.name.value
            sub_path = (*path, key, *(["@"] * _list_depth(fdef.type)))
            assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            self.select(g, named, sel.selection_set.selections, sub_path, made.sub, provided)

    def jump_targets(
        self,
        g: FetchGroup,
        t: GraphQLObjectType | GraphQLInterfaceType,
        name: str,
        *,
        direct: bool = True,
    ) -> list[tuple[str, str, str, str | None]]:
        """(graph, entity type, key, typename rewrite) that can resolve `t.name` from g.

        Direct targets take a key g can select itself; the others need the key's
        fields fetched from elsewhere first.
        """
        found = []
        for graph in self.sg.field_graphs(t.name, name):
            for key in self.sg.keys(graph, t.name):
                if not direct or self.key_local(g.graph, t, parse_field_set(key)):
                    rewrite = t.name if self.sg.is_interface_object(graph, t.name) else None
                    found.append((graph, t.name, key, rewrite))
                    break
        if found or not isinstance(t, GraphQLObjectType):
            return found
        for iface in t.interfaces:
            for graph in self.sg.field_graphs(iface.name, name):
                if not self.sg.is_interface_object(graph, iface.name):
                    continue
                for key in self.sg.keys(graph, iface.name):
                    if not direct or self.key_local(g.graph, t, parse_field_set(key)):
                        found.append((graph, iface.name, key, iface.name))
                        break
        return found

    def key_local(
        self,
        graph: str,
        t: GraphQLObjectType | GraphQLInterfaceType,
        key: Sequence[SelectionNode],
    ) -> bool:
        for sel in key:
            if not isinstance(sel, FieldNode) or not self.sg.resolvable(
                graph, t.name, sel.name.value
            ):
                return False
            if sel.selection_set is not None:
                inner = get_named_type(t.fields[sel.name.value].type)
                if not isinstance(inner, GraphQLObjectType | GraphQLInterfaceType):
                    return False
                if not self.key_local(graph, inner, sel.selection_set.selections):
                    return False
        return True

    def jump(
        self,
        g: FetchGroup,
        t: GraphQLObjectType | GraphQLInterfaceType,
        sel: FieldNode,
        path: Path,
        out: SSet,
    ) -> None:
        name = sel.name.value
        targets = self.jump_targets(g, t, name)
        indirect = not targets and self._depth < MAX_KEY_HOPS
        if indirect:
            targets = [tg for tg in self.jump_targets(g, t, name, direct=False) if tg[0] != g.graph]
        if not targets:
            raise PlanningError(
                f"cannot reach {t.name}.{name} from subgraph {self.name(g.graph)}: "
                "no subgraph resolving it has a key available there"
            )
        join_of = {tg[0]: self.sg.field_join(tg[0], tg[1], name) for tg in targets}
        existing = [tg for tg in targets if self.has_child(g, tg, path, t.name, join_of[tg[0]])]
        graph, entity_type, key, rewrite = (existing or targets)[0]
        join = join_of[graph]
        requires = join.requires if join else None
        # Through an @interfaceObject every implementation shares one fetch.
        cond = entity_type if rewrite else t.name
        waits = bool(requires) or indirect
        child = self.child(g, graph, path, cond, entity_type, rewrite, waits)
        key_sels = hidden_field_set(key)
        out.field("__typename")
        # A key g lacks is fetched like a required field: from a graph that has it, first.
        self._depth += indirect
        try:
            with self.touching() as touched:
                self.select_object(g, t, key_sels, path, out, None)
        finally:
            self._depth -= indirect
        child.deps |= touched - {child.id}
        rep = child.requires.fragment(cond)
        rep.field("__typename")
        _copy(key_sels, rep)
        if requires:
            req_sels = hidden_field_set(requires)
            with self.touching() as touched:
                self.select_object(g, t, req_sels, path, out, None)
            child.deps |= touched - {child.id}
            _copy(req_sels, rep)
        inner = child.selection
        provides = join.provides if join else None
        self.add_field(child, t, sel, path, inner, parse_field_set(provides) if provides else None)

    def has_child(
        self,
        g: FetchGroup,
        target: tuple[str, str, str, str | None],
        path: Path,
        type_name: str,
        join: JoinField | None,
    ) -> bool:
        graph, entity_type, _, rewrite = target
        cond = entity_type if rewrite else type_name
        waiting = (g.id, graph, path, cond, entity_type, True)
        key = (g.id, graph, path, cond, entity_type, bool(join and join.requires))
        return key in self.children or waiting in self.children

    def name(self, graph: str) -> str:
        return self.sg.graphs[graph].name


def _find(provided: Sequence[SelectionNode] | None, name: str) -> FieldNode | None:
    for sel in provided or ():
        if isinstance(sel, FieldNode) and sel.name.value == name:
            return sel
    return None


def _copy(sels: Sequence[SelectionNode], out: SSet) -> None:
    for sel in sels:
        if isinstance(sel, FieldNode):
            alias = sel.alias.value if sel.alias else None
            made = out.field(sel.name.value, alias, composite=sel.selection_set is not None)
            if sel.selection_set is not None and made.sub is not None:
                _copy(sel.selection_set.selections, made.sub)
        elif isinstance(sel, InlineFragmentNode) and sel.type_condition:
            _copy(sel.selection_set.selections, out.fragment(sel.type_condition.name.value))
