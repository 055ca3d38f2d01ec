"""Relay connections with keyset (cursor) pagination.

A cursor encodes the sort-key values of its row, so a page is one indexed range scan
however deep the client pages, and rows inserted meanwhile do not shift pages.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from shared.errors import BadUserInput

R = TypeVar("R")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class SortKey:
    column: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    rows: list[R]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    total_count: int


# Checked with isinstance, in order: asyncpg returns its own UUID subclass, bool is an
# int and datetime is a date.
_ENCODERS: tuple[tuple[type, str], ...] = (
    (uuid.UUID, "u"),
    (dt.datetime, "t"),
    (dt.date, "d"),
    (Decimal, "n"),
    (str, "s"),
    (bool, "b"),
    (int, "i"),
)
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "u": uuid.UUID,
    "t": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "n": Decimal,
    "s": str,
    "i": int,
    "b": bool,
}


def encode_cursor(values: Sequence[Any]) -> str:
    tagged = []
    for value in values:
        tag = next((t for cls, t in _ENCODERS if isinstance(value, cls)), None)
        if tag is None:
            raise TypeError(f"cannot put {type(value).__name__} in a cursor")
        tagged.append([tag, value if tag in ("s", "i", "b") else str(value)])
    return base64.urlsafe_b64encode(orjson.dumps(tagged)).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tagged = orjson.loads(raw)
        if not isinstance(tagged, list) or len(tagged) != width:
            raise ValueError("wrong width")
        return [_DECODERS[tag](value) for tag, value in tagged]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadUserInput("Invalid cursor", argument="after") from exc


def check_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 0 and {MAX_PAGE_SIZE}", argument="first")
    return first


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys` (mixed directions allowed)."""
    clauses: list[ColumnElement[bool]] = []
    for i, key in enumerate(keys):
        equal = [keys[j].column == values[j] for j in range(i)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    keys: Sequence[SortKey],
    key_of: Callable[[R], Sequence[Any]],
    first: int | None,
    after: str | None,
    count: bool = True,
) -> Page[R]:
    """One page of `stmt` (filters applied, no ORDER BY). The last key must be unique."""
    limit = check_first(first)
    total = 0
    if count:
        total = (
            await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
        ).scalar_one()
    paged = stmt
    if after:
        paged = paged.where(_after(keys, decode_cursor(after, len(keys))))
    paged = paged.order_by(*(k.column.desc() if k.descending else k.column.asc() for k in keys))
    rows: list[R] = list((await session.execute(paged.limit(limit + 1))).scalars().all())
    has_next = len(rows) > limit
    rows = rows[:limit]
    return Page(
        rows=rows,
        cursors=[encode_cursor(key_of(r)) for r in rows],
        has_next_page=has_next,
        has_previous_page=after is not None,
        total_count=total,
    )
