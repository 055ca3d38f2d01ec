"""Ids on the wire: UUIDs printed as `ID`, and `ID` arguments read back."""

from __future__ import annotations

import uuid

import strawberry

NO_SUCH_ID = uuid.UUID(int=0)


def to_id(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


def to_opt_id(value: uuid.UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def parse_id(value: str) -> uuid.UUID:
    """An `ID` argument as a UUID. An id that is not a UUID cannot be ours, so it finds
    nothing, exactly like an unknown one (no separate error that would leak a difference)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return NO_SUCH_ID


def parse_opt_id(value: str | None) -> uuid.UUID | None:
    return None if value is None else parse_id(value)
