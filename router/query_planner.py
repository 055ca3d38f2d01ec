"""Operation-level planning, the planner's entry point, and the plan cache.

`build_plan` picks the operation, groups its root fields by subgraph (mutation fields
strictly in document order), lets `router.fetch_groups` walk each root field into
fetch groups, then orders the groups into stages of parallel fetches and prints each
as the operation its subgraph receives. `PlanCache` keeps the plans, LRU, by
document, operation and the progressive @override labels active.

Printing is where each subgraph operation is made valid for that subgraph: empty
fragments go and a composite field left without selections selects `__typename`
(`router.selection.prune`); fields of one response key whose types differ in that
subgraph are aliased apart (`router.selection.separate_conflicts`).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Sequence

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    parse_type,
    print_ast,
)
from graphql.language import ListTypeNode, NonNullTypeNode

from router import plan as p
from router.fetch_groups import FetchGroup, PlanBuilder, copy_selections, never_included
from router.lru import LRU
from router.plan import PlanningError
from router.selection import SSet, prune, separate_conflicts, variables_used
from router.supergraph import Supergraph

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
"""Root fields the router answers from the API schema itself: never planned."""

_Item = tuple[FieldNode, tuple[tuple[DirectiveNode, ...], ...]]
_REPRESENTATIONS = VariableDefinitionNode(
    variable=VariableNode(name=NameNode(value="representations")),
    type=NonNullTypeNode(
        type=ListTypeNode(type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="_Any"))))
    ),
    directives=(),
)
_REPRESENTATIONS_ARG = ArgumentNode(
    name=NameNode(value="representations"),
    value=VariableNode(name=NameNode(value="representations")),
)


def select_operation(doc: DocumentNode, name: str | None) -> OperationDefinitionNode:
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    for op in ops:
        if name is None or (op.name and op.name.value == name):
            if name is None and len(ops) > 1:
                raise PlanningError("operation name required when the document has several")
            return op
    raise PlanningError(f"unknown operation named {name!r}")


def _root_items(
    build: PlanBuilder, sels: Sequence[SelectionNode], chain: tuple[tuple[DirectiveNode, ...], ...]
) -> list[_Item]:
    """Root fields in document order, with the directives of the fragments around them.

    A fragment spread again under the same directives adds nothing (its fields were
    collected already), so it is skipped, as the spec's CollectFields does."""
    items: list[_Item] = []
    for sel in sels:
        build.spend()
        if never_included(sel):
            continue
        if isinstance(sel, FieldNode):
            items.append((sel, chain))
        else:
            _, inner = build.fragment_parts(sel)
            assert isinstance(sel, FragmentSpreadNode | InlineFragmentNode)
            sub_chain = (*chain, tuple(sel.directives)) if sel.directives else chain
            if isinstance(sel, FragmentSpreadNode):
                key = ("root", sel.name.value, tuple(id(d) for ds in sub_chain for d in ds))
                if not build.first_expansion(key):
                    continue
            items.extend(_root_items(build, inner, sub_chain))
    return items


def _plan_roots(build: PlanBuilder, op: OperationDefinitionNode) -> list[FetchGroup]:
    sg = build.sg
    root_type = sg.schema.get_root_type(op.operation)
    if root_type is None:
        raise PlanningError(f"the schema has no {op.operation.value} type")
    roots: list[FetchGroup] = []
    for fnode, chain in _root_items(build, op.selection_set.selections, ()):
        name = fnode.name.value
        if name == "__typename" or name in INTROSPECTION_ROOTS:
            continue
        candidates = build.field_graphs(root_type.name, name)
        if not candidates:
            raise PlanningError(f"no subgraph resolves {root_type.name}.{name}")
        if op.operation == OperationType.MUTATION:
            # Document order is the contract: only a run of consecutive fields shares a fetch.
            last = roots[-1] if roots else None
            group = last if last is not None and last.graph in candidates else None
            if group is None:
                group = build.new_group(candidates[0], (), None)
                roots.append(group)
        else:
            graph = _root_graph(build, root_type, fnode, candidates)
            known = graph in build.root_groups
            group = build.root_group(graph)
            if not known:
                roots.append(group)
        out = group.selection
        for directives in chain:
            out = out.fragment(root_type.name, directives)
        build.select_object(group, root_type, [fnode], (), out, None)
    return roots


