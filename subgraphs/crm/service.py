"""CRM's rules and public API for customers and contacts; leads, deals, the pipeline and
activities live in their own modules (`leads`, `deals`, `pipeline`, `activities`).

Other domains call `get_orderable_customer` (sales) and nothing else. Services never
commit; the caller's unit of work does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput, Problem
from shared.outbox import emit
from shared.pagination import Page, paginate
from subgraphs.crm.checks import Checks as Checks
from subgraphs.crm.checks import by_id, check_owner, get_row, sort_key
from subgraphs.crm.models import Contact, Customer

ACTIVE, ARCHIVED = "ACTIVE", "ARCHIVED"
CUSTOMER_KINDS = ("COMPANY", "INDIVIDUAL")

_TAX_NOISE = re.compile(r"[^A-Za-z0-9]")


class CustomerNotOrderable(InvalidInput):
    """Raised by `get_orderable_customer`; `code` is UNKNOWN_CUSTOMER or CUSTOMER_ARCHIVED."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__([Problem(field, code, message)])
        self.code = code


# --- customers ----------------------------------------------------------------------


def normalize_tax_id(tax_id: str) -> str:
    """The form uniqueness and search compare (the `tax_key` column's expression)."""
    return _TAX_NOISE.sub("", tax_id).lower()


@dataclass(slots=True)
class CustomerFields:
    """A customer's editable fields; on update, None leaves a field unchanged."""

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


