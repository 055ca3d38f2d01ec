"""Helpers every migration uses, so each tenant table gets the same protection.

Policy (DESIGN section 3): rows are visible and writable only when their `tenant_id`
equals the transaction-local `app.tenant_id`; with no tenant set, nothing is visible.
`nullif` matters: once a transaction-local setting ends, the connection reads `''`.
"""

from __future__ import annotations

from alembic import op

from shared.settings import get_settings

TENANT_PREDICATE = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid"


def _qualified(table: str) -> str:
    schema, _, name = table.partition(".")
    return f'"{schema}"."{name}"'


def app_role() -> str:
    return get_settings().app_role


def create_schema(schema: str) -> None:
    op.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{app_role()}"')


def grant_app(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    op.execute(f'GRANT {privileges} ON {_qualified(table)} TO "{app_role()}"')


def tenant_table(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    """Enable and force row-level security on `table` and grant the application role."""
    q = _qualified(table)
    op.execute(f"ALTER TABLE {q} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {q} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {q} "
        f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
    )
    grant_app(table, privileges)
