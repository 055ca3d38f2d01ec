"""Federation 2 scenarios: tiny SDL subgraphs, queries, and the exact answers.

Each `Suite` is one set of subgraphs (see `sdl_subgraph`) with the queries that
exercise one planner or executor concern, each with its exact expected `data` and
whether the response carries `errors`. `test_federation_suites` runs every case over
both transports against the supergraph `@theguild/federation-composition` composes,
and checks that Hive Gateway, serving the same supergraph over the same subgraphs,
answers the same.

The suites are named after what they test; the numbers are issue 16's categories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sdl_subgraph import SdlSubgraph, by_key, echo

Json = Any


def fed(imports: str, version: str = "2.7") -> str:
    quoted = ", ".join(f'"@{i}"' for i in imports.split())
    return (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/v{version}", '
        f"import: [{quoted}])\n"
    )


@dataclass
class Case:
    name: str
    query: str
    data: Json
    errors: bool = False
    variables: dict[str, Json] | None = None
    mentions: str | None = None
    """Text the first error's message must contain (the field a refusal names)."""
    hive_differs: str | None = None
    """Why Hive Gateway's answer is not the expected one (its bug, seen on 2.15.1)."""


@dataclass
class Suite:
    name: str
    make: Callable[[], list[SdlSubgraph]]
    cases: list[Case]
    ours: bool = True
    """Whether our own composition composes it too (and the router answers the same)."""
    composer: str = "guild"
    """Whose supergraph the router and Hive Gateway serve: "guild", or "ours" (without
    the satisfiability check) for a set of subgraphs the guild composer refuses."""
    subgraphs: list[SdlSubgraph] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.subgraphs = self.make()


# --- 1. never an empty selection ------------------------------------------------


def _empty_selections() -> list[SdlSubgraph]:
    media = [
        {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412},
        {"__typename": "Movie", "id": "m1", "title": "Alien"},
    ]
    catalog = SdlSubgraph(
        "catalog",
        fed("key shareable")
        + """
        type Query { media: [Media!]! search: [Result!]! shelf: Shelf }
        interface Media { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! pages: Int! }
        type Movie implements Media @key(fields: "id") { id: ID! title: String! }
        union Result = Book | Movie
        type Shelf { label: String items: [Media!]! }
        """,
        query={
            "media": media,
            "search": list(reversed(media)),
            "shelf": {"label": "new", "items": media},
        },
        entities={
            "Book": by_key({"b1": media[0]}),
            "Movie": by_key({"m1": media[1]}),
        },
    )
    people = SdlSubgraph(
        "people",
        fed("key")
        + """
        type Movie @key(fields: "id") { id: ID! director: String! }
        type Book @key(fields: "id") { id: ID! author: String! }
        """,
        entities={
            "Movie": by_key({"m1": {"director": "Scott"}}),
            "Book": by_key({"b1": {"author": "Herbert"}}),
        },
    )
    return [catalog, people]


EMPTY_SELECTIONS = Suite(
    "empty_selections",
    _empty_selections,
    [
        Case(
            "fragment_on_one_implementation",
            "{ media { ... on Movie { director } } }",
            {"media": [{}, {"director": "Scott"}]},
        ),
        Case(
            "fragment_on_the_other_implementation",
            "{ media { ... on Book { author } } }",
            {"media": [{"author": "Herbert"}, {}]},
        ),
        Case(
            "union_member_answered_elsewhere",
            "{ search { ... on Movie { director } } }",
            {"search": [{"director": "Scott"}, {}]},
        ),
        Case(
            "nested_abstract_list",
            "{ shelf { items { ... on Movie { director } ... on Book { author } } } }",
            {"shelf": {"items": [{"author": "Herbert"}, {"director": "Scott"}]}},
        ),
        Case(
            "local_fragment_and_an_empty_one",
            "{ media { ... on Book { pages } } }",
            {"media": [{"pages": 412}, {}]},
        ),
        Case(
            "named_fragment",
            "query { search { ...M } } fragment M on Movie { director title }",
            {"search": [{"director": "Scott", "title": "Alien"}, {}]},
        ),
        Case(
            "included_fragment",
            "query($x: Boolean!) { media { id ... on Movie @include(if: $x) { director } } }",
            {"media": [{"id": "b1"}, {"id": "m1"}]},
            variables={"x": False},
        ),
        Case(
            "included_fragment_on",
            "query($x: Boolean!) { media { id ... on Movie @include(if: $x) { director } } }",
            {"media": [{"id": "b1"}, {"id": "m1", "director": "Scott"}]},
            variables={"x": True},
        ),
        Case(
            "only_typename_left",
            "{ shelf { label items { __typename } } }",
            {"shelf": {"label": "new", "items": [{"__typename": "Book"}, {"__typename": "Movie"}]}},
        ),
        Case(
            "inline_fragment_without_condition",
            "{ media { ... { ... on Movie { director } } } }",
            {"media": [{}, {"director": "Scott"}]},
        ),
        Case(
            "fragment_on_the_interface_itself",
            "{ search { ... on Media { ... on Movie { director } } } }",
            {"search": [{"director": "Scott"}, {}]},
        ),
    ],
)


# --- 2. field types per subgraph ----------------------------------------------------


