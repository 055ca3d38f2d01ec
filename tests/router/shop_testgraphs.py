"""Three small subgraphs shaped like NEXO's graph, for the operation-limit tests.

crm    owns Customer and Contact; `customers(first)` is a Relay connection, and
       `contacts { customer { contacts ... } }` nests without end; `login` is a mutation
sales  extends Customer with `orders(first)` (a connection of SalesOrder, whose
       `customer` leads back: `customers -> orders -> customer -> orders ...`)
stock  owns Product (`stock { available onHand }`), `products(first)`, and
       `productionOrders(filter, first)` with `components` (DESIGN's headline query)

Every subgraph answers from generated data, so any nesting has something to return;
`supergraph()` composes them and `counting_transports()` counts the requests each gets.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import strawberry
from router_harness import strawberry_executor, subgraph_sdl

from router.compose import compose
from router.transport import InProcessTransport, Transport

FEDERATION_VERSION = "2.7"
CUSTOMERS = 200


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


# --- crm -----------------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class Customer:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        return f"Customer {self.id}"

    @strawberry.field
    def contacts(self) -> list[Contact]:
        return [Contact(id=strawberry.ID(f"{self.id}-{i}"), customer_id=self.id) for i in (1, 2)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Customer:
        return Customer(id=id)


@strawberry.type
class Contact:
    id: strawberry.ID
    customer_id: strawberry.Private[str]

    @strawberry.field
    def name(self) -> str:
        return f"Contact {self.id}"

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=strawberry.ID(self.customer_id))


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


def page(first: int | None, total: int) -> range:
    return range(1, min(first if first is not None else 20, total) + 1)


@strawberry.type
class CrmQuery:
    @strawberry.field
    def customers(self, first: int | None = None, after: str | None = None) -> CustomerConnection:
        edges = [
            CustomerEdge(cursor=str(i), node=Customer(id=strawberry.ID(str(i))))
            for i in page(first, CUSTOMERS)
        ]
        return CustomerConnection(
            edges=edges, page_info=PageInfo(has_next_page=True, end_cursor=None), total_count=200
        )


@strawberry.type(name="Mutation")
class CrmMutation:
    @strawberry.mutation
    def login(self, email: str, password: str) -> str | None:
        return None


crm_schema = strawberry.federation.Schema(
    query=CrmQuery, mutation=CrmMutation, federation_version=FEDERATION_VERSION
)


# --- sales ---------------------------------------------------------------------


@strawberry.enum
class OrderStatus(enum.Enum):
    DRAFT = "DRAFT"
    CONFIRMED = "CONFIRMED"


@strawberry.type
class Money:
    amount: str
    currency: str


@strawberry.federation.type(name="Product", keys=["id"])
class SalesProduct:
    id: strawberry.ID


@strawberry.type
class SalesOrderLine:
    quantity: int
    product: SalesProduct


@strawberry.federation.type(name="Customer", keys=["id"])
class SalesCustomer:
    id: strawberry.ID

    @strawberry.field
    def orders(self, first: int | None = None, after: str | None = None) -> SalesOrderConnection:
        edges = [
            SalesOrderEdge(
                cursor=str(i),
                node=SalesOrder(id=strawberry.ID(f"{self.id}.{i}"), customer_id=self.id),
            )
            for i in page(first, 50)
        ]
        return SalesOrderConnection(
            edges=edges, page_info=PageInfo(has_next_page=True, end_cursor=None), total_count=50
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> SalesCustomer:
        return SalesCustomer(id=id)


@strawberry.type
class SalesOrder:
    id: strawberry.ID
    customer_id: strawberry.Private[str]

    @strawberry.field
    def number(self) -> str:
        return f"SO-{self.id}"

    @strawberry.field
    def status(self) -> OrderStatus:
        return OrderStatus.CONFIRMED

    @strawberry.field
    def total(self) -> Money:
        return Money(amount="10.00", currency="EUR")

    @strawberry.field
    def lines(self) -> list[SalesOrderLine]:
        return [
            SalesOrderLine(quantity=q, product=SalesProduct(id=strawberry.ID(str(q))))
            for q in (1, 2)
        ]

    @strawberry.field
    def customer(self) -> SalesCustomer:
        return SalesCustomer(id=strawberry.ID(self.customer_id))


@strawberry.type
class SalesOrderEdge:
    cursor: str
    node: SalesOrder


@strawberry.type
class SalesOrderConnection:
    edges: list[SalesOrderEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class SalesQuery:
    @strawberry.field
    def order_count(self) -> int:
        return 0


sales_schema = strawberry.federation.Schema(
    query=SalesQuery, types=[SalesCustomer], federation_version=FEDERATION_VERSION
)


# --- stock ---------------------------------------------------------------------


@strawberry.type
class Stock:
    available: int
    on_hand: int


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID

    @strawberry.field
    def sku(self) -> str:
        return f"SKU-{self.id}"

    @strawberry.field
    def name(self) -> str:
        return f"Product {self.id}"

    @strawberry.field
    def stock(self) -> Stock:
        return Stock(available=5, on_hand=7)

    @strawberry.field
    def stock_levels(self) -> list[Stock]:
        return [Stock(available=i, on_hand=i) for i in range(3)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Product:
        return Product(id=id)


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    total_count: int


@strawberry.enum
class ProductionStatus(enum.Enum):
    PLANNED = "PLANNED"
    IN_PROGRESS = "IN_PROGRESS"


@strawberry.input
class ProductionOrderFilter:
    status: ProductionStatus | None = None


@strawberry.type
class Component:
    quantity: int
    product: Product


@strawberry.type
class ProductionOrder:
    id: strawberry.ID

    @strawberry.field
    def number(self) -> str:
        return f"PO-{self.id}"

    @strawberry.field
    def quantity(self) -> int:
        return 4

    @strawberry.field
    def product(self) -> Product:
        return Product(id=self.id)

    @strawberry.field
    def components(self) -> list[Component]:
        return [Component(quantity=2, product=Product(id=strawberry.ID(str(c)))) for c in (1, 2, 3)]


@strawberry.type
class ProductionOrderEdge:
    cursor: str
    node: ProductionOrder


@strawberry.type
class ProductionOrderConnection:
    edges: list[ProductionOrderEdge]
    total_count: int


@strawberry.type
class StockQuery:
    @strawberry.field
    def products(self, first: int | None = None) -> ProductConnection:
        edges = [
            ProductEdge(cursor=str(i), node=Product(id=strawberry.ID(str(i))))
            for i in page(first, 500)
        ]
        return ProductConnection(edges=edges, total_count=500)

    @strawberry.field
    def production_orders(
        self, filter: ProductionOrderFilter | None = None, first: int | None = None
    ) -> ProductionOrderConnection:
        edges = [
            ProductionOrderEdge(cursor=str(i), node=ProductionOrder(id=strawberry.ID(str(i))))
            for i in page(first, 40)
        ]
        return ProductionOrderConnection(edges=edges, total_count=40)


stock_schema = strawberry.federation.Schema(query=StockQuery, federation_version=FEDERATION_VERSION)

SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "crm": crm_schema,
    "sales": sales_schema,
    "stock": stock_schema,
}

HEADLINE = """
query Dashboard {
  customers(first: 5) { edges { node {
    name
    orders(first: 3) { edges { node { number status total { amount currency }
      lines { quantity product { sku name stock { available onHand } } } } } } } } }
  productionOrders(filter: {status: IN_PROGRESS}, first: 5) { edges { node {
    number quantity product { name }
    components { quantity product { sku stock { available } } } } } }
}
"""
"""DESIGN section 4's headline request, word for word."""


