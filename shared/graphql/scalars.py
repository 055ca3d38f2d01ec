"""The input checks every subgraph applies where GraphQL coerces a value, for variables and
inline literals alike, so no resolver sees a value the database cannot store or the rules
cannot compute with. A refusal is a GraphQL error with `extensions.code` BAD_USER_INPUT.

`Decimal`, `Date` and `DateTime` replace Strawberry's scalars of the same names and
descriptions (the SDL does not change). `String` is graphql-core's own type, shared with
introspection and reserved, so it cannot be replaced per schema: `text_errors` checks the
strings of a request instead (see `shared.graphql.schema`). The rules are in the README
("Input scalars").
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterator, Mapping
from typing import Any

import dateutil.parser
from graphql import (
    DocumentNode,
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.types.scalar import ScalarDefinition

from shared.codes import Code
from shared.errors import BadUserInput
from shared.validation import date_problem, decimal_problem, unstorable_text

MAX_SCALAR_TEXT = 64
"""No decimal, date or date-time is longer; a longer input is refused before parsing."""

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _refuse(message: str) -> BadUserInput:
    return BadUserInput(message)


def _scalar_text(value: str, what: str) -> str:
    if len(value) > MAX_SCALAR_TEXT:
        raise _refuse(f"{what} is at most {MAX_SCALAR_TEXT} characters long")
    return value.strip()


# --- Decimal -------------------------------------------------------------------------


def parse_decimal(value: object) -> decimal.Decimal:
    """A decimal from a JSON string or number (or an already parsed `Decimal`)."""
    if isinstance(value, decimal.Decimal):
        parsed = value
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _refuse("A decimal number is required, as a string or a number")
    else:
        text = _scalar_text(value if isinstance(value, str) else repr(value), "A decimal")
        if not _DECIMAL_TEXT.match(text):
            raise _refuse("A decimal number such as 12.50 is required")
        try:
            parsed = decimal.Decimal(text)
        except decimal.DecimalException:  # pragma: no cover - the pattern admits only numbers
            raise _refuse("A decimal number such as 12.50 is required") from None
    problem = decimal_problem(parsed)
    if problem is not None:
        raise _refuse(problem)
    return parsed


def _decimal_literal(node: ValueNode, variables: Mapping[str, Any] | None = None) -> object:
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return parse_decimal(node.value)  # the literal's own digits, never via float
    if isinstance(node, VariableNode):
        return parse_decimal((variables or {}).get(node.name.value))
    raise _refuse("A decimal number is required, as a string or a number")


# --- Date and DateTime ---------------------------------------------------------------


def parse_date(value: object) -> dt.date:
    """An ISO 8601 date (`2026-11-26`) within the bounds of `shared.validation`."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        parsed = value
    elif not isinstance(value, str):  # JSON numbers, booleans, objects; literals alike
        raise _refuse("A date is required as a string such as 2026-11-26")
    else:
        try:
            parsed = dt.date.fromisoformat(_scalar_text(value, "A date"))
        except ValueError:
            raise _refuse("A date such as 2026-11-26 is required") from None
    problem = date_problem(parsed)
    if problem is not None:
        raise _refuse(problem)
    return parsed


def parse_datetime(value: object) -> dt.datetime:
    """An ISO 8601 date and time *with* a UTC offset, as an aware datetime in UTC. Without
    an offset the instant is ambiguous, so it is refused rather than guessed."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif not isinstance(value, str):
        raise _refuse("A date and time is required as a string such as 2026-11-26T09:30:00Z")
    else:
        try:
            parsed = dateutil.parser.isoparse(_scalar_text(value, "A date and time"))
        except (ValueError, OverflowError):
            raise _refuse("A date and time such as 2026-11-26T09:30:00Z is required") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _refuse("A date and time needs a UTC offset, e.g. 2026-11-26T09:30:00Z or +01:00")
    problem = date_problem(parsed)
    if problem is not None:
        raise _refuse(problem)
    return parsed.astimezone(dt.UTC)  # within the bounds, so it cannot overflow


def _string_literal(parse: Any) -> Any:
    def literal(node: ValueNode, variables: Mapping[str, Any] | None = None) -> object:
        if isinstance(node, StringValueNode):
            return parse(node.value)
        if isinstance(node, VariableNode):
            return parse((variables or {}).get(node.name.value))
        return parse(None)  # not a string: the scalar's own refusal

    return literal


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


# Names and descriptions are Strawberry's own, so the SDL stays as it was.
DecimalScalar = ScalarDefinition(
    name="Decimal",
    description="Decimal (fixed-point)",
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=_decimal_literal,
)
DateScalar = ScalarDefinition(
    name="Date",
    description="Date (isoformat)",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_date,
    parse_literal=_string_literal(parse_date),
)
DateTimeScalar = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=parse_datetime,
    parse_literal=_string_literal(parse_datetime),
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    decimal.Decimal: DecimalScalar,
    dt.date: DateScalar,
    dt.datetime: DateTimeScalar,
}


# --- String (and every other text of a request) --------------------------------------


def _strings(
    value: object, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key, path)
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _bad_text(message: str, *, nodes: Any = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": str(Code.BAD_USER_INPUT)})


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.errors: list[GraphQLError] = []

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        problem = unstorable_text(node.value)
        if problem is not None:
            self.errors.append(_bad_text(f"String literal refused: {problem}.", nodes=node))


def text_errors(
    document: DocumentNode,
    variable_definitions: tuple[VariableDefinitionNode, ...] | list[VariableDefinitionNode],
    variables: Mapping[str, Any],
) -> list[GraphQLError]:
    """Errors for every string of a request that PostgreSQL text cannot store: string
    literals anywhere in the document, and strings anywhere in the operation's variables
    (String, ID and the JSON of `_Any` alike — none of them may carry a NUL)."""
    literals = _Literals()
    visit(document, literals)
    errors = literals.errors
    for definition in variable_definitions:
        name = definition.variable.name.value
        if name not in variables:
            continue
        for path, text in _strings(variables[name], ()):
            problem = unstorable_text(text)
            if problem is not None:
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
                errors.append(
                    _bad_text(f"Variable '${name}{where}' refused: {problem}.", nodes=definition)
                )
                break
    return errors
