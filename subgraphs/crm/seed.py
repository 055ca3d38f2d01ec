"""CRM demo data for `nexo seed --demo`: customers with contacts, leads in every status and
deals across the pipeline. Deterministic (fixed seed) and idempotent (skips a tenant that
already has customers). Goes through the rules, so the demo obeys them too."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.crm import contacts, customers, deals, leads, pipeline
from subgraphs.crm.models import Customer, CustomerKind, LeadSource, LeadStatus
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
    created = []
    for i in range(CUSTOMERS):
        name = f"{rng.choice(_PREFIXES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)} {i + 1:02d}"
        slug = name.lower().replace(" ", "-").replace(".", "")
        customer = await customers.create_customer(
            session,
            tenant,
            actor=owner,
            fields=customers.CustomerFields(
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
        )
        created.append(customer)
        for j in range(rng.randint(1, 3)):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            await contacts.create_contact(
                session,
                tenant,
                customer_id=customer.id,
                name=f"{first} {last}",
                job_title=rng.choice(["Buyer", "CEO", "Head of Purchasing", "Accountant"]),
                email=f"{first.lower()}.{last.lower()}.{j}@{slug}.example",
                is_primary=j == 0,
            )
    for i in range(LEADS):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        lead = await leads.create_lead(
            session,
            tenant,
            actor=rng.choice(users),
            fields=leads.LeadFields(
                name=f"{first} {last}",
                company_name=f"{rng.choice(_PREFIXES)} {rng.choice(_TRADES)} Prospect {i + 1}",
                email=f"lead{i + 1}@prospects.example",
                source=rng.choice(list(LeadSource)),
            ),
        )
        fate = i % 5  # NEW, CONTACTED, QUALIFIED, LOST, CONVERTED
        if fate == 1:
            await leads.update_lead(
                session,
                tenant,
                lead_id=lead.id,
                fields=leads.LeadFields(status=LeadStatus.CONTACTED),
            )
        elif fate == 3:
            await leads.lose_lead(session, tenant, lead_id=lead.id, reason="Chose a competitor")
        elif fate in (2, 4):
            await leads.qualify_lead(session, tenant, lead_id=lead.id)
        if fate == 4:
            await leads.convert_lead(session, tenant, actor=owner, lead_id=lead.id)
    stages = await pipeline.ensure_stages(session, tenant)
    today = dt.date(2026, 11, 1)
    for i in range(DEALS):
        customer = created[i % len(created)]
        deal = await deals.create_deal(
            session,
            tenant,
            actor=rng.choice(users),
            customer_id=customer.id,
            title=f"{rng.choice(['Framework contract', 'Spare parts', 'Pilot order'])} {i + 1}",
            amount=Decimal(rng.randrange(2_000, 120_000, 500)),
            currency=customer.currency,
            expected_close_date=today + dt.timedelta(days=rng.randint(7, 120)),
        )
        target = stages[i % len(stages)]
        if target.id != deal.stage_id:
            await deals.move_deal(session, tenant, actor=owner, deal_id=deal.id, stage_id=target.id)
        if i % 6 == 4:
            await deals.close_deal(session, tenant, actor=owner, deal_id=deal.id, won=True)
        elif i % 6 == 5:
            await deals.close_deal(
                session, tenant, actor=owner, deal_id=deal.id, won=False, reason="Budget cut"
            )
