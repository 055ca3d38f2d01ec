"""sales: orders, lines, invoices, payments, returns, tax and exchange rates, numbering,
idempotency keys

Revision ID: 0004_sales
Revises: 0002_crm, 0003_stock
Create Date: 2026-11-26 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0004_sales"
down_revision: str | Sequence[str] | None = ("0002_crm", "0003_stock")
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TABLES = (
    "sales.tax_rate",
    "sales.exchange_rate",
    "sales.counter",
    "sales.sales_order",
    "sales.sales_order_line",
    "sales.invoice",
    "sales.invoice_line",
    "sales.payment",
    "sales.sales_return",
    "sales.sales_return_line",
    "sales.idempotency_key",
)

# A posted invoice is a legal document: only its payment progress may change, and its
# lines never. Enforced here so that no code path, not even the owner's, rewrites one.
IMMUTABLE_INVOICES = (
    """
CREATE FUNCTION sales.forbid_posted_invoice_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
        OR (NEW.tenant_id, NEW.id, NEW.number, NEW.kind, NEW.order_id, NEW.customer_id,
            NEW.currency, NEW.invoice_date, NEW.untaxed, NEW.tax, NEW.total, NEW.reason,
            NEW.posted_at)
        IS DISTINCT FROM
           (OLD.tenant_id, OLD.id, OLD.number, OLD.kind, OLD.order_id, OLD.customer_id,
            OLD.currency, OLD.invoice_date, OLD.untaxed, OLD.tax, OLD.total, OLD.reason,
            OLD.posted_at)
    THEN
        RAISE EXCEPTION 'invoice % is posted and cannot be changed', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$
""",
    """
CREATE TRIGGER posted_invoice_immutable BEFORE UPDATE OR DELETE ON sales.invoice
    FOR EACH ROW EXECUTE FUNCTION sales.forbid_posted_invoice_change()
""",
    """
CREATE FUNCTION sales.forbid_invoice_line_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoice lines are posted and cannot be changed'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
""",
    """
CREATE TRIGGER invoice_line_immutable BEFORE UPDATE OR DELETE ON sales.invoice_line
    FOR EACH ROW EXECUTE FUNCTION sales.forbid_invoice_line_change()
