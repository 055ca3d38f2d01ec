"""One GraphQL request through the router: validate, plan, execute, shape."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

from router.executor import ExecutionState, Executor, FetchObserver, merge
from router.plan import QueryPlan
from router.planner import INTROSPECTION_ROOTS, PlanningError
from router.query_planner import PlanCache
from router.shaping import Shaper
from router.supergraph import Supergraph
from router.transport import Transport

FORWARDED_HEADERS = ("authorization", "x-request-id", "idempotency-key")
"""Credentials, the request id, and the `Idempotency-Key` with which a client makes a
mutation safe to retry (DESIGN section 5); every other client header stays here."""


@dataclass
class RouterResult:
    body: dict[str, Any]
    operation_name: str | None
    operation_type: str | None = None
    plan: QueryPlan | None = None
    request_error: bool = False
    cache_hit: bool | None = None
    method_not_allowed: bool = False


def _request_error(
    errors: list[GraphQLError] | list[dict[str, Any]], name: str | None
) -> RouterResult:
    formatted = [e.formatted if isinstance(e, GraphQLError) else e for e in errors]
    return RouterResult({"errors": formatted}, name, request_error=True)


def forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    """Only `FORWARDED_HEADERS` travel to subgraphs."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {k: lowered[k] for k in FORWARDED_HEADERS if k in lowered}


class Router:
    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        *,
        timeout: float | Mapping[str, float] = 30.0,
        plan_cache_size: int = 512,
        observe_fetch: FetchObserver | None = None,
        deduplicate: bool = True,
    ) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.api_schema
        self.plans = PlanCache(supergraph, plan_cache_size)
        self.documents: dict[str, tuple[DocumentNode, list[GraphQLError]]] = {}
        self.documents_max = plan_cache_size
        self.executor = Executor(
            supergraph.schema,
            transports,
            timeout=timeout,
            observe=observe_fetch,
            deduplicate=deduplicate,
        )

    def check(self, query: str) -> tuple[DocumentNode, list[GraphQLError]]:
        """Parse and validate once per distinct query text: validation costs more than
        planning, and clients send the same few documents over and over."""
        try:
            doc = parse(query)
        except GraphQLError as exc:
            return DocumentNode(definitions=()), [exc]
        checked = doc, list(validate(self.schema, doc))
        self.documents[query] = checked
        while len(self.documents) > self.documents_max:
            self.documents.pop(next(iter(self.documents)))
        return checked

    def operation(self, doc: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
        ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
        if name is None:
            return ops[0] if len(ops) == 1 else None
        return next((o for o in ops if o.name and o.name.value == name), None)

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        allowed_operations: tuple[str, ...] = ("query", "mutation"),
    ) -> RouterResult:
        checked = self.documents.get(query)
        if checked is None:
            checked = self.check(query)
        doc, errors = checked
        if errors:
            return _request_error(errors, operation_name)
        op = self.operation(doc, operation_name)
        if op is None:
            msg = "Must provide operation name if query contains multiple operations."
            if operation_name is not None:
                msg = f"Unknown operation named '{operation_name}'."
            return _request_error([GraphQLError(msg)], operation_name)
        name = op.name.value if op.name else operation_name
        if op.operation.value not in allowed_operations:
            refused = _request_error(
                [GraphQLError(f"{op.operation.value} operations are not allowed here")], name
            )
            refused.method_not_allowed = True
            return refused
        coerced = get_variable_values(
            self.schema, op.variable_definitions or (), dict(variables or {})
        )
        if not isinstance(coerced, VariableValues):
            return _request_error(list(coerced), name)
        try:
            plan, hit = self.plans.get(query, doc, operation_name)
        except PlanningError as exc:
            return _request_error([GraphQLError(str(exc))], name)
        state = ExecutionState()
        await self.introspect(doc, op, coerced, state)
        await self.executor.execute(plan.node, coerced.coerced, forwarded(headers or {}), state)
        fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        shaper = Shaper(self.schema, fragments, coerced, state.errors)
        data = shaper.shape(op, state.tree)
        body: dict[str, Any] = {}
        if state.errors:
            body["errors"] = state.errors
        body["data"] = data
        return RouterResult(body, name, op.operation.value, plan, cache_hit=hit)

    async def introspect(
        self,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        variables: VariableValues,
        state: ExecutionState,
    ) -> None:
        """Answer `__schema` / `__type` from the API schema; subgraphs never see them."""
        fields = [
            s
            for s in op.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value in INTROSPECTION_ROOTS
        ]
        if not fields:
            return
        only = OperationDefinitionNode(
            operation=op.operation,
            name=op.name,
            variable_definitions=op.variable_definitions,
            directives=op.directives,
            selection_set=SelectionSetNode(selections=tuple(fields)),
        )
        fragments = [d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)]
        result = execute(
            self.schema,
            DocumentNode(definitions=(only, *fragments)),
            variable_values=dict(variables.coerced),
        )
        if inspect.isawaitable(result):
            result = await result
        merge(state.tree, result.data or {})
        state.errors.extend(dict(e.formatted) for e in result.errors or ())
