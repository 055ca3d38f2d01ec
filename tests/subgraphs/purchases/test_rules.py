"""Purchases' rule functions: best price, quantity rounding, the three-way match, billing
status; and the supplier and price-list services against PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.purchases import api as purchases
from subgraphs.purchases.billing import billing_status
from subgraphs.purchases.matching import MatchLine, mismatches
from subgraphs.purchases.models import BillingStatus, PurchaseOrderLine, SupplierPrice
from subgraphs.purchases.prices import quote
from tests.conftest import TenantHandle

from .conftest import Buyer, add_price, add_product, add_supplier

D = Decimal
DAY = dt.date(2026, 6, 15)


def tier(
    price: str,
    minimum: str = "0",
    multiple: str | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    currency: str = "EUR",
) -> SupplierPrice:
    return SupplierPrice(
        id=uuid.uuid4(),
        price=D(price),
        currency=currency,
        min_quantity=D(minimum),
        order_multiple=None if multiple is None else D(multiple),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def test_best_price_takes_the_cheapest_tier_the_quantity_reaches_on_the_day() -> None:
    base, bulk = tier("10", "1"), tier("9", "100")
    expired = tier("5", "1", valid_to=DAY - dt.timedelta(days=1))
    future = tier("4", "1", valid_from=DAY + dt.timedelta(days=1))
    prices = [base, bulk, expired, future]
    assert purchases.best_price(prices, D(99), DAY) is base
    assert purchases.best_price(prices, D(100), DAY) is bulk
    assert purchases.best_price(prices, D("0.5"), DAY) is None
    assert purchases.best_price(prices, D(1), DAY - dt.timedelta(days=1)) is expired
    assert purchases.best_price(prices, D(1), DAY + dt.timedelta(days=1)) is future


def test_best_price_ties_go_to_the_higher_minimum_then_the_newest() -> None:
    low, high = tier("8", "1"), tier("8", "50")
    assert purchases.best_price([low, high], D(60), DAY) is high
    old = tier("8", "1", valid_from=DAY - dt.timedelta(days=30))
    new = tier("8", "1", valid_from=DAY - dt.timedelta(days=1))
    assert purchases.best_price([old, new], D(5), DAY) is new


@pytest.mark.parametrize(
    ("quantity", "minimum", "multiple", "expected"),
    [
        ("7", "10", "5", "10"),
        ("12", "10", "5", "15"),
        ("15", "10", "5", "15"),
        ("1", "0", "0.3", "1.2"),
        ("0.25", "0", None, "0.25"),
        ("3", "12", None, "12"),
    ],
)
def test_order_quantity_rounds_up_to_minimum_and_multiple(
    quantity: str, minimum: str, multiple: str | None, expected: str
) -> None:
    got = purchases.order_quantity(
        D(quantity), D(minimum), None if multiple is None else D(multiple)
    )
    assert got == D(expected)


def test_quote_rounds_below_every_minimum_to_the_smallest_tier_and_prices_the_result() -> None:
    prices = [tier("10", "10", "10"), tier("9", "100", "10"), tier("1", "1", currency="USD")]
    assert quote(prices, D(3), DAY, "EUR").quantity == D(10)
    assert quote(prices, D(3), DAY, "EUR").unit_cost == D(10)
    assert quote(prices, D(95), DAY, "EUR").quantity == D(100)
    assert quote(prices, D(95), DAY, "EUR").unit_cost == D(9)
    assert quote(prices, D(3), DAY, "GBP").unit_cost is None
    assert quote(prices, D(3), DAY, "GBP").quantity == D(3)


def match(**overrides: str) -> MatchLine:
    values = {
        "ordered_qty": "10",
        "received_qty": "10",
        "billed_before": "0",
        "quantity": "10",
        "ordered_unit_cost": "5",
        "unit_cost": "5",
    }
    values.update(overrides)
    return MatchLine(position=1, **{k: D(v) for k, v in values.items()})


def test_three_way_match_names_each_difference_beyond_tolerance() -> None:
    assert mismatches(match(), D(0)) == []
    assert mismatches(match(received_qty="8"), D(0)) == ["Line 1: 10 billed, 8 received"]
    assert mismatches(match(quantity="12", received_qty="12"), D(0)) == [
        "Line 1: 12 billed, 10 ordered"
    ]
    assert mismatches(match(unit_cost="5.5"), D(0)) == ["Line 1: unit cost 5.5 billed, 5 ordered"]
    # Within 10%: 5.50 against 5 and 11 against 10 pass; 5.51 does not.
    assert mismatches(match(unit_cost="5.5", quantity="11", received_qty="11"), D(10)) == []
    assert mismatches(match(unit_cost="5.51"), D(10)) == [
        "Line 1: unit cost 5.51 billed, 5 ordered"
    ]
    assert mismatches(match(billed_before="6", quantity="5"), D(0)) == [
        "Line 1: 11 billed, 10 ordered",
        "Line 1: 11 billed, 10 received",
    ]


def order_line(
    quantity: str, received: str, billed: str, cancelled: str = "0"
) -> PurchaseOrderLine:
    return PurchaseOrderLine(
        quantity=D(quantity),
        received_qty=D(received),
        billed_qty=D(billed),
        cancelled_qty=D(cancelled),
    )


def test_billing_status_follows_lines_and_bills() -> None:
    assert billing_status([order_line("10", "10", "0")], []) == BillingStatus.NOT_BILLED
    assert (
        billing_status([order_line("10", "10", "4")], ["POSTED"]) == BillingStatus.PARTIALLY_BILLED
    )
    assert billing_status([order_line("10", "10", "10")], ["POSTED"]) == BillingStatus.BILLED
    assert billing_status([order_line("10", "10", "10")], ["PAID", "HELD"]) == BillingStatus.PAID
    # A closed remainder need not be billed; an over-receipt must be.
    assert billing_status([order_line("10", "6", "6", "4")], ["PAID"]) == BillingStatus.PAID
    assert (
        billing_status([order_line("10", "11", "10")], ["PAID"]) == BillingStatus.PARTIALLY_BILLED
    )


async def test_best_supplier_price_compares_suppliers_in_one_currency(
    runtime: Runtime, buyer: Buyer
) -> None:
    tenant = buyer.tenant.id
    widget = buyer.products["widget"]
    cheap = await add_supplier(runtime, tenant, "Cheap Co")
    await add_price(runtime, tenant, cheap, widget, "9.50", min_quantity=D(1))
    dollars = await add_supplier(runtime, tenant, "Dollar Inc", currency="USD")
    await add_price(runtime, tenant, dollars, widget, "1.00")
    today = dt.date.today()

    async def best(quantity: str, **extra: object) -> tuple[uuid.UUID, Decimal] | None:
        async with runtime.db.transaction(tenant, readonly=True) as session:
            found = await purchases.best_supplier_price(
                session, tenant, product_id=widget, quantity=D(quantity), on=today, **extra
            )
            return None if found is None else (found.supplier_id, found.price)

    assert await best("20") == (cheap, D("9.5000"))
    assert await best("100") == (buyer.supplier_id, D("9.0000"))
    assert await best("20", supplier_id=buyer.supplier_id) == (buyer.supplier_id, D("10.0000"))
    assert await best("5", currency="USD") == (dollars, D("1.0000"))
    assert await best("5", currency="GBP") is None


async def test_supplier_validation_names_every_field_and_writes_nothing(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    with pytest.raises(InvalidInput) as caught:
        async with runtime.db.transaction(tenant.id) as session:
            await purchases.create_supplier(
                session,
                tenant.id,
                purchases.SupplierFields(
                    name=" ",
                    email="nope",
                    currency="euro",
                    payment_terms_days=-1,
                    lead_time_days=999,
                    rating=6,
                ),
            )
    assert sorted((p.field, p.code) for p in caught.value.problems) == [
        ("currency", "INVALID_CURRENCY"),
        ("email", "INVALID_EMAIL"),
        ("leadTimeDays", "OUT_OF_RANGE"),
        ("name", "REQUIRED"),
        ("paymentTermsDays", "OUT_OF_RANGE"),
        ("rating", "OUT_OF_RANGE"),
    ]
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        page = await purchases.list_suppliers(
            session, tenant.id, filter=purchases.SupplierFilter(archived=None), first=10, after=None
        )
    assert page.total_count == 0


async def test_a_supplier_defaults_to_the_base_currency_and_refuses_a_taken_tax_id(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        first = await purchases.create_supplier(
            session, tenant.id, purchases.SupplierFields(name="One", tax_id="DE123")
        )
    assert (first.currency, first.payment_terms_days, first.lead_time_days) == ("EUR", 30, 7)
    with pytest.raises(InvalidInput) as caught:
        async with runtime.db.transaction(tenant.id) as session:
            await purchases.create_supplier(
                session, tenant.id, purchases.SupplierFields(name="Two", tax_id="DE123")
            )
    assert [(p.field, p.code) for p in caught.value.problems] == [("taxId", "DUPLICATE")]


async def test_price_terms_are_checked(runtime: Runtime, buyer: Buyer) -> None:
    tenant = buyer.tenant.id
    with pytest.raises(InvalidInput) as caught:
        async with runtime.db.transaction(tenant) as session:
            await purchases.add_supplier_price(
                session,
                tenant,
                supplier_id=buyer.supplier_id,
                product_id=uuid.uuid4(),
                fields=purchases.PriceFields(
                    price=D("-1"),
                    currency="XX",
                    min_quantity=D("0.00001"),
                    order_multiple=D(0),
                    lead_time_days=-2,
                    valid_from=DAY,
                    valid_to=DAY - dt.timedelta(days=1),
                ),
            )
    assert sorted((p.field, p.code) for p in caught.value.problems) == [
        ("currency", "INVALID_CURRENCY"),
        ("leadTimeDays", "OUT_OF_RANGE"),
        ("minQuantity", "TOO_PRECISE"),
        ("orderMultiple", "MUST_BE_POSITIVE"),
        ("price", "NEGATIVE"),
        ("productId", "NOT_FOUND"),
        ("validTo", "INVALID_RANGE"),
    ]


async def test_an_archived_supplier_takes_no_prices(runtime: Runtime, buyer: Buyer) -> None:
    tenant = buyer.tenant.id
    async with runtime.db.transaction(tenant) as session:
        await purchases.set_archived(session, tenant, supplier_id=buyer.supplier_id, archived=True)
    product = await add_product(runtime, tenant, name="Bolt")
    with pytest.raises(InvalidInput) as caught:
        await add_price(runtime, tenant, buyer.supplier_id, product, "1")
    assert [(p.field, p.code) for p in caught.value.problems] == [("supplierId", "ARCHIVED")]