""",
)


def upgrade() -> None:
    migrations.create_schema("sales")
    op.create_table(
        "counter",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "year", name=op.f("pk_counter")),
        schema="sales",
    )
    op.create_table(
        "exchange_rate",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_exchange_rate_rate")),
        sa.PrimaryKeyConstraint("tenant_id", "currency", "date", name=op.f("pk_exchange_rate")),
        schema="sales",
    )
    op.create_table(
        "idempotency_key",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_idempotency_key")),
        schema="sales",
    )
    op.create_table(
        "tax_rate",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("percent >= 0 AND percent <= 100", name=op.f("ck_tax_rate_percent")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tax_rate")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_tax_rate_tenant_id_name")),
        schema="sales",
    )
    op.create_table(
        "sales_order",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("salesperson_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=24), server_default="QUOTATION", nullable=False),
        sa.Column(
            "invoice_status", sa.String(length=24), server_default="NOT_INVOICED", nullable=False
        ),
        sa.Column("exchange_rate", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "invoice_status IN ('NOT_INVOICED', 'PARTIALLY_INVOICED', 'INVOICED', 'PAID')",
            name=op.f("ck_sales_order_invoice_status"),
        ),
        sa.CheckConstraint(
            "status IN ('QUOTATION', 'SENT', 'CONFIRMED', 'PARTIALLY_DELIVERED',"
            " 'DELIVERED', 'CANCELLED')",
            name=op.f("ck_sales_order_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["crm.customer.tenant_id", "crm.customer.id"],
            name=op.f("fk_sales_order_tenant_id_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["stock.warehouse.tenant_id", "stock.warehouse.id"],
            name=op.f("fk_sales_order_tenant_id_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sales_order")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_sales_order_tenant_id_number")),
        schema="sales",
    )
    op.create_index(
        "ix_sales_order_tenant_id_customer_id_order_date",
        "sales_order",
        ["tenant_id", "customer_id", "order_date"],
        unique=False,
        schema="sales",
    )
    op.create_index(
        "ix_sales_order_tenant_id_order_date",
        "sales_order",
        ["tenant_id", "order_date"],
        unique=False,
        schema="sales",
    )
    op.create_table(
        "invoice",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="POSTED", nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "amount_paid", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "posted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('INVOICE', 'CREDIT_NOTE')", name=op.f("ck_invoice_kind")),
        sa.CheckConstraint("status IN ('POSTED', 'PAID')", name=op.f("ck_invoice_status")),
        sa.CheckConstraint(
            "amount_paid >= 0 AND amount_paid <= total", name=op.f("ck_invoice_paid")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["crm.customer.tenant_id", "crm.customer.id"],
            name=op.f("fk_invoice_tenant_id_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["sales.sales_order.tenant_id", "sales.sales_order.id"],
            name=op.f("fk_invoice_tenant_id_order_id_sales_order"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_invoice_tenant_id_number")),
        schema="sales",
    )
    op.create_index(
        "ix_invoice_tenant_id_order_id",
        "invoice",
        ["tenant_id", "order_id"],
        unique=False,
        schema="sales",
    )
    op.create_table(
        "sales_order_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("product_type", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "discount_percent", sa.Numeric(precision=7, scale=4), server_default="0", nullable=False
        ),
        sa.Column("tax_rate_id", sa.Uuid(), nullable=True),
        sa.Column(
            "tax_percent", sa.Numeric(precision=7, scale=4), server_default="0", nullable=False
        ),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "delivered_qty", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column(
            "returned_qty", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column(
            "invoiced_qty", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.CheckConstraint(
            "delivered_qty >= 0 AND delivered_qty <= quantity"
            " AND returned_qty >= 0 AND returned_qty <= delivered_qty"
            " AND invoiced_qty >= 0 AND invoiced_qty <= delivered_qty - returned_qty",
            name=op.f("ck_sales_order_line_progress"),
        ),
        sa.CheckConstraint(
            "discount_percent >= 0 AND discount_percent <= 100",
            name=op.f("ck_sales_order_line_discount"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sales_order_line_quantity")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_sales_order_line_unit_price")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["sales.sales_order.tenant_id", "sales.sales_order.id"],
            name=op.f("fk_sales_order_line_tenant_id_order_id_sales_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_sales_order_line_tenant_id_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "tax_rate_id"],
            ["sales.tax_rate.tenant_id", "sales.tax_rate.id"],
            name=op.f("fk_sales_order_line_tenant_id_tax_rate_id_tax_rate"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sales_order_line")),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "position",
            name=op.f("uq_sales_order_line_tenant_id_order_id_position"),
        ),
        schema="sales",
    )
    op.create_index(
        "ix_sales_order_line_tenant_id_product_id",
        "sales_order_line",
        ["tenant_id", "product_id"],
        unique=False,
        schema="sales",
    )
    op.create_table(
        "invoice_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("order_line_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tax_percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["sales.invoice.tenant_id", "sales.invoice.id"],
            name=op.f("fk_invoice_line_tenant_id_invoice_id_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_line_id"],
            ["sales.sales_order_line.tenant_id", "sales.sales_order_line.id"],
            name=op.f("fk_invoice_line_tenant_id_order_line_id_sales_order_line"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice_line")),
        schema="sales",
    )
    op.create_index(
        "ix_invoice_line_tenant_id_invoice_id",
        "invoice_line",
        ["tenant_id", "invoice_id"],
        unique=False,
        schema="sales",
    )
    op.create_table(
        "payment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["sales.invoice.tenant_id", "sales.invoice.id"],
            name=op.f("fk_payment_tenant_id_invoice_id_invoice"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payment")),
        schema="sales",
    )
    op.create_index(
        "ix_payment_tenant_id_invoice_id",
        "payment",
        ["tenant_id", "invoice_id"],
        unique=False,
        schema="sales",
    )
    op.create_table(
        "sales_return",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"],
            ["sales.invoice.tenant_id", "sales.invoice.id"],
            name=op.f("fk_sales_return_tenant_id_credit_note_id_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["sales.sales_order.tenant_id", "sales.sales_order.id"],
            name=op.f("fk_sales_return_tenant_id_order_id_sales_order"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sales_return")),
        schema="sales",
    )
    op.create_table(
        "sales_return_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("return_id", sa.Uuid(), nullable=False),
        sa.Column("order_line_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sales_return_line_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_line_id"],
            ["sales.sales_order_line.tenant_id", "sales.sales_order_line.id"],
            name=op.f("fk_sales_return_line_tenant_id_order_line_id_sales_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "return_id"],
            ["sales.sales_return.tenant_id", "sales.sales_return.id"],
            name=op.f("fk_sales_return_line_tenant_id_return_id_sales_return"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sales_return_line")),
        schema="sales",
    )
    for table in TABLES:
        migrations.tenant_table(table)
    for statement in IMMUTABLE_INVOICES:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("sales_return_line", schema="sales")
    op.drop_table("sales_return", schema="sales")
    op.drop_index("ix_payment_tenant_id_invoice_id", table_name="payment", schema="sales")
    op.drop_table("payment", schema="sales")
    op.drop_index("ix_invoice_line_tenant_id_invoice_id", table_name="invoice_line", schema="sales")
    op.drop_table("invoice_line", schema="sales")
    op.drop_index(
        "ix_sales_order_line_tenant_id_product_id", table_name="sales_order_line", schema="sales"
    )
    op.drop_table("sales_order_line", schema="sales")
    op.drop_index("ix_invoice_tenant_id_order_id", table_name="invoice", schema="sales")
    op.drop_table("invoice", schema="sales")
    op.drop_index("ix_sales_order_tenant_id_order_date", table_name="sales_order", schema="sales")
    op.drop_index(
        "ix_sales_order_tenant_id_customer_id_order_date", table_name="sales_order", schema="sales"
    )
    op.drop_table("sales_order", schema="sales")
    op.drop_table("tax_rate", schema="sales")
    op.drop_table("idempotency_key", schema="sales")
    op.drop_table("exchange_rate", schema="sales")
    op.drop_table("counter", schema="sales")
    op.execute("DROP FUNCTION IF EXISTS sales.forbid_invoice_line_change()")
    op.execute("DROP FUNCTION IF EXISTS sales.forbid_posted_invoice_change()")
    op.execute('DROP SCHEMA IF EXISTS "sales"')
