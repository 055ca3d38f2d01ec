"""The outbox events production emits (`shared.outbox.emit`), for notifications and any
other consumer. Payload values are strings (ids, decimals) as JSON carries them."""

from __future__ import annotations

from enum import StrEnum


class ProductionEvent(StrEnum):
    CONFIRMED = "production.confirmed"
    """A production order was confirmed and its components reserved. Payload: `orderId`,
    `number`, `productId`, `quantity`, `dueDate` (or null), `shortage` (true when
    confirmed with less reserved than needed), `childOrderIds`."""

    DONE = "production.done"
    """A production order was completed. Payload: `orderId`, `number`, `productId`,
    `producedQuantity`, `scrapQuantity`, `unitCost`, `backorderId` (or null)."""

    QUALITY_FAILED = "quality.failed"
    """A quality check failed. Payload: `checkId`, `orderId`, `number`, `templateId`,
    `template` (its name), `required` (true when the order is now blocked),
    `measuredValue` (or null), `note`."""


AGGREGATE = "ProductionOrder"