def _type_mismatch() -> list[SdlSubgraph]:
    books = {
        "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "code": "B-1"},
        "b2": {"__typename": "Book", "id": "b2", "title": "Emma", "code": "B-2"},
    }
    movie = {"__typename": "Movie", "id": "m1", "title": "Alien", "code": None}
    shelves = SdlSubgraph(
        "shelves",
        fed("key shareable")
        + """
        type Query { shelves: [Shelf!]! }
        type Shelf @key(fields: "id") { id: ID! featured: Book @shareable }
        type Book @key(fields: "id") { id: ID! title: String @shareable code: String @shareable }
        """,
        query={
            "shelves": [
                {"id": "s1", "featured": books["b1"]},
                {"id": "s2", "featured": None},
            ]
        },
        entities={
            "Shelf": by_key({"s1": {"featured": books["b1"]}, "s2": {"featured": None}}),
            "Book": by_key(books),
        },
    )
    library = SdlSubgraph(
        "library",
        fed("key shareable")
        + """
        type Query { library: [Media!]! favourite: Media }
        type Shelf @key(fields: "id") { id: ID! featured: Media @shareable }
        union Media = Book | Movie
        type Book @key(fields: "id") { id: ID! title: String @shareable code: String! @shareable }
        type Movie @key(fields: "id") { id: ID! title: String code: String }
        """,
        query={"library": [books["b2"], movie], "favourite": movie},
        entities={
            "Shelf": by_key({"s1": {"featured": books["b1"]}, "s2": {"featured": movie}}),
            "Book": by_key(books),
            "Movie": by_key({"m1": movie}),
        },
    )
    return [shelves, library]


TYPE_MISMATCH = Suite(
    "type_mismatch",
    _type_mismatch,
    [
        Case(
            "concrete_here_union_there",
            "{ shelves { id featured { ... on Book { title } ... on Movie { title } } } }",
            {
                "shelves": [
                    {"id": "s1", "featured": {"title": "Dune"}},
                    {"id": "s2", "featured": None},
                ]
            },
        ),
        Case(
            "concrete_here_typename",
            "{ shelves { featured { __typename ... on Book { id code } } } }",
            {
                "shelves": [
                    {"featured": {"__typename": "Book", "id": "b1", "code": "B-1"}},
                    {"featured": None},
                ]
            },
        ),
        Case(
            "sibling_fragments_differ_in_nullability",
            "{ library { ... on Book { code } ... on Movie { code } } }",
            {"library": [{"code": "B-2"}, {"code": None}]},
        ),
        Case(
            "sibling_fragments_differ_nested_and_aliased",
            "{ favourite { ... on Movie { c: code title } } library { ... on Book { c: code } "
            "... on Movie { c: code id } } }",
            {
                "favourite": {"c": None, "title": "Alien"},
                "library": [{"c": "B-2"}, {"c": None, "id": "m1"}],
            },
            hive_differs="it sends both aliased `c` fields to the subgraph, which refuses them",
        ),
        Case(
            "only_typename_where_the_types_differ",
            "{ shelves { featured { t: __typename } } }",
            {"shelves": [{"featured": {"t": "Book"}}, {"featured": None}]},
            hive_differs="it cannot tell the runtime type of a union field that is a Book "
            "in the subgraph asked when `__typename` is aliased (found by the fuzz test)",
        ),
        Case(
            "nested_fragments_differ_in_nullability",
            "{ library { ... on Movie { code } ... on Book { code ... on Book { code id } } } }",
            {"library": [{"code": "B-2", "id": "b2"}, {"code": None}]},
            hive_differs="it aliases the conflicting fields apart only in sibling fragments, "
            "not nested ones (found by the fuzz test)",
        ),
        Case(
            "entity_jump_into_the_union_side",
            "{ shelves { id featured { __typename } } library { __typename } }",
            {
                "shelves": [
                    {"id": "s1", "featured": {"__typename": "Book"}},
                    {"id": "s2", "featured": None},
                ],
                "library": [{"__typename": "Book"}, {"__typename": "Movie"}],
            },
        ),
    ],
    ours=False,
)


# --- 6. null keys -------------------------------------------------------------------


def _null_keys() -> list[SdlSubgraph]:
    books = SdlSubgraph(
        "books",
        fed("key shareable")
        + """
        type Query { books: [Book!]! }
        type Book @key(fields: "id") { id: ID! upc: String @shareable }
        """,
        query={
            "books": [
                {"id": "1", "upc": "u1"},
                {"id": "2", "upc": None},
                {"id": "3", "upc": "u3"},
            ]
        },
        entities={"Book": by_key({"1": {"upc": "u1"}, "2": {"upc": None}, "3": {"upc": "u3"}})},
    )

    def book_by_upc(rep: dict[str, Json]) -> dict[str, Json] | None:
        if rep.get("upc") is None:
            raise ValueError("representation without a upc")
        names = {"u1": "Ada", "u3": "Cy"}
        return {**rep, "author": {"name": names[rep["upc"]]}, "year": 1990}

    authors = SdlSubgraph(
        "authors",
        fed("key shareable")
        + """
        type Book @key(fields: "upc") { upc: String! @shareable author: Author year: Int! }
        type Author { name: String! }
        """,
        entities={"Book": book_by_upc},
    )
    return [books, authors]


NULL_KEYS = Suite(
    "null_keys",
    _null_keys,
    [
        Case(
            "null_key_skips_the_representation",
            "{ books { id author { name } } }",
            {
                "books": [
                    {"id": "1", "author": {"name": "Ada"}},
                    {"id": "2", "author": None},
                    {"id": "3", "author": {"name": "Cy"}},
                ]
            },
        ),
        Case(
            "null_key_with_the_key_selected",
            "{ books { upc author { name } } }",
            {
                "books": [
                    {"upc": "u1", "author": {"name": "Ada"}},
                    {"upc": None, "author": None},
                    {"upc": "u3", "author": {"name": "Cy"}},
                ]
            },
        ),
    ],
)


# --- 10. aliases that look like the router's own -------------------------------------


