"""identity: the tenant's address and tax id, printed on its documents

Revision ID: 0020_identity_tenant_profile
Revises: 0019_identity_override_credit
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0020_identity_tenant_profile"
down_revision: str | Sequence[str] | None = "0019_identity_override_credit"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tenant",
        sa.Column(
            "address",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        schema="identity",
    )
    op.add_column(
        "tenant",
        sa.Column("tax_id", sa.String(length=50), server_default="", nullable=False),
        schema="identity",
    )
    # Tenants are global rows (read by slug at login, before a tenant is bound), so the
    # table has no forced tenant policy; the application may now change its own row's
    # profile, and row-level security makes "its own" structural: an UPDATE reaches only
    # the row of the tenant the transaction is bound to.
    app = migrations.app_role()
    op.execute(f'GRANT UPDATE (name, address, tax_id) ON identity.tenant TO "{app}"')
    op.execute("ALTER TABLE identity.tenant ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY tenant_read ON identity.tenant FOR SELECT USING (true)")
    op.execute("CREATE POLICY tenant_create ON identity.tenant FOR INSERT WITH CHECK (true)")
    own = "id::text = current_setting('app.tenant_id', true)"
    op.execute(
        f"CREATE POLICY tenant_update_own ON identity.tenant FOR UPDATE USING ({own})"
        f" WITH CHECK ({own})"
    )


def downgrade() -> None:
    for policy in ("tenant_update_own", "tenant_create", "tenant_read"):
        op.execute(f"DROP POLICY {policy} ON identity.tenant")
    op.execute("ALTER TABLE identity.tenant DISABLE ROW LEVEL SECURITY")
    op.execute(
        f'REVOKE UPDATE (name, address, tax_id) ON identity.tenant FROM "{migrations.app_role()}"'
    )
    op.drop_column("tenant", "tax_id", schema="identity")
    op.drop_column("tenant", "address", schema="identity")
