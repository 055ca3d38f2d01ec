"""CRM's rules and public API: customers, contacts, leads, deals, the pipeline, activities.

Other domains call `get_orderable_customer` (sales) and nothing else. Services never
commit; the caller's unit of work does.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Base, Database, TenantId
from shared.errors import InvalidInput, NotFound, Problem
from shared.outbox import emit
from shared.pagination import Page, SortKey, paginate
from subgraphs.crm.models import (
    Activity,
    Contact,
    Customer,
    Deal,
    DealStageChange,
    Lead,
    PipelineStage,
)
from subgraphs.identity import service as identity

M = TypeVar("M", bound=Base)

ACTIVE, ARCHIVED = "ACTIVE", "ARCHIVED"
CUSTOMER_KINDS = ("COMPANY", "INDIVIDUAL")
LEAD_SOURCES = ("WEB", "REFERRAL", "EVENT", "CAMPAIGN", "OTHER")
LEAD_FLOW = {"NEW": ("CONTACTED", "QUALIFIED", "LOST"), "CONTACTED": ("QUALIFIED", "LOST")}
OPEN, WON, LOST = "OPEN", "WON", "LOST"
ACTIVITY_TYPES = ("CALL", "MEETING", "EMAIL", "TASK", "NOTE")
DEFAULT_STAGES = (("Prospecting", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75))
MAX_MONEY = Decimal("99999999999999.9999")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TAX_NOISE = re.compile(r"[^A-Za-z0-9]")


class CustomerNotOrderable(InvalidInput):
    """Raised by `get_orderable_customer`; `code` is UNKNOWN_CUSTOMER or CUSTOMER_ARCHIVED."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__([Problem(field, code, message)])
        self.code = code


# --- validation ---------------------------------------------------------------------