def supergraph() -> str:
    services = [
        {"name": name, "url": f"http://{name}.shop.test/graphql", "sdl": subgraph_sdl(schema)}
        for name, schema in SCHEMAS.items()
    ]
    return compose(services).supergraph_sdl


class Counting:
    """A transport that counts (and can delay) the requests it passes on."""

    def __init__(self, wrapped: Transport, calls: list[str], name: str) -> None:
        self.wrapped, self.calls, self.name = wrapped, calls, name

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        self.calls.append(self.name)
        return await self.wrapped.fetch(request, headers)


def counting_transports(calls: list[str]) -> dict[str, Transport]:
    return {
        name: Counting(InProcessTransport(strawberry_executor(schema)), calls, name)
        for name, schema in SCHEMAS.items()
    }


def nested_orders(levels: int, first: int) -> str:
    """`customers -> orders -> customer -> orders ...` with `first` at each of `levels`
    list levels: first ** levels orders at the bottom."""
    inner = "id"
    for _ in range(levels - 1):
        inner = f"orders(first: {first}) {{ edges {{ node {{ customer {{ {inner} }} }} }} }}"
    return f"{{ customers(first: {first}) {{ edges {{ node {{ {inner} }} }} }} }}"


def nested_contacts(levels: int, first: int = 100) -> str:
    """`customers(first) { ... contacts { customer { contacts { ...` `levels` deep."""
    inner = "name"
    for _ in range(levels):
        inner = f"contacts {{ customer {{ {inner} }} }}"
    return f"{{ customers(first: {first}) {{ edges {{ node {{ {inner} }} }} }} }}"


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the previous one twice: 2 ** levels copies expanded."""
    frags = ["fragment F0 on Customer { id }"]
    for i in range(1, levels + 1):
        frags.append(
            f"fragment F{i} on Customer {{ ...F{i - 1} a{i}: contacts {{ id }} ...F{i - 1} }}"
        )
    spread = f"{{ customers(first: 1) {{ edges {{ node {{ ...F{levels} }} }} }} }}"
    return spread + "\n" + "\n".join(frags)
