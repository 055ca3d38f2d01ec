"""Word search (shared.search) through GraphQL: any word of a customer's name, a product's
SKU, name or barcode, an order's or invoice's number; accents and case ignored; nothing
of another tenant; odd input never an internal error."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import search
from shared.context import Runtime
from subgraphs.stock.models import Product
from tests.conftest import GraphQLClient, TenantHandle, make_tenant
from tests.search.conftest import add_orders, owner_sql, warehouse_and_customer

CUSTOMERS = (
    "query($s: String) { customers(filter: {search: $s}) { totalCount edges { node { name } } } }"
)
PRODUCTS = (
    "query($s: String) { products(filter: {search: $s, active: null}) {"
    " totalCount edges { node { sku } } } }"
)
ORDERS = "query($s: String) { salesOrders(filter: {search: $s}) { totalCount edges { node { number } } } }"
INVOICES = (
    "query($s: String) { invoices(filter: {search: $s}) { totalCount edges { node { number } } } }"
)


async def found(gql: GraphQLClient, query: str, token: str, term: str | None) -> list[str]:
    answer = await gql(query, {"s": term}, token=token)
    assert "errors" not in answer, answer
    (connection,) = answer["data"].values()
    names = sorted(next(iter(e["node"].values())) for e in connection["edges"])
    assert connection["totalCount"] == len(names)
    return names


async def create(gql: GraphQLClient, token: str, mutation: str, input: dict[str, Any]) -> str:
    kind = mutation.removeprefix("create").removeprefix("update")
    field = kind[0].lower() + kind[1:]
    answer = await gql(
        f"mutation($i: {mutation[0].upper()}{mutation[1:]}Input!) {{ {mutation}(input: $i)"
        f" {{ {field} {{ id }} errors {{ code field }} }} }}",
        {"i": input},
        token=token,
    )
    assert "errors" not in answer, answer
    payload = answer["data"][mutation]
    assert payload["errors"] == [], payload
    return payload[field]["id"]  # type: ignore[no-any-return]


async def test_python_words_are_the_sql_words(runtime: Runtime) -> None:
    """The query's words (Python) must be cut like the stored tokens (SQL)."""
    samples = [
        "Acme GmbH & Co. KG",
        "SO-2026-00042",
        "BR100x  Müller-Lüdenscheidt",
        "\uff26\uff35\uff2c\uff2c \uff57\uff49\uff44\uff54\uff48 \ufb01ne",  # NFKD: FULL width fine
        "Ærø Œuvre ΟΔΟΣ İstanbul Øst",
        "%_\\'\"",
        "tab\tnew\nline nbsp\u00a0em\u2014dash\u3000ideo",
        "x" * 80,
    ]
    async with runtime.db.transaction(None, readonly=True) as session:
        for sample in samples:
            sql = await session.scalar(text("select shared.search_words(:v)"), {"v": sample})
            assert [w[: search.TOKEN_LENGTH] for w in sql] == search.words(sample), sample
        tokens = await session.scalar(
            text("select shared.search_tokens('BR100x', NULL, 'SO-2026-00042', '000')")
        )
    assert tokens == ["br100x", "br", "100", "x", "so", "2026", "00042", "42", "000"]