def _root_graph(
    build: PlanBuilder, root_type: GraphQLObjectType, fnode: FieldNode, candidates: list[str]
) -> str:
    """A shareable root field goes to the subgraph that plans it with the fewest
    fetches (one that has a fetch already counts one less), the first on a tie."""
    if len(candidates) == 1:
        return candidates[0]
    options = []
    for graph in candidates:
        cost = build.cost((id(fnode),), graph, root_type, [fnode], (), None, None)
        options.append((cost, 1 if graph in build.root_groups else 0))
    best = build.cheapest(options)
    if best is None:
        return next((c for c in candidates if c in build.root_groups), candidates[0])
    return candidates[best]


def _fetch(
    build: PlanBuilder, groups: list[FetchGroup], op: OperationDefinitionNode, index: int
) -> p.Fetch:
    g = groups[0]
    merged, requires, keys = SSet(), SSet(), SSet()
    for each in groups:
        merged.merge(each.selection)
        requires.merge(each.requires)
        keys.merge(each.keys)
    prune(merged)
    if not merged.items:
        merged.typename()
    renames: dict[str, str] = {}
    separate_conflicts(merged, renames)
    if g.entity_type is None:
        selection = merged.to_ast()
        operation = op.operation
        var_defs: list[VariableDefinitionNode] = []
    else:
        inner = SSet()
        inner.fragment(g.entity_type).items.update(merged.items)
        entities = FieldNode(
            name=NameNode(value="_entities"),
            arguments=(_REPRESENTATIONS_ARG,),
            directives=(),
            selection_set=inner.to_ast(),
        )
        selection = SelectionSetNode(selections=(entities,))
        operation = OperationType.QUERY
        var_defs = [_REPRESENTATIONS]
    used = variables_used(selection)
    defs = {d.variable.name.value: d for d in op.variable_definitions or ()}
    var_defs += [defs[v] for v in used if v in defs]
    contexts = []
    for c in g.contexts:
        var_defs.append(
            VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=c.variable)),
                type=parse_type(c.type),
                directives=(),
            )
        )
        found = SSet()
        copy_selections(c.selection, found)
        contexts.append((c.variable, c.path, found.to_ast()))
    name = None
    if op.name:
        name = NameNode(value=f"{op.name.value}__{build.name(g.graph)}__{index}")
    document = OperationDefinitionNode(
        operation=operation,
        name=name,
        variable_definitions=tuple(var_defs),
        directives=(),
        selection_set=selection,
    )
    return p.Fetch(
        service=build.name(g.graph),
        operation=print_ast(document),
        variables=tuple(v for v in used if v in defs),
        response_keys=tuple(dict.fromkeys(renames.get(k, k) for k in merged.response_keys())),
        requires=requires.to_ast() if g.entity_type is not None else None,
        typename_rewrite=g.typename_rewrite,
        mutation=operation == OperationType.MUTATION,
        keys=keys.to_ast() if g.entity_type is not None else None,
        renames=tuple(renames.items()),
        contexts=tuple(contexts),
    )


