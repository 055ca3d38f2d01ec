"""Query plan nodes: what to fetch from which subgraph, and in what order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import SelectionSetNode, print_ast


class PlanningError(Exception):
    """The operation cannot be planned over this supergraph."""


@dataclass(frozen=True)
class Fetch:
    """One request to one subgraph.

    `requires` is set for `_entities` fetches: the selection (under a type condition)
    that turns each object at the flatten path into a representation.
    `response_keys` are the client-visible fields this fetch supplies, to place
    errors when the whole fetch fails.
    """

    service: str
    operation: str
    variables: tuple[str, ...]
    response_keys: tuple[str, ...]
    requires: SelectionSetNode | None = None
    typename_rewrite: str | None = None
    mutation: bool = False
    keys: SelectionSetNode | None = None
    """The key fields of the representation: an object with one null sends none."""
    renames: tuple[tuple[str, str], ...] = ()
    """(alias, response key): fields aliased apart in the subgraph operation (their
    types differ there), renamed back when the response is merged."""
    contexts: tuple[tuple[str, tuple[str, ...], SelectionSetNode], ...] = ()
    """(variable, ancestor path, selection): a contextual argument (`@fromContext`),
    read for each representation from its ancestor at that path; representations
    with different values go in different requests."""
    compiled: dict[str | None, Any] = field(default_factory=dict, compare=False, repr=False)
    """The executor's memo of what it works out from this fetch per `__typename` (the
    fragments of `requires` and `keys` that apply, compiled), kept as long as the plan."""


@dataclass(frozen=True)
class Flatten:
    """Run `node` for the objects at `path`, and at `more_paths`: entity fetches of one
    step to one subgraph share a request, whatever the places they serve."""

    path: tuple[str, ...]
    node: Fetch
    more_paths: tuple[tuple[str, ...], ...] = ()

    @property
    def paths(self) -> tuple[tuple[str, ...], ...]:
        return (self.path, *self.more_paths)


@dataclass(frozen=True)
class Unreachable:
    """No subgraph may answer the field `key` of the objects at `path`: each gets an
    error naming it (and null, which propagates as the spec says)."""

    path: tuple[str, ...]
    key: str
    message: str


@dataclass(frozen=True)
class Sequence:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True)
class Parallel:
    nodes: tuple[PlanNode, ...]


PlanNode = Fetch | Flatten | Unreachable | Sequence | Parallel


@dataclass(frozen=True)
class QueryPlan:
    """The plan of one operation; `node` is None when the router answers alone."""

    node: PlanNode | None
    operation_type: str


def plan_to_dict(node: PlanNode | None) -> dict[str, Any] | None:
    """The plan as JSON, shaped like Apollo's query plan output."""
    if node is None:
        return None
    if isinstance(node, Fetch):
        out: dict[str, Any] = {
            "kind": "Fetch",
            "serviceName": node.service,
            "variableUsages": list(node.variables),
            "operation": node.operation,
        }
        if node.requires is not None:
            out["requires"] = print_ast(node.requires)
        return out
    if isinstance(node, Unreachable):
        return {"kind": "Unreachable", "path": [*node.path, node.key], "reason": node.message}
    if isinstance(node, Flatten):
        out = {"kind": "Flatten", "path": list(node.path), "node": plan_to_dict(node.node)}
        if node.more_paths:
            out["paths"] = [list(path) for path in node.paths]
        return out
    kind = "Sequence" if isinstance(node, Sequence) else "Parallel"
    return {"kind": kind, "nodes": [plan_to_dict(n) for n in node.nodes]}
