"""Bill-of-materials arithmetic on an in-memory graph of active BOMs: the one-level
explosion a production order reserves, the flattened multi-level requirement, and how
many of a product the available components allow. No database here (see reads.py).

Multi-level requirements are netted the MRP way: products are visited in low-level-code
order (the deepest level a product appears at), so every demand on a sub-assembly is
known before it is netted against its available quantity, and only the part that is not
available is exploded further. A kit (PHANTOM BOM) is never netted: wherever it is
needed, its components are needed instead.
"""

from __future__ import annotations

import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from subgraphs.production.models import HUNDRED, QUANTUM, ZERO, BomKind

MAX_BUILDABLE = Decimal(10**12)
"""Above this, a buildable quantity is reported as this bound."""


def q4_up(value: Decimal) -> Decimal:
    """Round up to numeric(18,4): a requirement is never understated."""
    return value.quantize(QUANTUM, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class Part:
    product_id: uuid.UUID
    quantity: Decimal
    scrap_percent: Decimal = ZERO

    def need(self, runs: Decimal) -> Decimal:
        """What `runs` runs of the BOM consume of this part, scrap included (unrounded)."""
        return runs * self.quantity * (HUNDRED + self.scrap_percent) / HUNDRED


@dataclass(frozen=True, slots=True)
class Node:
    """One bill of materials: `quantity` of `product_id` from its parts."""

    bom_id: uuid.UUID
    product_id: uuid.UUID
    kind: BomKind
    quantity: Decimal
    parts: tuple[Part, ...]


Graph = Mapping[uuid.UUID, Node]
"""product id -> its active BOM, for every product reachable from where a read began."""


class CycleError(Exception):
    def __init__(self, path: Sequence[uuid.UUID]) -> None:
        self.path = list(path)
        super().__init__(" -> ".join(map(str, path)))


def path_to(graph: Graph, start: uuid.UUID, target: uuid.UUID) -> list[uuid.UUID] | None:
    """The shortest chain of BOMs leading from `start` down to `target` (both included)."""
    came_from: dict[uuid.UUID, uuid.UUID | None] = {start: None}
    queue = deque([start])
    while queue:
        product = queue.popleft()
        if product == target:
            path = [product]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        node = graph.get(product)
        for part in node.parts if node else ():
            if part.product_id not in came_from:
                came_from[part.product_id] = product
                queue.append(part.product_id)
    return None


def _order(graph: Graph, top: uuid.UUID) -> list[uuid.UUID]:
    """Products below `top` (and `top` first) in low-level-code order: each after every
    product whose BOM contains it. Raises `CycleError` on a cycle."""
    post: list[uuid.UUID] = []
    state: dict[uuid.UUID, int] = {}  # 1: on the current path, 2: finished
    stack: list[uuid.UUID] = []

    def visit(product: uuid.UUID) -> None:
        mark = state.get(product)
        if mark == 2:
            return
        if mark == 1:
            raise CycleError([*stack[stack.index(product) :], product])
        state[product] = 1
        stack.append(product)
        node = graph.get(product)
        for part in node.parts if node else ():
            visit(part.product_id)
        stack.pop()
        state[product] = 2
        post.append(product)

    visit(top)
    return post[::-1]


def one_level(node: Node, graph: Graph, quantity: Decimal) -> list[tuple[uuid.UUID, Decimal]]:
    """What a production order of `quantity` takes from stock: the BOM's parts, with kits
    replaced by their components, merged per product in order of first appearance and
    rounded up to 4 places."""
    need: dict[uuid.UUID, Decimal] = {}

    def add(parts: Iterable[Part], runs: Decimal, depth: int) -> None:
        for part in parts:
            amount = part.need(runs)
            kit = graph.get(part.product_id)
            if kit is not None and kit.kind == BomKind.PHANTOM and depth < 64:
                add(kit.parts, amount / kit.quantity, depth + 1)
            else:
                need[part.product_id] = need.get(part.product_id, ZERO) + amount

    add(node.parts, quantity / node.quantity, 0)
    return [(p, q4_up(q)) for p, q in need.items()]


@dataclass(frozen=True, slots=True)
class Requirement:
    """One product of a flattened multi-level requirement."""

    product_id: uuid.UUID
    level: int
    quantity: Decimal
    available: Decimal
    manufactured: bool

    @property
    def shortfall(self) -> Decimal:
        return max(self.quantity - self.available, ZERO)


def requirements(
    graph: Graph,
    product_id: uuid.UUID,
    quantity: Decimal,
    available: Mapping[uuid.UUID, Decimal],
) -> list[Requirement]:
    """The net requirement of making `quantity` of `product_id` through every level: for
    each product needed (kits replaced by their components), how much, how much is
    available, and whether it is made here (then only its shortfall is exploded)."""
    return _explode(graph, product_id, quantity, available, _order(graph, product_id))


def _explode(
    graph: Graph,
    top: uuid.UUID,
    quantity: Decimal,
    available: Mapping[uuid.UUID, Decimal],
    order: Sequence[uuid.UUID],
) -> list[Requirement]:
    demand: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    demand[top] = quantity
    level: dict[uuid.UUID, int] = {top: 0}
    rank: dict[uuid.UUID, int] = {top: 0}  # first appearance, parts in BOM order
    result: list[Requirement] = []
    for product in order:
        wanted = demand.get(product, ZERO)
        if wanted <= 0 and product != top:
            continue  # only reached through sub-assemblies that are available
        node = graph.get(product)
        here = level.get(product, 0)
        if product == top or (node is not None and node.kind == BomKind.PHANTOM):
            make = wanted
        else:
            free = max(available.get(product, ZERO), ZERO)
            rounded = q4_up(wanted)
            result.append(Requirement(product, here, rounded, free, node is not None))
            make = max(wanted - free, ZERO) if node is not None else ZERO
        if node is None or make <= 0:
            continue
        runs = make / node.quantity
        for part in node.parts:
            demand[part.product_id] += part.need(runs)
            level[part.product_id] = max(level.get(part.product_id, 0), here + 1)
            rank.setdefault(part.product_id, len(rank))
    return sorted(result, key=lambda r: (r.level, rank[r.product_id]))


def buildable(
    graph: Graph, product_id: uuid.UUID, available: Mapping[uuid.UUID, Decimal]
) -> Decimal | None:
    """How many whole units of `product_id` the available components allow, making
    sub-assemblies from their own components where they are short; None when the product
    has no BOM. The requirement grows with the quantity, so a binary search finds it."""
    if product_id not in graph:
        return None
    order = _order(graph, product_id)

    def feasible(n: Decimal) -> bool:
        return all(
            r.shortfall == 0 or r.manufactured
            for r in _explode(graph, product_id, n, available, order)
        )

    low, high = ZERO, Decimal(1)
    while feasible(high):
        low, high = high, high * 2
        if high > MAX_BUILDABLE:
            return MAX_BUILDABLE
    while high - low > 1:
        mid = (low + high) // 2
        if feasible(mid):
            low = mid
        else:
            high = mid
    return low
