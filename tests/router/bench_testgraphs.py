"""The four subgraphs of the Guild's federation gateway benchmark, in Strawberry.

accounts   owns User (id, name, username); `users`, `me`
products   owns Product (upc, name, price, weight); `topProducts`
inventory  extends Product: inStock, shippingEstimate (@requires price and weight)
reviews    owns Review; User.reviews, Product.reviews; provides User.username on
           Review.author

`QUERY` is the benchmark's query: two root lists, each three entity jumps deep
(User -> reviews -> product -> reviews -> author -> reviews -> product), with the
@requires field at every product. bench/router.py runs it against our router and
Hive Gateway; tests/router/test_bench_shape.py checks both give the same data.
The data is small, fixed and deterministic: 6 users, 6 products, 2 reviews each.
"""

from __future__ import annotations

from typing import Any, Literal

import strawberry

FEDERATION_VERSION: Literal["2.7"] = "2.7"

USERS = {
    str(i): {"name": n, "username": f"@{n.split()[0].lower()}"}
    for i, n in enumerate(
        (
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Edsger Dijkstra",
            "Barbara Liskov",
            "Donald Knuth",
        ),
        start=1,
    )
}
PRODUCTS: dict[str, dict[str, Any]] = {
    str(i): {"name": n, "price": 100 * i + 99, "weight": 10 * i + 1}
    for i, n in enumerate(("Table", "Couch", "Chair", "Lamp", "Desk", "Shelf"), start=1)
}
# Two reviews per product, each user writing two: product p by users p and p+1.
REVIEWS = [
    {
        "id": str(2 * (p - 1) + k + 1),
        "body": f"Review {k + 1} of {PRODUCTS[str(p)]['name']}",
        "product": str(p),
        "author": str((p - 1 + k) % len(USERS) + 1),
    }
    for p in range(1, len(PRODUCTS) + 1)
    for k in range(2)
]

QUERY = """
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users {
    ...User
    reviews { ...Review product { ...Product reviews { ...Review
      author { ...User reviews { ...Review product { ...Product } } } } } }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}
"""


# --- accounts ---------------------------------------------------------------


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str | None
    username: str | None = strawberry.federation.field(shareable=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User | None:
        return make_user(str(id)) if str(id) in USERS else None


def make_user(uid: str) -> User:
    u = USERS[uid]
    return User(id=strawberry.ID(uid), name=u["name"], username=u["username"])


@strawberry.type
class AccountsQuery:
    @strawberry.field
    def me(self) -> User | None:
        return make_user("1")

    @strawberry.field
    def users(self) -> list[User | None] | None:
        return [make_user(u) for u in USERS]


accounts_schema = strawberry.federation.Schema(
    query=AccountsQuery, federation_version=FEDERATION_VERSION
)


# --- products ---------------------------------------------------------------


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    name: str | None
    price: int | None
    weight: int | None

    @classmethod
    def resolve_reference(cls, upc: str) -> Product | None:
        return make_product(upc) if upc in PRODUCTS else None


def make_product(upc: str) -> Product:
    p = PRODUCTS[upc]
    return Product(upc=upc, name=str(p["name"]), price=int(p["price"]), weight=int(p["weight"]))


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int | None = 5) -> list[Product | None] | None:
        found: list[Product | None] = [make_product(u) for u in PRODUCTS]
        return found[: first or 0]


products_schema = strawberry.federation.Schema(
    query=ProductsQuery, federation_version=FEDERATION_VERSION
)


# --- inventory --------------------------------------------------------------


@strawberry.federation.type(name="Product", keys=["upc"])
class InventoryProduct:
    upc: str
    price: int | None = strawberry.federation.field(external=True)
    weight: int | None = strawberry.federation.field(external=True)

    @strawberry.field
    def in_stock(self) -> bool | None:
        return int(self.upc) % 3 != 0

    @strawberry.federation.field(requires=["price weight"])  # type: ignore[untyped-decorator]
    def shipping_estimate(self) -> int | None:
        if self.price is None or self.weight is None:
            return None
        # Free for expensive items, otherwise half the weight.
        return 0 if self.price > 1000 else self.weight // 2

    @classmethod
    def resolve_reference(
        cls, upc: str, price: int | None = None, weight: int | None = None
    ) -> InventoryProduct:
        return InventoryProduct(upc=upc, price=price, weight=weight)


@strawberry.type
class InventoryQuery:
    @strawberry.field
    def warehouse_count(self) -> int:
        return 1


inventory_schema = strawberry.federation.Schema(
    query=InventoryQuery, types=[InventoryProduct], federation_version=FEDERATION_VERSION
)


# --- reviews ----------------------------------------------------------------


@strawberry.federation.type(name="User", keys=["id"])
class ReviewsUser:
    id: strawberry.ID
    username: str | None = strawberry.federation.field(external=True)

    @strawberry.field
    def reviews(self) -> list[Review | None] | None:
        return [make_review(r) for r in REVIEWS if r["author"] == str(self.id)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewsUser:
        return ReviewsUser(id=id, username=None)


@strawberry.federation.type(name="Product", keys=["upc"])
class ReviewsProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review | None] | None:
        return [make_review(r) for r in REVIEWS if r["product"] == self.upc]

    @classmethod
    def resolve_reference(cls, upc: str) -> ReviewsProduct:
        return ReviewsProduct(upc=upc)


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID
    body: str | None
    author: ReviewsUser | None = strawberry.federation.field(provides=["username"])
    product: ReviewsProduct | None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Review | None:
        found = [r for r in REVIEWS if r["id"] == str(id)]
        return make_review(found[0]) if found else None


def make_review(r: dict[str, str]) -> Review:
    author = r["author"]
    return Review(
        id=strawberry.ID(r["id"]),
        body=r["body"],
        author=ReviewsUser(id=strawberry.ID(author), username=USERS[author]["username"]),
        product=ReviewsProduct(upc=r["product"]),
    )


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def review_count(self) -> int:
        return len(REVIEWS)


reviews_schema = strawberry.federation.Schema(
    query=ReviewsQuery, types=[ReviewsUser, ReviewsProduct], federation_version=FEDERATION_VERSION
)

SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "accounts": accounts_schema,
    "inventory": inventory_schema,
    "products": products_schema,
    "reviews": reviews_schema,
}