class Checks:
    """Collects problems so one response names every field the user must fix."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str | None, code: str, message: str) -> None:
        self.problems.append(Problem(field, code, message))

    def raise_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)

    def text(self, field: str, value: str, *, limit: int = 200) -> str:
        value = value.strip()
        if not value:
            self.add(field, "REQUIRED", "This field is required")
        elif len(value) > limit:
            self.add(field, "TOO_LONG", f"At most {limit} characters")
        return value

    def optional(self, field: str, value: str | None, *, limit: int = 200) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if len(value) > limit:
            self.add(field, "TOO_LONG", f"At most {limit} characters")
        return value or None

    def email(self, field: str, value: str | None) -> str | None:
        value = self.optional(field, value, limit=254)
        if value is not None and not _EMAIL.match(value):
            self.add(field, "INVALID_EMAIL", "Enter a valid email address")
        return value

    def choice(self, field: str, value: str, allowed: Sequence[str]) -> str:
        if value not in allowed:
            self.add(field, "INVALID_CHOICE", f"One of {', '.join(allowed)}")
        return value

    def currency(self, field: str, value: str) -> str:
        value = value.strip().upper()
        if not _CURRENCY.match(value):
            self.add(field, "INVALID_CURRENCY", "An ISO 4217 code such as EUR")
        return value

    def money(self, field: str, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        try:
            if not value.is_finite() or value < 0 or value > MAX_MONEY:
                raise InvalidOperation
            return value.quantize(Decimal("0.0001"))
        except InvalidOperation:
            self.add(field, "INVALID_AMOUNT", "A non-negative amount with at most 4 decimals")
            return None

    def range(self, field: str, value: int | None, low: int, high: int) -> int | None:
        if value is not None and not low <= value <= high:
            self.add(field, "OUT_OF_RANGE", f"Between {low} and {high}")
        return value

    def tags(self, field: str, values: Sequence[str] | None) -> list[str] | None:
        if values is None:
            return None
        cleaned = sorted({v.strip().lower() for v in values if v.strip()})
        if any(len(v) > 50 for v in cleaned) or len(cleaned) > 20:
            self.add(field, "INVALID_TAGS", "At most 20 tags of at most 50 characters")
        return cleaned


async def _get(session: AsyncSession, model: type[M], tenant: TenantId, id: uuid.UUID) -> M:
    row = await session.get(model, (tenant, id))
    if row is None:
        raise NotFound(f"{model.__name__} not found", id=str(id))
    return row


async def _check_owner(
    session: AsyncSession, tenant: TenantId, checks: Checks, owner_id: uuid.UUID | None
) -> None:
    if owner_id is None:
        return
    users = await identity.users_by_id(session, tenant, [owner_id])
    if owner_id not in users or not users[owner_id].active:
        checks.add("input.ownerId", "NOT_FOUND", "No active user with this id")


def _key(column: Any, descending: bool = False) -> SortKey:
    return SortKey(column, descending)


def _by_id(rows: Sequence[M]) -> dict[uuid.UUID, M]:
    return {r.id: r for r in rows}  # type: ignore[attr-defined]


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
        await _check_owner(session, tenant, c, f.owner_id)
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
    customer = await _get(session, Customer, tenant, customer_id)
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
    customer = await _get(session, Customer, tenant, customer_id)
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


async def _active_customer(
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
        keys=[_key(column, descending), _key(Customer.id, descending)],
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
    return _by_id(rows.all())


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
    await _active_customer(session, tenant, c, customer_id, "input.customerId")
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
    contact = await _get(session, Contact, tenant, contact_id)
    c = Checks()
    await _active_customer(session, tenant, c, contact.customer_id, "input.id")
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
    return _by_id(rows.all())


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
        keys=[_key(Contact.name), _key(Contact.id)],
        key_of=lambda r: (r.name, r.id),
        first=first,
        after=after,
    )


# --- pipeline stages ----------------------------------------------------------------


async def list_stages(session: AsyncSession, tenant: TenantId) -> list[PipelineStage]:
    stmt = (
        select(PipelineStage)
        .where(PipelineStage.tenant_id == tenant)
        .order_by(PipelineStage.position)
    )
    return list((await session.scalars(stmt)).all())


async def pipeline_stages(session: AsyncSession, tenant: TenantId) -> list[PipelineStage]:
    """The tenant's stages in order; the defaults are created on first use."""
    stages = await list_stages(session, tenant)
    if stages:
        return stages
    # Two first uses may race; the unique (tenant_id, position) lets one of them win.
    await session.execute(
        insert(PipelineStage)
        .values(
            [
                {
                    "tenant_id": tenant,
                    "id": uuid.uuid4(),
                    "name": n,
                    "position": i + 1,
                    "probability": p,
                }
                for i, (n, p) in enumerate(DEFAULT_STAGES)
            ]
        )
        .on_conflict_do_nothing()
    )
    return await list_stages(session, tenant)


async def ensure_default_stages(db: Database, tenant: TenantId) -> list[PipelineStage]:
    async with db.transaction(tenant) as session:
        return await pipeline_stages(session, tenant)


async def stages_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PipelineStage]:
    rows = await session.scalars(
        select(PipelineStage).where(PipelineStage.tenant_id == tenant, PipelineStage.id.in_(ids))
    )
    return _by_id(rows.all())


async def _stage(
    session: AsyncSession, tenant: TenantId, checks: Checks, stage_id: uuid.UUID | None, field: str
) -> PipelineStage | None:
    stages = await pipeline_stages(session, tenant)
    if stage_id is None:
        return stages[0]
    found = next((s for s in stages if s.id == stage_id), None)
    if found is None:
        checks.add(field, "NOT_FOUND", "No pipeline stage with this id")
    return found


# --- deals --------------------------------------------------------------------------


