"""The one validation helper and path re-rooting: the same mistake gets the same code and
message everywhere, and problems move from a service's arguments onto the input path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.codes import Code
from shared.errors import InvalidInput, Problem, not_found
from shared.validation import Checks


def codes(checks: Checks) -> list[tuple[str | None, Code]]:
    return [(p.field, p.code) for p in checks.problems]


def test_text_fields() -> None:
    c = Checks()
    assert c.text("name", "  Ada  ") == "Ada"
    c.text("blank", "   ")
    c.text("long", "x" * 201)
    assert c.optional("note", "  ") is None
    c.email("email", "not-an-email")
    assert codes(c) == [
        ("blank", Code.REQUIRED),
        ("long", Code.TOO_LONG),
        ("email", Code.INVALID_EMAIL),
    ]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("0"), Code.MUST_BE_POSITIVE),
        (Decimal("-1"), Code.MUST_BE_POSITIVE),
        (Decimal("NaN"), Code.MUST_BE_POSITIVE),
        (Decimal("Infinity"), Code.MUST_BE_POSITIVE),
        (Decimal("1.00001"), Code.TOO_PRECISE),
        (Decimal("1e40"), Code.OUT_OF_RANGE),
    ],
)
def test_positive_quantities(value: Decimal, code: Code) -> None:
    c = Checks()
    c.positive("quantity", value)
    assert codes(c) == [("quantity", code)]


def test_precision_ignores_trailing_zeros_and_takes_a_limit() -> None:
    c = Checks()
    c.positive("a", Decimal("1.50000"))
    c.positive("b", Decimal("1.005"), decimals=2)
    assert codes(c) == [("b", Code.TOO_PRECISE)]
    assert c.problems[0].message == "At most 2 decimal places"


def test_currency_and_amount() -> None:
    c = Checks()
    assert c.currency("currency", " eur ") == "EUR"
    c.currency("bad", "EURO")
    # The form is not enough: every domain checks against the ISO 4217 list.
    c.currency("unlisted", "ZZZ")
    assert c.currency("listed", "chf") == "CHF"
    assert c.amount("rounded", Decimal("1.23456")) == Decimal("1.2346")
    assert c.amount("ok", Decimal("2.5")) == Decimal("2.5000")
    assert c.amount("price", Decimal("-1")) is None
    assert codes(c) == [
        ("bad", Code.INVALID_CURRENCY),
        ("unlisted", Code.INVALID_CURRENCY),
        ("price", Code.INVALID_AMOUNT),
    ]


def test_nested_paths_and_raise() -> None:
    c = Checks()
    c.at("lines", 2).positive("quantity", Decimal(0))
    with pytest.raises(InvalidInput) as raised:
        c.raise_any()
    assert raised.value.problems[0].field == "lines.2.quantity"


def test_under_re_roots_and_renames() -> None:
    exc = InvalidInput(
        [
            Problem("lines.0.quantity", Code.MUST_BE_POSITIVE, "m"),
            Problem("id", Code.NOT_FOUND, "m"),
            Problem(None, Code.INVALID_STATE, "m"),
        ]
    )
    moved = exc.under("input", {"id": "orderId"})
    assert [p.field for p in moved.problems] == [
        "input.lines.0.quantity",
        "input.orderId",
        None,
    ]
    assert not_found("customerId", "customer").under("input").problems == [
        Problem("input.customerId", Code.NOT_FOUND, "No customer with this id")
    ]


def test_extend_collects_a_callee_s_problems_under_a_prefix() -> None:
    c = Checks()
    c.at("lines", 1).extend(InvalidInput.one("quantity", Code.NEGATIVE, "m"))
    assert codes(c) == [("lines.1.quantity", Code.NEGATIVE)]
