"""shared: word search tokens for customers, products, sales orders and invoices

Row-level security keeps non-leakproof operators (ILIKE, full-text `@@`, GIN array
operators) off indexes, so search words live one per row in `shared.search_token`, where
a prefix is a range of leakproof text comparisons on a btree (see shared/search.py).
Triggers keep the tokens in step with the searched columns; existing rows are indexed
here, tenant by tenant (RLS is forced, for the owner too).

Revision ID: 0017_search
Revises: 0005_shared_idempotency
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migrations

revision: str = "0017_search"
down_revision: str | Sequence[str] | None = "0005_shared_idempotency"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# (table, kind, searched columns). The kinds are shared.search.SearchKind's values.
SEARCHED = (
    ("crm.customer", "crm.customer", ("name", "legal_name")),
    ("stock.product", "stock.product", ("sku", "name", "barcode")),
    ("sales.sales_order", "sales.order", ("number",)),
    ("sales.invoice", "sales.invoice", ("number",)),
)

# Python's twin is shared.search.words(); tests/search keeps them in step. Combining marks
# go after NFKD; words are the runs between ASCII controls, spaces and punctuation and
# Latin-1, general and CJK punctuation.
SEARCH_WORDS = r"""
CREATE FUNCTION shared.search_words(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN array_remove(regexp_split_to_array(
  translate(lower(regexp_replace(normalize(value, NFKD),
    '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+', '', 'g')),
    U&'\03C2', U&'\03C3'),
  '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u00a0-\u00bf\u2000-\u206f\u3000-\u303f]+'), '')
"""

# The tokens of a row's searched fields: each word (cut to 64 characters); a word mixing
# digits and other characters also in its parts ("br100x": br, 100, x), so "100" finds
# "BR100x"; a number with leading zeros also without them ("00042": 42).
SEARCH_TOKENS = r"""
CREATE FUNCTION shared.search_tokens(VARIADIC fields text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  word text;
  w text;
  found text[] := '{}';
BEGIN
  FOREACH word IN ARRAY shared.search_words(array_to_string(fields, ' ')) LOOP
    FOREACH w IN ARRAY CASE WHEN word ~ '[0-9][^0-9]|[^0-9][0-9]'
        THEN word || regexp_split_to_array(word, '(?<=[0-9])(?=[^0-9])|(?<=[^0-9])(?=[0-9])')
        ELSE ARRAY[word] END LOOP
      w := left(w, 64);
      IF NOT w = ANY (found) THEN found := found || w; END IF;
      IF w ^@ '0' THEN
        w := ltrim(w, '0');
        IF w <> '' AND NOT w = ANY (found) THEN found := found || w; END IF;
      END IF;
    END LOOP;
  END LOOP;
  RETURN found;
END
$$
"""

# One function for every searched table: TG_ARGV is (kind, column, ...). Inserts and
# deletes are statement-level with transition tables, so a bulk load is one set-based
# insert; an update is row-level behind a WHEN on the searched columns, so the many
# updates that do not touch them (status, totals) cost nothing. It runs as the caller:
# RLS checks every token it writes. Token deletes join on plain column equalities, the
# leakproof comparisons RLS lets use the primary key.
SEARCH_SYNC = r"""
CREATE FUNCTION shared.search_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  search_kind text := TG_ARGV[0];
  fields text;
  old_tokens text[];
  new_tokens text[];
BEGIN
  SELECT string_agg(format('r.%I', c), ', ') INTO fields FROM unnest(TG_ARGV[1:]) AS c;
  IF TG_LEVEL = 'ROW' THEN
    EXECUTE format('SELECT shared.search_tokens(%s) FROM (SELECT ($1).*) r', fields)
      INTO old_tokens USING OLD;
    EXECUTE format('SELECT shared.search_tokens(%s) FROM (SELECT ($1).*) r', fields)
      INTO new_tokens USING NEW;
    DELETE FROM shared.search_token t
      WHERE t.tenant_id = OLD.tenant_id AND t.kind = search_kind AND t.entity_id = OLD.id
        AND t.token = ANY (old_tokens) AND NOT t.token = ANY (new_tokens);
    INSERT INTO shared.search_token (tenant_id, kind, token, entity_id)
      SELECT NEW.tenant_id, search_kind, w, NEW.id FROM unnest(new_tokens) AS w
      ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'INSERT' THEN
    EXECUTE format(
      'INSERT INTO shared.search_token (tenant_id, kind, token, entity_id)
       SELECT r.tenant_id, $1, w, r.id FROM new_rows r, unnest(shared.search_tokens(%s)) AS w
       ON CONFLICT DO NOTHING', fields) USING search_kind;
  ELSE
    EXECUTE format(
      'WITH gone AS MATERIALIZED (
         SELECT r.tenant_id, r.id, w FROM old_rows r, unnest(shared.search_tokens(%s)) AS w)
       DELETE FROM shared.search_token t USING gone g
       WHERE t.tenant_id = g.tenant_id AND t.kind = $1 AND t.token = g.w AND t.entity_id = g.id',
      fields) USING search_kind;
  END IF;
  RETURN NULL;
END
$$
"""


def _triggers(table: str, kind: str, columns: Sequence[str]) -> None:
    args = ", ".join(f"'{a}'" for a in (kind, *columns))
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    op.execute(
        f"CREATE TRIGGER search_tokens_insert AFTER INSERT ON {table}"
        f" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
        f" EXECUTE FUNCTION shared.search_sync({args})"
    )
    op.execute(
        f"CREATE TRIGGER search_tokens_update AFTER UPDATE ON {table} FOR EACH ROW"
        f" WHEN (ROW({old}) IS DISTINCT FROM ROW({new}))"
        f" EXECUTE FUNCTION shared.search_sync({args})"
    )
    op.execute(
        f"CREATE TRIGGER search_tokens_delete AFTER DELETE ON {table}"
        f" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
        f" EXECUTE FUNCTION shared.search_sync({args})"
    )


def _backfill() -> None:
    bind = op.get_bind()
    tenants = bind.execute(sa.text("select id from identity.tenant")).scalars().all()
    for tenant in tenants:
        bind.execute(sa.text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant)})
        for table, kind, columns in SEARCHED:
            # table and columns are this module's constants
            sql = (
                "insert into shared.search_token (tenant_id, kind, token, entity_id)"  # noqa: S608
                f" select tenant_id, :kind, w, id from {table},"
                f" unnest(shared.search_tokens({', '.join(columns)})) as w"
                " where tenant_id = :t on conflict do nothing"
            )
            bind.execute(sa.text(sql), {"kind": kind, "t": tenant})
    bind.execute(sa.text("select set_config('app.tenant_id', '', true)"))


def upgrade() -> None:
    op.create_table(
        "search_token",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=64, collation="C"), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('crm.customer', 'stock.product', 'sales.order', 'sales.invoice')",
            name=op.f("ck_search_token_kind"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "kind", "token", "entity_id", name=op.f("pk_search_token")
        ),
        schema="shared",
    )
    migrations.tenant_table("shared.search_token")
    op.execute(SEARCH_WORDS)
    op.execute(SEARCH_TOKENS)
    op.execute(SEARCH_SYNC)
    for table, kind, columns in SEARCHED:
        _triggers(table, kind, columns)
    _backfill()


def downgrade() -> None:
    for table, _kind, _columns in SEARCHED:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER search_tokens_{event} ON {table}")
    op.execute("DROP FUNCTION shared.search_sync()")
    op.execute("DROP FUNCTION shared.search_tokens(text[])")
    op.execute("DROP FUNCTION shared.search_words(text)")
    op.drop_table("search_token", schema="shared")