def _levels(groups: Sequence[FetchGroup], members: set[int]) -> list[list[FetchGroup]]:
    """Groups by stage: each runs after every group it depends on."""
    level: dict[int, int] = {}

    def depth(gid: int) -> int:
        if gid not in level:
            deps = [d for d in groups[gid].deps if d in members]
            level[gid] = 1 + max((depth(d) for d in deps), default=-1)
        return level[gid]

    for gid in members:
        depth(gid)
    out: list[list[FetchGroup]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for g in groups:
        if g.id in level:
            out[level[g.id]].append(g)
    return out


def _batches(level: list[FetchGroup]) -> list[list[FetchGroup]]:
    """Entity fetches of one stage to one subgraph for one type, as one request."""
    batches: dict[tuple[object, ...], list[FetchGroup]] = {}
    for g in level:
        key: tuple[object, ...] = (g.id,)
        if g.entity_type is not None and g.unreachable is None:
            key = (g.graph, g.entity_type, g.typename_rewrite, g.separate)
        batches.setdefault(key, []).append(g)
    return list(batches.values())


def _node(fetch: p.Fetch, groups: list[FetchGroup]) -> p.PlanNode:
    g = groups[0]
    if g.entity_type is None:
        return fetch
    paths = list(dict.fromkeys(each.path for each in groups))
    return p.Flatten(paths[0], fetch, tuple(paths[1:]))


def _compose(nodes: list[p.PlanNode], kind: type[p.Sequence] | type[p.Parallel]) -> p.PlanNode:
    return nodes[0] if len(nodes) == 1 else kind(tuple(nodes))


def build_plan(
    sg: Supergraph,
    doc: DocumentNode,
    operation_name: str | None,
    *,
    work: int | None = None,
    cancelled: threading.Event | None = None,
    labels: frozenset[str] = frozenset(),
) -> p.QueryPlan:
    """The operation's plan; raises PlanningError when it cannot be planned,
    LimitExceeded when planning would take more than `work` steps, and
    PlanningCancelled soon after `cancelled` is set. `labels` are the progressive
    @override labels active for the request."""
    op = select_operation(doc, operation_name)
    build = PlanBuilder(sg, doc, op, work, cancelled, labels=labels)
    roots = _plan_roots(build, op)
    return _staged(build, op, roots)


def plan_groups(sg: Supergraph, doc: DocumentNode, op: OperationDefinitionNode) -> PlanBuilder:
    """The fetch groups of `op`, before they are ordered and printed (composition's
    satisfiability check reads which fields no subgraph can reach)."""
    build = PlanBuilder(sg, doc, op)
    _plan_roots(build, op)
    return build


def _staged(
    build: PlanBuilder, op: OperationDefinitionNode, roots: list[FetchGroup]
) -> p.QueryPlan:
    counter = itertools.count()

    def node_of(batch: list[FetchGroup]) -> p.PlanNode:
        g = batch[0]
        if g.unreachable is not None:
            return p.Unreachable(g.path, *g.unreachable)
        return _node(_fetch(build, batch, op, next(counter)), batch)

    def staged(members: set[int]) -> p.PlanNode | None:
        stages = [
            _compose([node_of(b) for b in _batches(level)], p.Parallel)
            for level in _levels(build.groups, members)
            if level
        ]
        return _compose(stages, p.Sequence) if stages else None

    node: p.PlanNode | None
    if op.operation == OperationType.MUTATION and len(roots) > 1:
        # Each root's groups were created while planning it, before the next root.
        bounds = [r.id for r in roots] + [len(build.groups)]
        parts = [staged(set(range(a, b))) for a, b in itertools.pairwise(bounds)]
        node = p.Sequence(tuple(x for x in parts if x is not None))
    else:
        node = staged({g.id for g in build.groups})
    return p.QueryPlan(node, op.operation.value)


def document_key(doc: DocumentNode) -> str:
    """The document's identity for caches: the hash of its printed form, so comments,
    whitespace and commas do not make a known document new."""
    return hashlib.sha256(print_ast(doc).encode()).hexdigest()


class PlanCache:
    """Bounded LRU of plans keyed by (normalised document hash, operation name, the
    progressive @override labels active)."""

    def __init__(self, sg: Supergraph, max_size: int = 512, work: int | None = None) -> None:
        self.sg = sg
        self.max_size = max_size
        self.work = work
        self._plans: LRU[tuple[str, str | None, frozenset[str]], p.QueryPlan] = LRU(max_size)
        self.hits = 0
        self.misses = 0

    def peek(
        self, key: str, operation_name: str | None, labels: frozenset[str] = frozenset()
    ) -> p.QueryPlan | None:
        """The cached plan for a `document_key`, counted as a hit, or None."""
        found = self._plans.get((key, operation_name, labels))
        if found is not None:
            self.hits += 1
        return found

    def get(
        self,
        query: str,
        doc: DocumentNode,
        operation_name: str | None,
        *,
        key: str | None = None,
        cancelled: threading.Event | None = None,
        labels: frozenset[str] = frozenset(),
    ) -> tuple[p.QueryPlan, bool]:
        """The plan and whether it came from the cache. The key is the printed
        document's (`key`, when the caller has it already), not the text `query` as
        sent, so a comment makes no new plan. Planning stops once `cancelled` is set."""
        cache_key = (key or document_key(doc), operation_name, labels)
        found = self._plans.get(cache_key)
        if found is not None:
            self.hits += 1
            return found, True
        made = build_plan(
            self.sg, doc, operation_name, work=self.work, cancelled=cancelled, labels=labels
        )
        self.misses += 1
        self._plans.put(cache_key, made)
        return made, False
