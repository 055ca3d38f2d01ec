"""Schema construction and the error policy every subgraph shares."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import structlog
from graphql import DocumentNode, GraphQLError, GraphQLSchema, Undefined
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.federation import Schema as FederationSchema
from strawberry.types import ExecutionContext

from shared.errors import NexoError
from shared.graphql.observability import Observability
from shared.graphql.scalars import SCALAR_OVERRIDES, text_errors
from shared.graphql.unit_of_work import UnitOfWorkExecutionContext

FEDERATION_VERSION = "2.7"
"""Strawberry defaults to 2.11, which @theguild/federation-composition 0.27 rejects;
2.7 composes in it and in @apollo/composition 2.14 alike, and has all we use."""

log = structlog.get_logger("nexo.graphql")

DOCUMENT_CACHE_SIZE = 512
"""Parsed and validated documents kept per process (LRU, shared by the subgraphs). The
router sends each subgraph the few documents its query plans hold, again and again;
validating a dashboard's entity fetches anew was 8% of a request's CPU. Bounded, so
arbitrary documents sent straight to a subgraph cannot grow it."""


def is_internal(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # syntax, validation and variable errors are the client's
    return not isinstance(original, NexoError | GraphQLError)


class ErrorPolicy(SchemaExtension):
    """Gives every error an `extensions.code`; masks internal ones to clients."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        ctx = self.execution_context.context
        request_id = getattr(ctx, "request_id", None)
        result.errors = [_public_error(e, request_id) for e in errors]


def _public_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    if is_internal(error):
        return GraphQLError(
            "Internal server error",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )
    extensions = dict(error.extensions or {})
    if "code" not in extensions:
        if error.original_error is None and error.path is None:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        else:
            extensions["code"] = "BAD_USER_INPUT"
    error.extensions = extensions
    return error


class NexoExecutionContext(UnitOfWorkExecutionContext):
    """Refuses, before anything resolves, a request whose strings PostgreSQL text cannot
    store (`scalars.text_errors`): the check `String` cannot do at the scalar."""

    @classmethod
    def build(cls, schema: GraphQLSchema, document: DocumentNode, *args: Any, **kwargs: Any) -> Any:
        executor = super().build(schema, document, *args, **kwargs)
        if isinstance(executor, list):
            return executor
        raw = {
            name: source.value
            for name, source in executor.variable_values.sources.items()
            if source.value is not Undefined
        }
        errors = text_errors(document, executor.operation.variable_definitions or (), raw)
        return errors or executor


class NexoSchema(FederationSchema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
        for error in errors:
            if is_internal(error):
                log.error(
                    "graphql.internal_error",
                    request_id=request_id,
                    path=error.path,
                    exc_info=error.original_error,
                )


def build_schema(
    *,
    query: type,
    mutation: type | None = None,
    types: Iterable[type] = (),
) -> NexoSchema:
    return NexoSchema(
        query=query,
        mutation=mutation,
        types=list(types),
        extensions=[
            ErrorPolicy,
            Observability,  # metrics, request log line, audit actor
            lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        ],
        execution_context_class=NexoExecutionContext,
        scalar_overrides=dict(SCALAR_OVERRIDES),
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )
