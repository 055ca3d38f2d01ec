"""identity: OAuth2 service clients (client credentials grant)

Revision ID: 0014_identity_service_clients
Revises: 0013_identity_mfa
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0014_identity_service_clients"
down_revision: str | Sequence[str] | None = "0013_identity_mfa"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_client",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("permissions", postgresql.ARRAY(sa.String(length=63)), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["identity.tenant.id"], name=op.f("fk_service_client_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_service_client")),
        schema="identity",
    )
    migrations.tenant_table("identity.service_client")


def downgrade() -> None:
    op.drop_table("service_client", schema="identity")
