"""Suppliers: who the company buys from, in which currency, on what payment terms and lead
time. Archived suppliers keep their history but take no new orders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.purchases.models import Supplier
from subgraphs.purchases.policy import base_currency

MAX_DAYS = 365


@dataclass(frozen=True, slots=True)
class SupplierFields:
    """What a supplier is made of; `None` leaves a field as it is when updating."""

    name: str | None = None
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    currency: str | None = None
    payment_terms_days: int | None = None
    lead_time_days: int | None = None
    rating: int | None = None


def _check(fields: SupplierFields, *, creating: bool) -> dict[str, object]:
    checks = Checks()
    values: dict[str, object] = {}
    if fields.name is not None or creating:
        values["name"] = checks.text("name", fields.name or "", limit=200)
    if fields.tax_id is not None:
        values["tax_id"] = checks.optional("taxId", fields.tax_id, limit=50)
    if fields.email is not None:
        values["email"] = checks.email("email", fields.email)
    if fields.phone is not None:
        values["phone"] = checks.optional("phone", fields.phone, limit=50)
    if fields.address is not None:
        values["address"] = checks.optional("address", fields.address, limit=2000) or ""
    if fields.currency is not None:
        values["currency"] = checks.currency("currency", fields.currency)
    for name, field, value in (
        ("payment_terms_days", "paymentTermsDays", fields.payment_terms_days),
        ("lead_time_days", "leadTimeDays", fields.lead_time_days),
    ):
        if value is not None:
            values[name] = checks.range(field, value, 0, MAX_DAYS)
    if fields.rating is not None:
        values["rating"] = checks.range("rating", fields.rating, 1, 5)
    checks.raise_any()
    return values


async def _tax_id_taken(
    session: AsyncSession, tenant: TenantId, tax_id: object, *, except_id: uuid.UUID | None
) -> bool:
    if tax_id is None:
        return False
    stmt = select(Supplier.id).where(Supplier.tenant_id == tenant, Supplier.tax_id == tax_id)
    if except_id is not None:
        stmt = stmt.where(Supplier.id != except_id)
    return (await session.scalar(stmt)) is not None


def _duplicate_tax_id() -> InvalidInput:
    return InvalidInput.one("taxId", Code.DUPLICATE, "Another supplier has this tax id")


async def create_supplier(
    session: AsyncSession, tenant: TenantId, fields: SupplierFields
) -> Supplier:
    """A supplier; the currency defaults to the tenant's base currency."""
    values = _check(fields, creating=True)
    if await _tax_id_taken(session, tenant, values.get("tax_id"), except_id=None):
        raise _duplicate_tax_id()
    values.setdefault("currency", await base_currency(session, tenant))
    supplier = Supplier(tenant_id=tenant, id=uuid.uuid4(), **values)
    session.add(supplier)
    await session.flush()
    await session.refresh(supplier)
    return supplier


async def _get(session: AsyncSession, tenant: TenantId, supplier_id: uuid.UUID) -> Supplier:
    supplier = await session.get(Supplier, (tenant, supplier_id), with_for_update=True)
    if supplier is None:
        raise not_found("supplierId", "supplier")
    return supplier


async def update_supplier(
    session: AsyncSession, tenant: TenantId, *, supplier_id: uuid.UUID, fields: SupplierFields
) -> Supplier:
    supplier = await _get(session, tenant, supplier_id)
    values = _check(fields, creating=False)
    if supplier.archived:
        raise InvalidInput.one("supplierId", Code.ARCHIVED, "The supplier is archived")
    if await _tax_id_taken(session, tenant, values.get("tax_id"), except_id=supplier_id):
        raise _duplicate_tax_id()
    for name, value in values.items():
        setattr(supplier, name, value)
    await session.flush()
    await session.refresh(supplier)
    return supplier


async def set_archived(
    session: AsyncSession, tenant: TenantId, *, supplier_id: uuid.UUID, archived: bool
) -> Supplier:
    """Archive (or restore) a supplier; archiving twice is `ALREADY_ARCHIVED`."""
    supplier = await _get(session, tenant, supplier_id)
    if supplier.archived == archived:
        code, message = (
            (Code.ALREADY_ARCHIVED, "The supplier is archived already")
            if archived
            else (Code.NOT_ARCHIVED, "The supplier is not archived")
        )
        raise InvalidInput.one("supplierId", code, message)
    supplier.archived = archived
    await session.flush()
    await session.refresh(supplier)
    return supplier


async def orderable_supplier(
    session: AsyncSession, tenant: TenantId, supplier_id: uuid.UUID
) -> Supplier:
    """The supplier an order may be placed with: it exists and is not archived."""
    supplier = await session.get(Supplier, (tenant, supplier_id))
    if supplier is None:
        raise not_found("supplierId", "supplier")
    if supplier.archived:
        raise InvalidInput.one("supplierId", Code.ARCHIVED, "The supplier is archived")
    return supplier
