"""Five tiny federated subgraphs that together exercise every planner feature.

products  owns Product (keys `id` and `sku pkg`), the Media interface, the Search union
inventory extends Product: stock, price (@override from products), shippingEstimate
          (@requires weight), a shareable category; owns Warehouse
reviews   owns Review and Movie.director; Product.reviews; provides Product.name on
          Review.product; a resolvable:false User stub; the Account @interfaceObject
accounts  owns User and the Account entity interface (Admin, Member)
Mutations on accounts and reviews append to one shared log to prove their order.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Annotated, Any, NewType

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.schema.config import StrawberryConfig
from strawberry.schema_directive import Location

FEDERATION_VERSION = "2.7"  # Strawberry's default 2.11 is refused by the guild composer 0.27
MUTATION_LOG: list[str] = []

PRODUCTS = {
    "1": {"sku": "TBL", "pkg": "box", "name": "Table", "weight": 30, "price": 100, "cat": "FURN"},
    "2": {"sku": "CHR", "pkg": "box", "name": "Chair", "weight": 5, "price": 40, "cat": "FURN"},
    "3": {"sku": "LMP", "pkg": "bag", "name": "Lamp", "weight": 2, "price": 25, "cat": "LIGHT"},
}
REVIEWS = [
    {"id": "r1", "body": "Sturdy", "product": "1", "author": "u1", "stars": 5},
    {"id": "r2", "body": "Wobbly", "product": "2", "author": "u2", "stars": 2},
    {"id": "r3", "body": "Bright", "product": "3", "author": "u1", "stars": 4},
    {"id": "r4", "body": "Fine", "product": "1", "author": "u2", "stars": 3},
]
USERS = {"u1": ("Ada", "1"), "u2": ("Bob", "3")}


# --- products ---------------------------------------------------------------


@strawberry.enum
class Category(enum.Enum):
    FURN = "FURN"
    LIGHT = "LIGHT"


@strawberry.federation.schema_directive(
    locations=[Location.OBJECT],
    name="cacheControl",
    compose=True,
    import_url="https://nexo.dev/cache/v1.0",
)
class CacheControl:
    max_age: int


Date = NewType("Date", str)
DATE_SCALAR = strawberry.scalar(
    name="Date", description="An ISO-8601 calendar date", serialize=str, parse_value=str
)


@strawberry.input
class PriceFilter:
    min: int = 0
    max: int | None = None


@strawberry.federation.type(keys=["id", "sku pkg"], directives=[CacheControl(max_age=60)])
class Product:
    id: strawberry.ID
    sku: str
    pkg: str
    name: str = strawberry.federation.field(shareable=True, tags=["public"])
    weight: int
    price: int = strawberry.federation.field(description="moved to inventory")
    category: Category = strawberry.federation.field(shareable=True)
    internal_code: str = strawberry.federation.field(inaccessible=True, default="X")

    @classmethod
    def resolve_reference(cls, **rep: Any) -> Product | None:
        pid = rep.get("id") or next(
            (k for k, p in PRODUCTS.items() if p["sku"] == rep["sku"] and p["pkg"] == rep["pkg"]),
            None,
        )
        return make_product(str(pid)) if pid in PRODUCTS else None


def make_product(pid: str) -> Product:
    p = PRODUCTS[pid]
    return Product(
        id=strawberry.ID(pid),
        sku=str(p["sku"]),
        pkg=str(p["pkg"]),
        name=str(p["name"]),
        weight=int(p["weight"]),
        price=int(p["price"]),
        category=Category(p["cat"]),
    )


@strawberry.federation.interface
class Media:
    id: strawberry.ID
    title: str


@strawberry.federation.type(keys=["id"])
class Book(Media):
    pages: int
    released_on: Date | None = None


@strawberry.federation.type(keys=["id"])
class Movie(Media):
    pass


Search = Annotated[Book | Product, strawberry.union("Search")]
MEDIA: list[Media] = [
    Book(id=strawberry.ID("b1"), title="Dune", pages=412, released_on=Date("1965-08-01")),
    Movie(id=strawberry.ID("m1"), title="Alien"),
]


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def products(self) -> list[Product]:
        return [make_product(pid) for pid in PRODUCTS]

    @strawberry.field
    def product(self, id: strawberry.ID) -> Product | None:
        return make_product(id) if id in PRODUCTS else None

    @strawberry.field
    def priced(self, filter: PriceFilter) -> list[Product]:
        found = [make_product(pid) for pid in PRODUCTS]
        return [
            p
            for p in found
            if p.price >= filter.min and (filter.max is None or p.price <= filter.max)
        ]

    @strawberry.field
    def media(self) -> list[Media]:
        return MEDIA

    @strawberry.field
    def search(self, term: str) -> list[Search]:
        found: list[Book | Product] = [m for m in MEDIA if isinstance(m, Book)]
        found += [make_product(p) for p, v in PRODUCTS.items() if term in str(v["name"])]
        return found


products_schema = strawberry.federation.Schema(
    query=ProductsQuery,
    types=[Book, Movie],
    federation_version=FEDERATION_VERSION,
    config=StrawberryConfig(scalar_map={Date: DATE_SCALAR}),
)


# --- inventory --------------------------------------------------------------


@strawberry.federation.type(keys=["warehouse { code } bin"])
class Shelf:
    warehouse: Warehouse
    bin: str


@strawberry.federation.type(keys=["code"])
class Warehouse:
    code: strawberry.ID
    city: str

    @strawberry.field
    def shelves(self) -> list[Shelf]:
        return [Shelf(warehouse=self, bin=b) for b in ("A1", "B2")]

    @classmethod
    def resolve_reference(cls, code: strawberry.ID) -> Warehouse:
        return Warehouse(code=code, city={"W1": "Lyon", "W2": "Porto"}[code])


@strawberry.federation.type(name="Product", keys=["id"])
class InvProduct:
    id: strawberry.ID
    weight: int = strawberry.federation.field(external=True)
    category: Category = strawberry.federation.field(shareable=True)
    price: int = strawberry.federation.field(override="products")

    @strawberry.field
    def stock(self) -> int:
        if self.id == "3":
            raise ValueError("stock ledger unavailable for 3")
        return {"1": 7, "2": 0}[self.id]

    @strawberry.federation.field(requires=["weight"])
    def shipping_estimate(self) -> int:
        return self.weight * 2

    @strawberry.field
    def warehouse(self) -> Warehouse:
        return Warehouse.resolve_reference(strawberry.ID("W1" if self.id == "1" else "W2"))

    @strawberry.field
    async def slow_stock(self) -> int | None:
        await asyncio.sleep(1.5)
        return 1

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, weight: int = 0) -> InvProduct:
        p = PRODUCTS[id]
        return InvProduct(
            id=id, weight=weight, category=Category(p["cat"]), price=int(p["price"]) + 1
        )


@strawberry.type
class InventoryQuery:
    @strawberry.field
    def low_stock(self) -> list[InvProduct]:
        return [InvProduct.resolve_reference(strawberry.ID("2"))]

    @strawberry.field
    def warehouses(self) -> list[Warehouse]:
        return [Warehouse.resolve_reference(strawberry.ID(c)) for c in ("W1", "W2")]


inventory_schema = strawberry.federation.Schema(
    query=InventoryQuery, federation_version=FEDERATION_VERSION
)


# --- reviews ----------------------------------------------------------------


@strawberry.federation.type(name="User", keys=[Key(fields="id", resolvable=False)])
class UserStub:
    id: strawberry.ID


@strawberry.federation.type(name="Product", keys=["id"])
class RevProduct:
    id: strawberry.ID
    name: str = strawberry.federation.field(external=True)

    @strawberry.field
    def reviews(self, first: int | None = None) -> list[Review]:
        found = [make_review(r) for r in REVIEWS if r["product"] == self.id]
        return found[:first] if first is not None else found

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RevProduct:
        return RevProduct(id=id, name="")


@strawberry.federation.type(name="Movie", keys=["id"])
class RevMovie:
    id: strawberry.ID
    director: str = "Scott"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RevMovie:
        return RevMovie(id=id)


@strawberry.type
class Review:
    id: strawberry.ID
    body: str
    stars: int
    author: UserStub
    product: RevProduct = strawberry.federation.field(provides=["name"])


def make_review(r: dict[str, Any]) -> Review:
    pid = str(r["product"])
    return Review(
        id=strawberry.ID(r["id"]),
        body=str(r["body"]),
        stars=int(r["stars"]),
        author=UserStub(id=strawberry.ID(r["author"])),
        product=RevProduct(id=strawberry.ID(pid), name=str(PRODUCTS[pid]["name"])),
    )


@strawberry.federation.interface_object(keys=["id"])
class Account:
    id: strawberry.ID

    @strawberry.field
    def review_count(self) -> int:
        return sum(1 for r in REVIEWS if r["author"] == self.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return Account(id=id)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def top_reviews(self, first: int = 10) -> list[Review]:
        return [make_review(r) for r in REVIEWS][:first]

    @strawberry.field
    def top_reviewers(self) -> list[Account]:
        return [Account(id=strawberry.ID("u2")), Account(id=strawberry.ID("u1"))]


@strawberry.type(name="Mutation")
class ReviewsMutation:
    @strawberry.mutation
    def add_review(self, body: str) -> Review:
        MUTATION_LOG.append(f"review:{body}")
        return Review(
            id=strawberry.ID(f"r{len(MUTATION_LOG)}"),
            body=body,
            stars=len(MUTATION_LOG),
            author=UserStub(id=strawberry.ID("u1")),
            product=RevProduct(id=strawberry.ID("1"), name="Table"),
        )


reviews_schema = strawberry.federation.Schema(
    query=ReviewsQuery,
    mutation=ReviewsMutation,
    types=[RevMovie, Account],
    federation_version=FEDERATION_VERSION,
)


# --- accounts ---------------------------------------------------------------


@strawberry.federation.type(name="Product", keys=["id"])
class AccProduct:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str

    @strawberry.field
    def favorite_product(self) -> AccProduct:
        return AccProduct(id=strawberry.ID(USERS[self.id][1]))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return User(id=id, name=USERS[id][0])


@strawberry.federation.interface(name="Account", keys=["id"])
class AccountIface:
    id: strawberry.ID
    email: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> AccountIface:
        return next(a for a in ACCOUNTS if a.id == id)


@strawberry.federation.type(keys=["id"])
class Admin(AccountIface):
    level: int


@strawberry.federation.type(keys=["id"])
class Member(AccountIface):
    since: int


ACCOUNTS: list[AccountIface] = [
    Admin(id=strawberry.ID("u1"), email="ada@x", level=9),
    Member(id=strawberry.ID("u2"), email="bob@x", since=2020),
]


@strawberry.type
class AccountsQuery:
    @strawberry.field
    def me(self) -> User:
        return User.resolve_reference(strawberry.ID("u1"))

    @strawberry.field
    def accounts(self) -> list[AccountIface]:
        return list(ACCOUNTS)


@strawberry.type(name="Mutation")
class AccountsMutation:
    @strawberry.mutation
    def add_user(self, name: str) -> User:
        MUTATION_LOG.append(f"user:{name}")
        return User(id=strawberry.ID(f"u{len(MUTATION_LOG)}"), name=name)


accounts_schema = strawberry.federation.Schema(
    query=AccountsQuery,
    mutation=AccountsMutation,
    types=[Admin, Member],
    federation_version=FEDERATION_VERSION,
)

# --- labels: knows products only by their compound key -------------------------


@strawberry.federation.type(name="Product", keys=["sku pkg"])
class LabelProduct:
    sku: str
    pkg: str

    @strawberry.field
    def barcode(self) -> str:
        return f"{self.sku}-{self.pkg}".upper()

    @classmethod
    def resolve_reference(cls, sku: str, pkg: str) -> LabelProduct:
        return LabelProduct(sku=sku, pkg=pkg)


@strawberry.federation.type(name="Warehouse", keys=[Key(fields="code", resolvable=False)])
class LabelWarehouse:
    code: strawberry.ID


@strawberry.federation.type(name="Shelf", keys=["warehouse { code } bin"])
class LabelShelf:
    warehouse: LabelWarehouse
    bin: str

    @strawberry.field
    def label(self) -> str:
        return f"{self.warehouse.code}/{self.bin}"

    @classmethod
    def resolve_reference(cls, warehouse: dict[str, Any], bin: str) -> LabelShelf:
        return LabelShelf(warehouse=LabelWarehouse(code=warehouse["code"]), bin=bin)


@strawberry.type
class LabelsQuery:
    @strawberry.field
    def label_formats(self) -> list[str]:
        return ["EAN13"]


labels_schema = strawberry.federation.Schema(
    query=LabelsQuery, types=[LabelProduct, LabelShelf], federation_version=FEDERATION_VERSION
)

SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "products": products_schema,
    "inventory": inventory_schema,
    "reviews": reviews_schema,
    "accounts": accounts_schema,
    "labels": labels_schema,
}