async def _validate_customer(
    session: AsyncSession,
    tenant: TenantId,
    f: CustomerFields,
    *,
    creating: bool,
    except_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    c = Checks()
    values: dict[str, Any] = {}
    if f.name is not None or creating:
        values["name"] = c.text("input.name", f.name or "")
    if f.kind is not None:
        values["kind"] = c.choice("input.kind", f.kind, CUSTOMER_KINDS)
    for attr, limit in (("legal_name", 200), ("phone", 50), ("website", 254)):
        if getattr(f, attr) is not None:
            values[attr] = c.optional(f"input.{_camel(attr)}", getattr(f, attr), limit=limit)
    if f.tax_id is not None:
        values["tax_id"] = c.optional("input.taxId", f.tax_id, limit=50)
        if values["tax_id"] and await session.scalar(
            _others(select(Customer.id), tenant, except_id).where(
                Customer.tax_key == normalize_tax_id(values["tax_id"])
            )
        ):
            c.add("input.taxId", "DUPLICATE", "A customer with this tax id exists")
    if f.email is not None:
        values["email"] = c.email("input.email", f.email)
        if values["email"] and await session.scalar(
            _others(select(Customer.id), tenant, except_id).where(
                Customer.email_key == values["email"].lower()
            )
        ):
            c.add("input.email", "DUPLICATE", "A customer with this email exists")
    for attr in ("billing_address", "shipping_address"):
        if getattr(f, attr) is not None:
            values[attr] = getattr(f, attr)
    if f.tags is not None:
        values["tags"] = c.tags("input.tags", f.tags)
    if f.owner_id is not None:
        await check_owner(session, tenant, c, f.owner_id)
        values["owner_id"] = f.owner_id
    if f.currency is not None:
        values["currency"] = c.currency("input.currency", f.currency)
    if f.payment_terms_days is not None:
        values["payment_terms_days"] = c.range(
            "input.paymentTermsDays", f.payment_terms_days, 0, 365
        )
    if f.credit_limit is not None:
        values["credit_limit"] = c.money("input.creditLimit", f.credit_limit)
    if f.notes is not None:
        values["notes"] = c.optional("input.notes", f.notes, limit=10_000) or ""
    c.raise_any()
    return values


def _others(stmt: Select[Any], tenant: TenantId, except_id: uuid.UUID | None) -> Select[Any]:
    stmt = stmt.where(Customer.tenant_id == tenant)
    return stmt.where(Customer.id != except_id) if except_id else stmt


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def create_customer(
    session: AsyncSession, tenant: TenantId, *, fields: CustomerFields, actor: uuid.UUID
) -> Customer:
    values = await _validate_customer(session, tenant, fields, creating=True)
    values.setdefault("owner_id", actor)
    customer = Customer(tenant_id=tenant, **values)
    session.add(customer)
    await session.flush()
    await session.refresh(customer)
    await emit(
        session,
        tenant,
        type="customer.created",
        aggregate_type="Customer",
        aggregate_id=customer.id,
        payload={
            "name": customer.name,
            "email": customer.email,
            "ownerId": _str(customer.owner_id),
        },
    )
    return customer


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def _require_active(customer: Customer, field: str = "input.id") -> None:
    if customer.status == ARCHIVED:
        raise InvalidInput.one(field, "ARCHIVED", "The customer is archived; unarchive it first")


async def update_customer(
    session: AsyncSession, tenant: TenantId, *, customer_id: uuid.UUID, fields: CustomerFields
) -> Customer:
    customer = await get_row(session, Customer, tenant, customer_id)
    _require_active(customer)
    values = await _validate_customer(
        session, tenant, fields, creating=False, except_id=customer_id
    )
    for key, value in values.items():
        setattr(customer, key, value)
    await session.flush()
    await session.refresh(customer)
    return customer


async def set_customer_status(
    session: AsyncSession, tenant: TenantId, *, customer_id: uuid.UUID, archived: bool
) -> Customer:
    customer = await get_row(session, Customer, tenant, customer_id)
    wanted = ARCHIVED if archived else ACTIVE
    if customer.status == wanted:
        code = "ALREADY_ARCHIVED" if archived else "NOT_ARCHIVED"
        raise InvalidInput.one("input.id", code, f"The customer is already {wanted.lower()}")
    customer.status = wanted
    await session.flush()
    await session.refresh(customer)
    return customer


async def get_orderable_customer(
    session: AsyncSession,
    tenant: TenantId,
    customer_id: uuid.UUID,
    *,
    field: str = "input.customerId",
) -> Customer:
    """The customer a sales document may be raised for; `CustomerNotOrderable` otherwise."""
    customer = await session.get(Customer, (tenant, customer_id))
    if customer is None:
        raise CustomerNotOrderable(field, "UNKNOWN_CUSTOMER", "No customer with this id")
    if customer.status == ARCHIVED:
        raise CustomerNotOrderable(field, "CUSTOMER_ARCHIVED", "The customer is archived")
    return customer


async def active_customer(
    session: AsyncSession, tenant: TenantId, checks: Checks, customer_id: uuid.UUID, field: str
) -> Customer | None:
    customer = await session.get(Customer, (tenant, customer_id))
    if customer is None:
        checks.add(field, "NOT_FOUND", "No customer with this id")
    elif customer.status == ARCHIVED:
        checks.add(field, "ARCHIVED", "The customer is archived")
    return customer


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    search: str | None = None
    status: str | None = None
    owner_id: uuid.UUID | None = None
    tags: Sequence[str] = ()


def customers_query(tenant: TenantId, f: CustomerFilter) -> Select[Any]:
    """Search is a case-insensitive prefix match on name, email or tax id; each branch is
    an index range scan (see models), so it stays fast however many customers there are."""
    stmt = select(Customer).where(Customer.tenant_id == tenant)
    term = (f.search or "").strip().lower()
    if term:
        branches = [Customer.name_key.op("^@")(term), Customer.email_key.op("^@")(term)]
        tax = normalize_tax_id(term)
        if tax:
            branches.append(Customer.tax_key.op("^@")(tax))
        stmt = stmt.where(or_(*branches))
    if f.status:
        stmt = stmt.where(Customer.status == f.status)
    if f.owner_id:
        stmt = stmt.where(Customer.owner_id == f.owner_id)
    if f.tags:
        stmt = stmt.where(Customer.tags.contains([t.strip().lower() for t in f.tags]))
    return stmt


CUSTOMER_ORDER = {"NAME": Customer.name_key, "CREATED_AT": Customer.created_at}


async def list_customers(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: CustomerFilter,
    order_by: str = "NAME",
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Customer]:
    column = CUSTOMER_ORDER[order_by]
    return await paginate(
        session,
        customers_query(tenant, filter),
        keys=[sort_key(column, descending), sort_key(Customer.id, descending)],
        key_of=lambda c: (c.name_key if order_by == "NAME" else c.created_at, c.id),
        first=first,
        after=after,
    )


async def customers_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Customer]:
    rows = await session.scalars(
        select(Customer).where(Customer.tenant_id == tenant, Customer.id.in_(ids))
    )
    return by_id(rows.all())