async def _record(
    session: AsyncSession,
    tenant: TenantId,
    deal: Deal,
    *,
    from_stage: uuid.UUID | None,
    actor: uuid.UUID,
) -> None:
    session.add(
        DealStageChange(
            tenant_id=tenant,
            deal_id=deal.id,
            from_stage_id=from_stage,
            to_stage_id=deal.stage_id,
            status=deal.status,
            changed_by=actor,
        )
    )
    await session.flush()


async def create_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    customer_id: uuid.UUID,
    title: str,
    amount: Decimal,
    currency: str | None = None,
    stage_id: uuid.UUID | None = None,
    probability: int | None = None,
    expected_close_date: dt.date | None = None,
    owner_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
) -> Deal:
    c = Checks()
    customer = await _active_customer(session, tenant, c, customer_id, "input.customerId")
    title = c.text("input.title", title)
    money = c.money("input.amount", amount)
    cur = (
        c.currency("input.currency", currency)
        if currency
        else (customer.currency if customer else "EUR")
    )
    stage = await _stage(session, tenant, c, stage_id, "input.stageId")
    c.range("input.probability", probability, 0, 100)
    await _check_owner(session, tenant, c, owner_id)
    c.raise_any()
    assert stage is not None
    assert money is not None
    deal = Deal(
        tenant_id=tenant,
        customer_id=customer_id,
        title=title,
        amount=money,
        currency=cur,
        stage_id=stage.id,
        probability=stage.probability if probability is None else probability,
        expected_close_date=expected_close_date,
        owner_id=owner_id or actor,
        status=OPEN,
    )
    session.add(deal)
    await session.flush()
    await _record(session, tenant, deal, from_stage=None, actor=actor)
    await session.refresh(deal)
    return deal


async def _open_deal(session: AsyncSession, tenant: TenantId, deal_id: uuid.UUID) -> Deal:
    deal = await _get(session, Deal, tenant, deal_id)
    if deal.status != OPEN:
        raise InvalidInput.one(
            "input.id", "DEAL_CLOSED", f"The deal is already {deal.status.lower()}"
        )
    return deal


async def update_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    deal_id: uuid.UUID,
    title: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    probability: int | None = None,
    expected_close_date: dt.date | None = None,
    owner_id: uuid.UUID | None = None,
) -> Deal:
    deal = await _open_deal(session, tenant, deal_id)
    c = Checks()
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = c.text("input.title", title)
    if amount is not None:
        values["amount"] = c.money("input.amount", amount)
    if currency is not None:
        values["currency"] = c.currency("input.currency", currency)
    if probability is not None:
        values["probability"] = c.range("input.probability", probability, 0, 100)
    if expected_close_date is not None:
        values["expected_close_date"] = expected_close_date
    if owner_id is not None:
        await _check_owner(session, tenant, c, owner_id)
        values["owner_id"] = owner_id
    c.raise_any()
    for key, value in values.items():
        setattr(deal, key, value)
    await session.flush()
    await session.refresh(deal)
    return deal


async def move_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    deal_id: uuid.UUID,
    stage_id: uuid.UUID,
) -> Deal:
    """Moves an open deal; its probability becomes the new stage's default."""
    deal = await _open_deal(session, tenant, deal_id)
    c = Checks()
    stage = await _stage(session, tenant, c, stage_id, "input.stageId")
    if stage is not None and stage.id == deal.stage_id:
        c.add("input.stageId", "SAME_STAGE", "The deal is already in this stage")
    c.raise_any()
    assert stage is not None
    previous = deal.stage_id
    deal.stage_id, deal.probability = stage.id, stage.probability
    await _record(session, tenant, deal, from_stage=previous, actor=actor)
    await session.refresh(deal)
    return deal


