"""Per-tenant tax rates and daily exchange rates to the tenant's base currency."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput
from shared.validation import Checks
from subgraphs.identity import api as identity
from subgraphs.sales.models import ExchangeRate, TaxRate

DEFAULT_BASE_CURRENCY = "EUR"
MAX_RATE = Decimal("9999999999.99999999")
"""The largest rate the numeric(18,8) columns store."""


class ExchangeRateMissing(InvalidInput):
    """No rate for a document's currency on its day; `field` names the document."""

    def __init__(self, field: str, currency: str, base: str, on: dt.date) -> None:
        super().__init__(
            InvalidInput.one(
                field,
                Code.EXCHANGE_RATE_MISSING,
                f"No {currency}/{base} exchange rate on or before {on.isoformat()}; "
                "enter one with setExchangeRate",
            ).problems
        )
        self.currency = currency


def iso_currency(checks: Checks, field: str, value: str) -> str:
    """`value` upper-cased when it is an ISO 4217 code; INVALID_CURRENCY at `field` if not
    (`Checks.currency` checks against pycountry's maintained list)."""
    return checks.currency(field, value)


async def create_tax_rate(
    session: AsyncSession, tenant: TenantId, *, name: str, percent: Decimal
) -> TaxRate:
    checks = Checks()
    name = checks.text("name", name, limit=100)
    checks.decimal_range("percent", percent, Decimal(0), Decimal(100))
    checks.raise_any()
    taken = await session.scalar(
        select(TaxRate.id).where(TaxRate.tenant_id == tenant, TaxRate.name == name)
    )
    if taken is not None:
        raise InvalidInput.one("name", Code.TAKEN, "Another tax rate has this name")
    rate = TaxRate(tenant_id=tenant, id=uuid.uuid4(), name=name, percent=percent)
    session.add(rate)
    await session.flush()
    await session.refresh(rate)
    return rate


async def base_currency(session: AsyncSession, tenant: TenantId) -> str:
    row = await identity.get_tenant(session, tenant)
    return row.base_currency if row is not None else DEFAULT_BASE_CURRENCY


async def set_exchange_rate(
    session: AsyncSession, tenant: TenantId, *, currency: str, on: dt.date, rate: Decimal
) -> ExchangeRate:
    """Set (or correct) the rate of one `currency` unit in the base currency on `on`."""
    checks = Checks()
    currency = iso_currency(checks, "currency", currency)
    if checks.ok and currency == await base_currency(session, tenant):
        checks.add("currency", Code.BASE_CURRENCY, "This is the base currency")
    checks.positive("rate", rate, decimals=8, maximum=MAX_RATE)
    checks.raise_any()
    row = await session.get(ExchangeRate, (tenant, currency, on))
    if row is None:
        row = ExchangeRate(tenant_id=tenant, currency=currency, date=on, rate=rate)
        session.add(row)
    else:
        row.rate = rate
    await session.flush()
    return row


async def rate_on(
    session: AsyncSession, tenant: TenantId, currency: str, on: dt.date
) -> Decimal | None:
    """The latest daily rate dated on or before `on`; 1 for the base currency."""
    if currency == await base_currency(session, tenant):
        return Decimal(1)
    return await session.scalar(
        select(ExchangeRate.rate)
        .where(
            ExchangeRate.tenant_id == tenant,
            ExchangeRate.currency == currency,
            ExchangeRate.date <= on,
        )
        .order_by(ExchangeRate.date.desc())
        .limit(1)
    )


RATE_PLACES = Decimal("0.00000001")
"""numeric(18,8): the places a cross rate keeps."""


async def cross_rate(
    session: AsyncSession,
    tenant: TenantId,
    *,
    source: str,
    target: str,
    on: dt.date,
    field: str,
) -> Decimal:
    """Units of `target` one unit of `source` is worth on `on` (through the base currency,
    rounded half-up to 8 places); 1 for the same currency. `ExchangeRateMissing` at
    `field` names the currency without a rate."""
    if source == target:
        return Decimal(1)
    found = {c: await rate_on(session, tenant, c, on) for c in (source, target)}
    for currency, rate in found.items():
        if rate is None:
            base = await base_currency(session, tenant)
            raise ExchangeRateMissing(field, currency, base, on)
    source_rate, target_rate = found[source], found[target]
    assert source_rate is not None
    assert target_rate is not None
    return (source_rate / target_rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
