"""The mutation unit of work (DESIGN section 3): every mutation root field gets its own
transaction, committed only when the whole field succeeded."""

from __future__ import annotations

from typing import Any, cast

from graphql import GraphQLObjectType, GraphQLOutputType, OperationType
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from shared.context import RequestContext


class UnitOfWorkExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Gives every mutation root field its own transaction, committed only when the field
    (its resolver *and* its whole selection) finished without a GraphQL error and its
    payload carries no user errors. An error inside an HTTP 200 is still a failure.

    Only a mutation gets the two overrides below, as instance attributes: a query keeps
    graphql-core's own methods, without a frame of ours on every field and value (a
    dashboard query completes tens of thousands of them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.operation.operation is OperationType.MUTATION:
            self.execute_field = self._mutation_execute_field  # type: ignore[method-assign]
            self.complete_value = self._mutation_complete_value  # type: ignore[method-assign]

    def _is_mutation_root(self, parent_type: GraphQLObjectType, path: Path) -> bool:
        return path.prev is None and parent_type is self.schema.mutation_type

    def _mutation_execute_field(
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

    def _mutation_complete_value(
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
