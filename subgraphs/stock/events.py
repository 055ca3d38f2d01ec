"""The outbox events stock emits (written with `shared.outbox.emit` in the transaction of
the change). Payload values are strings: ids as UUIDs, quantities as decimals."""

from __future__ import annotations

from enum import StrEnum


class StockEvent(StrEnum):
    LOW = "stock.low"
    """A warehouse's available quantity of a product fell below its reorder rule's
    minimum; one per alert, raised again only after the alert resolved. Aggregate
    `Product`. Payload: `alertId`, `productId`, `warehouseId`, `available`,
    `minQuantity`, `maxQuantity`."""

    CLAIM_RESERVED = "stock.claim_reserved"
    """Stock that arrived (or was freed) at a location was reserved to a demand's open
    claims (backorders), oldest first. Aggregate: the demand (e.g. `SalesOrder`). Payload:
    `demandType`, `demandId`, `lines` [{`demandLine`, `productId`, `locationId`,
    `reserved`, `stillClaimed`}]."""
