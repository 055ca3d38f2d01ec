"""CRM demo data for `nexo seed --demo`: customers with contacts, leads in every status and
deals across the pipeline. Deterministic (fixed seed) and idempotent (skips a tenant that
already has customers). Goes through the rules, so the demo obeys them too: customers
are checked by `customers`' own validation and, with their contacts and `customer.created`
events, written in one INSERT per table, as are the leads (checked and moved along their
flow by `leads`' rules) and the deals with their stage history; lead conversions go
through `leads`."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.outbox import OutboxEvent
from shared.validation import Checks
from subgraphs.crm import customers, leads, pipeline
from subgraphs.crm.events import CrmEvent
from subgraphs.crm.models import (
    Contact,
    Customer,
    CustomerKind,
    Deal,
    DealStageChange,
    DealStatus,
    Lead,
    LeadSource,
    LeadStatus,
)
from subgraphs.identity import api as identity

CUSTOMERS = 40
LEADS = 60
DEALS = 30

_PREFIXES = ["Nord", "Süd", "Alpen", "Rhein", "Baltic", "Iberia", "Atlas", "Delta", "Vega", "Orion"]
_TRADES = [
    "Metallbau",
    "Plastics",
    "Tooling",
    "Logistics",
    "Foods",
    "Textiles",
    "Electronics",
    "Wood",
]
_FORMS = ["GmbH", "Ltd", "S.A.", "B.V.", "AG", "S.r.l."]
_FIRST = ["Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas"]
_LAST = ["Keller", "Lopez", "Meyer", "Novak", "Olsen", "Petit", "Quinn", "Rossi", "Schmidt"]
_CURRENCIES = ["EUR", "EUR", "EUR", "USD", "GBP"]
_TAGS = ["key-account", "export", "wholesale", "retail", "new"]


async def seed_demo(session: AsyncSession, tenant: TenantId) -> None:
    if await session.scalar(select(func.count()).select_from(Customer)):
        return
    rng = random.Random(42)
    page = await identity.list_users(
        session, tenant, filter=identity.UserFilter(active=True), first=100, after=None
    )
    users = sorted(u.id for u in page.rows)
    owner = users[0]
    created: list[Customer] = []
    people: list[Contact] = []
    for i in range(CUSTOMERS):
        name = f"{rng.choice(_PREFIXES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)} {i + 1:02d}"
        slug = name.lower().replace(" ", "-").replace(".", "")
        # Checked by the service's own rules (`customers._validate`), written below in bulk.
        values = await customers._validate(
            session,
            tenant,
            customers.CustomerFields(
                name=name,
                kind=CustomerKind.COMPANY,
                tax_id=f"DE{100000000 + i * 7919}",
                email=f"orders@{slug}.example",
                phone=f"+49 30 {rng.randint(1000000, 9999999)}",
                tags=sorted(set(rng.sample(_TAGS, rng.randint(0, 2)))),
                owner_id=rng.choice(users),
                currency=rng.choice(_CURRENCIES),
                payment_terms_days=rng.choice([14, 30, 30, 60]),
                credit_limit=Decimal(rng.choice([5000, 10000, 25000, 50000])),
            ),
            creating=True,
        )
        values.setdefault("owner_id", owner)
        customer = Customer(tenant_id=tenant, id=uuid.uuid4(), **values)
        created.append(customer)
        for j in range(rng.randint(1, 3)):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            # As `contacts.create_contact` makes one (the first is the primary contact).
            checks = Checks()
            people.append(
                Contact(
                    tenant_id=tenant,
                    id=uuid.uuid4(),
                    customer_id=customer.id,
                    name=checks.text("name", f"{first} {last}"),
                    job_title=checks.optional(
                        "jobTitle", rng.choice(["Buyer", "CEO", "Head of Purchasing", "Accountant"])
                    ),
                    email=checks.email(
                        "email", f"{first.lower()}.{last.lower()}.{j}@{slug}.example"
                    ),
                    phone=None,
                    is_primary=j == 0,
                )
            )
            checks.raise_any()
    session.add_all(created)
    await session.flush()
    session.add_all(people)
    await session.execute(
        insert(OutboxEvent).execution_options(render_nulls=True),
        [
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "type": CrmEvent.CUSTOMER_CREATED,
                "aggregate_type": "Customer",
                "aggregate_id": c.id,
                "payload": {
                    "name": c.name,
                    "email": c.email,
                    "ownerId": str(c.owner_id) if c.owner_id else None,
                },
            }
            for c in created
        ],
    )
    await session.flush()
    # Leads checked by `leads`' own rules and moved along its flow in memory, written in
    # one INSERT; only the conversions (a customer, contact and deal each) go through it.
    prospects: list[Lead] = []
    for i in range(LEADS):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        actor = rng.choice(users)
        values = await leads._values(
            session,
            tenant,
            leads.LeadFields(
                name=f"{first} {last}",
                company_name=f"{rng.choice(_PREFIXES)} {rng.choice(_TRADES)} Prospect {i + 1}",
                email=f"lead{i + 1}@prospects.example",
                source=rng.choice(list(LeadSource)),
            ),
            creating=True,
        )
        lead = Lead(tenant_id=tenant, id=uuid.uuid4(), status=LeadStatus.NEW, **values)
        lead.owner_id = lead.owner_id or actor
        fate = i % 5  # NEW, CONTACTED, QUALIFIED, LOST, CONVERTED
        flow = {1: LeadStatus.CONTACTED, 2: LeadStatus.QUALIFIED, 3: LeadStatus.LOST}
        status = flow.get(fate, LeadStatus.QUALIFIED if fate == 4 else None)
        if status is not None:
            leads._transition(lead, status)
            lead.status = status
        if fate == 3:
            lead.lost_reason = "Chose a competitor"
        prospects.append(lead)
    session.add_all(prospects)
    await session.flush()
    for i, lead in enumerate(prospects):
        if i % 5 == 4:
            await leads.convert_lead(session, tenant, actor=owner, lead_id=lead.id)
    stages = await pipeline.ensure_stages(session, tenant)
    today = dt.date(2026, 11, 1)
    # Deals as `deals` creates, moves and closes them, with their stage history and the
    # won/lost events, written in one INSERT per table.
    pipeline_deals: list[Deal] = []
    history: list[DealStageChange] = []
    closed: list[dict[str, object]] = []
    for i in range(DEALS):
        customer = created[i % len(created)]
        actor = rng.choice(users)
        checks = Checks()
        title = checks.text(
            "title", f"{rng.choice(['Framework contract', 'Spare parts', 'Pilot order'])} {i + 1}"
        )
        amount = checks.amount("amount", Decimal(rng.randrange(2_000, 120_000, 500)))
        checks.raise_any()
        assert amount is not None
        deal = Deal(
            tenant_id=tenant,
            id=uuid.uuid4(),
            customer_id=customer.id,
            title=title,
            amount=amount,
            currency=customer.currency,
            stage_id=stages[0].id,
            probability=stages[0].probability,
            expected_close_date=today + dt.timedelta(days=rng.randint(7, 120)),
            owner_id=actor,
            status=DealStatus.OPEN,
        )
        pipeline_deals.append(deal)
        history.append(_change(tenant, deal, None, actor))
        target = stages[i % len(stages)]
        if target.id != deal.stage_id:
            previous = deal.stage_id
            deal.stage_id, deal.probability = target.id, target.probability
            history.append(_change(tenant, deal, previous, owner))
        if i % 6 in (4, 5):
            won = i % 6 == 4
            deal.status = DealStatus.WON if won else DealStatus.LOST
            deal.probability = 100 if won else 0
            deal.lost_reason = None if won else "Budget cut"
            deal.closed_at = dt.datetime.now(dt.UTC)
            history.append(_change(tenant, deal, deal.stage_id, owner))
            closed.append(
                {
                    "tenant_id": tenant,
                    "id": uuid.uuid4(),
                    "type": CrmEvent.DEAL_WON if won else CrmEvent.DEAL_LOST,
                    "aggregate_type": "Deal",
                    "aggregate_id": deal.id,
                    "payload": {
                        "customerId": str(deal.customer_id),
                        "amount": str(deal.amount),
                        "currency": deal.currency,
                        "reason": deal.lost_reason,
                    },
                }
            )
    session.add_all(pipeline_deals)
    await session.flush()
    session.add_all(history)
    await session.flush()
    if closed:
        await session.execute(insert(OutboxEvent).execution_options(render_nulls=True), closed)


def _change(
    tenant: TenantId, deal: Deal, from_stage: uuid.UUID | None, actor: uuid.UUID
) -> DealStageChange:
    """A row of the deal's stage history, as `deals` records each step."""
    return DealStageChange(
        tenant_id=tenant,
        id=uuid.uuid4(),
        deal_id=deal.id,
        from_stage_id=from_stage,
        to_stage_id=deal.stage_id,
        status=deal.status,
        changed_by=actor,
    )