def _aliases() -> list[SdlSubgraph]:
    products = {
        "1": {"__typename": "Product", "id": "1", "name": "Table"},
        "2": {"__typename": "Product", "id": "2", "name": "Chair"},
    }
    shop = SdlSubgraph(
        "shop",
        fed("key")
        + """
        type Query { products: [Product!]! node(id: ID!): Node }
        interface Node { id: ID! }
        type Product implements Node @key(fields: "id") { id: ID! name: String! }
        type Category implements Node @key(fields: "id") { id: ID! title: String! }
        """,
        query={
            "products": list(products.values()),
            "node": lambda id: (
                products.get(id)
                or ({"__typename": "Category", "id": id, "title": "Tables"} if id == "c" else None)
            ),
        },
        entities={"Product": by_key(products)},
    )
    prices = SdlSubgraph(
        "prices",
        fed("key")
        + """
        type Product @key(fields: "id") { id: ID! price: Int! }
        """,
        entities={"Product": by_key({"1": {"price": 100}, "2": {"price": 40}})},
    )
    return [shop, prices]


ALIASES = Suite(
    "aliases",
    _aliases,
    [
        Case(
            "alias_named_typename",
            "{ products { __typename: name price } }",
            {
                "products": [
                    {"__typename": "Table", "price": 100},
                    {"__typename": "Chair", "price": 40},
                ]
            },
            hive_differs="it sends the client's `__typename: name` beside its own `__typename`",
        ),
        Case(
            "typename_aliased_and_alias_named_typename",
            "{ products { t: __typename __typename: id price } }",
            {
                "products": [
                    {"t": "Product", "__typename": "1", "price": 100},
                    {"t": "Product", "__typename": "2", "price": 40},
                ]
            },
            hive_differs="it sends the client's `__typename: id` beside its own `__typename`",
        ),
        Case(
            "alias_named_typename_on_an_interface",
            '{ node(id: "2") { __typename: id ... on Product { price } } }',
            {"node": {"__typename": "2", "price": 40}},
            hive_differs="it sends the client's `__typename: id` beside its own `__typename`",
        ),
        Case(
            "alias_named_typename_on_the_other_implementation",
            '{ node(id: "c") { __typename: id ... on Product { price } ... on Category { t: __typename } } }',
            {"node": {"__typename": "c", "t": "Category"}},
            hive_differs="it sends the client's `__typename: id` beside its own `__typename`",
        ),
        Case(
            "aliases_like_hidden_keys",
            "{ products { __h_id: name __nx_id: name __k0_id: name price } }",
            {
                "products": [
                    {"__h_id": "Table", "__nx_id": "Table", "__k0_id": "Table", "price": 100},
                    {"__h_id": "Chair", "__nx_id": "Chair", "__k0_id": "Chair", "price": 40},
                ]
            },
        ),
        Case(
            "key_aliased_as_another_field",
            "{ products { id: name name: id price } }",
            {
                "products": [
                    {"id": "Table", "name": "1", "price": 100},
                    {"id": "Chair", "name": "2", "price": 40},
                ]
            },
            hive_differs="it sends the client's `id: name` beside the `id` key it needs",
        ),
        Case(
            "typename_of_the_root",
            "{ __typename: products { id } t: __typename }",
            {"__typename": [{"id": "1"}, {"id": "2"}], "t": "Query"},
        ),
    ],
)


# --- 3. planning gaps -----------------------------------------------------------------


def _provided_key() -> list[SdlSubgraph]:
    reviews = SdlSubgraph(
        "reviews",
        fed("key external provides")
        + """
        type Query { reviews: [Review!]! }
        type Review { id: ID! product: Product @provides(fields: "upc") }
        type Product @key(fields: "id") { id: ID! upc: String! @external }
        """,
        query={
            "reviews": [
                {"id": "r1", "product": {"id": "p1", "upc": "U1"}},
                {"id": "r2", "product": {"id": "p2", "upc": "U2"}},
            ]
        },
        entities={"Product": by_key({"p1": {}, "p2": {}})},
    )
    catalog = SdlSubgraph(
        "catalog",
        fed("key")
        + """
        type Product @key(fields: "upc") { upc: String! name: String! }
        """,
        entities={"Product": by_key({"U1": {"name": "Table"}, "U2": {"name": "Chair"}}, "upc")},
    )
    return [reviews, catalog]


PROVIDED_KEY = Suite(
    "provided_key",
    _provided_key,
    [
        Case(
            "key_external_but_provided",
            "{ reviews { id product { name } } }",
            {
                "reviews": [
                    {"id": "r1", "product": {"name": "Table"}},
                    {"id": "r2", "product": {"name": "Chair"}},
                ]
            },
        ),
        Case(
            "only_the_provided_field",
            "{ reviews { product { upc } } }",
            {"reviews": [{"product": {"upc": "U1"}}, {"product": {"upc": "U2"}}]},
            hive_differs="it fails the whole request when the only field asked is provided",
        ),
        Case(
            "fragment_skipped_by_a_variable_on_the_provided_path",
            "query($v: Boolean!) { reviews { product { id ... on Product @skip(if: $v) { name } } } }",
            {
                "reviews": [
                    {"product": {"id": "p1", "name": "Table"}},
                    {"product": {"id": "p2", "name": "Chair"}},
                ]
            },
            variables={"v": False},
            hive_differs="it sends the fragment's `$v` without defining it (found by the fuzz test)",
        ),
        Case(
            "root_field_selected_again_in_a_fragment",
            "{ reviews { product { name } } ... on Query { reviews { product { id } } } }",
            {
                "reviews": [
                    {"product": {"name": "Table", "id": "p1"}},
                    {"product": {"name": "Chair", "id": "p2"}},
                ]
            },
            hive_differs="it finds no way to `name` once `reviews` is selected twice "
            "(found by the fuzz test)",
        ),
        Case(
            "provided_key_selected_too",
            "{ reviews { product { id upc name } } }",
            {
                "reviews": [
                    {"product": {"id": "p1", "upc": "U1", "name": "Table"}},
                    {"product": {"id": "p2", "upc": "U2", "name": "Chair"}},
                ]
            },
        ),
    ],
)


