"""The one way to validate input: a `Checks` collector that every domain's rules use, so
one response names every field the user must fix, with the same code and wording for the
same mistake everywhere. Paths are relative to the caller's own arguments."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import pycountry

from shared.codes import Code
from shared.errors import BadUserInput, InvalidInput, Problem, join_path

MAX_AMOUNT = Decimal("99999999999999.9999")
"""The largest value a numeric(18,4) column stores."""

DECIMAL_LIMIT = Decimal(10) ** 14
"""Every decimal input stays below this magnitude: numeric(18,4) keeps 14 integer digits."""
DECIMAL_PLACES = 12
"""The most decimal places any decimal input may be written with (columns keep 4 or 8)."""
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
"""The dates an input may name. The upper bound leaves room to compute with them (due
dates, periods, exclusive ends, time zones) far from Python's and PostgreSQL's limits."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_FOUR_PLACES = Decimal("0.0001")


def places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def unstorable_text(value: str) -> str | None:
    """Why PostgreSQL text cannot hold `value` — a NUL or an unpaired UTF-16 surrogate
    (not encodable as UTF-8) — or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Text must not contain NUL (U+0000) characters"
    return "Text must not contain unpaired surrogates (U+D800 to U+DFFF)"


def search_term(value: str | None, *, argument: str = "search", limit: int = 200) -> str | None:
    """A list filter's free text: blank is no filter; unstorable or overlong text is a
    malformed argument."""
    if value is None or not value.strip():
        return None
    if unstorable_text(value) is not None or len(value) > limit:
        raise BadUserInput(
            f"`{argument}` must be at most {limit} characters of storable text",
            argument=argument,
        )
    return value.strip()


def decimal_problem(value: Decimal) -> str | None:
    """Why no decimal input may be `value`, or None: NaN and infinities, magnitudes a
    numeric(18,4) column cannot hold, more places than `DECIMAL_PLACES` as written."""
    if not value.is_finite():
        return "A finite number is required (not NaN or Infinity)"
    if abs(value) >= DECIMAL_LIMIT:
        return "The magnitude must stay below 10^14"
    if places(value) > DECIMAL_PLACES:
        return f"At most {DECIMAL_PLACES} decimal places"
    return None


def date_problem(value: dt.date) -> str | None:
    """Why no date input may be `value` (outside `EARLIEST_DATE`..`LATEST_DATE`), or None."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        return f"A date between {EARLIEST_DATE} and {LATEST_DATE} is required"
    return None


