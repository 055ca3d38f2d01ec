"""What every subgraph operation reports, in-process and over HTTP alike: its metrics
(`nexo_subgraph_operations`, `nexo_subgraph_operation_seconds`), its request log line
(`shared.logging`), its span when tracing is on (`shared.tracing`), and who is acting
for the audit log (`shared.audit.acting`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from shared import audit, tracing
from shared.auth import Principal
from shared.errors import NexoError
from shared.internal_auth import UNKNOWN, client_address
from shared.logging import RequestLine, annotate, current_request
from shared.metrics import SUBGRAPH_DURATION, SUBGRAPH_OPERATIONS

_NAMES: dict[int, str] = {}


def subgraph_of(schema: Any) -> str:
    """The subgraph a schema serves: the package of its `Query` (`subgraphs.<name>...`)."""
    key = id(schema)
    name = _NAMES.get(key)
    if name is None:
        name = "unknown"
        for cls in getattr(getattr(schema, "query", None), "__mro__", ()):
            parts = cls.__module__.split(".")
            if len(parts) > 1 and parts[0] == "subgraphs":
                name = parts[1]
                break
        _NAMES[key] = name
    return name


def _outcome(errors: list[GraphQLError] | None) -> str:
    if not errors:
        return "ok"
    for error in errors:
        original = error.original_error
        if original is not None and not isinstance(original, NexoError | GraphQLError):
            return "internal_error"
    return "error"


class Observability(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        context = self.execution_context.context
        headers = getattr(context, "headers", {}) or {}
        request_id = getattr(context, "request_id", None)
        principal = getattr(context, "principal_or_error", None)
        source = client_address(headers)
        actor = audit.Actor(
            user_id=principal.user_id if isinstance(principal, Principal) else None,
            request_id=request_id,
            source=None if source == UNKNOWN else source,
        )
        subgraph = subgraph_of(self.execution_context.schema)
        with audit.acting(actor), tracing.span(f"{subgraph} execute") as span:
            yield
            kind = self.execution_context.operation_type
            operation_type = str(getattr(kind, "value", kind or "unknown"))
            result = self.execution_context.result
            outcome = _outcome(getattr(result, "errors", None))
            if span is not None:
                span.set_attributes(
                    {
                        "nexo.subgraph": subgraph,
                        "graphql.operation.type": operation_type,
                        "nexo.outcome": outcome,
                    }
                )
        elapsed = time.perf_counter() - started
        SUBGRAPH_OPERATIONS.labels(subgraph, operation_type, outcome).inc()
        SUBGRAPH_DURATION.labels(subgraph, operation_type).observe(elapsed)
        principal = getattr(context, "principal_or_error", None)  # a login assumes one
        who: dict[str, Any] = {}
        if isinstance(principal, Principal):
            who = {"tenant": str(principal.tenant_id), "user": str(principal.user_id)}
        outer = current_request()
        if outer is not None and outer.service == subgraph:
            # Served over HTTP: the middleware's line for this request says it all.
            annotate(operation_type=operation_type, outcome=outcome, **who)
            return
        annotate(**who)  # in-process under the router: its line learns who asked
        if request_id is None:
            return  # not a request (the SDL read at start-up, a test's direct call)
        line = RequestLine(
            service=subgraph,
            request_id=request_id,
            trace_id=outer.trace_id if outer else tracing.trace_id(headers, request_id),
            operation_type=operation_type,
            outcome=outcome,
            started=started,
            **who,
        )
        line.emit()
