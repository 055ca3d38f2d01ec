"""stock: claims (open backorders) and each level's claimed quantity

Revision ID: 0018_stock_claims
Revises: 0011_stock_cost_adjustment
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migrations

revision: str = "0018_stock_claims"
down_revision: str | Sequence[str] | None = "0011_stock_cost_adjustment"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    qty = sa.Numeric(precision=18, scale=4)
    op.add_column(
        "stock_level",
        sa.Column("claimed", qty, server_default="0", nullable=False),
        schema="stock",
    )
    op.create_check_constraint(
        op.f("ck_stock_level_claimed"), "stock_level", "claimed >= 0", schema="stock"
    )
    op.create_table(
        "claim",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("demand_type", sa.String(length=50), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=False),
        sa.Column("demand_line", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", qty, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_claim_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id", "location_id"],
            [
                "stock.stock_level.tenant_id",
                "stock.stock_level.product_id",
                "stock.stock_level.location_id",
            ],
            name=op.f("fk_claim_tenant_id_product_id_location_id_stock_level"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_claim")),
        sa.UniqueConstraint(
            "tenant_id",
            "demand_type",
            "demand_id",
            "demand_line",
            "product_id",
            "location_id",
            name=op.f(
                "uq_claim_tenant_id_demand_type_demand_id_demand_line_product_id_location_id"
            ),
        ),
        schema="stock",
    )
    op.create_index(
        "ix_claim_tenant_id_product_id_location_id_created_at",
        "claim",
        ["tenant_id", "product_id", "location_id", "created_at"],
        unique=False,
        schema="stock",
    )
    migrations.tenant_table("stock.claim")


def downgrade() -> None:
    op.drop_table("claim", schema="stock")
    op.drop_constraint(op.f("ck_stock_level_claimed"), "stock_level", schema="stock")
    op.drop_column("stock_level", "claimed", schema="stock")