class Checks:
    """Collects problems; `raise_any()` raises them together as one `InvalidInput`."""

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix
        self.problems: list[Problem] = []

    def at(self, *parts: str | int) -> Checks:
        """A collector for a nested part of the input (`checks.at("lines", 2)`) that adds
        into this one's list."""
        nested = Checks(join_path(self.prefix, *parts))
        nested.problems = self.problems
        return nested

    def add(self, field: str | None, code: Code, message: str) -> None:
        self.problems.append(Problem(join_path(self.prefix, field), code, message))

    def extend(self, exc: InvalidInput) -> None:
        self.problems.extend(exc.under(self.prefix).problems)

    def raise_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)

    @property
    def ok(self) -> bool:
        return not self.problems

    # --- text ------------------------------------------------------------------------

    def text(self, field: str, value: str, *, limit: int = 200) -> str:
        value = value.strip()
        if not value:
            self.add(field, Code.REQUIRED, "This field is required")
        else:
            self._storable(field, value, limit)
        return value

    def optional(self, field: str, value: str | None, *, limit: int = 200) -> str | None:
        if value is None:
            return None
        value = value.strip()
        self._storable(field, value, limit)
        return value or None

    def _storable(self, field: str, value: str, limit: int) -> None:
        # The GraphQL scalar refuses these already; services called directly (seeds,
        # other domains) meet the same rule here.
        if (why := unstorable_text(value)) is not None:
            self.add(field, Code.INVALID, why)
        elif len(value) > limit:
            self.add(field, Code.TOO_LONG, f"At most {limit} characters")

    def email(self, field: str, value: str | None, *, required: bool = False) -> str | None:
        value = self.optional(field, value, limit=254)
        if value is None and required:
            self.add(field, Code.REQUIRED, "This field is required")
        elif value is not None and not _EMAIL.match(value):
            self.add(field, Code.INVALID_EMAIL, "Enter a valid email address")
        return value

    def choice(self, field: str, value: str, allowed: Sequence[str]) -> str:
        if value not in allowed:
            self.add(field, Code.INVALID_CHOICE, f"One of {', '.join(allowed)}")
        return value

    def currency(self, field: str, value: str) -> str:
        """`value` upper-cased when it is an ISO 4217 code: pycountry's maintained list, not
        only the pattern (`ZZZ` has the form and is no currency)."""
        value = value.strip().upper()
        if not _CURRENCY.match(value):
            self.add(field, Code.INVALID_CURRENCY, "An ISO 4217 code such as EUR")
        elif pycountry.currencies.get(alpha_3=value) is None:
            self.add(field, Code.INVALID_CURRENCY, f"{value} is not an ISO 4217 currency")
        return value

    def tags(self, field: str, values: Sequence[str] | None) -> list[str] | None:
        if values is None:
            return None
        cleaned = sorted({v.strip().lower() for v in values if v.strip()})
        if any(len(v) > 50 for v in cleaned) or len(cleaned) > 20:
            self.add(field, Code.INVALID_TAGS, "At most 20 tags of at most 50 characters")
        return cleaned

    # --- numbers ---------------------------------------------------------------------

    def amount(self, field: str, value: Decimal | None) -> Decimal | None:
        """A non-negative money amount as numeric(18,4) stores it; None stays None."""
        if value is None:
            return None
        try:
            if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
                raise InvalidOperation
            return value.quantize(_FOUR_PLACES)
        except InvalidOperation:
            self.add(field, Code.INVALID_AMOUNT, "A non-negative amount with at most 4 decimals")
            return None

    def positive(
        self, field: str, value: Decimal, *, decimals: int = 4, maximum: Decimal = MAX_AMOUNT
    ) -> Decimal:
        """A quantity or amount greater than zero with at most `decimals` places, at most
        `maximum` (what the column stores)."""
        if not value.is_finite() or value <= 0:
            self.add(field, Code.MUST_BE_POSITIVE, "Must be greater than 0")
        elif value > maximum:
            self.add(field, Code.OUT_OF_RANGE, f"At most {maximum}")
        else:
            self.precision(field, value, decimals=decimals)
        return value

    def non_negative(self, field: str, value: Decimal, *, decimals: int = 4) -> Decimal:
        if not value.is_finite() or value < 0:
            self.add(field, Code.NEGATIVE, "Must not be negative")
        elif value > MAX_AMOUNT:
            self.add(field, Code.OUT_OF_RANGE, f"At most {MAX_AMOUNT}")
        else:
            self.precision(field, value, decimals=decimals)
        return value

    def storable(self, field: str | None, value: Decimal, what: str) -> bool:
        """Whether a computed amount or quantity (`what`: "The line's total") still fits a
        numeric(18,4) column; OUT_OF_RANGE at `field` when it does not."""
        if value.is_finite() and abs(value) <= MAX_AMOUNT:
            return True
        self.add(field, Code.OUT_OF_RANGE, f"{what} would exceed {MAX_AMOUNT}")
        return False

    def precision(self, field: str, value: Decimal, *, decimals: int = 4) -> None:
        if value.is_finite() and places(value.normalize()) > decimals:
            self.add(field, Code.TOO_PRECISE, f"At most {decimals} decimal places")

    def range(self, field: str, value: int | None, low: int, high: int) -> int | None:
        if value is not None and not low <= value <= high:
            self.add(field, Code.OUT_OF_RANGE, f"Between {low} and {high}")
        return value

    def decimal_range(
        self, field: str, value: Decimal | None, low: Decimal, high: Decimal
    ) -> Decimal | None:
        if value is not None and (not value.is_finite() or not low <= value <= high):
            self.add(field, Code.OUT_OF_RANGE, f"Between {low} and {high}")
        return value

    # --- dates -----------------------------------------------------------------------

    def period(self, field: str, start: dt.date | None, end: dt.date | None) -> None:
        if start is not None and end is not None and end < start:
            self.add(field, Code.INVALID_RANGE, "The end lies before the start")
