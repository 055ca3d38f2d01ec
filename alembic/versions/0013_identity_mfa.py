"""identity: MFA with TOTP (secrets, recovery codes, login challenges, tenant policy)

Revision ID: 0013_identity_mfa
Revises: 0009_identity_access
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migrations

revision: str = "0013_identity_mfa"
down_revision: str | Sequence[str] | None = "0009_identity_access"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

NOW = sa.text("now()")


def _timestamp(name: str, *, nullable: bool = False, default: bool = False) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=NOW if default else None, nullable=nullable
    )


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "user_id"],
        ["identity.user.tenant_id", "identity.user.id"],
        name=op.f(f"fk_{table}_tenant_id_user_id_user"),
    )


def upgrade() -> None:
    op.create_table(
        "mfa_totp",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("last_step", sa.Integer(), server_default="0", nullable=False),
        _timestamp("created_at", default=True),
        _timestamp("confirmed_at", nullable=True),
        _user_fk("mfa_totp"),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name=op.f("pk_mfa_totp")),
        schema="identity",
    )
    migrations.tenant_table("identity.mfa_totp")

    op.create_table(
        "mfa_recovery_code",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        _timestamp("used_at", nullable=True),
        _user_fk("mfa_recovery_code"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_mfa_recovery_code")),
        schema="identity",
    )
    op.create_index(
        "ix_mfa_recovery_code_tenant_id_user_id",
        "mfa_recovery_code",
        ["tenant_id", "user_id"],
        schema="identity",
    )
    migrations.tenant_table("identity.mfa_recovery_code")

    op.create_table(
        "mfa_challenge",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        _timestamp("created_at", default=True),
        _timestamp("expires_at"),
        _timestamp("used_at", nullable=True),
        _user_fk("mfa_challenge"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_mfa_challenge")),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name=op.f("uq_mfa_challenge_tenant_id_token_hash")
        ),
        schema="identity",
    )
    migrations.tenant_table("identity.mfa_challenge")

    op.create_table(
        "mfa_policy",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        _timestamp("updated_at", default=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["identity.tenant.id"], name=op.f("fk_mfa_policy_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_mfa_policy")),
        schema="identity",
    )
    migrations.tenant_table("identity.mfa_policy")


def downgrade() -> None:
    for table in ("mfa_policy", "mfa_challenge", "mfa_recovery_code", "mfa_totp"):
        op.drop_table(table, schema="identity")