# --- contacts -----------------------------------------------------------------------


async def _unset_other_primaries(session: AsyncSession, tenant: TenantId, contact: Contact) -> None:
    await session.execute(
        update(Contact)
        .where(
            Contact.tenant_id == tenant,
            Contact.customer_id == contact.customer_id,
            Contact.id != contact.id,
            Contact.is_primary.is_(True),
        )
        .values(is_primary=False)
    )


async def create_contact(
    session: AsyncSession,
    tenant: TenantId,
    *,
    customer_id: uuid.UUID,
    name: str,
    job_title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    is_primary: bool = False,
) -> Contact:
    c = Checks()
    await active_customer(session, tenant, c, customer_id, "input.customerId")
    contact = Contact(
        tenant_id=tenant,
        customer_id=customer_id,
        name=c.text("input.name", name),
        job_title=c.optional("input.jobTitle", job_title),
        email=c.email("input.email", email),
        phone=c.optional("input.phone", phone, limit=50),
        is_primary=is_primary,
    )
    c.raise_any()
    session.add(contact)
    await session.flush()
    if is_primary:
        await _unset_other_primaries(session, tenant, contact)
    await session.refresh(contact)
    return contact


async def update_contact(
    session: AsyncSession,
    tenant: TenantId,
    *,
    contact_id: uuid.UUID,
    name: str | None = None,
    job_title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    is_primary: bool | None = None,
) -> Contact:
    contact = await get_row(session, Contact, tenant, contact_id)
    c = Checks()
    await active_customer(session, tenant, c, contact.customer_id, "input.id")
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = c.text("input.name", name)
    if job_title is not None:
        values["job_title"] = c.optional("input.jobTitle", job_title)
    if email is not None:
        values["email"] = c.email("input.email", email)
    if phone is not None:
        values["phone"] = c.optional("input.phone", phone, limit=50)
    if is_primary is not None:
        values["is_primary"] = is_primary
    c.raise_any()
    for key, value in values.items():
        setattr(contact, key, value)
    await session.flush()
    if is_primary:
        await _unset_other_primaries(session, tenant, contact)
    await session.refresh(contact)
    return contact


async def contacts_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Contact]:
    rows = await session.scalars(
        select(Contact).where(Contact.tenant_id == tenant, Contact.id.in_(ids))
    )
    return by_id(rows.all())


async def contacts_by_customer(
    session: AsyncSession, tenant: TenantId, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Contact]]:
    rows = await session.scalars(
        select(Contact)
        .where(Contact.tenant_id == tenant, Contact.customer_id.in_(customer_ids))
        .order_by(Contact.is_primary.desc(), Contact.name, Contact.id)
    )
    found: dict[uuid.UUID, list[Contact]] = {}
    for row in rows:
        found.setdefault(row.customer_id, []).append(row)
    return found


@dataclass(frozen=True, slots=True)
class ContactFilter:
    search: str | None = None
    customer_id: uuid.UUID | None = None


async def list_contacts(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: ContactFilter,
    first: int | None,
    after: str | None,
) -> Page[Contact]:
    stmt: Select[Any] = select(Contact).where(Contact.tenant_id == tenant)
    if filter.search and filter.search.strip():
        pattern = f"%{filter.search.strip()}%"
        stmt = stmt.where(or_(Contact.name.ilike(pattern), Contact.email.ilike(pattern)))
    if filter.customer_id:
        stmt = stmt.where(Contact.customer_id == filter.customer_id)
    return await paginate(
        session,
        stmt,
        keys=[sort_key(Contact.name), sort_key(Contact.id)],
        key_of=lambda r: (r.name, r.id),
        first=first,
        after=after,
    )