def _shareable_root_provides() -> list[SdlSubgraph]:
    rows = [{"id": "1", "name": "Table"}, {"id": "2", "name": "Chair"}]
    plain = SdlSubgraph(
        "plain",
        fed("key shareable")
        + """
        type Query { products: [Product!]! @shareable }
        type Product @key(fields: "id") { id: ID! name: String! @shareable }
        """,
        query={"products": rows},
        entities={"Product": by_key({r["id"]: r for r in rows})},
    )
    listing = SdlSubgraph(
        "listing",
        fed("key shareable external provides")
        + """
        type Query { products: [Product!]! @shareable @provides(fields: "price") }
        type Product @key(fields: "id", resolvable: false) {
          id: ID! name: String! @shareable sku: String! @shareable price: Int! @external
        }
        """,
        query={
            "products": [
                {**rows[0], "sku": "TBL", "price": 100},
                {**rows[1], "sku": "CHR", "price": 40},
            ]
        },
    )
    pricing = SdlSubgraph(
        "pricing",
        fed("key")
        + """
        type Product @key(fields: "sku") { sku: String! price: Int! stock: Int! }
        """,
        entities={
            "Product": by_key(
                {"TBL": {"price": 100, "stock": 3}, "CHR": {"price": 40, "stock": 0}}, "sku"
            )
        },
    )
    return [plain, listing, pricing]


SHAREABLE_ROOT_PROVIDES = Suite(
    "shareable_root_provides",
    _shareable_root_provides,
    [
        Case(
            "provides_decides_the_root_subgraph",
            "{ products { id name price } }",
            {
                "products": [
                    {"id": "1", "name": "Table", "price": 100},
                    {"id": "2", "name": "Chair", "price": 40},
                ]
            },
            hive_differs="it plans the shareable root field in `plain` only, and finds no way to `price`",
        ),
        Case(
            "key_only_the_second_candidate_has",
            "{ products { name stock } }",
            {"products": [{"name": "Table", "stock": 3}, {"name": "Chair", "stock": 0}]},
            hive_differs="it plans the shareable root field in `plain` only, and finds no way to `stock`",
        ),
        Case(
            "either_candidate",
            "{ products { id name } }",
            {"products": [{"id": "1", "name": "Table"}, {"id": "2", "name": "Chair"}]},
        ),
    ],
)


def _value_type_through_parent() -> list[SdlSubgraph]:
    sizes = SdlSubgraph(
        "sizes",
        fed("key shareable")
        + """
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! info: Info @shareable }
        type Info @shareable { weight: Int dims: Dims }
        type Dims @shareable { w: Int }
        """,
        query={
            "products": [
                {"id": "1", "info": {"weight": 30, "dims": {"w": 2}}},
                {"id": "2", "info": None},
            ]
        },
    )
    colours = SdlSubgraph(
        "colours",
        fed("key shareable")
        + """
        type Product @key(fields: "id") { id: ID! info: Info @shareable }
        type Info @shareable { weight: Int color: String dims: Dims }
        type Dims @shareable { w: Int h: Int }
        """,
        entities={
            "Product": by_key(
                {
                    "1": {"info": {"weight": 30, "color": "oak", "dims": {"w": 2, "h": 1}}},
                    "2": {"info": None},
                }
            )
        },
    )
    return [sizes, colours]


VALUE_TYPE_THROUGH_PARENT = Suite(
    "value_type_through_parent",
    _value_type_through_parent,
    [
        Case(
            "field_of_a_keyless_type_elsewhere",
            "{ products { id info { weight color } } }",
            {
                "products": [
                    {"id": "1", "info": {"weight": 30, "color": "oak"}},
                    {"id": "2", "info": None},
                ]
            },
        ),
        Case(
            "key_selected_under_include_false",
            "{ products { id @include(if: false) info { color } } }",
            {"products": [{"info": {"color": "oak"}}, {"info": None}]},
            hive_differs="it drops the key `id` it needs when the client's `id` is excluded",
        ),
        Case(
            "skipped_in_one_place_selected_in_another",
            "{ products { info { weight color @skip(if: true) } ... on Product { info { color } } } }",
            {"products": [{"info": {"weight": 30, "color": "oak"}}, {"info": None}]},
            hive_differs="it drops `color` for being skipped in one of its two places "
            "(found by the fuzz test)",
        ),
        Case(
            "variable_used_only_in_an_excluded_fragment",
            "query($v: Boolean!) { products { info { dims { h } "
            "... @include(if: false) { ...F @skip(if: $v) } } } } fragment F on Info { color }",
            {"products": [{"info": {"dims": {"h": 1}}}, {"info": None}]},
            variables={"v": False},
            hive_differs="it defines `$v` in a subgraph operation that no longer uses it "
            "(found by the fuzz test)",
        ),
        Case(
            "two_levels_down",
            "{ products { info { dims { w h } } } }",
            {"products": [{"info": {"dims": {"w": 2, "h": 1}}}, {"info": None}]},
        ),
        Case(
            "aliased_path",
            "{ products { i: info { c: color d: dims { h } } } }",
            {"products": [{"i": {"c": "oak", "d": {"h": 1}}}, {"i": None}]},
        ),
    ],
)


