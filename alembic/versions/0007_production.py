"""production: work centers, bills of materials (components, by-products, operations),
production orders with component and by-product lines, work orders, quality checks,
gapless numbering

Revision ID: 0007_production
Revises: 0005_shared_idempotency
Create Date: 2026-12-01 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0007_production"
down_revision: str | Sequence[str] | None = "0005_shared_idempotency"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TABLES = (
    "production.counter",
    "production.work_center",
    "production.bill_of_materials",
    "production.bom_by_product",
    "production.bom_component",
    "production.bom_operation",
    "production.production_order",
    "production.production_by_product",
    "production.production_component",
    "production.quality_check_template",
    "production.work_order",
    "production.quality_check",
)


def upgrade() -> None:
    migrations.create_schema("production")
    op.create_table(
        "counter",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "year", name=op.f("pk_counter")),
        schema="production",
    )
    op.create_table(
        "work_center",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("cost_per_hour", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "working_hours", postgresql.ARRAY(sa.Numeric(precision=4, scale=2)), nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_work_center_capacity")),
        sa.CheckConstraint(
            "cardinality(working_hours) = 7 AND 0 <= ALL (working_hours)"
            " AND 24 >= ALL (working_hours)",
            name=op.f("ck_work_center_working_hours"),
        ),
        sa.CheckConstraint("cost_per_hour >= 0", name=op.f("ck_work_center_cost_per_hour")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_work_center")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_work_center_tenant_id_code")),
        schema="production",
    )
    op.create_table(
        "bill_of_materials",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('NORMAL', 'PHANTOM')", name=op.f("ck_bill_of_materials_kind")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_bill_of_materials_quantity")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_bill_of_materials_version")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_bill_of_materials_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bill_of_materials")),
        sa.UniqueConstraint(
            "tenant_id",
            "product_id",
            "version",
            name=op.f("uq_bill_of_materials_tenant_id_product_id_version"),
        ),
        schema="production",
    )
    op.create_index(
        "uq_bill_of_materials_tenant_id_product_id_active",
        "bill_of_materials",
        ["tenant_id", "product_id"],
        unique=True,
        schema="production",
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "bom_by_product",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bom_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "cost_share", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.CheckConstraint(
            "cost_share >= 0 AND cost_share < 100", name=op.f("ck_bom_by_product_cost_share")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_bom_by_product_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "bom_id"],
            ["production.bill_of_materials.tenant_id", "production.bill_of_materials.id"],
            name=op.f("fk_bom_by_product_tenant_id_bom_id_bill_of_materials"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_bom_by_product_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bom_by_product")),
        sa.UniqueConstraint(
            "tenant_id",
            "bom_id",
            "position",
            name=op.f("uq_bom_by_product_tenant_id_bom_id_position"),
        ),
        schema="production",
    )
    op.create_table(
        "bom_component",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bom_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "scrap_percent", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_bom_component_quantity")),
        sa.CheckConstraint(
            "scrap_percent >= 0 AND scrap_percent < 100",
            name=op.f("ck_bom_component_scrap_percent"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "bom_id"],
            ["production.bill_of_materials.tenant_id", "production.bill_of_materials.id"],
            name=op.f("fk_bom_component_tenant_id_bom_id_bill_of_materials"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_bom_component_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bom_component")),
        sa.UniqueConstraint(
            "tenant_id",
            "bom_id",
            "position",
            name=op.f("uq_bom_component_tenant_id_bom_id_position"),
        ),
        schema="production",
    )
    op.create_index(
        "ix_bom_component_tenant_id_product_id",
        "bom_component",
        ["tenant_id", "product_id"],
        unique=False,
        schema="production",
    )
    op.create_table(
        "bom_operation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bom_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("work_center_id", sa.Uuid(), nullable=False),
        sa.Column("minutes", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_bom_operation_minutes")),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_bom_operation_sequence")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "bom_id"],
            ["production.bill_of_materials.tenant_id", "production.bill_of_materials.id"],
            name=op.f("fk_bom_operation_tenant_id_bom_id_bill_of_materials"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "work_center_id"],
            ["production.work_center.tenant_id", "production.work_center.id"],
            name=op.f("fk_bom_operation_tenant_id_work_center_id_work_center"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bom_operation")),
        schema="production",
    )
    op.create_index(
        "ix_bom_operation_tenant_id_bom_id",
        "bom_operation",
        ["tenant_id", "bom_id"],
        unique=False,
        schema="production",
    )
    op.create_table(
        "production_order",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("bom_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="DRAFT", nullable=False),
        sa.Column("resume_status", sa.String(length=16), nullable=True),
        sa.Column("sales_order_line_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("backorder_of_id", sa.Uuid(), nullable=True),
        sa.Column(
            "produced_quantity",
            sa.Numeric(precision=18, scale=4),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "scrap_quantity", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column(
            "unbuilt_quantity",
            sa.Numeric(precision=18, scale=4),
            server_default="0",
            nullable=False,
        ),
        sa.Column("material_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("operation_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "resume_status IN ('DRAFT', 'CONFIRMED', 'IN_PROGRESS', 'BLOCKED', 'DONE',"
            " 'CANCELLED')",
            name=op.f("ck_production_order_resume_status"),
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'CONFIRMED', 'IN_PROGRESS', 'BLOCKED', 'DONE', 'CANCELLED')",
            name=op.f("ck_production_order_status"),
        ),
        sa.CheckConstraint(
            "produced_quantity >= 0 AND scrap_quantity >= 0"
            " AND unbuilt_quantity >= 0 AND unbuilt_quantity <= produced_quantity",
            name=op.f("ck_production_order_progress"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_production_order_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "backorder_of_id"],
            ["production.production_order.tenant_id", "production.production_order.id"],
            name=op.f("fk_production_order_tenant_id_backorder_of_id_production_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "bom_id"],
            ["production.bill_of_materials.tenant_id", "production.bill_of_materials.id"],
            name=op.f("fk_production_order_tenant_id_bom_id_bill_of_materials"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["stock.location.tenant_id", "stock.location.id"],
            name=op.f("fk_production_order_tenant_id_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["production.production_order.tenant_id", "production.production_order.id"],
            name=op.f("fk_production_order_tenant_id_parent_id_production_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_production_order_tenant_id_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["stock.warehouse.tenant_id", "stock.warehouse.id"],
            name=op.f("fk_production_order_tenant_id_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_production_order")),
        sa.UniqueConstraint(
            "tenant_id", "number", name=op.f("uq_production_order_tenant_id_number")
        ),
        schema="production",
    )
    op.create_index(
        "ix_production_order_tenant_id_parent_id",
        "production_order",
        ["tenant_id", "parent_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        "ix_production_order_tenant_id_product_id",
        "production_order",
        ["tenant_id", "product_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        "ix_production_order_tenant_id_status_due_date",
        "production_order",
        ["tenant_id", "status", "due_date"],
        unique=False,
        schema="production",
    )
    op.create_table(
        "production_by_product",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("cost_share", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "produced", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.CheckConstraint(
            "cost_share >= 0 AND cost_share < 100", name=op.f("ck_production_by_product_cost_share")
        ),
        sa.CheckConstraint(
            "quantity >= 0 AND produced >= 0", name=op.f("ck_production_by_product_quantity")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["production.production_order.tenant_id", "production.production_order.id"],
            name=op.f("fk_production_by_product_tenant_id_order_id_production_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_production_by_product_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_production_by_product")),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "position",
            name=op.f("uq_production_by_product_tenant_id_order_id_position"),
        ),
        schema="production",
    )
    op.create_table(
        "production_component",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "reserved", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column(
            "consumed", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_production_component_quantity")),
        sa.CheckConstraint(
            "reserved >= 0 AND consumed >= 0", name=op.f("ck_production_component_progress")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["production.production_order.tenant_id", "production.production_order.id"],
            name=op.f("fk_production_component_tenant_id_order_id_production_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_production_component_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_production_component")),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "position",
            name=op.f("uq_production_component_tenant_id_order_id_position"),
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "order_id",
            "product_id",
            name=op.f("uq_production_component_tenant_id_order_id_product_id"),
        ),
        schema="production",
    )
    op.create_table(
        "quality_check_template",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("operation_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("min_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("max_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'MEASUREMENT') = (min_value IS NOT NULL AND max_value IS NOT NULL)",
            name=op.f("ck_quality_check_template_bounds"),
        ),
        sa.CheckConstraint(
            "kind IN ('PASS_FAIL', 'MEASUREMENT')", name=op.f("ck_quality_check_template_kind")
        ),
        sa.CheckConstraint(
            "(product_id IS NULL) <> (operation_id IS NULL)",
            name=op.f("ck_quality_check_template_subject"),
        ),
        sa.CheckConstraint(
            "min_value IS NULL OR min_value <= max_value",
            name=op.f("ck_quality_check_template_range"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "operation_id"],
            ["production.bom_operation.tenant_id", "production.bom_operation.id"],
            name=op.f("fk_quality_check_template_tenant_id_operation_id_bom_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_quality_check_template_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_quality_check_template")),
        schema="production",
    )
    op.create_index(
        "ix_quality_check_template_tenant_id_operation_id",
        "quality_check_template",
        ["tenant_id", "operation_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        "ix_quality_check_template_tenant_id_product_id",
        "quality_check_template",
        ["tenant_id", "product_id"],
        unique=False,
        schema="production",
    )
    op.create_table(
        "work_order",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("work_center_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("planned_minutes", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("actual_minutes", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'DONE') = (finished_at IS NOT NULL)", name=op.f("ck_work_order_finished")
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'READY', 'IN_PROGRESS', 'DONE')",
            name=op.f("ck_work_order_status"),
        ),
        sa.CheckConstraint(
            "actual_minutes IS NULL OR actual_minutes >= 0",
            name=op.f("ck_work_order_actual_minutes"),
        ),
        sa.CheckConstraint("planned_minutes >= 0", name=op.f("ck_work_order_planned_minutes")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "operation_id"],
            ["production.bom_operation.tenant_id", "production.bom_operation.id"],
            name=op.f("fk_work_order_tenant_id_operation_id_bom_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["production.production_order.tenant_id", "production.production_order.id"],
            name=op.f("fk_work_order_tenant_id_order_id_production_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "work_center_id"],
            ["production.work_center.tenant_id", "production.work_center.id"],
            name=op.f("fk_work_order_tenant_id_work_center_id_work_center"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_work_order")),
        schema="production",
    )
    op.create_index(
        "ix_work_order_tenant_id_order_id",
        "work_order",
        ["tenant_id", "order_id"],
        unique=False,
        schema="production",
    )
    op.create_index(
        "ix_work_order_tenant_id_work_center_id_planned_date",
        "work_order",
        ["tenant_id", "work_center_id", "planned_date"],
        unique=False,
        schema="production",
    )
    op.create_table(
        "quality_check",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("measured_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("checked_by", sa.Uuid(), nullable=True),
        sa.Column(
            "checked_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["production.production_order.tenant_id", "production.production_order.id"],
            name=op.f("fk_quality_check_tenant_id_order_id_production_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "template_id"],
            ["production.quality_check_template.tenant_id", "production.quality_check_template.id"],
            name=op.f("fk_quality_check_tenant_id_template_id_quality_check_template"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_quality_check")),
        schema="production",
    )
    op.create_index(
        "ix_quality_check_tenant_id_order_id",
        "quality_check",
        ["tenant_id", "order_id"],
        unique=False,
        schema="production",
    )
    for table in TABLES:
        migrations.tenant_table(table)


def downgrade() -> None:
    op.drop_index(
        "ix_quality_check_tenant_id_order_id", table_name="quality_check", schema="production"
    )
    op.drop_table("quality_check", schema="production")
    op.drop_index(
        "ix_work_order_tenant_id_work_center_id_planned_date",
        table_name="work_order",
        schema="production",
    )
    op.drop_index("ix_work_order_tenant_id_order_id", table_name="work_order", schema="production")
    op.drop_table("work_order", schema="production")
    op.drop_index(
        "ix_quality_check_template_tenant_id_product_id",
        table_name="quality_check_template",
        schema="production",
    )
    op.drop_index(
        "ix_quality_check_template_tenant_id_operation_id",
        table_name="quality_check_template",
        schema="production",
    )
    op.drop_table("quality_check_template", schema="production")
    op.drop_table("production_component", schema="production")
    op.drop_table("production_by_product", schema="production")
    op.drop_index(
        "ix_production_order_tenant_id_status_due_date",
        table_name="production_order",
        schema="production",
    )
    op.drop_index(
        "ix_production_order_tenant_id_product_id",
        table_name="production_order",
        schema="production",
    )
    op.drop_index(
        "ix_production_order_tenant_id_parent_id",
        table_name="production_order",
        schema="production",
    )
    op.drop_table("production_order", schema="production")
    op.drop_index(
        "ix_bom_operation_tenant_id_bom_id", table_name="bom_operation", schema="production"
    )
    op.drop_table("bom_operation", schema="production")
    op.drop_index(
        "ix_bom_component_tenant_id_product_id", table_name="bom_component", schema="production"
    )
    op.drop_table("bom_component", schema="production")
    op.drop_table("bom_by_product", schema="production")
    op.drop_index(
        "uq_bill_of_materials_tenant_id_product_id_active",
        table_name="bill_of_materials",
        schema="production",
        postgresql_where=sa.text("active"),
    )
    op.drop_table("bill_of_materials", schema="production")
    op.drop_table("work_center", schema="production")
    op.drop_table("counter", schema="production")
    op.execute("DROP SCHEMA IF EXISTS production")