async def test_customers_are_found_by_any_word_whatever_the_case_and_accents(
    gql: dict[str, GraphQLClient], tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    crm, token = gql["crm"], tenant.token
    await create(crm, token, "createCustomer", {"name": "Acme GmbH", "email": "info@acme.de"})
    await create(crm, token, "createCustomer", {"name": "Müller Stahl AG", "taxId": "DE 123 45"})
    await create(crm, token, "createCustomer", {"name": "Globex", "legalName": "Globex Oy"})
    await create(crm, other_tenant.token, "createCustomer", {"name": "Other GmbH"})

    assert await found(crm, CUSTOMERS, token, "gmbh") == ["Acme GmbH"]
    assert await found(crm, CUSTOMERS, token, "GmbH") == ["Acme GmbH"]
    assert await found(crm, CUSTOMERS, token, "muller") == ["Müller Stahl AG"]
    assert await found(crm, CUSTOMERS, token, "MÜLLER") == ["Müller Stahl AG"]
    assert await found(crm, CUSTOMERS, token, "sta mül") == ["Müller Stahl AG"]
    assert await found(crm, CUSTOMERS, token, "oy") == ["Globex"]  # the legal name
    assert await found(crm, CUSTOMERS, token, "acme stahl") == []  # every word must match
    assert await found(crm, CUSTOMERS, token, "info@ac") == ["Acme GmbH"]  # email prefix
    assert await found(crm, CUSTOMERS, token, "de12345") == ["Müller Stahl AG"]  # tax id
    assert await found(crm, CUSTOMERS, token, "other") == []  # another tenant's
    assert await found(crm, CUSTOMERS, other_tenant.token, "gmbh") == ["Other GmbH"]
    assert len(await found(crm, CUSTOMERS, token, "  ")) == 3  # blank: no filter


async def test_a_renamed_customer_is_found_by_its_new_name_only(
    gql: dict[str, GraphQLClient], tenant: TenantHandle
) -> None:
    crm, token = gql["crm"], tenant.token
    customer = await create(crm, token, "createCustomer", {"name": "Initech Ltd"})
    await create(crm, token, "updateCustomer", {"id": customer, "name": "Initrode Ltd"})
    assert await found(crm, CUSTOMERS, token, "initech") == []
    assert await found(crm, CUSTOMERS, token, "initrode") == ["Initrode Ltd"]
    assert await found(crm, CUSTOMERS, token, "ltd") == ["Initrode Ltd"]


async def test_products_are_found_by_part_of_the_sku_name_or_barcode(
    runtime: Runtime, gql: dict[str, GraphQLClient], tenant: TenantHandle
) -> None:
    stock, token = gql["stock"], tenant.token
    await create(stock, token, "createProduct", {"sku": "BR-100", "name": "Bracket"})
    await create(stock, token, "createProduct", {"sku": "XK100B", "name": "Hinge, steel"})
    gone = await create(
        stock, token, "createProduct", {"sku": "ZZ-9", "name": "Widget", "barcode": "4006381333931"}
    )
    assert await found(stock, PRODUCTS, token, "100") == ["BR-100", "XK100B"]
    assert await found(stock, PRODUCTS, token, "br-10") == ["BR-100"]
    assert await found(stock, PRODUCTS, token, "xk100") == ["XK100B"]
    assert await found(stock, PRODUCTS, token, "steel") == ["XK100B"]
    assert await found(stock, PRODUCTS, token, "40063813") == ["ZZ-9"]
    # A deleted row's tokens go with it (the statement-level delete trigger).
    async with runtime.db.transaction(tenant.id) as session:
        await session.execute(
            delete(Product).where(Product.tenant_id == tenant.id, Product.id == gone)
        )
    assert await found(stock, PRODUCTS, token, "widget") == []
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        left = await session.scalar(
            text("select count(*) from shared.search_token where entity_id = :p"), {"p": gone}
        )
    assert left == 0


async def test_orders_and_invoices_are_found_by_part_of_their_number(
    gql: dict[str, GraphQLClient],
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    owner_engine: AsyncEngine,
) -> None:
    await add_orders(
        owner_engine, tenant.id, ["SO-2026-00042", "SO-2026-00420", "SO-2025-00007"], invoices=True
    )
    await add_orders(owner_engine, other_tenant.id, ["SO-2026-00043"])
    sales, token = gql["sales"], tenant.token
    assert await found(sales, ORDERS, token, "00042") == ["SO-2026-00042"]
    assert await found(sales, ORDERS, token, "42") == ["SO-2026-00042", "SO-2026-00420"]
    assert await found(sales, ORDERS, token, "2026-0004") == ["SO-2026-00042"]
    assert await found(sales, ORDERS, token, "so 7") == ["SO-2025-00007"]
    assert await found(sales, ORDERS, token, "43") == []  # another tenant's
    assert await found(sales, INVOICES, token, "inv-2026-00042") == ["INV-2026-00042"]
    assert await found(sales, INVOICES, token, "420") == ["INV-2026-00420"]


ODD = ["%", "_", "\\", "%%", "a%", "_a", "'", '"', "--", "\u00a0", "🦄", "x" * 200, "ς"]


@pytest.mark.parametrize("term", ODD)
async def test_odd_search_text_is_no_error(
    gql: dict[str, GraphQLClient], tenant: TenantHandle, term: str
) -> None:
    for client, query in (
        (gql["crm"], CUSTOMERS),
        (gql["stock"], PRODUCTS),
        (gql["sales"], ORDERS),
        (gql["sales"], INVOICES),
    ):
        assert await found(client, query, tenant.token, term) == []


@pytest.mark.parametrize(
    "term", ["a\u0000b", "x" * 10_240, " ".join(f"w{i:02d}" for i in range(search.MAX_WORDS + 1))]
)
async def test_unstorable_long_or_wordy_search_text_is_bad_user_input(
    gql: dict[str, GraphQLClient], tenant: TenantHandle, term: str
) -> None:
    for client, query in (
        (gql["crm"], CUSTOMERS),
        (gql["stock"], PRODUCTS),
        (gql["sales"], ORDERS),
        (gql["sales"], INVOICES),
    ):
        answer = await client(query, {"s": term}, token=tenant.token)
        assert not any((answer.get("data") or {}).values()), answer
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_USER_INPUT"]


async def test_prefix_ranges_keep_to_the_prefix(
    runtime: Runtime, tenant: TenantHandle, owner_engine: AsyncEngine
) -> None:
    """The range's upper bound is the next code point (past surrogates, at the top)."""
    assert search._after("ab") == "ac"
    assert search._after("a\ud7ff") == "a\ue000"
    assert search._after("a\U0010ffff") == "b"
    assert search._after("\U0010ffff") is None
    await owner_sql(
        owner_engine,
        "insert into stock.product (tenant_id, id, sku, name, type) values"
        " (:t, gen_random_uuid(), 'Q-1', 'az', 'STOCKABLE'),"
        " (:t, gen_random_uuid(), 'Q-2', 'b', 'STOCKABLE')",
        {"t": tenant.id},
    )
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        ids = (
            await session.scalars(search.matching_ids(search.SearchKind.PRODUCT, tenant.id, "a"))
        ).all()
    assert len(ids) == 1


# --- the plans at 100,000 rows ------------------------------------------------------

LOAD = (
    "insert into crm.customer (tenant_id, id, name, legal_name)"
    " select :t, gen_random_uuid(), 'Firm ' || g || ' '"
    " || (array['GmbH', 'AG', 'Ltd', 'SARL', 'Oy'])[1 + g % 5], null"
    " from generate_series(1, 100000) g",
    "insert into stock.product (tenant_id, id, sku, name, type)"
    " select :t, gen_random_uuid(), 'P-' || lpad(g::text, 6, '0'), 'Part ' || g, 'STOCKABLE'"
    " from generate_series(1, 100000) g",
    "insert into sales.sales_order (tenant_id, id, number, customer_id, warehouse_id, currency,"
    " order_date) select :t, gen_random_uuid(), 'SO-2026-' || lpad(g::text, 6, '0'), :c, :w,"
    " 'EUR', '2026-12-01' from generate_series(1, 100000) g",
)


INDEXED = re.compile(
    r"(Index Only Scan using|Index Scan using|Bitmap Index Scan on) pk_search_token"
)


async def plans(runtime: Runtime, tenant: Any, read: Any) -> list[tuple[str, str]]:
    """The plans, ("custom" or "generic", plan), of every statement of `read` that searches
    tokens, as the application role under RLS with the tenant set as the app sets it."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "search_token" in statement:
            captured.append((statement, parameters))

    engine = runtime.db.engine.sync_engine
    found: list[tuple[str, str]] = []
    async with runtime.db.transaction(tenant, readonly=True) as session:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            await read(session)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert captured
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        for n, (statement, parameters) in enumerate(captured):
            rows = await raw.fetch("explain " + statement, *parameters)
            found.append(("custom", "\n".join(r[0] for r in rows)))
            await raw.execute(f"prepare search_{n} as {statement}")
            await raw.execute("set local plan_cache_mode = force_generic_plan")
            values = ", ".join("'" + str(p).replace("'", "''") + "'" for p in parameters)
            rows = await raw.fetch(f"explain execute search_{n}({values})")
            found.append(("generic", "\n".join(r[0] for r in rows)))
            await raw.execute(f"deallocate search_{n}")
    return found


@pytest.mark.slow
async def test_each_search_is_an_index_scan_at_100k_rows(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    from subgraphs.crm import reads as crm
    from subgraphs.sales import reads as sales
    from subgraphs.stock import reads as stock

    tenant = await make_tenant(runtime, "Search Load")
    warehouse, customer = await warehouse_and_customer(owner_engine, tenant.id)
    await asyncio.gather(
        *(
            owner_sql(owner_engine, sql, {"t": tenant.id, "c": customer, "w": warehouse})
            for sql in LOAD
        )
    )
    await owner_sql(
        owner_engine,
        "analyze crm.customer, stock.product, sales.sales_order, shared.search_token",
        {},
    )

    def page(list_: Any, make: Any, term: str) -> Any:
        return lambda s: list_(s, tenant.id, filter=make(search=term), first=20, after=None)

    # (read, whether the plan touches no table in full). "42" finds 1,111 orders: there a
    # hash join over the orders table is cheaper than 1,111 key look-ups, and the planner
    # rightly takes it; the words still come from the index.
    reads = {
        "customer by number": (page(crm.list_customers, crm.CustomerFilter, "4242"), True),
        "customer by words": (
            page(crm.list_customers, crm.CustomerFilter, "firm 4242 gmbh"),
            True,
        ),
        "product by sku part": (page(stock.list_products, stock.ProductFilter, "004242"), True),
        "product by name": (page(stock.list_products, stock.ProductFilter, "part 4242"), True),
        "order by number": (page(sales.list_orders, sales.OrderFilter, "SO-2026-004242"), True),
        "order by part": (page(sales.list_orders, sales.OrderFilter, "2026-00424"), True),
        "order by a short part": (page(sales.list_orders, sales.OrderFilter, "42"), False),
    }
    wrong = []
    for name, (read, whole) in reads.items():
        for mode, plan in await plans(runtime, tenant.id, read):
            # A generic plan (guessing 1,800 matches a word) may hash-join a full scan of
            # the entity table, but costs far more, so the plan cache does not prefer it.
            scanned = "Seq Scan on search_token" in plan or (
                whole and mode == "custom" and "Seq Scan" in plan
            )
            if scanned or not INDEXED.search(plan):
                wrong.append(f"{name} ({mode}):\n{plan}")
    assert not wrong, "\n\n".join(wrong)
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        page_ = await crm.list_customers(
            session, tenant.id, filter=crm.CustomerFilter(search="firm 4242"), first=20, after=None
        )
    assert page_.total_count == 11  # 4242 and 42420..42429
