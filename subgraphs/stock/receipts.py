"""Receipts without a purchase order (`receiveStock`): goods arriving from a supplier at
the cost the user states, posted as done moves SUPPLIER -> the warehouse's STOCK location
(or INPUT, or QUALITY for goods to inspect first) through `operations.receive`, the same
service purchases' receipts call, so each product's moving-average cost absorbs them. A
`Receipt` row is the document behind the moves."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import not_found
from shared.validation import Checks
from subgraphs.stock import operations
from subgraphs.stock.ledger import DocumentRef, SupplyLine
from subgraphs.stock.models import LocationKind, Receipt
from subgraphs.stock.reads import receipt
from subgraphs.stock.warehouses import location_of_kind

SOURCE_TYPE = "StockReceipt"
"""The moves' `source_type`; their `source_id` is the receipt's id."""

MAX_LINES = 500
RECEIVING_KINDS = (LocationKind.STOCK, LocationKind.INPUT, LocationKind.QUALITY)
"""Where goods may arrive: OUTPUT is for goods leaving, SCRAP is not a place to buy for."""


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    product_id: uuid.UUID
    quantity: Decimal
    unit_cost: Decimal
    """In the base currency, per unit of the product's unit of measure."""


async def receive_stock(
    session: AsyncSession,
    tenant: TenantId,
    *,
    warehouse_id: uuid.UUID,
    reference: str,
    lines: Sequence[ReceiptLine],
    location_kind: LocationKind = LocationKind.STOCK,
    actor: uuid.UUID | None = None,
) -> Receipt:
    """Post the lines into the warehouse's location of `location_kind` (one of
    `RECEIVING_KINDS`), all or none. Problems name `warehouseId`, `reference`,
    `locationKind` and `lines.{i}.productId|quantity|unitCost`."""
    checks = Checks()
    reference = checks.text("reference", reference, limit=100)
    checks.choice("locationKind", location_kind, list(RECEIVING_KINDS))
    if not lines:
        checks.add("lines", Code.REQUIRED, "A receipt needs at least one line")
    elif len(lines) > MAX_LINES:
        checks.add("lines", Code.TOO_MANY, f"At most {MAX_LINES} lines")
    for i, line in enumerate(lines):
        checks.positive(f"lines.{i}.quantity", line.quantity)
        checks.non_negative(f"lines.{i}.unitCost", line.unit_cost)
    checks.raise_any()
    location = await location_of_kind(session, tenant, warehouse_id, location_kind)
    row = Receipt(
        tenant_id=tenant,
        id=uuid.uuid4(),
        warehouse_id=warehouse_id,
        reference=reference,
        done_by=actor,
    )
    # One savepoint: a refused line leaves no receipt behind, even for a caller that
    # catches the problem and carries on in the same transaction.
    async with session.begin_nested():
        session.add(row)
        await session.flush()
        await operations.receive(
            session,
            tenant,
            source=DocumentRef(SOURCE_TYPE, row.id),
            lines=[SupplyLine(ln.product_id, location, ln.quantity, ln.unit_cost) for ln in lines],
            actor=actor,
        )
    await session.refresh(row)
    return row


async def get_receipt(session: AsyncSession, tenant: TenantId, receipt_id: uuid.UUID) -> Receipt:
    """A stored receipt (the replay of an Idempotency-Key)."""
    found = await receipt(session, tenant, receipt_id)
    if found is None:
        raise not_found("id", "receipt")
    return found
