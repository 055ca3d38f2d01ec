"""identity: tenants created before `sales:override_credit` existed get it on their
built-in admin and manager roles (new tenants get it from BUILTIN_ROLES)

Revision ID: 0019_identity_override_credit
Revises: 0014_identity_service_clients
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_identity_override_credit"
down_revision: str | Sequence[str] | None = "0014_identity_service_clients"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

PERMISSION = "sales:override_credit"
ROLES = ("admin", "manager")


def _each_tenant(statement: str) -> None:
    """Row-level security is forced, so each tenant is bound in turn."""
    bind = op.get_bind()
    tenants = bind.execute(sa.text("select id from identity.tenant")).scalars().all()
    for tenant in tenants:
        bind.execute(sa.text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant)})
        bind.execute(sa.text(statement), {"p": PERMISSION, "roles": list(ROLES)})
    bind.execute(sa.text("select set_config('app.tenant_id', '', true)"))


def upgrade() -> None:
    _each_tenant(
        "update identity.role set permissions = array_append(permissions, :p)"
        " where builtin and name = any(:roles) and not (:p = any(permissions))"
    )


def downgrade() -> None:
    _each_tenant(
        "update identity.role set permissions = array_remove(permissions, :p)"
        " where builtin and name = any(:roles)"
    )
