"""The GraphQL layer every subgraph shares: schema construction, the mutation unit of
work, error policy and the payload convention of DESIGN section 5."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, TypeVar, cast

import strawberry
import structlog
from graphql import GraphQLError, GraphQLObjectType, GraphQLOutputType
from graphql.pyutils import Path
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema as FederationSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext, Info

from shared.auth import Principal
from shared.context import RequestContext
from shared.errors import InvalidInput, NexoError

T = TypeVar("T")

FEDERATION_VERSION = "2.7"
"""Strawberry defaults to 2.11, which @theguild/federation-composition 0.27 rejects;
2.7 composes in it and in @apollo/composition 2.14 alike, and has all we use."""

log = structlog.get_logger("nexo.graphql")


@strawberry.federation.type(
    shareable=True, description="A problem with the input that the user can fix."
)
class UserError:
    field: str | None = strawberry.field(description="Input path, e.g. `input.email`.")
    code: str
    message: str


@strawberry.federation.type(
    shareable=True, description="An amount of money: numeric(18,4) and an ISO 4217 currency."
)
class Money:
    amount: Decimal
    currency: str


def user_errors(exc: InvalidInput) -> list[UserError]:
    return [UserError(field=p.field, code=p.code, message=p.message) for p in exc.problems]


def parse_id(value: str) -> uuid.UUID:
    """An `ID` argument as a UUID. An id that is not a UUID cannot be ours, so it finds
    nothing, exactly like an unknown one (no separate error that would leak a difference)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)


def context(info: Info[Any, Any]) -> RequestContext:
    return cast(RequestContext, info.context)


async def perform(
    info: Info[Any, Any],
    permission: str | None,
    action: Callable[[AsyncSession, Principal], Awaitable[T]],
) -> tuple[T | None, list[UserError]]:
    """Run a mutation's service call: guard, session, and `InvalidInput` as payload errors.

    A payload with errors rolls the field's unit of work back (see the execution context).
    """
    ctx = context(info)
    principal = ctx.require(permission)
    return await _attempt(ctx, lambda session: action(session, principal))


async def perform_anonymous(
    info: Info[Any, Any], action: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """`perform` for the few mutations that establish identity (sign-up, login, refresh)."""
    return await _attempt(context(info), action)


async def _attempt(
    ctx: RequestContext, action: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    try:
        async with ctx.session() as session:
            return await action(session), []
    except InvalidInput as exc:
        return None, user_errors(exc)


class UnitOfWorkExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Gives every mutation root field its own transaction, committed only when the field
    (its resolver *and* its whole selection) finished without a GraphQL error and its
    payload carries no user errors. An error inside an HTTP 200 is still a failure."""

    def _is_mutation_root(self, parent_type: GraphQLObjectType, path: Path) -> bool:
        return path.prev is None and parent_type is self.schema.mutation_type

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        if not self._is_mutation_root(parent_type, path):
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        return self._execute_in_unit_of_work(
            parent_type, source, field_details_list, path, position_context
        )

    async def _execute_in_unit_of_work(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        ctx = cast(RequestContext, self.context_value)
        errors_before = len(self.collected_errors.errors)
        async with ctx.unit_of_work() as uow:
            result = super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
            if self.is_awaitable(result):
                result = await result
            if len(self.collected_errors.errors) > errors_before:
                uow.fail()
        return result

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self._is_mutation_root(info.parent_type, path) and getattr(result, "errors", None):
            uow = cast(RequestContext, self.context_value).uow
            if uow is not None:
                uow.fail()
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )


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
        extensions=[ErrorPolicy],
        execution_context_class=UnitOfWorkExecutionContext,
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )
