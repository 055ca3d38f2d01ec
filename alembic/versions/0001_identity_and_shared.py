"""identity and shared

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:30:03.962870
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    migrations.create_schema("shared")
    migrations.create_schema("identity")
    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_login_throttle")),
        schema="identity",
    )
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_key")),
        schema="identity",
    )
    op.create_table(
        "tenant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenant_slug")),
        schema="identity",
    )
    op.create_table(
        "outbox_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_outbox_event")),
        schema="shared",
    )
    op.create_index(
        "ix_outbox_event_unpublished",
        "outbox_event",
        ["occurred_at"],
        unique=False,
        schema="shared",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "role",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("permissions", sa.ARRAY(sa.String(length=63)), nullable=False),
        sa.Column("builtin", sa.Boolean(), server_default="false", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["identity.tenant.id"], name=op.f("fk_role_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_role")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_role_tenant_id_name")),
        schema="identity",
    )
    op.create_table(
        "user",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["identity.tenant.id"], name=op.f("fk_user_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_user")),
        schema="identity",
    )
    op.create_index(
        "uq_user_tenant_id_email",
        "user",
        ["tenant_id", sa.literal_column("lower(email)")],
        unique=True,
        schema="identity",
    )
    op.create_table(
        "refresh_token",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["identity.user.tenant_id", "identity.user.id"],
            name=op.f("fk_refresh_token_tenant_id_user_id_user"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name=op.f("uq_refresh_token_tenant_id_token_hash")
        ),
        schema="identity",
    )
    op.create_index(
        "ix_refresh_token_tenant_id_family_id",
        "refresh_token",
        ["tenant_id", "family_id"],
        unique=False,
        schema="identity",
    )
    op.create_table(
        "user_role",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "role_id"],
            ["identity.role.tenant_id", "identity.role.id"],
            name=op.f("fk_user_role_tenant_id_role_id_role"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["identity.user.tenant_id", "identity.user.id"],
            name=op.f("fk_user_role_tenant_id_user_id_user"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "role_id", name=op.f("pk_user_role")),
        schema="identity",
    )
    op.create_index(
        "ix_user_role_tenant_id_role_id",
        "user_role",
        ["tenant_id", "role_id"],
        unique=False,
        schema="identity",
    )

    # Global tables: read before a tenant is known.
    migrations.grant_app("identity.tenant", "SELECT, INSERT")
    migrations.grant_app("identity.signing_key", "SELECT")
    migrations.grant_app("identity.login_throttle")
    for table in (
        "shared.outbox_event",
        "identity.user",
        "identity.role",
        "identity.user_role",
        "identity.refresh_token",
    ):
        migrations.tenant_table(table)


def downgrade() -> None:
    op.drop_index("ix_user_role_tenant_id_role_id", table_name="user_role", schema="identity")
    op.drop_table("user_role", schema="identity")
    op.drop_index(
        "ix_refresh_token_tenant_id_family_id", table_name="refresh_token", schema="identity"
    )
    op.drop_table("refresh_token", schema="identity")
    op.drop_index("uq_user_tenant_id_email", table_name="user", schema="identity")
    op.drop_table("user", schema="identity")
    op.drop_table("role", schema="identity")
    op.drop_index(
        "ix_outbox_event_unpublished",
        table_name="outbox_event",
        schema="shared",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox_event", schema="shared")
    op.drop_table("tenant", schema="identity")
    op.drop_table("signing_key", schema="identity")
    op.drop_table("login_throttle", schema="identity")
    op.execute('DROP SCHEMA IF EXISTS "identity"')
    op.execute('DROP SCHEMA IF EXISTS "shared"')
