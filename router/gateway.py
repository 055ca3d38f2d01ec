"""One GraphQL request through the router: limit, validate, plan, execute, shape.

Before any planning a request passes the operation limits (`router.limits`): the
document's size and tokens while it is parsed, its shape before validation, its
estimated cost once its variables are known, and the planner's own work budget. The
whole request runs under a deadline; past it the work, subgraph calls included, is
cancelled and the client gets a `TIMEOUT` error.

What costs CPU in proportion to a new document (parsing and validating it, planning
it, answering introspection) runs on the router's one worker thread, never on the
event loop: a heavy document delays only itself, the loop keeps answering cheap
requests (and /health, and SIGTERM). Planning stops at its work budget, or as soon as
its request is cancelled. The results are cached, so a known document costs none.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
    specified_rules,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule

from router.errors import internal_error, log_internal
from router.executor import ExecutionState, Executor, FetchObserver, merge
from router.limits import (
    LimitExceeded,
    OperationLimits,
    check_cost,
    check_document,
    parse_document,
)
from router.lru import LRU
from router.plan import PlanningError, QueryPlan
from router.query_planner import INTROSPECTION_ROOTS, PlanCache, document_key
from router.selection import tree_key
from router.shaping import ShapePlans, Shaper, directive_variables, plans_for
from router.supergraph import Supergraph
from router.transport import REQUEST_ID, Transport
from shared import tracing
from shared.codes import Code

T = TypeVar("T")
_PERCENT = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")
TIMEOUT_CODE = str(Code.TIMEOUT)
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)

FORWARDED_HEADERS = ("authorization", REQUEST_ID, "idempotency-key")
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
    refused: str | None = None
    """The limit that refused the request (`depth`, `cost`, `deadlineSeconds`...)."""


@dataclass(frozen=True)
class CheckedDocument:
    """A query text parsed, limited and validated: what the document cache keeps."""

    doc: DocumentNode
    errors: list[GraphQLError]
    refusal: LimitExceeded | None = None
    key: str = ""
    """`document_key`: the same for texts that differ only in comments or layout."""
    directive_variables: tuple[str, ...] = ()
    """The variables @skip/@include read: with the operation, what the shaping plans
    kept in `shapes` depend on."""
    shapes: dict[tuple[Any, ...], ShapePlans] = field(default_factory=dict, compare=False)


_EMPTY = DocumentNode(definitions=())


def _refused(exc: LimitExceeded, name: str | None) -> RouterResult:
    return RouterResult({"errors": [exc.error()]}, name, request_error=True, refused=exc.limit)


def timeout_error(seconds: float) -> dict[str, Any]:
    return {
        "message": f"The request did not complete within its deadline of {seconds:g} s"
        " and was cancelled.",
        "extensions": {"code": TIMEOUT_CODE, "limit": "deadlineSeconds", "max": seconds},
    }


def strip_suggestions(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The errors without "Did you mean ...?" hints, which name fields and types."""
    out = []
    for error in errors:
        message = error.get("message")
        if isinstance(message, str) and "Did you mean" in message:
            error = {**error, "message": _SUGGESTION.sub("", message)}
        out.append(error)
    return out


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
    """`limits` default to `OperationLimits()` (on); `introspection=False` refuses
    `__schema`/`__type`, `suggestions=False` drops "Did you mean" hints from errors."""

    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        *,
        timeout: float | Mapping[str, float] = 30.0,
        plan_cache_size: int = 512,
        observe_fetch: FetchObserver | None = None,
        deduplicate: bool = True,
        limits: OperationLimits | None = None,
        introspection: bool = True,
        suggestions: bool = True,
        override_labels: Iterable[str] = (),
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.supergraph = supergraph
        # Progressive @override: a `percent(x)` label is active in x% of requests, drawn
        # per request; any other label only when configured here.
        self.active_labels = frozenset(override_labels)
        self.percent_labels = {
            label: float(m.group(1))
            for label in supergraph.override_labels
            if (m := _PERCENT.match(label)) is not None
        }
        self.rng = rng
        self.schema = supergraph.api_schema
        self.limits = limits if limits is not None else OperationLimits()
        self.introspection = introspection
        self.suggestions = suggestions
        self.rules: tuple[type[ASTValidationRule], ...] = tuple(specified_rules)
        if not introspection:
            self.rules += (NoSchemaIntrospectionCustomRule,)
        self.plans = PlanCache(supergraph, plan_cache_size, work=self.limits.plan_work)
        self.documents: LRU[str, CheckedDocument] = LRU(plan_cache_size)
        # The same documents by their printed form: a comment does not make one new.
        self._normalised: LRU[str, CheckedDocument] = LRU(plan_cache_size)
        self._introspection: LRU[bytes, ExecutionResult] = LRU(64)
        # Costs by document, operation and variables: estimating walks the whole
        # operation, fragments spread each time, on every request otherwise.
        self._costs: LRU[bytes, LimitExceeded | None] = LRU(plan_cache_size)
        # One thread: heavy documents queue behind each other, not in front of the loop.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="nexo-router")
        self.executor = Executor(
            supergraph.schema,
            transports,
            timeout=timeout,
            observe=observe_fetch,
            deduplicate=deduplicate,
        )

    def check(self, query: str) -> CheckedDocument:
        """Parse, limit and validate once per distinct document: validation costs more
        than planning, and clients send the same few documents over and over. The
        limits run before validation, whose cost grows faster than the document."""
        try:
            doc = parse_document(query, self.limits)
        except LimitExceeded as exc:
            checked = CheckedDocument(_EMPTY, [], exc)
            self.documents.put(query, checked)
            return checked
        except GraphQLError as exc:
            return CheckedDocument(_EMPTY, [exc])
        key = document_key(doc)
        checked_before = self._normalised.get(key)
        if checked_before is not None:
            self.documents.put(query, checked_before)
            return checked_before
        try:
            check_document(self.schema, doc, self.limits)
        except LimitExceeded as exc:
            checked = CheckedDocument(doc, [], exc, key)
        else:
            errors = validate(self.schema, doc, self.rules, hide_suggestions=not self.suggestions)
            checked = CheckedDocument(doc, list(errors), None, key, directive_variables(doc))
        self.documents.put(query, checked)
        self._normalised.put(key, checked)
        return checked

    def check_cost(
        self, checked: CheckedDocument, op: OperationDefinitionNode, variables: dict[str, Any]
    ) -> None:
        """`limits.check_cost`, each verdict kept for the same document, operation and
        variables (a document key is its printed form: variables are all it depends on)."""
        if self.limits.cost is None:
            return
        name = op.name.value if op.name else None
        try:
            key = orjson.dumps([checked.key, name, variables], option=orjson.OPT_SORT_KEYS)
        except TypeError:
            key = b""  # variables orjson cannot write: estimated every time
        verdict = self._costs.get(key) if key else None
        if verdict is None and not (key and key in self._costs):
            try:
                check_cost(self.schema, checked.doc, op, variables, self.limits)
            except LimitExceeded as exc:
                verdict = exc
            if key:
                self._costs.put(key, verdict)
        if verdict is not None:
            raise verdict.with_traceback(None)  # else each raise would extend it

    async def off_loop(self, fn: Callable[[], T]) -> T:
        """`fn()` on the router's worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn)

    def labels(self) -> frozenset[str]:
        """The progressive @override labels active for one request."""
        if not self.percent_labels:
            return self.active_labels
        drawn = {label for label, pct in self.percent_labels.items() if self.rng() * 100 < pct}
        return self.active_labels | drawn

    async def plan(
        self, doc: DocumentNode, operation_name: str | None, key: str
    ) -> tuple[QueryPlan, bool]:
        """The plan and whether it was cached; a new one is made off the loop, and
        stops being made when this request is cancelled."""
        labels = self.labels()
        found = self.plans.peek(key, operation_name, labels)
        if found is not None:
            return found, True
        cancelled = threading.Event()
        try:
            return await self.off_loop(
                partial(
                    self.plans.get,
                    "",
                    doc,
                    operation_name,
                    key=key,
                    cancelled=cancelled,
                    labels=labels,
                )
            )
        finally:
            cancelled.set()

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
        sent = forwarded(headers or {})
        deadline = asyncio.timeout(self.limits.deadline_seconds)
        try:
            async with deadline:
                result = await self._execute(
                    query, variables, operation_name, sent, allowed_operations
                )
        except Exception as exc:
            if isinstance(exc, TimeoutError) and deadline.expired():
                assert self.limits.deadline_seconds is not None
                body = {"errors": [timeout_error(self.limits.deadline_seconds)], "data": None}
                return RouterResult(body, operation_name, refused="deadlineSeconds")
            # A fault of ours, not the client's: whatever ran of the operation is lost,
            # the client learns only the request id that finds the logged traceback.
            request_id = sent.get(REQUEST_ID)
            log_internal("router.request_failed", exc, request_id, operation=operation_name)
            body = {"errors": [internal_error(request_id)], "data": None}
            return RouterResult(body, operation_name)
        if not self.suggestions and "errors" in result.body:
            result.body["errors"] = strip_suggestions(result.body["errors"])
        return result

    async def _execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        headers: dict[str, str],
        allowed_operations: tuple[str, ...],
    ) -> RouterResult:
        checked = self.documents.get(query)
        if checked is None:
            checked = await self.off_loop(partial(self.check, query))
        if checked.refusal is not None:
            return _refused(checked.refusal, operation_name)
        doc, errors = checked.doc, checked.errors
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
            self.schema,
            op.variable_definitions or (),
            dict(variables or {}),
            hide_suggestions=not self.suggestions,
        )
        if not isinstance(coerced, VariableValues):
            return _request_error(list(coerced), name)
        try:
            self.check_cost(checked, op, coerced.coerced)
            with tracing.span("router plan"):
                plan, hit = await self.plan(doc, operation_name, checked.key)
        except LimitExceeded as exc:
            return _refused(exc, name)
        except PlanningError as exc:
            # The document is valid, but no subgraph may answer part of it: like an
            # execution failure of the whole operation, `data` is null (as Apollo
            # Router and Hive Gateway answer), and the error names the field.
            unplanned: dict[str, Any] = {"errors": [GraphQLError(str(exc)).formatted]}
            unplanned["data"] = None
            return RouterResult(unplanned, name, op.operation.value)
        state = ExecutionState()
        await self.introspect(checked, op, coerced, state, headers.get(REQUEST_ID))
        await self.executor.execute(plan.node, coerced.coerced, headers, state)
        fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        plans = plans_for(checked.shapes, op, checked.directive_variables, coerced.coerced)
        shaper = Shaper(self.schema, fragments, coerced, state.errors, plans)
        data = shaper.shape(op, state.tree)
        body: dict[str, Any] = {}
        if state.errors:
            body["errors"] = state.errors
        body["data"] = data
        return RouterResult(body, name, op.operation.value, plan, cache_hit=hit)

    async def introspect(
        self,
        checked: CheckedDocument,
        op: OperationDefinitionNode,
        variables: VariableValues,
        state: ExecutionState,
        request_id: str | None,
    ) -> None:
        """Answer `__schema` / `__type` from the API schema; subgraphs never see them.

        graphql-core takes most of a second over NEXO's schema for GraphiQL's query,
        so answers are made off the loop and kept (the schema does not change)."""
        fields = [
            s
            for s in op.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value in INTROSPECTION_ROOTS
        ]
        if not fields:
            return
        name = op.name.value if op.name else None
        try:
            key = orjson.dumps([checked.key, name, variables.coerced], option=orjson.OPT_SORT_KEYS)
        except TypeError:
            key = b""
        result = self._introspection.get(key) if key else None
        if result is None:
            result = await self.off_loop(
                partial(self._introspect, checked.doc, op, fields, variables)
            )
            if key:
                self._introspection.put(key, result)
        # Stored as the planner stores client fields (`tree_key`): `__schema` is a key
        # starting with `__`, like the router's own.
        merge(state.tree, {tree_key(k, k): v for k, v in (result.data or {}).items()})
        for error in result.errors or ():
            cause = error.original_error
            if cause is None or isinstance(cause, GraphQLError):
                state.errors.append(dict(error.formatted))
            else:
                # graphql-core puts a resolver's exception text in the message.
                log_internal("router.introspection_failed", cause, request_id)
                state.errors.append(internal_error(request_id, error.path))

    def _introspect(
        self,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        fields: list[FieldNode],
        variables: VariableValues,
    ) -> ExecutionResult:
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
        assert not inspect.isawaitable(result)  # introspection resolvers are synchronous
        return result
