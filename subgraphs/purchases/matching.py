"""The three-way match of a vendor bill line: what was ordered, what was received and
what is billed (quantity and unit cost). Within the tenant's tolerance (a percentage)
the line matches; beyond it the bill is held, with one reason per difference."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class MatchLine:
    position: int
    ordered_qty: Decimal
    received_qty: Decimal
    billed_before: Decimal
    quantity: Decimal
    ordered_unit_cost: Decimal
    unit_cost: Decimal


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _beyond(value: Decimal, reference: Decimal, tolerance_percent: Decimal) -> bool:
    return value > reference * (HUNDRED + tolerance_percent) / HUNDRED


def mismatches(line: MatchLine, tolerance_percent: Decimal) -> list[str]:
    """Why the line does not match (empty when it does)."""
    reasons = []
    billed = line.billed_before + line.quantity
    if _beyond(billed, line.ordered_qty, tolerance_percent):
        reasons.append(f"Line {line.position}: {_n(billed)} billed, {_n(line.ordered_qty)} ordered")
    if _beyond(billed, line.received_qty, tolerance_percent):
        reasons.append(
            f"Line {line.position}: {_n(billed)} billed, {_n(line.received_qty)} received"
        )
    difference = abs(line.unit_cost - line.ordered_unit_cost)
    if difference > line.ordered_unit_cost * tolerance_percent / HUNDRED:
        reasons.append(
            f"Line {line.position}: unit cost {_n(line.unit_cost)} billed, "
            f"{_n(line.ordered_unit_cost)} ordered"
        )
    return reasons
