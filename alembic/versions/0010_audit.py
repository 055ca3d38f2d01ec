"""shared.audit_event: the append-only, tenant-isolated audit log (shared/audit.py)

Revision ID: 0010_audit
Revises: 0005_shared_idempotency
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0010_audit"
down_revision: str | Sequence[str] | None = "0005_shared_idempotency"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# History, like the stock ledger: no code path, not even the owner's, rewrites it.
# asyncpg runs one statement per execute.
IMMUTABLE = (
    """
CREATE FUNCTION shared.forbid_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
""",
    """
CREATE TRIGGER audit_event_immutable BEFORE UPDATE OR DELETE ON shared.audit_event
    FOR EACH ROW EXECUTE FUNCTION shared.forbid_audit_change()
""",
    """
CREATE TRIGGER audit_event_not_truncated BEFORE TRUNCATE ON shared.audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION shared.forbid_audit_change()
""",
)


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("target_type", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_event")),
        schema="shared",
    )
    op.create_index(
        "ix_audit_event_tenant_id_occurred_at",
        "audit_event",
        ["tenant_id", "occurred_at"],
        schema="shared",
    )
    # Row-level security by tenant; the application may read and append, nothing else.
    migrations.tenant_table("shared.audit_event", "SELECT, INSERT")
    for statement in IMMUTABLE:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("audit_event", schema="shared")
    op.execute("DROP FUNCTION shared.forbid_audit_change()")
