"""purchases: suppliers and price lists, purchase orders and lines, receipts, vendor bills
with their three-way match, bill payments, numbering and the tenant's purchasing policy

Revision ID: 0006_purchases
Revises: 0005_shared_idempotency
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0006_purchases"
down_revision: str | Sequence[str] | None = "0005_shared_idempotency"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TABLES = (
    "purchases.counter",
    "purchases.purchase_policy",
    "purchases.supplier",
    "purchases.preferred_supplier",
    "purchases.purchase_order",
    "purchases.supplier_price",
    "purchases.purchase_order_line",
    "purchases.receipt",
    "purchases.vendor_bill",
    "purchases.bill_payment",
    "purchases.receipt_line",
    "purchases.vendor_bill_line",
)

# A receipt is a posted document (its stock moves are done): neither it nor its lines
# ever change. Enforced here so that no code path, not even the owner's, rewrites one.
IMMUTABLE_RECEIPTS = (
    """
CREATE FUNCTION purchases.forbid_receipt_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'receipts are posted and cannot be changed'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
""",
    """
CREATE TRIGGER receipt_immutable BEFORE UPDATE OR DELETE ON purchases.receipt
    FOR EACH ROW EXECUTE FUNCTION purchases.forbid_receipt_change()
""",
    """
CREATE TRIGGER receipt_line_immutable BEFORE UPDATE OR DELETE ON purchases.receipt_line
    FOR EACH ROW EXECUTE FUNCTION purchases.forbid_receipt_change()
