"""Word search under row-level security: the one way every domain's list filters find
"gmbh" in "Acme GmbH", "100" in "BR-100" and "00042" or "42" in "SO-2026-00042".

Why a token table and not LIKE, full-text search or pg_trgm: the embedded PostgreSQL has
no pg_trgm, and with RLS forced the planner uses an index for a user's condition only
when its operator is LEAKPROOF (`pg_operator.oprcode` -> `pg_proc.proleakproof`).
`~~*` (ILIKE), `@@` (full text) and the array operators a GIN index serves are not, so a
GIN index on `to_tsvector(...)` is ignored for the application role (a Seq Scan, measured
with EXPLAIN on 100,000 customers); the text comparisons `=`, `>=`, `<` are leakproof.
Marking a wrapper LEAKPROOF needs a superuser and a promise about every error it can raise.

So each searchable row's text is cut into words (`search_tokens()` in SQL, migration
0017_search), stored one per row in `shared.search_token` under the same tenant policy,
kept in step by triggers on the searched tables (a statement-level trigger for inserts,
so bulk loads stay set-based). A search word is a prefix range on the btree
`(tenant_id, kind, token, entity_id)`; several words must all match (INTERSECT).

Words: the text is NFKD-decomposed, stripped of combining marks and lower-cased (so
"muller" finds "Müller"), then split at spaces and punctuation. A word mixing digits and
letters is stored whole and in its parts ("BR100x": br100x, br, 100, x), a number with
leading zeros with and without them ("00042", "42"). `words()` below is the same split
in Python, for the query; a test keeps the two in step.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    String,
    and_,
    false,
    intersect,
    select,
    union,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, TenantId
from shared.errors import BadUserInput

TOKEN_LENGTH = 64
"""Stored tokens and query words are cut to this many characters."""
MAX_WORDS = 16
"""A search may name at most this many distinct words (each is one index range scan)."""


class SearchKind(StrEnum):
    """What a token belongs to: the searched table, as `schema.entity`."""

    CUSTOMER = "crm.customer"
    PRODUCT = "stock.product"
    SALES_ORDER = "sales.order"
    INVOICE = "sales.invoice"


class SearchToken(Base):
    """One word of one searchable row. Written only by the triggers of migration 0017."""

    __tablename__ = "search_token"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(str(k)) for k in SearchKind)})", name="kind"),
        {"schema": "shared"},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(TOKEN_LENGTH, collation="C"), primary_key=True)
    entity_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


# The same character classes as `shared.search_words()` in migration 0017: combining
# marks; ASCII controls, spaces and punctuation, Latin-1, general and CJK punctuation.
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_SPLIT = re.compile(
    r"[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u00a0-\u00bf\u2000-\u206f\u3000-\u303f]+"
)


def fold(value: str) -> str:
    """Accents off, lower case; a final sigma (U+03C2) is a sigma (U+03C3): Python's
    lower() writes it at a word's end, PostgreSQL's does not."""
    return _MARKS.sub("", unicodedata.normalize("NFKD", value)).lower().replace("\u03c2", "\u03c3")


def words(value: str) -> list[str]:
    """The words of `value` as the tokens are cut, in order, without repeats."""
    found: dict[str, None] = {}
    for word in _SPLIT.split(fold(value)):
        if word:
            found[word[:TOKEN_LENGTH]] = None
    return list(found)


def query_words(term: str) -> list[str]:
    """The words a row must all have (as prefixes of its tokens). A word that is the
    prefix of another query word adds nothing: the longer one's token matches both."""
    found = words(term)
    kept = [w for w in found if not any(o != w and o.startswith(w) for o in found)]
    if len(kept) > MAX_WORDS:
        raise BadUserInput(f"`search` may name at most {MAX_WORDS} words", argument="search")
    return kept


def _after(prefix: str) -> str | None:
    """The least string above every string starting with `prefix`, in the "C" collation
    (code point order), or None when there is none."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates are not text
            code = 0xE000
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


def starts_with(column: SQLColumnExpression[Any], prefix: str) -> ColumnElement[bool]:
    """`column ^@ prefix` as a range of leakproof comparisons, so the btree serves it under
    RLS in a generic plan too (`^@` becomes a range only for a literal). `column` must be
    in the "C" collation."""
    upper = _after(prefix)
    if upper is None:
        return and_(column >= prefix)
    return and_(column >= prefix, column < upper)


def matching_ids(
    kind: SearchKind, tenant: TenantId, term: str, *alternatives: Select[Any]
) -> Select[Any] | CompoundSelect[Any]:
    """The ids of `kind` rows that have every word of `term` (as a prefix of one of their
    tokens), or that one of the `alternatives` (selects of ids) finds."""
    branches: list[Select[Any] | CompoundSelect[Any]] = []
    found = [
        select(SearchToken.entity_id).where(
            SearchToken.tenant_id == tenant,
            SearchToken.kind == kind.value,
            starts_with(SearchToken.token, word),
        )
        for word in query_words(term)
    ]
    if len(found) == 1:
        branches.append(found[0])
    elif found:
        branches.append(intersect(*found))
    branches.extend(alternatives)
    if not branches:
        return select(SearchToken.entity_id).where(false())
    return branches[0] if len(branches) == 1 else union(*branches)


def matches(
    id_column: SQLColumnExpression[Any],
    kind: SearchKind,
    tenant: TenantId,
    term: str,
    *alternatives: Select[Any],
) -> ColumnElement[bool]:
    """The condition a list adds for a search `term` (validated with
    `shared.validation.search_term`): its id is among `matching_ids(...)`."""
    return id_column.in_(matching_ids(kind, tenant, term, *alternatives))