async def close_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    deal_id: uuid.UUID,
    won: bool,
    reason: str | None = None,
) -> Deal:
    deal = await _open_deal(session, tenant, deal_id)
    c = Checks()
    lost_reason = None if won else c.text("input.reason", reason or "", limit=1000)
    c.raise_any()
    deal.status = WON if won else LOST
    deal.probability = 100 if won else 0
    deal.lost_reason = lost_reason
    deal.closed_at = dt.datetime.now(dt.UTC)
    await _record(session, tenant, deal, from_stage=deal.stage_id, actor=actor)
    await emit(
        session,
        tenant,
        type="deal.won" if won else "deal.lost",
        aggregate_type="Deal",
        aggregate_id=deal.id,
        payload={
            "customerId": str(deal.customer_id),
            "amount": str(deal.amount),
            "currency": deal.currency,
            "reason": lost_reason,
        },
    )
    await session.refresh(deal)
    return deal


async def deals_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Deal]:
    rows = await session.scalars(select(Deal).where(Deal.tenant_id == tenant, Deal.id.in_(ids)))
    return _by_id(rows.all())


async def deals_by_customer(
    session: AsyncSession, tenant: TenantId, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Deal]]:
    rows = await session.scalars(
        select(Deal)
        .where(Deal.tenant_id == tenant, Deal.customer_id.in_(customer_ids))
        .order_by(Deal.created_at.desc(), Deal.id)
    )
    found: dict[uuid.UUID, list[Deal]] = {}
    for row in rows:
        found.setdefault(row.customer_id, []).append(row)
    return found


async def history_by_deal(
    session: AsyncSession, tenant: TenantId, deal_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DealStageChange]]:
    rows = await session.scalars(
        select(DealStageChange)
        .where(DealStageChange.tenant_id == tenant, DealStageChange.deal_id.in_(deal_ids))
        .order_by(DealStageChange.changed_at, DealStageChange.id)
    )
    found: dict[uuid.UUID, list[DealStageChange]] = {}
    for row in rows:
        found.setdefault(row.deal_id, []).append(row)
    return found


@dataclass(frozen=True, slots=True)
class DealFilter:
    search: str | None = None
    status: str | None = None
    stage_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None


DEAL_ORDER = {"CREATED_AT": Deal.created_at, "AMOUNT": Deal.amount, "TITLE": Deal.title}