""",
)


def upgrade() -> None:
    migrations.create_schema("purchases")
    op.create_table(
        "counter",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "year", name=op.f("pk_counter")),
        schema="purchases",
    )
    op.create_table(
        "purchase_policy",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("approval_threshold", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "receipt_tolerance_percent",
            sa.Numeric(precision=7, scale=4),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "match_tolerance_percent",
            sa.Numeric(precision=7, scale=4),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "approval_threshold >= 0", name=op.f("ck_purchase_policy_approval_threshold")
        ),
        sa.CheckConstraint(
            "match_tolerance_percent >= 0 AND match_tolerance_percent <= 100",
            name=op.f("ck_purchase_policy_match_tolerance"),
        ),
        sa.CheckConstraint(
            "receipt_tolerance_percent >= 0 AND receipt_tolerance_percent <= 100",
            name=op.f("ck_purchase_policy_receipt_tolerance"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_purchase_policy")),
        schema="purchases",
    )
    op.create_table(
        "supplier",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tax_id", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("address", sa.Text(), server_default="", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), server_default="30", nullable=False),
        sa.Column("lead_time_days", sa.Integer(), server_default="7", nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default="false", nullable=False),
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
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_supplier_lead_time_days")),
        sa.CheckConstraint("payment_terms_days >= 0", name=op.f("ck_supplier_payment_terms_days")),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_supplier_rating")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("tenant_id", "tax_id", name=op.f("uq_supplier_tenant_id_tax_id")),
        schema="purchases",
    )
    op.create_index(
        "ix_supplier_tenant_id_name",
        "supplier",
        ["tenant_id", "name"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "preferred_supplier",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_preferred_supplier_tenant_id_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchases.supplier.tenant_id", "purchases.supplier.id"],
            name=op.f("fk_preferred_supplier_tenant_id_supplier_id_supplier"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "product_id", name=op.f("pk_preferred_supplier")),
        schema="purchases",
    )
    op.create_table(
        "purchase_order",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("exchange_rate", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=24), server_default="RFQ", nullable=False),
        sa.Column(
            "billing_status", sa.String(length=24), server_default="NOT_BILLED", nullable=False
        ),
        sa.Column(
            "approval_status", sa.String(length=16), server_default="NOT_REVIEWED", nullable=False
        ),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_by", sa.Uuid(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
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
            "approval_status IN ('NOT_REVIEWED', 'APPROVED', 'REJECTED')",
            name=op.f("ck_purchase_order_approval_status"),
        ),
        sa.CheckConstraint(
            "billing_status IN ('NOT_BILLED', 'PARTIALLY_BILLED', 'BILLED', 'PAID')",
            name=op.f("ck_purchase_order_billing_status"),
        ),
        sa.CheckConstraint(
            "status IN ('RFQ', 'SENT', 'CONFIRMED', 'PARTIALLY_RECEIVED', 'RECEIVED', 'CANCELLED')",
            name=op.f("ck_purchase_order_status"),
        ),
        sa.CheckConstraint("exchange_rate > 0", name=op.f("ck_purchase_order_exchange_rate")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchases.supplier.tenant_id", "purchases.supplier.id"],
            name=op.f("fk_purchase_order_tenant_id_supplier_id_supplier"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["stock.warehouse.tenant_id", "stock.warehouse.id"],
            name=op.f("fk_purchase_order_tenant_id_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_purchase_order_tenant_id_number")),
        schema="purchases",
    )
    op.create_index(
        "ix_purchase_order_tenant_id_order_date",
        "purchase_order",
        ["tenant_id", "order_date"],
        unique=False,
        schema="purchases",
    )
    op.create_index(
        "ix_purchase_order_tenant_id_supplier_id_order_date",
        "purchase_order",
        ["tenant_id", "supplier_id", "order_date"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "supplier_price",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "min_quantity", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column("order_multiple", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_supplier_price_lead_time_days")),
        sa.CheckConstraint("min_quantity >= 0", name=op.f("ck_supplier_price_min_quantity")),
        sa.CheckConstraint("order_multiple > 0", name=op.f("ck_supplier_price_order_multiple")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_supplier_price_price")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_supplier_price_validity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_supplier_price_tenant_id_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchases.supplier.tenant_id", "purchases.supplier.id"],
            name=op.f("fk_supplier_price_tenant_id_supplier_id_supplier"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_supplier_price")),
        schema="purchases",
    )
    op.create_index(
        "ix_supplier_price_tenant_id_product_id",
        "supplier_price",
        ["tenant_id", "product_id"],
        unique=False,
        schema="purchases",
    )
    op.create_index(
        "ix_supplier_price_tenant_id_supplier_id",
        "supplier_price",
        ["tenant_id", "supplier_id"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "purchase_order_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "tax_percent", sa.Numeric(precision=7, scale=4), server_default="0", nullable=False
        ),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "received_qty", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column(
            "billed_qty", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column(
            "cancelled_qty", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_line_quantity")),
        sa.CheckConstraint(
            "received_qty >= 0 AND billed_qty >= 0"
            " AND cancelled_qty >= 0 AND cancelled_qty <= quantity",
            name=op.f("ck_purchase_order_line_progress"),
        ),
        sa.CheckConstraint(
            "tax_percent >= 0 AND tax_percent <= 100",
            name=op.f("ck_purchase_order_line_tax_percent"),
        ),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_purchase_order_line_unit_cost")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["purchases.purchase_order.tenant_id", "purchases.purchase_order.id"],
            name=op.f("fk_purchase_order_line_tenant_id_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_purchase_order_line_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_purchase_order_line")),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "position",
            name=op.f("uq_purchase_order_line_tenant_id_order_id_position"),
        ),
        schema="purchases",
    )
    op.create_index(
        "ix_purchase_order_line_tenant_id_product_id",
        "purchase_order_line",
        ["tenant_id", "product_id"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "receipt",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["purchases.purchase_order.tenant_id", "purchases.purchase_order.id"],
            name=op.f("fk_receipt_tenant_id_order_id_purchase_order"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_receipt")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_receipt_tenant_id_number")),
        schema="purchases",
    )
    op.create_index(
        "ix_receipt_tenant_id_order_id",
        "receipt",
        ["tenant_id", "order_id"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "vendor_bill",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("supplier_reference", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "hold_reasons",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "amount_paid", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("released_by", sa.Uuid(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('HELD', 'POSTED', 'PAID')", name=op.f("ck_vendor_bill_status")
        ),
        sa.CheckConstraint(
            "amount_paid >= 0 AND amount_paid <= total", name=op.f("ck_vendor_bill_paid")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["purchases.purchase_order.tenant_id", "purchases.purchase_order.id"],
            name=op.f("fk_vendor_bill_tenant_id_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchases.supplier.tenant_id", "purchases.supplier.id"],
            name=op.f("fk_vendor_bill_tenant_id_supplier_id_supplier"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_vendor_bill")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_vendor_bill_tenant_id_number")),
        sa.UniqueConstraint(
            "tenant_id",
            "supplier_id",
            "supplier_reference",
            name=op.f("uq_vendor_bill_tenant_id_supplier_id_supplier_reference"),
        ),
        schema="purchases",
    )
    op.create_index(
        "ix_vendor_bill_tenant_id_due_date",
        "vendor_bill",
        ["tenant_id", "due_date"],
        unique=False,
        schema="purchases",
    )
    op.create_index(
        "ix_vendor_bill_tenant_id_order_id",
        "vendor_bill",
        ["tenant_id", "order_id"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "bill_payment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bill_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bill_payment_amount")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "bill_id"],
            ["purchases.vendor_bill.tenant_id", "purchases.vendor_bill.id"],
            name=op.f("fk_bill_payment_tenant_id_bill_id_vendor_bill"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bill_payment")),
        schema="purchases",
    )
    op.create_index(
        "ix_bill_payment_tenant_id_bill_id",
        "bill_payment",
        ["tenant_id", "bill_id"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "receipt_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("order_line_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_receipt_line_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_line_id"],
            ["purchases.purchase_order_line.tenant_id", "purchases.purchase_order_line.id"],
            name=op.f("fk_receipt_line_tenant_id_order_line_id_purchase_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "receipt_id"],
            ["purchases.receipt.tenant_id", "purchases.receipt.id"],
            name=op.f("fk_receipt_line_tenant_id_receipt_id_receipt"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_receipt_line")),
        schema="purchases",
    )
    op.create_index(
        "ix_receipt_line_tenant_id_product_id",
        "receipt_line",
        ["tenant_id", "product_id"],
        unique=False,
        schema="purchases",
    )
    op.create_index(
        "ix_receipt_line_tenant_id_receipt_id",
        "receipt_line",
        ["tenant_id", "receipt_id"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "vendor_bill_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bill_id", sa.Uuid(), nullable=False),
        sa.Column("order_line_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax_percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("untaxed", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("ordered_qty", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("received_qty", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("ordered_unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_vendor_bill_line_quantity")),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_vendor_bill_line_unit_cost")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "bill_id"],
            ["purchases.vendor_bill.tenant_id", "purchases.vendor_bill.id"],
            name=op.f("fk_vendor_bill_line_tenant_id_bill_id_vendor_bill"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_line_id"],
            ["purchases.purchase_order_line.tenant_id", "purchases.purchase_order_line.id"],
            name=op.f("fk_vendor_bill_line_tenant_id_order_line_id_purchase_order_line"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_vendor_bill_line")),
        schema="purchases",
    )
    op.create_index(
        "ix_vendor_bill_line_tenant_id_bill_id",
        "vendor_bill_line",
        ["tenant_id", "bill_id"],
        unique=False,
        schema="purchases",
    )
    for statement in IMMUTABLE_RECEIPTS:
        op.execute(statement)
    for table in TABLES:
        migrations.tenant_table(table)


def downgrade() -> None:
    op.execute("DROP SCHEMA purchases CASCADE")
