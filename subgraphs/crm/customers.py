"""Customers: creating and editing them, archiving, and whether one may be ordered for.

Services never commit; the caller's unit of work does. Problems name paths relative to
each function's own arguments (`customerId`, `fields.email`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.crm.events import CrmEvent
from subgraphs.crm.models import Customer, CustomerKind, CustomerStatus, tax_key
from subgraphs.crm.owners import check_owner


class CustomerNotOrderable(InvalidInput):
    """Raised by `get_orderable_customer`; `code` is NOT_FOUND or CUSTOMER_ARCHIVED."""

    def __init__(self, field: str, code: Code, message: str) -> None:
        super().__init__([Problem(field, code, message)])
        self.code = code


@dataclass(slots=True)
class CustomerFields:
    """A customer's editable fields; on update, None leaves a field unchanged. Problems
    name them under `fields` (`fields.taxId`)."""

    name: str | None = None
    kind: str | None = None
    legal_name: str | None = None
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    billing_address: dict[str, Any] | None = None
    shipping_address: dict[str, Any] | None = None
    tags: list[str] | None = None
    owner_id: uuid.UUID | None = None
    currency: str | None = None
    payment_terms_days: int | None = None
    credit_limit: Decimal | None = None
    notes: str | None = None


async def _validate(
    session: AsyncSession,
    tenant: TenantId,
    f: CustomerFields,
    *,
    creating: bool,
    except_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    c = Checks("fields")
    values: dict[str, Any] = {}
    if f.name is not None or creating:
        values["name"] = c.text("name", f.name or "")
    if f.kind is not None:
        values["kind"] = c.choice("kind", f.kind, list(CustomerKind))
    for attr, path, limit in (
        ("legal_name", "legalName", 200),
        ("phone", "phone", 50),
        ("website", "website", 254),
    ):
        if getattr(f, attr) is not None:
            values[attr] = c.optional(path, getattr(f, attr), limit=limit)
    if f.tax_id is not None:
        values["tax_id"] = c.optional("taxId", f.tax_id, limit=50)
        if values["tax_id"] and await session.scalar(
            _others(select(Customer.id), tenant, except_id).where(
                Customer.tax_key == tax_key(values["tax_id"])
            )
        ):
            c.add("taxId", Code.DUPLICATE, "A customer with this tax id exists")
    if f.email is not None:
        values["email"] = c.email("email", f.email)
        if values["email"] and await session.scalar(
            _others(select(Customer.id), tenant, except_id).where(
                Customer.email_key == values["email"].lower()
            )
        ):
            c.add("email", Code.DUPLICATE, "A customer with this email exists")
    for attr in ("billing_address", "shipping_address"):
        if getattr(f, attr) is not None:
            values[attr] = getattr(f, attr)
    if f.tags is not None:
        values["tags"] = c.tags("tags", f.tags)
    if f.owner_id is not None:
        await check_owner(session, tenant, c, f.owner_id)
        values["owner_id"] = f.owner_id
    if f.currency is not None:
        values["currency"] = c.currency("currency", f.currency)
    if f.payment_terms_days is not None:
        values["payment_terms_days"] = c.range("paymentTermsDays", f.payment_terms_days, 0, 365)
    if f.credit_limit is not None:
        values["credit_limit"] = c.amount("creditLimit", f.credit_limit)
    if f.notes is not None:
        values["notes"] = c.optional("notes", f.notes, limit=10_000) or ""
    c.raise_any()
    return values


def _others(stmt: Select[Any], tenant: TenantId, except_id: uuid.UUID | None) -> Select[Any]:
    stmt = stmt.where(Customer.tenant_id == tenant)
    return stmt.where(Customer.id != except_id) if except_id else stmt


async def get_customer(
    session: AsyncSession, tenant: TenantId, customer_id: uuid.UUID, field: str = "customerId"
) -> Customer:
    """The customer to change; NOT_FOUND at `field` if it is not the tenant's."""
    customer = await session.get(Customer, (tenant, customer_id))
    if customer is None:
        raise not_found(field, "customer")
    return customer


async def create_customer(
    session: AsyncSession, tenant: TenantId, *, fields: CustomerFields, actor: uuid.UUID
) -> Customer:
    values = await _validate(session, tenant, fields, creating=True)
    values.setdefault("owner_id", actor)
    customer = Customer(tenant_id=tenant, **values)
    session.add(customer)
    await session.flush()
    await session.refresh(customer)
    await emit(
        session,
        tenant,
        type=CrmEvent.CUSTOMER_CREATED,
        aggregate_type="Customer",
        aggregate_id=customer.id,
        payload={
            "name": customer.name,
            "email": customer.email,
            "ownerId": str(customer.owner_id) if customer.owner_id else None,
        },
    )
    metrics.count(session, metrics.CUSTOMERS_CREATED)
    return customer


async def update_customer(
    session: AsyncSession, tenant: TenantId, *, customer_id: uuid.UUID, fields: CustomerFields
) -> Customer:
    customer = await get_customer(session, tenant, customer_id)
    if customer.status == CustomerStatus.ARCHIVED:
        raise InvalidInput.one(
            "customerId", Code.ARCHIVED, "The customer is archived; unarchive it first"
        )
    values = await _validate(session, tenant, fields, creating=False, except_id=customer_id)
    was = {"creditLimit": customer.credit_limit, "currency": customer.currency}
    for key, value in values.items():
        setattr(customer, key, value)
    await session.flush()
    if was["creditLimit"] != customer.credit_limit:
        await audit.record(
            session,
            tenant,
            action=audit.Action.CREDIT_LIMIT_CHANGED,
            target_type="Customer",
            target_id=customer.id,
            before=was,
            after={"creditLimit": customer.credit_limit, "currency": customer.currency},
        )
    await session.refresh(customer)
    return customer


async def set_customer_status(
    session: AsyncSession, tenant: TenantId, *, customer_id: uuid.UUID, archived: bool
) -> Customer:
    customer = await get_customer(session, tenant, customer_id)
    wanted = CustomerStatus.ARCHIVED if archived else CustomerStatus.ACTIVE
    if customer.status == wanted:
        code = Code.ALREADY_ARCHIVED if archived else Code.NOT_ARCHIVED
        raise InvalidInput.one("customerId", code, f"The customer is already {wanted.lower()}")
    customer.status = wanted
    await session.flush()
    await session.refresh(customer)
    return customer


async def get_orderable_customer(
    session: AsyncSession,
    tenant: TenantId,
    customer_id: uuid.UUID,
    *,
    field: str = "customerId",
) -> Customer:
    """The customer a sales document may be raised for; `CustomerNotOrderable` at `field`
    otherwise: NOT_FOUND for an unknown (or another tenant's) id, CUSTOMER_ARCHIVED."""
    customer = await session.get(Customer, (tenant, customer_id))
    if customer is None:
        raise CustomerNotOrderable(field, Code.NOT_FOUND, "No customer with this id")
    if customer.status == CustomerStatus.ARCHIVED:
        raise CustomerNotOrderable(field, Code.CUSTOMER_ARCHIVED, "The customer is archived")
    return customer


async def active_customer(
    session: AsyncSession, tenant: TenantId, checks: Checks, customer_id: uuid.UUID, field: str
) -> Customer | None:
    """The customer a contact, deal or activity is added to; a problem at `field` when it
    is unknown or archived."""
    customer = await session.get(Customer, (tenant, customer_id))
    if customer is None:
        checks.extend(not_found(field, "customer"))
    elif customer.status == CustomerStatus.ARCHIVED:
        checks.add(field, Code.ARCHIVED, "The customer is archived")
    return customer
