"""stock: receipts without a purchase order, a reason on each move, SKUs unique by case

Revision ID: 0015_stock_receipts_reasons
Revises: 0011_stock_cost_adjustment
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migrations

revision: str = "0015_stock_receipts_reasons"
down_revision: str | Sequence[str] | None = "0011_stock_cost_adjustment"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stock_move", sa.Column("reason", sa.String(length=200)), schema="stock")
    op.create_table(
        "receipt",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("done_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["stock.warehouse.tenant_id", "stock.warehouse.id"],
            name=op.f("fk_receipt_tenant_id_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_receipt")),
        schema="stock",
    )
    # Posted documents are immutable: the application may read and add, never change.
    migrations.tenant_table("stock.receipt", "SELECT, INSERT")
    op.create_index(
        "uq_product_tenant_id_lower_sku",
        "product",
        ["tenant_id", sa.text("lower(sku)")],
        unique=True,
        schema="stock",
    )


def downgrade() -> None:
    op.drop_index("uq_product_tenant_id_lower_sku", table_name="product", schema="stock")
    op.drop_table("receipt", schema="stock")
    op.drop_column("stock_move", "reason", schema="stock")