def _split_root_value() -> list[SdlSubgraph]:
    west = SdlSubgraph(
        "west",
        fed("shareable")
        + """
        type Query { config: Config @shareable }
        type Config @shareable { name: String! region: String }
        """,
        query={"config": {"name": "nexo", "region": "eu"}},
    )
    east = SdlSubgraph(
        "east",
        fed("shareable")
        + """
        type Query { config: Config @shareable }
        type Config @shareable { name: String! version: Int }
        """,
        query={"config": {"name": "nexo", "version": 3}},
    )
    return [west, east]


SPLIT_ROOT_VALUE = Suite(
    "split_root_value",
    _split_root_value,
    [
        Case(
            "fields_from_both",
            "{ config { region version } }",
            {"config": {"region": "eu", "version": 3}},
        ),
        Case(
            "shared_and_both",
            "{ config { name version region } }",
            {"config": {"name": "nexo", "version": 3, "region": "eu"}},
        ),
        Case("one_side", "{ config { version } }", {"config": {"version": 3}}),
    ],
)


# --- 4. @requires with arguments ----------------------------------------------------


def _requires_arguments() -> list[SdlSubgraph]:
    rates = {"USD": 1, "EUR": 2}
    base = {"1": 100, "2": 40}

    def priced(pid: str) -> dict[str, Json]:
        return {"id": pid, "price": lambda currency: base[pid] * rates[currency]}

    prices = SdlSubgraph(
        "prices",
        fed("key")
        + """
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! price(currency: String!): Int! }
        """,
        query={"products": [priced("1"), priced("2")]},
        entities={"Product": lambda rep: priced(rep["id"])},
    )
    labels = SdlSubgraph(
        "labels",
        fed("key external requires")
        + """
        type Product @key(fields: "id") {
          id: ID!
          price(currency: String!): Int! @external
          label: String! @requires(fields: "price(currency: \\"USD\\")")
          euros: String! @requires(fields: "price(currency: \\"EUR\\")")
        }
        """,
        entities={
            "Product": lambda rep: {
                "label": f"${rep['price']}",
                "euros": f"EUR {rep['price']}",
            }
        },
    )
    return [prices, labels]


REQUIRES_ARGUMENTS = Suite(
    "requires_arguments",
    _requires_arguments,
    [
        Case(
            "required_with_arguments",
            "{ products { label } }",
            {"products": [{"label": "$100"}, {"label": "$40"}]},
        ),
        Case(
            "two_requirements_on_one_field",
            "{ products { label euros } }",
            {
                "products": [
                    {"label": "$100", "euros": "EUR 200"},
                    {"label": "$40", "euros": "EUR 80"},
                ]
            },
        ),
        Case(
            "client_selects_the_field_too",
            '{ products { p: price(currency: "EUR") price(currency: "USD") euros label } }',
            {
                "products": [
                    {"p": 200, "price": 100, "euros": "EUR 200", "label": "$100"},
                    {"p": 80, "price": 40, "euros": "EUR 80", "label": "$40"},
                ]
            },
        ),
    ],
)


# --- 5. @inaccessible values --------------------------------------------------------


def _inaccessible_values() -> list[SdlSubgraph]:
    nodes = [
        {"__typename": "Public", "id": "p1"},
        {"__typename": "Hidden", "id": "h1"},
    ]
    vault = SdlSubgraph(
        "vault",
        fed("key inaccessible")
        + """
        type Query { items: [Item] nodes: [Node] node: Node! maybe: Node strictNodes: [Node!] }
        enum Status { ACTIVE RETIRED SECRET @inaccessible }
        type Item { id: ID! status: Status strict: Status! }
        interface Node { id: ID! }
        type Public implements Node { id: ID! }
        type Hidden implements Node @inaccessible { id: ID! }
        """,
        query={
            "items": [
                {"id": "1", "status": "ACTIVE", "strict": "RETIRED"},
                {"id": "2", "status": "SECRET", "strict": "SECRET"},
            ],
            "nodes": nodes,
            "node": nodes[1],
            "maybe": nodes[1],
            "strictNodes": nodes,
        },
    )
    return [vault]


INACCESSIBLE_VALUES = Suite(
    "inaccessible_values",
    _inaccessible_values,
    [
        Case(
            "inaccessible_enum_value_nullable",
            "{ items { id status } }",
            {"items": [{"id": "1", "status": "ACTIVE"}, {"id": "2", "status": None}]},
        ),
        Case(
            "inaccessible_enum_value_non_null",
            "{ items { id strict } }",
            {"items": [{"id": "1", "strict": "RETIRED"}, None]},
            errors=True,
        ),
        Case(
            "inaccessible_type_in_a_list",
            "{ nodes { id } }",
            {"nodes": [{"id": "p1"}, None]},
        ),
        Case(
            "inaccessible_type_nullable_field",
            "{ maybe { id } }",
            {"maybe": None},
        ),
        Case("inaccessible_type_non_null", "{ node { id } }", None, errors=True),
        Case(
            "inaccessible_type_non_null_items",
            "{ strictNodes { __typename } }",
            {"strictNodes": None},
            errors=True,
        ),
    ],
)


# --- 7. @override on an interface implementation ---------------------------------------


def _override_implementation() -> list[SdlSubgraph]:
    media = [
        {"__typename": "Book", "id": "b1", "title": "old Dune"},
        {"__typename": "Movie", "id": "m1", "title": "Alien"},
    ]
    catalog = SdlSubgraph(
        "catalog",
        fed("key")
        + """
        type Query { media: [Media!]! }
        interface Media { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! }
        type Movie implements Media @key(fields: "id") { id: ID! title: String! }
        """,
        query={"media": media},
        entities={"Book": by_key({"b1": media[0]}), "Movie": by_key({"m1": media[1]})},
    )
    books = SdlSubgraph(
        "books",
        fed("key override")
        + """
        type Book @key(fields: "id") { id: ID! title: String! @override(from: "catalog") }
        """,
        entities={"Book": by_key({"b1": {"title": "Dune"}})},
    )
    return [catalog, books]


