"""stock: products, warehouses, locations, the ledger, levels, reservations, alerts

Revision ID: 0003_stock
Revises: 0001
Create Date: 2026-11-26 15:34:11.529443
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migrations

revision: str = "0003_stock"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


TABLES = (
    "stock.product",
    "stock.warehouse",
    "stock.location",
    "stock.stock_move",
    "stock.stock_level",
    "stock.reservation",
    "stock.reorder_rule",
    "stock.low_stock_alert",
)

# A done move is history: corrections are new moves. Enforced here so that no code path,
# not even the owner's, can rewrite the ledger that levels are verified against.
# asyncpg runs one statement per execute.
IMMUTABLE_DONE_MOVES = (
    """
CREATE FUNCTION stock.forbid_done_move_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'DONE' THEN
        RAISE EXCEPTION 'stock move % is done and cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$
""",
    """
CREATE TRIGGER done_move_immutable BEFORE UPDATE OR DELETE ON stock.stock_move
    FOR EACH ROW EXECUTE FUNCTION stock.forbid_done_move_change()
""",
    """
CREATE FUNCTION stock.forbid_move_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the stock ledger cannot be truncated'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
""",
    """
CREATE TRIGGER ledger_not_truncated BEFORE TRUNCATE ON stock.stock_move
    FOR EACH STATEMENT EXECUTE FUNCTION stock.forbid_move_truncate()
