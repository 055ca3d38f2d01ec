"""purchases: landed-cost documents and their allocation over received lines

Revision ID: 0012_purchases_landed_costs
Revises: 0006_purchases
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0012_purchases_landed_costs"
down_revision: str | Sequence[str] | None = "0006_purchases"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "landed_cost",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=True),
        sa.Column("allocation", sa.String(length=16), nullable=False),
        sa.Column("costs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "allocation IN ('VALUE', 'QUANTITY')", name=op.f("ck_landed_cost_allocation")
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_landed_cost_total")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["purchases.purchase_order.tenant_id", "purchases.purchase_order.id"],
            name=op.f("fk_landed_cost_tenant_id_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "receipt_id"],
            ["purchases.receipt.tenant_id", "purchases.receipt.id"],
            name=op.f("fk_landed_cost_tenant_id_receipt_id_receipt"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_landed_cost")),
        schema="purchases",
    )
    op.create_index(
        "ix_landed_cost_tenant_id_order_id",
        "landed_cost",
        ["tenant_id", "order_id"],
        unique=False,
        schema="purchases",
    )
    op.create_table(
        "landed_cost_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("landed_cost_id", sa.Uuid(), nullable=False),
        sa.Column("receipt_line_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "landed_cost_id"],
            ["purchases.landed_cost.tenant_id", "purchases.landed_cost.id"],
            name=op.f("fk_landed_cost_line_tenant_id_landed_cost_id_landed_cost"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "receipt_line_id"],
            ["purchases.receipt_line.tenant_id", "purchases.receipt_line.id"],
            name=op.f("fk_landed_cost_line_tenant_id_receipt_line_id_receipt_line"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_landed_cost_line")),
        schema="purchases",
    )
    op.create_index(
        "ix_landed_cost_line_tenant_id_landed_cost_id",
        "landed_cost_line",
        ["tenant_id", "landed_cost_id"],
        unique=False,
        schema="purchases",
    )
    migrations.tenant_table("purchases.landed_cost")
    migrations.tenant_table("purchases.landed_cost_line")


def downgrade() -> None:
    op.drop_index(
        "ix_landed_cost_line_tenant_id_landed_cost_id",
        table_name="landed_cost_line",
        schema="purchases",
    )
    op.drop_table("landed_cost_line", schema="purchases")
    op.drop_index("ix_landed_cost_tenant_id_order_id", table_name="landed_cost", schema="purchases")
    op.drop_table("landed_cost", schema="purchases")