OVERRIDE_IMPLEMENTATION = Suite(
    "override_implementation",
    _override_implementation,
    [
        Case(
            "through_the_interface",
            "{ media { title } }",
            {"media": [{"title": "Dune"}, {"title": "Alien"}]},
            hive_differs="it takes Book.title through the interface from `catalog`, which it was overridden from",
        ),
        Case(
            "interface_and_fragment",
            "{ media { id title ... on Movie { title } } }",
            {"media": [{"id": "b1", "title": "Dune"}, {"id": "m1", "title": "Alien"}]},
        ),
        Case(
            "on_the_implementation",
            "{ media { ... on Book { title } } }",
            {"media": [{"title": "Dune"}, {}]},
        ),
    ],
)


# --- 8. refuse what no subgraph may answer -------------------------------------------


def _refusals() -> list[SdlSubgraph]:
    users = [{"__typename": "User", "id": "u1", "name": "Ada"}]
    accounts = SdlSubgraph(
        "accounts",
        fed("key")
        + """
        type Query { accounts: [Account!]! }
        interface Account @key(fields: "id") { id: ID! }
        type User implements Account @key(fields: "id") { id: ID! name: String! }
        """,
        query={"accounts": users},
        entities={"User": by_key({"u1": users[0]}), "Account": by_key({"u1": users[0]})},
    )
    scores = SdlSubgraph(
        "scores",
        fed("key interfaceObject")
        + """
        type Query { topAccounts: [Account!]! }
        type Account @key(fields: "id", resolvable: false) @interfaceObject { id: ID! score: Int! }
        """,
        query={"topAccounts": [{"__typename": "Account", "id": "u1", "score": 7}]},
    )
    shop = SdlSubgraph(
        "shop",
        fed("key external provides")
        + """
        type Query { products: [Product!]! featured: Product @provides(fields: "name") }
        type Product @key(fields: "id") { id: ID! name: String! @external }
        """,
        query={
            "products": [{"id": "1", "name": "Table"}],
            "featured": {"id": "1", "name": "Table"},
        },
        entities={"Product": by_key({"1": {}})},
    )
    # Knows products only by a key the shop lacks: `products { name }` has no plan.
    catalog = SdlSubgraph(
        "catalog",
        fed("key")
        + """
        type Product @key(fields: "upc") { upc: String! name: String! }
        """,
        entities={"Product": by_key({"U1": {"name": "Table"}}, "upc")},
    )
    return [accounts, scores, shop, catalog]


REFUSALS = Suite(
    "refusals",
    _refusals,
    [
        Case(
            "non_resolvable_interface_object_from_its_own_root",
            "{ topAccounts { id score } }",
            {"topAccounts": [{"id": "u1", "score": 7}]},
        ),
        Case(
            "non_resolvable_interface_object_to_the_implementations",
            "{ topAccounts { score ... on User { name } } }",
            {"topAccounts": [{"score": 7, "name": "Ada"}]},
        ),
        Case(
            "field_only_a_non_resolvable_interface_object_has",
            "{ accounts { id score } }",
            None,
            errors=True,
            mentions="score",
        ),
        Case("provided_external_field", "{ featured { name } }", {"featured": {"name": "Table"}}),
        Case(
            "external_field_not_provided",
            "{ products { name } }",
            None,
            errors=True,
            mentions="Product.name",
        ),
        Case(
            "unreachable_field_nulls_only_its_nullable_parent",
            "{ featured { id upc } accounts { id } }",
            {"featured": None, "accounts": [{"id": "u1"}]},
            errors=True,
            mentions="Product.upc",
        ),
        Case(
            "interface_field_under_a_fragment_on_an_implementation",
            "{ topAccounts { id ... on User { score name } } }",
            {"topAccounts": [{"id": "u1", "score": 7, "name": "Ada"}]},
        ),
        Case(
            "interface_fields_in_a_named_fragment_on_an_implementation",
            "{ topAccounts { score ...F } } fragment F on User { id score name }",
            {"topAccounts": [{"score": 7, "id": "u1", "name": "Ada"}]},
            hive_differs="it answers an internal error (found by the fuzz test)",
        ),
        Case(
            "interface_field_under_an_inline_fragment_on_an_implementation",
            "{ topAccounts { score ... on User { a2: id } } }",
            {"topAccounts": [{"score": 7, "a2": "u1"}]},
        ),
        Case(
            "named_fragment_on_an_implementation",
            "{ topAccounts { id ...F } } fragment F on User { name }",
            {"topAccounts": [{"id": "u1", "name": "Ada"}]},
            hive_differs="it answers an internal error (found by the fuzz test)",
        ),
        Case(
            "unanswerable_field_in_nested_excluded_fragments",
            "{ featured { id ...F1 @include(if: false) } } "
            "fragment F0 on Product { upc } fragment F1 on Product { upc ...F0 @include(if: false) }",
            {"featured": {"id": "1"}},
            hive_differs="it sends a spread of a fragment it does not define (found by the fuzz test)",
        ),
        Case(
            "provided_field_under_a_variable_include",
            "query($v: Boolean!) { featured { name @include(if: $v) id } }",
            {"featured": {"name": "Table", "id": "1"}},
            variables={"v": True},
            hive_differs="it sends `$v` without defining it (found by the fuzz test)",
        ),
        Case(
            "unreachable_field_statically_skipped",
            "{ accounts { id score @include(if: false) } }",
            {"accounts": [{"id": "u1"}]},
        ),
        Case(
            "answerable_and_unanswerable_fields",
            "{ featured { name } products { id name } }",
            None,
            errors=True,
        ),
    ],
    ours=False,
    composer="ours",
)