""",
)


def upgrade() -> None:
    migrations.create_schema("stock")
    op.create_table(
        "product",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("uom", sa.String(length=16), server_default="unit", nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column(
            "sales_price", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("cost", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
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
            "type IN ('STOCKABLE', 'CONSUMABLE', 'SERVICE')", name=op.f("ck_product_type")
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_product_cost")),
        sa.CheckConstraint("sales_price >= 0", name=op.f("ck_product_sales_price")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_product")),
        sa.UniqueConstraint("tenant_id", "sku", name=op.f("uq_product_tenant_id_sku")),
        schema="stock",
    )
    op.create_index(
        "ix_product_tenant_id_category",
        "product",
        ["tenant_id", "category"],
        unique=False,
        schema="stock",
    )
    op.create_table(
        "warehouse",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_warehouse")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_warehouse_tenant_id_code")),
        schema="stock",
    )
    op.create_table(
        "location",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('STOCK', 'INPUT', 'OUTPUT', 'QUALITY', 'SCRAP'))"
            " = (warehouse_id IS NOT NULL)",
            name=op.f("ck_location_internal"),
        ),
        sa.CheckConstraint(
            "kind IN ('STOCK', 'INPUT', 'OUTPUT', 'QUALITY', 'SCRAP',"
            " 'SUPPLIER', 'CUSTOMER', 'PRODUCTION', 'ADJUSTMENT')",
            name=op.f("ck_location_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["stock.warehouse.tenant_id", "stock.warehouse.id"],
            name=op.f("fk_location_tenant_id_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_location")),
        sa.UniqueConstraint(
            "tenant_id",
            "warehouse_id",
            "kind",
            name=op.f("uq_location_tenant_id_warehouse_id_kind"),
        ),
        schema="stock",
    )
    op.create_index(
        "uq_location_tenant_id_virtual_kind",
        "location",
        ["tenant_id", "kind"],
        unique=True,
        schema="stock",
        postgresql_where=sa.text("warehouse_id IS NULL"),
    )
    op.create_table(
        "reorder_rule",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("min_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("max_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.CheckConstraint(
            "min_quantity >= 0 AND max_quantity >= min_quantity",
            name=op.f("ck_reorder_rule_bounds"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_reorder_rule_tenant_id_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["stock.warehouse.tenant_id", "stock.warehouse.id"],
            name=op.f("fk_reorder_rule_tenant_id_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reorder_rule")),
        sa.UniqueConstraint(
            "tenant_id",
            "product_id",
            "warehouse_id",
            name=op.f("uq_reorder_rule_tenant_id_product_id_warehouse_id"),
        ),
        schema="stock",
    )
    op.create_table(
        "low_stock_alert",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("min_quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("available", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('OPEN', 'RESOLVED')", name=op.f("ck_low_stock_alert_status")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rule_id"],
            ["stock.reorder_rule.tenant_id", "stock.reorder_rule.id"],
            name=op.f("fk_low_stock_alert_tenant_id_rule_id_reorder_rule"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_low_stock_alert")),
        schema="stock",
    )
    op.create_index(
        "ix_low_stock_alert_tenant_id_status",
        "low_stock_alert",
        ["tenant_id", "status"],
        unique=False,
        schema="stock",
    )
    op.create_index(
        "uq_low_stock_alert_tenant_id_rule_id_open",
        "low_stock_alert",
        ["tenant_id", "rule_id"],
        unique=True,
        schema="stock",
        postgresql_where=sa.text("status = 'OPEN'"),
    )
    op.create_table(
        "stock_level",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("on_hand", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False),
        sa.Column(
            "reserved", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_level_on_hand")),
        sa.CheckConstraint(
            "reserved >= 0 AND reserved <= on_hand", name=op.f("ck_stock_level_reserved")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["stock.location.tenant_id", "stock.location.id"],
            name=op.f("fk_stock_level_tenant_id_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_stock_level_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "product_id", "location_id", name=op.f("pk_stock_level")
        ),
        schema="stock",
    )
    op.create_table(
        "stock_move",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("from_location_id", sa.Uuid(), nullable=False),
        sa.Column("to_location_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source_type", sa.String(length=50), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("source_line", sa.String(length=64), nullable=True),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(state = 'DONE') = (done_at IS NOT NULL)", name=op.f("ck_stock_move_done_at")
        ),
        sa.CheckConstraint(
            "state IN ('DRAFT', 'DONE', 'CANCELLED')", name=op.f("ck_stock_move_state")
        ),
        sa.CheckConstraint(
            "from_location_id <> to_location_id", name=op.f("ck_stock_move_distinct_locations")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_move_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "from_location_id"],
            ["stock.location.tenant_id", "stock.location.id"],
            name=op.f("fk_stock_move_tenant_id_from_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_stock_move_tenant_id_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "to_location_id"],
            ["stock.location.tenant_id", "stock.location.id"],
            name=op.f("fk_stock_move_tenant_id_to_location_id_location"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_stock_move")),
        schema="stock",
    )
    op.create_index(
        "ix_stock_move_tenant_id_created_at",
        "stock_move",
        ["tenant_id", "created_at"],
        unique=False,
        schema="stock",
    )
    op.create_index(
        "ix_stock_move_tenant_id_product_id",
        "stock_move",
        ["tenant_id", "product_id"],
        unique=False,
        schema="stock",
    )
    op.create_index(
        "ix_stock_move_tenant_id_source_type_source_id",
        "stock_move",
        ["tenant_id", "source_type", "source_id"],
        unique=False,
        schema="stock",
    )
    op.create_table(
        "reservation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("demand_type", sa.String(length=50), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=False),
        sa.Column("demand_line", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id", "location_id"],
            [
                "stock.stock_level.tenant_id",
                "stock.stock_level.product_id",
                "stock.stock_level.location_id",
            ],
            name=op.f("fk_reservation_tenant_id_product_id_location_id_stock_level"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reservation")),
        sa.UniqueConstraint(
            "tenant_id",
            "demand_type",
            "demand_id",
            "demand_line",
            "product_id",
            "location_id",
            name=op.f(
                "uq_reservation_tenant_id_demand_type_demand_id_demand_line_product_id_location_id"
            ),
        ),
        schema="stock",
    )
    for statement in IMMUTABLE_DONE_MOVES:
        op.execute(statement)
    for table in TABLES:
        migrations.tenant_table(table)


def downgrade() -> None:
    op.drop_table("reservation", schema="stock")
    op.drop_index(
        "ix_stock_move_tenant_id_source_type_source_id", table_name="stock_move", schema="stock"
    )
    op.drop_index("ix_stock_move_tenant_id_product_id", table_name="stock_move", schema="stock")
    op.drop_index("ix_stock_move_tenant_id_created_at", table_name="stock_move", schema="stock")
    op.drop_table("stock_move", schema="stock")
    op.drop_table("stock_level", schema="stock")
    op.drop_index(
        "uq_low_stock_alert_tenant_id_rule_id_open",
        table_name="low_stock_alert",
        schema="stock",
        postgresql_where=sa.text("status = 'OPEN'"),
    )
    op.drop_index(
        "ix_low_stock_alert_tenant_id_status", table_name="low_stock_alert", schema="stock"
    )
    op.drop_table("low_stock_alert", schema="stock")
    op.drop_table("reorder_rule", schema="stock")
    op.drop_index(
        "uq_location_tenant_id_virtual_kind",
        table_name="location",
        schema="stock",
        postgresql_where=sa.text("warehouse_id IS NULL"),
    )
    op.drop_table("location", schema="stock")
    op.drop_table("warehouse", schema="stock")
    op.drop_index("ix_product_tenant_id_category", table_name="product", schema="stock")
    op.drop_table("product", schema="stock")
    op.execute("DROP FUNCTION IF EXISTS stock.forbid_done_move_change()")
    op.execute("DROP FUNCTION IF EXISTS stock.forbid_move_truncate()")
    op.execute('DROP SCHEMA IF EXISTS "stock"')
