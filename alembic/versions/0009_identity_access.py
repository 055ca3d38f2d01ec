"""Identity access: token revocation, rate-limit buckets, lock-out audit, invitations,
MFA, service clients; built-in roles that match jobs.

Revision ID: 0009_identity_access
Revises: 0005_shared_idempotency
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0009_identity_access"
down_revision: str | Sequence[str] | None = "0005_shared_idempotency"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

NOW = sa.text("now()")
PLATFORM = "00000000-0000-0000-0000-000000000000"

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "admin": (
        "Everything, including users and roles",
        [
            "accounting:write",
            "crm:read",
            "crm:write",
            "finance:write",
            "identity:admin",
            "identity:read",
            "notifications:manage",
            "notifications:read",
            "production:read",
            "production:write",
            "purchases:approve",
            "purchases:read",
            "purchases:write",
            "sales:deliver",
            "sales:read",
            "sales:write",
            "stock:read",
            "stock:write",
        ],
    ),
    "manager": (
        "Runs the business: changes every business domain, approves purchases",
        [
            "crm:read",
            "crm:write",
            "identity:read",
            "notifications:manage",
            "notifications:read",
            "production:read",
            "production:write",
            "purchases:approve",
            "purchases:read",
            "purchases:write",
            "sales:deliver",
            "sales:read",
            "sales:write",
            "stock:read",
            "stock:write",
        ],
    ),
    "sales": (
        "Customers, deals, quotations and sales orders",
        ["crm:read", "crm:write", "notifications:read", "sales:read", "sales:write", "stock:read"],
    ),
    "warehouse": (
        "Stock, moves, and shipping sales orders",
        [
            "notifications:read",
            "production:read",
            "purchases:read",
            "sales:deliver",
            "sales:read",
            "stock:read",
            "stock:write",
        ],
    ),
    "purchasing": (
        "Suppliers and purchase orders",
        ["notifications:read", "purchases:read", "purchases:write", "stock:read"],
    ),
    "production": (
        "Bills of materials and production orders",
        ["notifications:read", "production:read", "production:write", "stock:read"],
    ),
    "accountant": (
        "Invoices and payments, tax and exchange rates",
        [
            "accounting:write",
            "crm:read",
            "finance:write",
            "notifications:read",
            "purchases:read",
            "sales:read",
        ],
    ),
    "viewer": (
        "Reads everything, changes nothing",
        [
            "crm:read",
            "identity:read",
            "notifications:read",
            "production:read",
            "purchases:read",
            "sales:read",
            "stock:read",
        ],
    ),
}
"""The built-in roles as of this revision (frozen here: later changes get their own)."""


def _timestamp(name: str, *, nullable: bool = False, default: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=NOW if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    # --- revocation -------------------------------------------------------------------
    op.add_column(
        "user",
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        schema="identity",
    )
    op.create_table(
        "token_revocation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("min_version", sa.Integer(), nullable=True),
        _timestamp("created_at", default=True),
        _timestamp("expires_at"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_token_revocation")),
        schema="shared",
    )
    op.create_index(
        "ix_token_revocation_tenant_id_expires_at",
        "token_revocation",
        ["tenant_id", "expires_at"],
        schema="shared",
    )
    migrations.tenant_table("shared.token_revocation")

    # --- rate limits: tenant buckets under the tenant, the rest under PLATFORM ----------
    op.create_check_constraint(
        "not_platform", "tenant", f"id <> '{PLATFORM}'::uuid", schema="identity"
    )
    op.create_table(
        "rate_limit_bucket",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        _timestamp("updated_at", default=True),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_rate_limit_bucket")),
        schema="shared",
    )
    migrations.tenant_table("shared.rate_limit_bucket")

    # --- lock-out by account and source, audited ------------------------------------------
    op.add_column("login_throttle", _timestamp("last_success_at", nullable=True), schema="identity")
    op.create_table(
        "lockout_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _timestamp("occurred_at", default=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        _timestamp("locked_until"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_lockout_event")),
        schema="identity",
    )
    op.create_index(
        "ix_lockout_event_tenant_id_occurred_at",
        "lockout_event",
        ["tenant_id", "occurred_at"],
        schema="identity",
    )
    migrations.tenant_table("identity.lockout_event", "SELECT, INSERT")

    # --- invitations ----------------------------------------------------------------------
    op.create_table(
        "invitation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=63)), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        _timestamp("created_at", default=True),
        _timestamp("expires_at"),
        _timestamp("accepted_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["identity.tenant.id"], name=op.f("fk_invitation_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invitation")),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name=op.f("uq_invitation_tenant_id_token_hash")
        ),
        schema="identity",
    )
    migrations.tenant_table("identity.invitation")

    _update_builtin_roles()


def _update_builtin_roles() -> None:
    """Every tenant's built-in roles as this revision defines them; `accountant` is new.
    Row-level security is forced, so each tenant is bound in turn."""
    bind = op.get_bind()
    tenants = bind.execute(sa.text("select id from identity.tenant")).scalars().all()
    for tenant in tenants:
        bind.execute(sa.text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant)})
        for name, (description, permissions) in BUILTIN_ROLES.items():
            bind.execute(
                sa.text(
                    "insert into identity.role"
                    " (tenant_id, id, name, description, permissions, builtin)"
                    " values (:t, gen_random_uuid(), :n, :d, :p, true)"
                    " on conflict (tenant_id, name) do update"
                    " set description = excluded.description,"
                    " permissions = excluded.permissions, builtin = true"
                ),
                {"t": tenant, "n": name, "d": description, "p": permissions},
            )
    bind.execute(sa.text("select set_config('app.tenant_id', '', true)"))


def downgrade() -> None:
    op.drop_table("invitation", schema="identity")
    op.drop_table("lockout_event", schema="identity")
    op.drop_column("login_throttle", "last_success_at", schema="identity")
    op.drop_table("rate_limit_bucket", schema="shared")
    op.drop_constraint("ck_tenant_not_platform", "tenant", schema="identity")
    op.drop_table("token_revocation", schema="shared")
    op.drop_column("user", "token_version", schema="identity")
