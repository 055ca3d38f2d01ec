"""Types every subgraph shares: declared once, `@shareable` where several subgraphs serve
them, so composition sees one definition."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from shared.errors import InvalidInput


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


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


def user_errors(exc: InvalidInput) -> list[UserError]:
    return [UserError(field=p.field, code=str(p.code), message=p.message) for p in exc.problems]