# --- 9. progressive @override and @context ---------------------------------------------


def _progressive_override() -> list[SdlSubgraph]:
    old = {"1": {"id": "1", "price": 10, "name": "old table", "tier": "old"}}
    new = {"1": {"price": 11, "name": "new table", "tier": "new"}}
    legacy = SdlSubgraph(
        "legacy",
        fed("key")
        + """
        type Query { products: [Product!]! }
        type Product @key(fields: "id") { id: ID! price: Int! name: String! tier: String! }
        """,
        query={"products": list(old.values())},
        entities={"Product": by_key(old)},
    )
    modern = SdlSubgraph(
        "modern",
        fed("key override")
        + """
        type Product @key(fields: "id") {
          id: ID!
          price: Int! @override(from: "legacy", label: "percent(100)")
          name: String! @override(from: "legacy", label: "percent(0)")
          tier: String! @override(from: "legacy", label: "beta")
        }
        """,
        entities={"Product": by_key(new)},
    )
    return [legacy, modern]


PROGRESSIVE_OVERRIDE = Suite(
    "progressive_override",
    _progressive_override,
    [
        Case(
            "percent_labels",
            "{ products { id price name } }",
            {"products": [{"id": "1", "price": 11, "name": "old table"}]},
        ),
        Case(
            "custom_label_inactive",
            "{ products { tier } }",
            {"products": [{"tier": "old"}]},
        ),
    ],
)


def _contexts() -> list[SdlSubgraph]:
    words = {"fr": "bonjour", "en": "hello"}
    users = {
        "u1": {"id": "u1", "locale": "fr", "account": {"id": "a1"}},
        "u2": {"id": "u2", "locale": "en", "account": {"id": "a1"}},
        "u3": {"id": "u3", "locale": "en", "account": {"id": "a2"}},
    }
    users["u1"]["friends"] = [users["u2"], users["u3"]]
    users["u2"]["friends"] = [users["u1"]]
    users["u3"]["friends"] = []

    def account(rep: dict[str, Json]) -> dict[str, Json]:
        def greeting(locale: str | None = None) -> str:
            return f"{words.get(str(locale), '?')} {rep['id']}"

        return {**rep, "greeting": greeting}

    people = SdlSubgraph(
        "people",
        fed("key context fromContext", "2.8")
        + """
        type Query { users: [User!]! }
        type User @key(fields: "id") @context(name: "userContext") {
          id: ID! locale: String! account: Account! friends: [User!]!
        }
        type Account @key(fields: "id") {
          id: ID!
          greeting(locale: String @fromContext(field: "$userContext { locale }")): String!
        }
        """,
        query={"users": list(users.values())},
        entities={"User": by_key(users), "Account": account},
    )
    return [people]


CONTEXTS = Suite(
    "contexts",
    _contexts,
    [
        Case(
            "value_from_the_parent",
            "{ users { id account { greeting } } }",
            {
                "users": [
                    {"id": "u1", "account": {"greeting": "bonjour a1"}},
                    {"id": "u2", "account": {"greeting": "hello a1"}},
                    {"id": "u3", "account": {"greeting": "hello a2"}},
                ]
            },
            hive_differs="it does not implement @fromContext: it sends no argument",
        ),
        Case(
            "nearest_ancestor_sets_it",
            "{ users { locale friends { id account { g: greeting id } } } }",
            {
                "users": [
                    {
                        "locale": "fr",
                        "friends": [
                            {"id": "u2", "account": {"g": "hello a1", "id": "a1"}},
                            {"id": "u3", "account": {"g": "hello a2", "id": "a2"}},
                        ],
                    },
                    {
                        "locale": "en",
                        "friends": [{"id": "u1", "account": {"g": "bonjour a1", "id": "a1"}}],
                    },
                    {"locale": "en", "friends": []},
                ]
            },
            hive_differs="it does not implement @fromContext: it sends no argument",
        ),
    ],
    ours=False,
)


# --- a richer graph for the differential fuzz test ------------------------------------------


