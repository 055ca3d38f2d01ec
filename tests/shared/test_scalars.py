"""Input checked where GraphQL coerces it: Decimal, Date and DateTime at the scalar, and
every string of a request, for variables and inline literals alike. A refusal is a
GraphQL error with BAD_USER_INPUT, never an internal error; the SDL stays Strawberry's."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import strawberry

from shared.graphql.schema import NexoSchema, build_schema


@strawberry.input
class Probe:
    text: str | None = None
    amount: Decimal | None = None
    on: dt.date | None = None


@strawberry.type
class Query:
    @strawberry.field
    def decimal(self, value: Decimal) -> str:
        return str(value)

    @strawberry.field
    def decimals(self, values: list[Decimal]) -> list[str]:
        return [str(v) for v in values]

    @strawberry.field
    def date(self, value: dt.date) -> str:
        return value.isoformat()

    @strawberry.field
    def date_time(self, value: dt.datetime) -> str:
        return value.isoformat()

    @strawberry.field
    def text(self, value: str) -> str:
        return value

    @strawberry.field
    def ident(self, value: strawberry.ID) -> str:
        return str(value)

    @strawberry.field
    def probe(self, value: Probe) -> str:
        return repr((value.text, value.amount, value.on))

    @strawberry.field
    def echo_decimal(self) -> Decimal:
        return Decimal("12.5000")


@pytest.fixture(scope="module")
def schema() -> NexoSchema:
    return build_schema(query=Query)


async def run(schema: NexoSchema, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = await schema.execute(query, variable_values=variables)
    return result.data, [
        (e.message, (e.extensions or {}).get("code")) for e in (result.errors or [])
    ]


async def refused(schema: NexoSchema, query: str, variables: dict[str, Any] | None = None) -> str:
    data, errors = await run(schema, query, variables)
    assert data is None, data
    assert errors and {code for _, code in errors} == {"BAD_USER_INPUT"}, errors
    json.dumps(errors, ensure_ascii=False).encode()  # the answer itself stays encodable
    return " ".join(message for message, _ in errors)


DECIMAL_VAR = "query($v: Decimal!) { decimal(value: $v) }"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("12.50", "12.50"),
        (12, "12"),
        (12.5, "12.5"),
        ("-3", "-3"),
        (" 7 ", "7"),
        ("1e3", "1E+3"),
        ("99999999999999.9999", "99999999999999.9999"),
        ("0.000000000001", "1E-12"),
    ],
)
async def test_decimal_accepts_strings_and_numbers(
    schema: NexoSchema, given: object, expected: str
) -> None:
    assert await run(schema, DECIMAL_VAR, {"v": given}) == ({"decimal": expected}, [])


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("NaN", "such as 12.50"),
        ("-Infinity", "such as 12.50"),
        ("inf", "such as 12.50"),
        (float("nan"), "such as 12.50"),
        (float("inf"), "such as 12.50"),
        ("1e400", "below 10^14"),
        ("100000000000000", "below 10^14"),
        ("-100000000000000", "below 10^14"),
        (10**14, "below 10^14"),
        ("1" * 40, "below 10^14"),
        ("0." + "1" * 39, "12 decimal places"),
        ("1.0000000000000", "12 decimal places"),
        ("1e-13", "12 decimal places"),
        ("9" * 80, "at most 64 characters"),
        ("1_000", "such as 12.50"),
        ("0x10", "such as 12.50"),
        ("", "such as 12.50"),
        (True, "as a string or a number"),
        ([1], "as a string or a number"),
    ],
)
async def test_decimal_refuses_what_numeric_18_4_cannot_hold(
    schema: NexoSchema, given: object, reason: str
) -> None:
    assert reason in await refused(schema, DECIMAL_VAR, {"v": given})


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ('"NaN"', "such as 12.50"),
        ("1e400", "below 10^14"),
        ("1" * 40, "below 10^14"),
        ("0.0000000000001", "12 decimal places"),
        ("true", "as a string or a number"),
    ],
)
async def test_decimal_literals_are_checked_like_variables(
    schema: NexoSchema, literal: str, reason: str
) -> None:
    assert reason in await refused(schema, f"{{ decimal(value: {literal}) }}")


async def test_decimal_literals_keep_their_digits(schema: NexoSchema) -> None:
    assert await run(schema, "{ a: decimal(value: 0.1) b: decimal(value: 12) }") == (
        {"a": "0.1", "b": "12"},
        [],
    )
    assert await run(schema, '{ decimals(values: ["1.5", 2]) }') == (
        {"decimals": ["1.5", "2"]},
        [],
    )
    assert "below 10^14" in await refused(schema, '{ decimals(values: ["1", 1e20]) }')
    assert await run(schema, "{ echoDecimal }") == ({"echoDecimal": "12.5000"}, [])


DATE_VAR = "query($v: Date!) { date(value: $v) }"
DATETIME_VAR = "query($v: DateTime!) { dateTime(value: $v) }"


async def test_dates_within_the_bounds(schema: NexoSchema) -> None:
    for day in ("1900-01-01", "2026-11-26", "2999-12-31"):
        assert await run(schema, DATE_VAR, {"v": day}) == ({"date": day}, [])
    assert await run(schema, DATETIME_VAR, {"v": "2026-11-26T09:30:00+01:00"}) == (
        {"dateTime": "2026-11-26T08:30:00+00:00"},
        [],
    )
    assert await run(schema, '{ dateTime(value: "2026-11-26T09:30:00Z") }') == (
        {"dateTime": "2026-11-26T09:30:00+00:00"},
        [],
    )


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("0001-01-01", "between 1900-01-01 and 2999-12-31"),
        ("1899-12-31", "between 1900-01-01 and 2999-12-31"),
        ("3000-01-01", "between 1900-01-01 and 2999-12-31"),
        ("9999-12-31", "between 1900-01-01 and 2999-12-31"),
        ("2026-02-30", "such as 2026-11-26"),
        ("yesterday", "such as 2026-11-26"),
        ("2026-11-26\x00", "such as 2026-11-26"),
        ("2" * 100, "at most 64 characters"),
        (20261126, "as a string"),
    ],
)
async def test_date_refusals(schema: NexoSchema, given: object, reason: str) -> None:
    assert reason in await refused(schema, DATE_VAR, {"v": given})


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("2026-11-26T09:30:00", "needs a UTC offset"),
        ("0001-01-01T00:00:00Z", "between 1900-01-01 and 2999-12-31"),
        ("9999-12-31T23:59:59-05:00", "between 1900-01-01 and 2999-12-31"),
        ("2026-13-01T00:00:00Z", "such as 2026-11-26T09:30:00Z"),
        ("soon", "such as 2026-11-26T09:30:00Z"),
        (1700000000, "as a string"),
    ],
)
async def test_datetime_refusals(schema: NexoSchema, given: object, reason: str) -> None:
    assert reason in await refused(schema, DATETIME_VAR, {"v": given})


async def test_date_literals_are_checked(schema: NexoSchema) -> None:
    assert "between" in await refused(schema, '{ date(value: "0001-01-01") }')
    assert "UTC offset" in await refused(schema, '{ dateTime(value: "2026-11-26T09:30") }')
    assert "as a string" in await refused(schema, "{ date(value: 20261126) }")


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\ud800", "\udfff tail"])
async def test_text_that_postgresql_cannot_store_is_refused_in_variables(
    schema: NexoSchema, bad: str
) -> None:
    message = await refused(schema, "query($v: String!) { text(value: $v) }", {"v": bad})
    assert "$v" in message
    message = await refused(schema, "query($v: ID!) { ident(value: $v) }", {"v": bad})
    assert "$v" in message
    message = await refused(schema, "query($v: Probe!) { probe(value: $v) }", {"v": {"text": bad}})
    assert "$v.text" in message


async def test_text_literals_with_nul_are_refused(schema: NexoSchema) -> None:
    assert "NUL" in await refused(schema, '{ text(value: "a\\u0000b") }')
    assert "NUL" in await refused(schema, '{ probe(value: {text: "\\u0000"}) }')
    assert "NUL" in await refused(schema, 'query($v: String = "\\u0000") { text(value: $v) }')


async def test_ordinary_text_passes_untouched(schema: NexoSchema) -> None:
    for value in ("Ada Lovelace", "Zoë 🚀 עברית", "%_\\'; drop table", "", " " * 3, "\ufffd"):
        data, errors = await run(schema, "query($v: String!) { text(value: $v) }", {"v": value})
        assert (data, errors) == ({"text": value}, [])


async def test_input_objects_are_checked_field_by_field(schema: NexoSchema) -> None:
    query = "query($v: Probe!) { probe(value: $v) }"
    ok = {"text": "x", "amount": "1.25", "on": "2026-01-31"}
    data, errors = await run(schema, query, {"v": ok})
    assert errors == []
    assert data == {"probe": repr(("x", Decimal("1.25"), dt.date(2026, 1, 31)))}
    message = await refused(schema, query, {"v": {**ok, "amount": "NaN"}})
    assert "amount" in message
    message = await refused(schema, query, {"v": {**ok, "on": "0001-01-01"}})
    assert "on" in message
