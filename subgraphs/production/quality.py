"""Quality control: check templates for a product or for an operation (pass/fail, or a
measurement within min and max), and recorded checks. A failed check of a required
template blocks its order (BLOCKED) until a passing re-check of that template; checks
keep who recorded them and when."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import batch, metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.production.events import AGGREGATE, ProductionEvent
from subgraphs.production.models import (
    BomOperation,
    CheckKind,
    OrderStatus,
    ProductionOrder,
    QualityCheck,
    QualityCheckTemplate,
    WorkOrder,
    q4,
)
from subgraphs.production.orders import lock_order
from subgraphs.stock import api as stock

MAX = Decimal("99999999999999.9999")
CHECKABLE = (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS, OrderStatus.BLOCKED)


async def create_template(
    session: AsyncSession,
    tenant: TenantId,
    *,
    name: str,
    kind: CheckKind,
    product_id: uuid.UUID | None = None,
    operation_id: uuid.UUID | None = None,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
    required: bool = True,
) -> QualityCheckTemplate:
    checks = Checks()
    name = checks.text("name", name)
    if (product_id is None) == (operation_id is None):
        checks.add("productId", Code.REQUIRED, "Give either a product or an operation")
    if kind == CheckKind.MEASUREMENT:
        for fld, value in (("minValue", min_value), ("maxValue", max_value)):
            if value is None:
                checks.add(fld, Code.REQUIRED, "A measurement needs a minimum and a maximum")
            else:
                checks.decimal_range(fld, value, -MAX, MAX)
                checks.precision(fld, value)
        if checks.ok and min_value is not None and max_value is not None and max_value < min_value:
            checks.add("maxValue", Code.INVALID_RANGE, "The maximum lies below the minimum")
    elif min_value is not None or max_value is not None:
        checks.add("minValue", Code.INVALID, "Only a measurement has bounds")
    if product_id is not None and await stock.product(session, tenant, product_id) is None:
        checks.add("productId", Code.NOT_FOUND, "No product with this id")
    if operation_id is not None and not (
        await batch.by_id(session, BomOperation, tenant, [operation_id])
    ):
        checks.add("operationId", Code.NOT_FOUND, "No operation with this id")
    checks.raise_any()
    row = QualityCheckTemplate(
        tenant_id=tenant,
        id=uuid.uuid4(),
        name=name,
        kind=kind,
        product_id=product_id,
        operation_id=operation_id,
        min_value=None if min_value is None else q4(min_value),
        max_value=None if max_value is None else q4(max_value),
        required=required,
    )
    session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True, slots=True)
class Recorded:
    check: QualityCheck
    order: ProductionOrder

    @property
    def id(self) -> uuid.UUID:
        return self.check.id


async def templates_for(
    session: AsyncSession, tenant: TenantId, order: ProductionOrder
) -> list[QualityCheckTemplate]:
    """The templates that apply to an order: its product's and its work orders'."""
    operations = select(WorkOrder.operation_id).where(
        WorkOrder.tenant_id == tenant, WorkOrder.order_id == order.id
    )
    rows = await session.scalars(
        select(QualityCheckTemplate)
        .where(
            QualityCheckTemplate.tenant_id == tenant,
            (QualityCheckTemplate.product_id == order.product_id)
            | QualityCheckTemplate.operation_id.in_(operations),
        )
        .order_by(QualityCheckTemplate.name, QualityCheckTemplate.id)
    )
    return list(rows.all())


async def record_check(
    session: AsyncSession,
    tenant: TenantId,
    *,
    production_order_id: uuid.UUID,
    template_id: uuid.UUID,
    passed: bool | None = None,
    measured_value: Decimal | None = None,
    note: str | None = None,
    actor: uuid.UUID | None = None,
) -> Recorded:
    """Record one check: `passed` for a pass/fail template, `measuredValue` for a
    measurement (it passes within the template's bounds)."""
    checks = Checks()
    cleaned = checks.optional("note", note, limit=2000)
    if measured_value is not None:
        checks.decimal_range("measuredValue", measured_value, -MAX, MAX)
        checks.precision("measuredValue", measured_value)
    checks.raise_any()
    order = await lock_order(session, tenant, production_order_id, "productionOrderId")
    template = (await batch.by_id(session, QualityCheckTemplate, tenant, [template_id])).get(
        template_id
    )
    if template is None:
        raise not_found("templateId", "quality check template")
    if order.status not in CHECKABLE:
        raise InvalidInput.one(
            "productionOrderId",
            Code.INVALID_STATE,
            f"A {order.status.lower()} order takes no quality checks",
        )
    applicable = {t.id for t in await templates_for(session, tenant, order)}
    if template.id not in applicable:
        raise InvalidInput.one("templateId", Code.INVALID, "The template is for another product")
    if template.kind == CheckKind.MEASUREMENT:
        if measured_value is None or passed is not None:
            raise InvalidInput.one(
                "measuredValue", Code.REQUIRED, "A measurement takes a measured value only"
            )
        assert template.min_value is not None
        assert template.max_value is not None
        ok = template.min_value <= measured_value <= template.max_value
    else:
        if passed is None or measured_value is not None:
            raise InvalidInput.one("passed", Code.REQUIRED, "A pass/fail check takes `passed` only")
        ok = passed
    check = QualityCheck(
        tenant_id=tenant,
        id=uuid.uuid4(),
        order_id=order.id,
        template_id=template.id,
        passed=ok,
        measured_value=None if measured_value is None else q4(measured_value),
        note=cleaned or "",
        checked_by=actor,
        checked_at=dt.datetime.now(dt.UTC),
    )
    session.add(check)
    await session.flush()
    if not ok:
        metrics.count(session, metrics.QUALITY_FAILED)
        if template.required and order.status != OrderStatus.BLOCKED:
            order.resume_status = order.status
            order.status = OrderStatus.BLOCKED
            metrics.count(session, metrics.PRODUCTION_TRANSITIONS, OrderStatus.BLOCKED.value)
        await emit(
            session,
            tenant,
            type=ProductionEvent.QUALITY_FAILED,
            aggregate_type=AGGREGATE,
            aggregate_id=order.id,
            payload={
                "checkId": str(check.id),
                "orderId": str(order.id),
                "number": order.number,
                "templateId": str(template.id),
                "template": template.name,
                "required": template.required,
                "measuredValue": None if measured_value is None else str(measured_value),
                "note": check.note,
            },
        )
    elif order.status == OrderStatus.BLOCKED and not await _failing(session, tenant, order):
        order.status = order.resume_status or OrderStatus.CONFIRMED
        order.resume_status = None
    await session.flush()
    return Recorded(check, order)


async def _failing(session: AsyncSession, tenant: TenantId, order: ProductionOrder) -> bool:
    """Whether a required template's latest check on the order failed."""
    rows = await session.execute(
        select(QualityCheck.template_id, QualityCheck.passed, QualityCheckTemplate.required)
        .join(
            QualityCheckTemplate,
            (QualityCheckTemplate.tenant_id == QualityCheck.tenant_id)
            & (QualityCheckTemplate.id == QualityCheck.template_id),
        )
        .where(QualityCheck.tenant_id == tenant, QualityCheck.order_id == order.id)
        .order_by(QualityCheck.checked_at, QualityCheck.id)
    )
    latest: dict[uuid.UUID, bool] = {}
    for template_id, passed, required in rows.all():
        if required:
            latest[template_id] = passed
    return not all(latest.values())


async def recorded(session: AsyncSession, tenant: TenantId, check_id: uuid.UUID) -> Recorded:
    """A recorded check with its order, as it is now (an Idempotency-Key replay)."""
    check = (await batch.by_id(session, QualityCheck, tenant, [check_id])).get(check_id)
    if check is None:
        raise not_found("id", "quality check")
    order = (await batch.by_id(session, ProductionOrder, tenant, [check.order_id]))[check.order_id]
    return Recorded(check, order)