async def list_deals(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: DealFilter,
    order_by: str = "CREATED_AT",
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Deal]:
    stmt: Select[Any] = select(Deal).where(Deal.tenant_id == tenant)
    if filter.search and filter.search.strip():
        stmt = stmt.where(Deal.title.ilike(f"%{filter.search.strip()}%"))
    for column, value in (
        (Deal.status, filter.status),
        (Deal.stage_id, filter.stage_id),
        (Deal.owner_id, filter.owner_id),
        (Deal.customer_id, filter.customer_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    attr = {"CREATED_AT": "created_at", "AMOUNT": "amount", "TITLE": "title"}[order_by]
    return await paginate(
        session,
        stmt,
        keys=[_key(DEAL_ORDER[order_by], descending), _key(Deal.id, descending)],
        key_of=lambda d: (getattr(d, attr), d.id),
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class StageFigures:
    stage: PipelineStage
    count: int
    amount: Decimal
    weighted_amount: Decimal


async def pipeline(
    session: AsyncSession, tenant: TenantId, *, stages: Sequence[PipelineStage], currency: str
) -> list[StageFigures]:
    """Open deals in `currency` per stage; weighted by each deal's own probability."""
    rows = await session.execute(
        select(
            Deal.stage_id,
            func.count(),
            func.coalesce(func.sum(Deal.amount), 0),
            func.coalesce(func.sum(Deal.amount * Deal.probability / 100), 0),
        )
        .where(Deal.tenant_id == tenant, Deal.status == OPEN, Deal.currency == currency)
        .group_by(Deal.stage_id)
    )
    figures = {r[0]: r for r in rows}
    q = Decimal("0.0001")
    out = []
    for s in stages:
        _, count, amount, weighted = figures.get(s.id, (s.id, 0, Decimal(0), Decimal(0)))
        out.append(
            StageFigures(s, count, Decimal(amount).quantize(q), Decimal(weighted).quantize(q))
        )
    return out


@dataclass(frozen=True, slots=True)
class CrmStats:
    deals_created: int
    deals_won: int
    deals_lost: int
    win_rate: Decimal | None
    leads_created: int
    leads_converted: int
    lead_conversion_rate: Decimal | None


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


async def crm_stats(
    session: AsyncSession, tenant: TenantId, *, start: dt.date, end: dt.date
) -> CrmStats:
    """Figures for the days `start`..`end` inclusive (UTC). Win rate: won / (won + lost)
    closed in the period; conversion rate: leads converted / leads created in the period."""
    if end < start:
        raise InvalidInput.one("to", "INVALID_RANGE", "`to` is before `from`")
    low = dt.datetime.combine(start, dt.time(), dt.UTC)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)

    def within(column: Any) -> Any:
        return (column >= low) & (column < high)

    deals = (
        await session.execute(
            select(
                func.count().filter(within(Deal.created_at)),
                func.count().filter(within(Deal.closed_at), Deal.status == WON),
                func.count().filter(within(Deal.closed_at), Deal.status == LOST),
            ).where(Deal.tenant_id == tenant)
        )
    ).one()
    leads = (
        await session.execute(
            select(
                func.count().filter(within(Lead.created_at)),
                func.count().filter(within(Lead.converted_at)),
            ).where(Lead.tenant_id == tenant)
        )
    ).one()
    created, won, lost = deals
    leads_created, converted = leads
    return CrmStats(
        deals_created=created,
        deals_won=won,
        deals_lost=lost,
        win_rate=_rate(won, won + lost),
        leads_created=leads_created,
        leads_converted=converted,
        lead_conversion_rate=_rate(converted, leads_created),
    )


# --- leads --------------------------------------------------------------------------


@dataclass(slots=True)
class LeadFields:
    name: str | None = None
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    owner_id: uuid.UUID | None = None
    status: str | None = None


async def _lead_values(
    session: AsyncSession, tenant: TenantId, f: LeadFields, *, creating: bool
) -> dict[str, Any]:
    c = Checks()
    values: dict[str, Any] = {}
    if f.name is not None or creating:
        values["name"] = c.text("input.name", f.name or "")
    if f.company_name is not None:
        values["company_name"] = c.optional("input.companyName", f.company_name)
    if f.email is not None:
        values["email"] = c.email("input.email", f.email)
    if f.phone is not None:
        values["phone"] = c.optional("input.phone", f.phone, limit=50)
    if f.source is not None or creating:
        values["source"] = c.choice("input.source", f.source or "", LEAD_SOURCES)
    if f.owner_id is not None:
        await _check_owner(session, tenant, c, f.owner_id)
        values["owner_id"] = f.owner_id
    if f.status is not None:
        values["status"] = c.choice("input.status", f.status, ("NEW", "CONTACTED"))
    c.raise_any()
    return values


async def create_lead(
    session: AsyncSession, tenant: TenantId, *, actor: uuid.UUID, fields: LeadFields
) -> Lead:
    values = await _lead_values(session, tenant, fields, creating=True)
    values.setdefault("owner_id", actor)
    lead = Lead(tenant_id=tenant, **values)
    session.add(lead)
    await session.flush()
    await session.refresh(lead)
    return lead


def _transition(lead: Lead, to: str) -> None:
    if to not in LEAD_FLOW.get(lead.status, ()):
        raise InvalidInput.one(
            "input.id",
            "INVALID_TRANSITION",
            f"A {lead.status.lower()} lead cannot become {to.lower()}",
        )


async def update_lead(
    session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID, fields: LeadFields
) -> Lead:
    """Edits an open lead; `status` may only move NEW -> CONTACTED here."""
    lead = await _get(session, Lead, tenant, lead_id)
    if lead.status not in LEAD_FLOW:
        raise InvalidInput.one("input.id", "LEAD_CLOSED", f"The lead is {lead.status.lower()}")
    values = await _lead_values(session, tenant, fields, creating=False)
    if values.get("status", lead.status) != lead.status:
        _transition(lead, values["status"])
    for key, value in values.items():
        setattr(lead, key, value)
    await session.flush()
    await session.refresh(lead)
    return lead


async def qualify_lead(session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID) -> Lead:
    lead = await _get(session, Lead, tenant, lead_id)
    _transition(lead, "QUALIFIED")
    lead.status = "QUALIFIED"
    await session.flush()
    await session.refresh(lead)
    return lead


async def lose_lead(
    session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID, reason: str
) -> Lead:
    lead = await _get(session, Lead, tenant, lead_id)
    c = Checks()
    reason = c.text("input.reason", reason, limit=1000)
    c.raise_any()
    _transition(lead, "LOST")
    lead.status, lead.lost_reason = "LOST", reason
    await session.flush()
    await session.refresh(lead)
    return lead


@dataclass(frozen=True, slots=True)
class Conversion:
    lead: Lead
    customer: Customer
    contact: Contact
    deal: Deal


async def convert_lead(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    lead_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
    deal_title: str | None = None,
    amount: Decimal | None = None,
) -> Conversion:
    """A qualified lead becomes a contact and a deal of a new or an existing customer.
    Every step validates before it writes, and the caller's unit of work is all-or-nothing."""
    lead = await _get(session, Lead, tenant, lead_id)
    if lead.status != "QUALIFIED":
        raise InvalidInput.one(
            "input.leadId", "NOT_QUALIFIED", "Only a qualified lead can be converted"
        )
    c = Checks()
    c.money("input.amount", amount)
    if deal_title is not None:
        c.text("input.dealTitle", deal_title)
    if customer_id is not None:
        await _active_customer(session, tenant, c, customer_id, "input.customerId")
    c.raise_any()
    if customer_id is None:
        customer = await create_customer(
            session,
            tenant,
            fields=CustomerFields(
                name=lead.company_name or lead.name,
                kind="COMPANY" if lead.company_name else "INDIVIDUAL",
                email=lead.email,
                phone=lead.phone,
                owner_id=lead.owner_id,
            ),
            actor=actor,
        )
    else:
        customer = await _get(session, Customer, tenant, customer_id)
    contact = await create_contact(
        session,
        tenant,
        customer_id=customer.id,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        is_primary=customer_id is None,
    )
    deal = await create_deal(
        session,
        tenant,
        actor=actor,
        customer_id=customer.id,
        title=deal_title or f"{customer.name}: {lead.name}",
        amount=amount or Decimal(0),
        owner_id=lead.owner_id,
    )
    lead.status, lead.customer_id, lead.deal_id = "CONVERTED", customer.id, deal.id
    lead.converted_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await session.refresh(lead)
    await emit(
        session,
        tenant,
        type="lead.converted",
        aggregate_type="Lead",
        aggregate_id=lead.id,
        payload={
            "customerId": str(customer.id),
            "contactId": str(contact.id),
            "dealId": str(deal.id),
        },
    )
    return Conversion(lead, customer, contact, deal)


async def leads_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Lead]:
    rows = await session.scalars(select(Lead).where(Lead.tenant_id == tenant, Lead.id.in_(ids)))
    return _by_id(rows.all())


@dataclass(frozen=True, slots=True)
class LeadFilter:
    search: str | None = None
    status: str | None = None
    source: str | None = None
    owner_id: uuid.UUID | None = None


LEAD_ORDER = {"CREATED_AT": Lead.created_at, "NAME": Lead.name}


async def list_leads(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: LeadFilter,
    order_by: str = "CREATED_AT",
    descending: bool = True,
    first: int | None,
    after: str | None,
) -> Page[Lead]:
    stmt: Select[Any] = select(Lead).where(Lead.tenant_id == tenant)
    if filter.search and filter.search.strip():
        p = f"%{filter.search.strip()}%"
        stmt = stmt.where(or_(Lead.name.ilike(p), Lead.email.ilike(p), Lead.company_name.ilike(p)))
    for column, value in (
        (Lead.status, filter.status),
        (Lead.source, filter.source),
        (Lead.owner_id, filter.owner_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    attr = {"CREATED_AT": "created_at", "NAME": "name"}[order_by]
    return await paginate(
        session,
        stmt,
        keys=[_key(LEAD_ORDER[order_by], descending), _key(Lead.id, descending)],
        key_of=lambda r: (getattr(r, attr), r.id),
        first=first,
        after=after,
    )


# --- activities ---------------------------------------------------------------------


@dataclass(slots=True)
class ActivityLinks:
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None


async def create_activity(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    type: str,
    subject: str,
    notes: str = "",
    due_at: dt.datetime | None = None,
    links: ActivityLinks,
) -> Activity:
    c = Checks()
    c.choice("input.type", type, ACTIVITY_TYPES)
    subject = c.text("input.subject", subject)
    linked = {
        "customerId": (Customer, links.customer_id),
        "contactId": (Contact, links.contact_id),
        "leadId": (Lead, links.lead_id),
        "dealId": (Deal, links.deal_id),
    }
    if all(v is None for _, v in linked.values()):
        c.add("input", "LINK_REQUIRED", "Link the activity to a customer, contact, lead or deal")
    for name, (model, value) in linked.items():
        if value is not None:
            row = await session.get(model, (tenant, value))
            if row is None:
                c.add(f"input.{name}", "NOT_FOUND", "Nothing with this id")
            elif isinstance(row, Customer) and row.status == ARCHIVED:
                c.add(f"input.{name}", "ARCHIVED", "The customer is archived")
    c.raise_any()
    activity = Activity(
        tenant_id=tenant,
        type=type,
        subject=subject,
        notes=notes,
        due_at=due_at,
        customer_id=links.customer_id,
        contact_id=links.contact_id,
        lead_id=links.lead_id,
        deal_id=links.deal_id,
        owner_id=actor,
    )
    session.add(activity)
    await session.flush()
    await session.refresh(activity)
    return activity


async def complete_activity(
    session: AsyncSession, tenant: TenantId, *, activity_id: uuid.UUID
) -> Activity:
    activity = await _get(session, Activity, tenant, activity_id)
    if activity.done:
        raise InvalidInput.one("input.id", "ALREADY_DONE", "The activity is already done")
    activity.done, activity.done_at = True, dt.datetime.now(dt.UTC)
    await session.flush()
    await session.refresh(activity)
    return activity


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    overdue: bool | None = None
    done: bool | None = None
    type: str | None = None
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None


def overdue_condition() -> Any:
    return (Activity.done.is_(False)) & (Activity.due_at < func.now())


async def list_activities(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: ActivityFilter,
    first: int | None,
    after: str | None,
) -> Page[Activity]:
    """`overdue`: not done and due before now."""
    stmt: Select[Any] = select(Activity).where(Activity.tenant_id == tenant)
    if filter.overdue is not None:
        cond = overdue_condition()
        stmt = stmt.where(cond if filter.overdue else ~cond | Activity.due_at.is_(None))
    for column, value in (
        (Activity.done, filter.done),
        (Activity.type, filter.type),
        (Activity.customer_id, filter.customer_id),
        (Activity.contact_id, filter.contact_id),
        (Activity.deal_id, filter.deal_id),
        (Activity.lead_id, filter.lead_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return await paginate(
        session,
        stmt,
        keys=[_key(Activity.created_at), _key(Activity.id)],
        key_of=lambda r: (r.created_at, r.id),
        first=first,
        after=after,
    )
