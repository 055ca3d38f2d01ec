"""stock: cost adjustments, the record of every average-cost change without a move

Revision ID: 0011_stock_cost_adjustment
Revises: 0005_shared_idempotency
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migrations

revision: str = "0011_stock_cost_adjustment"
down_revision: str | Sequence[str] | None = "0005_shared_idempotency"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    qty = sa.Numeric(precision=18, scale=4)
    op.create_table(
        "cost_adjustment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("source_type", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("value_change", qty, nullable=False),
        sa.Column("quantity", qty, nullable=False),
        sa.Column("on_hand", qty, nullable=False),
        sa.Column("old_cost", qty, nullable=False),
        sa.Column("new_cost", qty, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("done_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cost_adjustment_quantity")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["stock.product.tenant_id", "stock.product.id"],
            name=op.f("fk_cost_adjustment_tenant_id_product_id_product"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cost_adjustment")),
        schema="stock",
    )
    op.create_index(
        "ix_cost_adjustment_tenant_id_product_id",
        "cost_adjustment",
        ["tenant_id", "product_id"],
        unique=False,
        schema="stock",
    )
    op.create_index(
        "ix_cost_adjustment_tenant_id_source_type_source_id",
        "cost_adjustment",
        ["tenant_id", "source_type", "source_id"],
        unique=False,
        schema="stock",
    )
    migrations.tenant_table("stock.cost_adjustment", "SELECT, INSERT")


def downgrade() -> None:
    op.drop_table("cost_adjustment", schema="stock")
