"""Validation and lookup helpers every CRM module uses."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Base, TenantId
from shared.errors import InvalidInput, NotFound, Problem
from shared.pagination import SortKey
from subgraphs.identity import service as identity

M = TypeVar("M", bound=Base)

MAX_MONEY = Decimal("99999999999999.9999")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Checks:
    """Collects problems so one response names every field the user must fix."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str | None, code: str, message: str) -> None:
        self.problems.append(Problem(field, code, message))

    def raise_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)

    def text(self, field: str, value: str, *, limit: int = 200) -> str:
        value = value.strip()
        if not value:
            self.add(field, "REQUIRED", "This field is required")
        elif len(value) > limit:
            self.add(field, "TOO_LONG", f"At most {limit} characters")
        return value

    def optional(self, field: str, value: str | None, *, limit: int = 200) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if len(value) > limit:
            self.add(field, "TOO_LONG", f"At most {limit} characters")
        return value or None

    def email(self, field: str, value: str | None) -> str | None:
        value = self.optional(field, value, limit=254)
        if value is not None and not _EMAIL.match(value):
            self.add(field, "INVALID_EMAIL", "Enter a valid email address")
        return value

    def choice(self, field: str, value: str, allowed: Sequence[str]) -> str:
        if value not in allowed:
            self.add(field, "INVALID_CHOICE", f"One of {', '.join(allowed)}")
        return value

    def currency(self, field: str, value: str) -> str:
        value = value.strip().upper()
        if not _CURRENCY.match(value):
            self.add(field, "INVALID_CURRENCY", "An ISO 4217 code such as EUR")
        return value

    def money(self, field: str, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        try:
            if not value.is_finite() or value < 0 or value > MAX_MONEY:
                raise InvalidOperation
            return value.quantize(Decimal("0.0001"))
        except InvalidOperation:
            self.add(field, "INVALID_AMOUNT", "A non-negative amount with at most 4 decimals")
            return None

    def range(self, field: str, value: int | None, low: int, high: int) -> int | None:
        if value is not None and not low <= value <= high:
            self.add(field, "OUT_OF_RANGE", f"Between {low} and {high}")
        return value

    def tags(self, field: str, values: Sequence[str] | None) -> list[str] | None:
        if values is None:
            return None
        cleaned = sorted({v.strip().lower() for v in values if v.strip()})
        if any(len(v) > 50 for v in cleaned) or len(cleaned) > 20:
            self.add(field, "INVALID_TAGS", "At most 20 tags of at most 50 characters")
        return cleaned


async def get_row(session: AsyncSession, model: type[M], tenant: TenantId, id: uuid.UUID) -> M:
    row = await session.get(model, (tenant, id))
    if row is None:
        raise NotFound(f"{model.__name__} not found", id=str(id))
    return row


async def check_owner(
    session: AsyncSession, tenant: TenantId, checks: Checks, owner_id: uuid.UUID | None
) -> None:
    if owner_id is None:
        return
    users = await identity.users_by_id(session, tenant, [owner_id])
    if owner_id not in users or not users[owner_id].active:
        checks.add("input.ownerId", "NOT_FOUND", "No active user with this id")


def sort_key(column: Any, descending: bool = False) -> SortKey:
    return SortKey(column, descending)


def by_id(rows: Sequence[M]) -> dict[uuid.UUID, M]:
    return {r.id: r for r in rows}  # type: ignore[attr-defined]
