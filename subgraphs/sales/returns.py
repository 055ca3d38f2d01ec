"""Returns: goods back from the customer into the order's warehouse, and a credit note
for whatever of them was invoiced (see `invoicing.py` for the invoiced quantities).

Where the goods go is decided by their condition (`RETURN_KIND`): RESELLABLE back into
STOCK, INSPECT into QUALITY (on hand, not available until released), DAMAGED into SCRAP
(written off). The default is INSPECT: goods nobody looked at do not re-enter sellable
stock ("bent in transit" must be caught before the next customer gets it)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.sales.deliveries import LineQuantity, line_quantities
from subgraphs.sales.events import SalesEvent
from subgraphs.sales.invoicing import post, refresh_invoice_status
from subgraphs.sales.models import (
    Invoice,
    InvoiceKind,
    ReturnCondition,
    SalesReturn,
    SalesReturnLine,
)
from subgraphs.sales.orders import get_order, is_stockable, onto_lines, order_lines, today
from subgraphs.stock import api as stock

REASON_LIMIT = 2000

RETURN_KIND = {
    ReturnCondition.RESELLABLE: stock.LocationKind.STOCK,
    ReturnCondition.INSPECT: stock.LocationKind.QUALITY,
    ReturnCondition.DAMAGED: stock.LocationKind.SCRAP,
}
"""The warehouse location returned goods enter, by their condition."""


async def return_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    lines: Sequence[LineQuantity],
    reason: str,
    condition: ReturnCondition = ReturnCondition.INSPECT,
    on: dt.date | None = None,
    actor: uuid.UUID | None = None,
) -> tuple[SalesReturn, Invoice | None]:
    """Take goods back into the order's warehouse, into the location their `condition`
    says (module docstring), and credit what was invoiced for them.

    Never more than was delivered (net of earlier returns). Returned goods re-enter stock
    at the product's current average cost, so the return does not revalue stock.
    """
    order = await get_order(session, tenant, order_id, lock=True)
    all_lines = await order_lines(session, tenant, order.id)
    by_id = {ln.id: ln for ln in all_lines}
    remaining = {ln.id: ln.delivered_qty - ln.returned_qty for ln in all_lines}
    checks = Checks()
    reason = checks.text("reason", reason, limit=REASON_LIMIT)
    if not lines:
        checks.add("lines", Code.REQUIRED, "Name at least one line")
    wanted = line_quantities(
        lines,
        by_id,
        remaining,
        exceeded=(Code.RETURN_EXCEEDS_DELIVERED, "delivered and not yet returned"),
        stockable_only=False,
        checks=checks,
    )
    checks.raise_any()
    ret = SalesReturn(tenant_id=tenant, id=uuid.uuid4(), order_id=order.id, reason=reason)
    session.add(ret)
    await session.flush()
    named = list(wanted)  # in the order of the argument `lines`, each once
    goods = {k: v for k, v in wanted.items() if is_stockable(by_id[k])}
    if goods:
        location = await stock.location_of_kind(
            session, tenant, order.warehouse_id, RETURN_KIND[ReturnCondition(condition)]
        )
        products = await stock.products_by_id(
            session, tenant, list({by_id[k].product_id for k in goods})
        )
        try:
            await stock.return_from_customer(
                session,
                tenant,
                source=stock.DocumentRef("SalesReturn", ret.id),
                lines=[
                    stock.SupplyLine(
                        by_id[k].product_id, location, q, products[by_id[k].product_id].cost
                    )
                    for k, q in goods.items()
                ],
                actor=actor,
            )
        except InvalidInput as exc:
            raise onto_lines(exc, [named.index(k) for k in goods], "orderId") from None
    credit: dict[uuid.UUID, Decimal] = {}
    for line_id, quantity in wanted.items():
        ln = by_id[line_id]
        ln.returned_qty += quantity
        kept = ln.delivered_qty - ln.returned_qty
        if ln.invoiced_qty > kept:
            credit[line_id] = ln.invoiced_qty - kept
            ln.invoiced_qty = kept
    session.add_all(
        SalesReturnLine(
            tenant_id=tenant,
            id=uuid.uuid4(),
            return_id=ret.id,
            order_line_id=k,
            quantity=q,
            condition=condition,
        )
        for k, q in wanted.items()
    )
    credit_note = None
    if credit:
        credit_note = await post(
            session,
            tenant,
            order,
            credit,
            all_lines,
            kind=InvoiceKind.CREDIT_NOTE,
            on=on or today(),
            reason=reason,
        )
        ret.credit_note_id = credit_note.id
    await refresh_invoice_status(session, tenant, order, all_lines)
    await session.flush()
    await emit(
        session,
        tenant,
        type=SalesEvent.ORDER_RETURNED,
        aggregate_type="SalesOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "returnId": str(ret.id),
            "creditNoteId": str(credit_note.id) if credit_note else None,
            "condition": str(condition),
            "lines": [{"lineId": str(k), "quantity": str(v)} for k, v in wanted.items()],
        },
    )
    return ret, credit_note


async def get_return(
    session: AsyncSession, tenant: TenantId, return_id: uuid.UUID
) -> tuple[SalesReturn, Invoice | None]:
    """A return with its credit note (None when nothing returned was invoiced);
    NOT_FOUND at `returnId`."""
    ret = await session.scalar(
        select(SalesReturn).where(SalesReturn.tenant_id == tenant, SalesReturn.id == return_id)
    )
    if ret is None:
        raise not_found("returnId", "return")
    credit_note = None
    if ret.credit_note_id is not None:
        credit_note = await session.scalar(
            select(Invoice).where(Invoice.tenant_id == tenant, Invoice.id == ret.credit_note_id)
        )
    return ret, credit_note
