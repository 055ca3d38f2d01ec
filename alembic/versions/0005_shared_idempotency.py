"""Idempotency keys move to the shared schema: every domain's mutations use them.

Revision ID: 0005_shared_idempotency
Revises: 0004_sales
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0005_shared_idempotency"
down_revision: str | None = "0004_sales"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _create(schema: str) -> None:
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
        schema=schema,
    )
    migrations.tenant_table(f"{schema}.idempotency_key")


def _move(source: str, target: str) -> None:
    _create(target)
    # Keys are only worth keeping while clients may retry; carry them over all the same.
    copy = f'INSERT INTO "{target}".idempotency_key SELECT * FROM "{source}".idempotency_key'  # noqa: S608
    op.execute(copy)  # schema names are this module's constants, not input
    op.drop_table("idempotency_key", schema=source)


def upgrade() -> None:
    _move("sales", "shared")


def downgrade() -> None:
    _move("shared", "sales")