def _fuzz_shop() -> list[SdlSubgraph]:
    products = {
        "1": {"id": "1", "sku": "TBL", "name": "Table", "kind": "TABLE", "dims": {"w": 2, "h": 1}},
        "2": {"id": "2", "sku": "CHR", "name": "Chair", "kind": "CHAIR", "dims": None},
        "3": {"id": "3", "sku": "LMP", "name": "Lamp", "kind": "LAMP", "dims": {"w": 1, "h": None}},
    }
    by_sku = {p["sku"]: p for p in products.values()}
    for p in products.values():
        p["__typename"] = "Product"
    media = {
        "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412},
        "m1": {"__typename": "Movie", "id": "m1", "title": "Alien"},
    }

    def product_ref(rep: dict[str, Json]) -> dict[str, Json] | None:
        found = products.get(str(rep.get("id"))) or by_sku.get(str(rep.get("sku")))
        return None if found is None else {**rep, **found}

    catalog = SdlSubgraph(
        "catalog",
        fed("key shareable")
        + """
        type Query {
          products: [Product!]!
          product(id: ID!): Product
          media: [Media!]!
          search(term: String): [Result!]!
        }
        type Product @key(fields: "id") @key(fields: "sku") {
          id: ID! sku: String! name: String! kind: Kind! dims: Dims @shareable
        }
        type Dims @shareable { w: Int! h: Int }
        enum Kind { CHAIR TABLE LAMP }
        interface Media { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! pages: Int }
        type Movie implements Media @key(fields: "id") { id: ID! title: String! }
        union Result = Product | Book | Movie
        """,
        query={
            "products": list(products.values()),
            "product": lambda id: products.get(id),
            "media": list(media.values()),
            "search": lambda term=None: [
                *(p for p in products.values() if term is None or term in p["name"]),
                *(m for m in media.values() if term is None or term in m["title"]),
            ],
        },
        entities={
            "Product": product_ref,
            "Book": by_key({"b1": media["b1"]}),
            "Movie": by_key({"m1": media["m1"]}),
        },
    )
    warehouses = {
        "W1": {"code": "W1", "city": "Lyon"},
        "W2": {"code": "W2", "city": "Porto"},
    }
    stock_rows = {
        "TBL": {"stock": 7, "warehouse": warehouses["W1"], "dims": {"w": 2, "depth": 3}},
        "CHR": {"stock": 0, "warehouse": warehouses["W2"], "dims": None},
        "LMP": {"stock": None, "warehouse": None, "dims": {"w": 1, "depth": None}},
    }
    stock = SdlSubgraph(
        "stock",
        fed("key shareable")
        + """
        type Query { warehouses: [Warehouse!]! }
        type Product @key(fields: "sku") {
          sku: String! stock: Int warehouse: Warehouse dims: Dims @shareable
        }
        type Dims @shareable { w: Int! depth: Int }
        type Warehouse @key(fields: "code") { code: ID! city: String! }
        """,
        query={"warehouses": list(warehouses.values())},
        entities={
            "Product": by_key(stock_rows, "sku"),
            "Warehouse": by_key(warehouses, "code"),
        },
    )
    reviews_rows = [
        {"id": "r1", "stars": 5, "body": "Sturdy", "product": "1", "movie": None},
        {"id": "r2", "stars": 2, "body": None, "product": "2", "movie": "m1"},
        {"id": "r3", "stars": 4, "body": "Bright", "product": "3", "movie": "m1"},
    ]

    def review(r: dict[str, Json]) -> dict[str, Json]:
        p = products[r["product"]]
        return {
            "id": r["id"],
            "stars": r["stars"],
            "body": r["body"],
            "product": {"__typename": "Product", "id": p["id"], "name": p["name"]},
        }

    def reviewed_product(rep: dict[str, Json]) -> dict[str, Json] | None:
        if rep.get("id") not in products:
            return None
        out = {
            **rep,
            "reviews": [review(r) for r in reviews_rows if r["product"] == rep["id"]],
        }
        if "kind" in rep:
            out["rating"] = {"TABLE": 4.5, "CHAIR": 2.0, "LAMP": None}[rep["kind"]]
        return out

    reviews = SdlSubgraph(
        "reviews",
        fed("key external requires provides")
        + """
        type Query { topReviews(first: Int = 2): [Review!]! }
        type Review { id: ID! stars: Int! body: String product: Product! @provides(fields: "name") }
        type Product @key(fields: "id") {
          id: ID!
          name: String! @external
          kind: Kind! @external
          reviews: [Review!]!
          rating: Float @requires(fields: "kind")
        }
        enum Kind { CHAIR TABLE LAMP }
        type Movie @key(fields: "id") { id: ID! director: String reviews: [Review!]! }
        """,
        query={"topReviews": lambda first=2: [review(r) for r in reviews_rows][:first]},
        entities={
            "Product": reviewed_product,
            "Movie": lambda rep: {
                **rep,
                "director": "Scott" if rep["id"] == "m1" else None,
                "reviews": [review(r) for r in reviews_rows if r["movie"] == rep["id"]],
            },
        },
    )
    return [catalog, stock, reviews]


FUZZ_SHOP = Suite(
    "fuzz_shop",
    _fuzz_shop,
    [
        Case(
            "three_subgraphs_deep",
            "{ topReviews(first: 1) { product { name stock warehouse { city } rating } } }",
            {
                "topReviews": [
                    {
                        "product": {
                            "name": "Table",
                            "stock": 7,
                            "warehouse": {"city": "Lyon"},
                            "rating": 4.5,
                        }
                    }
                ]
            },
        ),
        Case(
            "shareable_value_type_split",
            "{ products { dims { w h depth } } }",
            {
                "products": [
                    {"dims": {"w": 2, "h": 1, "depth": 3}},
                    {"dims": None},
                    {"dims": {"w": 1, "h": None, "depth": None}},
                ]
            },
            hive_differs="it leaves `depth`, which only `stock` has, null instead of asking `stock`",
        ),
        Case(
            "required_field_skipped_by_the_client",
            "query($s: Boolean!) { products { kind @skip(if: $s) rating } }",
            {"products": [{"rating": 4.5}, {"rating": 2.0}, {"rating": None}]},
            variables={"s": True},
            hive_differs="it drops the field `rating` @requires when the client skips that "
            "field (found by the fuzz test)",
        ),
        Case(
            "union_with_entities_elsewhere",
            '{ search(term: "L") { __typename ... on Product { stock } ... on Movie { director } } }',
            {"search": [{"__typename": "Product", "stock": None}]},
        ),
    ],
)


SUITES: list[Suite] = [
    EMPTY_SELECTIONS,
    TYPE_MISMATCH,
    NULL_KEYS,
    ALIASES,
    PROVIDED_KEY,
    SHAREABLE_ROOT_PROVIDES,
    VALUE_TYPE_THROUGH_PARENT,
    SPLIT_ROOT_VALUE,
    REQUIRES_ARGUMENTS,
    INACCESSIBLE_VALUES,
    OVERRIDE_IMPLEMENTATION,
    REFUSALS,
    PROGRESSIVE_OVERRIDE,
    CONTEXTS,
    FUZZ_SHOP,
]
_ = echo
