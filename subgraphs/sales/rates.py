"""Per-tenant tax rates and daily exchange rates to the tenant's base currency."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput, Problem
from subgraphs.identity import service as identity
from subgraphs.sales.models import ExchangeRate, TaxRate

CURRENCY = re.compile(r"^[A-Z]{3}$")


class ExchangeRateMissing(InvalidInput):
    def __init__(self, currency: str, base: str, on: dt.date) -> None:
        super().__init__(
            [
                Problem(
                    "input.id",
                    "EXCHANGE_RATE_MISSING",
                    f"No {currency}/{base} exchange rate on or before {on.isoformat()}; "
                    "enter one with setExchangeRate",
                )
            ]
        )
        self.currency = currency


async def create_tax_rate(
    session: AsyncSession, tenant: TenantId, *, name: str, percent: Decimal
) -> TaxRate:
    problems: list[Problem] = []
    name = name.strip()
    if not name:
        problems.append(Problem("input.name", "REQUIRED", "This field is required"))
    elif len(name) > 100:
        problems.append(Problem("input.name", "TOO_LONG", "At most 100 characters"))
    if not percent.is_finite() or percent < 0 or percent > 100:
        problems.append(Problem("input.percent", "OUT_OF_RANGE", "Between 0 and 100"))
    if problems:
        raise InvalidInput(problems)
    taken = await session.scalar(
        select(TaxRate.id).where(TaxRate.tenant_id == tenant, TaxRate.name == name)
    )
    if taken is not None:
        raise InvalidInput.one("input.name", "TAKEN", "Another tax rate has this name")
    rate = TaxRate(tenant_id=tenant, id=uuid.uuid4(), name=name, percent=percent)
    session.add(rate)
    await session.flush()
    await session.refresh(rate)
    return rate


async def list_tax_rates(session: AsyncSession, tenant: TenantId) -> list[TaxRate]:
    rows = await session.scalars(
        select(TaxRate).where(TaxRate.tenant_id == tenant).order_by(TaxRate.name)
    )
    return list(rows.all())


async def base_currency(session: AsyncSession, tenant: TenantId) -> str:
    row = await identity.get_tenant(session, tenant)
    return row.base_currency if row is not None else "EUR"


async def set_exchange_rate(
    session: AsyncSession, tenant: TenantId, *, currency: str, on: dt.date, rate: Decimal
) -> ExchangeRate:
    """Set (or correct) the rate of one `currency` unit in the base currency on `on`."""
    problems: list[Problem] = []
    currency = currency.strip().upper()
    if not CURRENCY.match(currency):
        problems.append(Problem("input.currency", "INVALID", "A three-letter ISO code"))
    elif currency == await base_currency(session, tenant):
        problems.append(Problem("input.currency", "BASE_CURRENCY", "This is the base currency"))
    if not rate.is_finite() or rate <= 0:
        problems.append(Problem("input.rate", "MUST_BE_POSITIVE", "The rate must be positive"))
    if problems:
        raise InvalidInput(problems)
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
