"""notifications: rules, templates, deliveries, the in-app inbox, preferences,
unsubscribes, schedule firings; the outbox wake-up trigger and the pending-work probe

Revision ID: 0008_notifications
Revises: 0005_shared_idempotency
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import migrations

revision: str = "0008_notifications"
down_revision: str | Sequence[str] | None = "0005_shared_idempotency"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TABLES = (
    "notifications.rule",
    "notifications.template",
    "notifications.delivery",
    "notifications.notification",
    "notifications.preference",
    "notifications.unsubscribe",
    "notifications.schedule_firing",
)

CHANNELS = "'IN_APP', 'EMAIL', 'SMS'"
STATES = "'PENDING', 'SENT', 'DEAD', 'HELD', 'DIGESTED', 'SKIPPED'"
MODES = "'IMMEDIATE', 'DIGEST', 'OFF'"

# Wakes the relay: one notification per tenant per inserting statement, delivered when the
# transaction commits (so the listener always finds the rows). Statement-level with a
# transition table: a statement inserting many events notifies once per tenant.
WAKE_UP = (
    """
CREATE FUNCTION notifications.outbox_wake_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('nexo_outbox', t.tenant_id::text)
     FROM (SELECT DISTINCT tenant_id FROM new_events) AS t;
  RETURN NULL;
END $$
""",
    """
CREATE TRIGGER outbox_event_wake_up AFTER INSERT ON shared.outbox_event
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION notifications.outbox_wake_up()
""",
)

# Which of the given tenants have work: unpublished outbox events or deliveries due.
# SECURITY INVOKER on purpose: it binds each candidate tenant in turn (transaction-local,
# exactly as the application does for a request) and probes under row-level security, so
# it needs no privilege beyond the application role's and bypasses nothing. The caller
# passes the tenants (identity's tenant list); one round trip answers for all of them.
PROBE = """
CREATE FUNCTION notifications.tenants_with_work(candidates uuid[]) RETURNS SETOF uuid
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t uuid;
BEGIN
  FOREACH t IN ARRAY candidates LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    IF EXISTS (SELECT 1 FROM shared.outbox_event WHERE published_at IS NULL)
       OR EXISTS (SELECT 1 FROM notifications.delivery
                   WHERE state = 'PENDING' AND next_attempt_at <= now()) THEN
      RETURN NEXT t;
    END IF;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END $$
"""


def _timestamps() -> list[sa.Column[object]]:
    return [
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
    ]


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        ["identity.user.tenant_id", "identity.user.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_user"),
    )


def upgrade() -> None:
    migrations.create_schema("notifications")
    op.create_table(
        "rule",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("builtin_key", sa.String(length=100), nullable=True),
        sa.Column("roles", sa.ARRAY(sa.String(length=63)), server_default="{}", nullable=False),
        sa.Column("user_ids", sa.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column("customer_contact", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("channels", sa.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=16), server_default="en", nullable=False),
        sa.Column("attach_document", sa.Boolean(), server_default="false", nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            f"channels <@ ARRAY[{CHANNELS}]::varchar[]", name=op.f("ck_rule_channels")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_rule")),
        sa.UniqueConstraint("tenant_id", "builtin_key", name=op.f("uq_rule_tenant_id_builtin_key")),
        schema="notifications",
    )
    op.create_index(
        "ix_rule_tenant_id_event_type",
        "rule",
        ["tenant_id", "event_type"],
        schema="notifications",
    )
    op.create_table(
        "template",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name=op.f("ck_template_channel")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_template")),
        sa.UniqueConstraint(
            "tenant_id",
            "name",
            "channel",
            "locale",
            name=op.f("uq_template_tenant_id_name_channel_locale"),
        ),
        schema="notifications",
    )
    op.create_table(
        "delivery",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachment_kind", sa.String(length=32), nullable=True),
        sa.Column("attachment_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name=op.f("ck_delivery_channel")),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_delivery_state")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_delivery_attempts")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_delivery")),
        sa.UniqueConstraint(
            "tenant_id",
            "event_id",
            "origin",
            "recipient",
            "channel",
            name=op.f("uq_delivery_tenant_id_event_id_origin_recipient_channel"),
        ),
        schema="notifications",
    )
    op.create_index(
        "ix_delivery_tenant_id_next_attempt_at",
        "delivery",
        ["tenant_id", "next_attempt_at"],
        schema="notifications",
        postgresql_where=sa.text("state = 'PENDING'"),
    )
    op.create_index(
        "ix_delivery_tenant_id_state_created_at",
        "delivery",
        ["tenant_id", "state", "created_at"],
        schema="notifications",
    )
    op.create_index(
        "ix_delivery_tenant_id_user_id",
        "delivery",
        ["tenant_id", "user_id"],
        schema="notifications",
        postgresql_where=sa.text("state = 'HELD'"),
    )
    op.create_table(
        "notification",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_type", sa.String(length=100), nullable=True),
        sa.Column("aggregate_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["notifications.delivery.tenant_id", "notifications.delivery.id"],
            name=op.f("fk_notification_tenant_id_delivery_id_delivery"),
        ),
        _user_fk("notification", "user_id"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "tenant_id", "delivery_id", name=op.f("uq_notification_tenant_id_delivery_id")
        ),
        schema="notifications",
    )
    op.create_index(
        "ix_notification_tenant_id_user_id_created_at",
        "notification",
        ["tenant_id", "user_id", "created_at", "id"],
        schema="notifications",
    )
    op.create_index(
        "ix_notification_tenant_id_user_id",
        "notification",
        ["tenant_id", "user_id"],
        schema="notifications",
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "preference",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name=op.f("ck_preference_channel")),
        sa.CheckConstraint(f"mode IN ({MODES})", name=op.f("ck_preference_mode")),
        _user_fk("preference", "user_id"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "user_id", "event_type", "channel", name=op.f("pk_preference")
        ),
        schema="notifications",
    )
    op.create_table(
        "unsubscribe",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        _user_fk("unsubscribe", "recorded_by"),
        sa.PrimaryKeyConstraint("tenant_id", "contact_id", name=op.f("pk_unsubscribe")),
        schema="notifications",
    )
    op.create_table(
        "schedule_firing",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("schedule", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "fired_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("tenant_id", "schedule", "period", name=op.f("pk_schedule_firing")),
        schema="notifications",
    )
    for table in TABLES:
        migrations.tenant_table(table)
    for statement in WAKE_UP:
        op.execute(statement)
    op.execute(PROBE)
    role = migrations.app_role()
    op.execute(f'GRANT EXECUTE ON FUNCTION notifications.tenants_with_work(uuid[]) TO "{role}"')


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS outbox_event_wake_up ON shared.outbox_event")
    op.execute("DROP FUNCTION IF EXISTS notifications.outbox_wake_up()")
    op.execute("DROP FUNCTION IF EXISTS notifications.tenants_with_work(uuid[])")
    for table in reversed(TABLES):
        schema, _, name = table.partition(".")
        op.drop_table(name, schema=schema)
    op.execute('DROP SCHEMA IF EXISTS "notifications"')
