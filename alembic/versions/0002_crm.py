"""crm

Revision ID: 0002_crm
Revises: 0001
Create Date: 2026-11-26 15:35:18.260687
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import migrations

revision: str = "0002_crm"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


TABLES = (
    "customer",
    "contact",
    "pipeline_stage",
    "lead",
    "deal",
    "deal_stage_change",
    "activity",
)


def upgrade() -> None:
    migrations.create_schema("crm")
    op.create_table(
        "pipeline_stage",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pipeline_stage")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_pipeline_stage_tenant_id_name")),
        sa.UniqueConstraint(
            "tenant_id", "position", name=op.f("uq_pipeline_stage_tenant_id_position")
        ),
        schema="crm",
    )
    op.create_table(
        "customer",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="COMPANY", nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("tax_id", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("website", sa.String(length=254), nullable=True),
        sa.Column("billing_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("tags", sa.ARRAY(sa.String(length=50)), server_default="{}", nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), server_default="30", nullable=False),
        sa.Column("credit_limit", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="ACTIVE", nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
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
        sa.Column(
            "name_key",
            sa.String(length=200, collation="C"),
            sa.Computed("lower((name)::text)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "email_key",
            sa.String(length=254, collation="C"),
            sa.Computed("lower((email)::text)", persisted=True),
            nullable=True,
        ),
        sa.Column(
            "tax_key",
            sa.String(length=50, collation="C"),
            sa.Computed(
                "lower(regexp_replace((tax_id)::text, '[^A-Za-z0-9]', '', 'g'))", persisted=True
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["identity.user.tenant_id", "identity.user.id"],
            name=op.f("fk_customer_tenant_id_owner_id_user"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customer")),
        sa.UniqueConstraint("tenant_id", "email_key", name=op.f("uq_customer_tenant_id_email_key")),
        sa.UniqueConstraint("tenant_id", "tax_key", name=op.f("uq_customer_tenant_id_tax_key")),
        schema="crm",
    )
    op.create_index(
        "ix_customer_tenant_id_created_at",
        "customer",
        ["tenant_id", "created_at"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        "ix_customer_tenant_id_name_key",
        "customer",
        ["tenant_id", "name_key"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        "ix_customer_tenant_id_owner_id",
        "customer",
        ["tenant_id", "owner_id"],
        unique=False,
        schema="crm",
    )
    op.create_table(
        "contact",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("is_primary", sa.Boolean(), server_default="false", nullable=False),
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
            ["tenant_id", "customer_id"],
            ["crm.customer.tenant_id", "crm.customer.id"],
            name=op.f("fk_contact_tenant_id_customer_id_customer"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_contact")),
        schema="crm",
    )
    op.create_index(
        "ix_contact_tenant_id_customer_id",
        "contact",
        ["tenant_id", "customer_id"],
        unique=False,
        schema="crm",
    )
    op.create_table(
        "deal",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="OPEN", nullable=False),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
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
            ["tenant_id", "customer_id"],
            ["crm.customer.tenant_id", "crm.customer.id"],
            name=op.f("fk_deal_tenant_id_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["identity.user.tenant_id", "identity.user.id"],
            name=op.f("fk_deal_tenant_id_owner_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "stage_id"],
            ["crm.pipeline_stage.tenant_id", "crm.pipeline_stage.id"],
            name=op.f("fk_deal_tenant_id_stage_id_pipeline_stage"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_deal")),
        schema="crm",
    )
    op.create_index(
        "ix_deal_tenant_id_customer_id",
        "deal",
        ["tenant_id", "customer_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        "ix_deal_tenant_id_stage_id", "deal", ["tenant_id", "stage_id"], unique=False, schema="crm"
    )
    op.create_table(
        "lead",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="NEW", nullable=False),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
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
            ["tenant_id", "customer_id"],
            ["crm.customer.tenant_id", "crm.customer.id"],
            name=op.f("fk_lead_tenant_id_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["identity.user.tenant_id", "identity.user.id"],
            name=op.f("fk_lead_tenant_id_owner_id_user"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_lead")),
        schema="crm",
    )
    op.create_index(
        "ix_lead_tenant_id_status", "lead", ["tenant_id", "status"], unique=False, schema="crm"
    )
    op.create_table(
        "activity",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "num_nonnulls(customer_id, contact_id, lead_id, deal_id) >= 1",
            name=op.f("ck_activity_linked"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contact_id"],
            ["crm.contact.tenant_id", "crm.contact.id"],
            name=op.f("fk_activity_tenant_id_contact_id_contact"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["crm.customer.tenant_id", "crm.customer.id"],
            name=op.f("fk_activity_tenant_id_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "deal_id"],
            ["crm.deal.tenant_id", "crm.deal.id"],
            name=op.f("fk_activity_tenant_id_deal_id_deal"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_id"],
            ["crm.lead.tenant_id", "crm.lead.id"],
            name=op.f("fk_activity_tenant_id_lead_id_lead"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_id"],
            ["identity.user.tenant_id", "identity.user.id"],
            name=op.f("fk_activity_tenant_id_owner_id_user"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_activity")),
        schema="crm",
    )
    op.create_index(
        "ix_activity_tenant_id_due_at",
        "activity",
        ["tenant_id", "due_at"],
        unique=False,
        schema="crm",
    )
    op.create_table(
        "deal_stage_change",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage_id", sa.Uuid(), nullable=True),
        sa.Column("to_stage_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "changed_by"],
            ["identity.user.tenant_id", "identity.user.id"],
            name=op.f("fk_deal_stage_change_tenant_id_changed_by_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "deal_id"],
            ["crm.deal.tenant_id", "crm.deal.id"],
            name=op.f("fk_deal_stage_change_tenant_id_deal_id_deal"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "from_stage_id"],
            ["crm.pipeline_stage.tenant_id", "crm.pipeline_stage.id"],
            name=op.f("fk_deal_stage_change_tenant_id_from_stage_id_pipeline_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "to_stage_id"],
            ["crm.pipeline_stage.tenant_id", "crm.pipeline_stage.id"],
            name=op.f("fk_deal_stage_change_tenant_id_to_stage_id_pipeline_stage"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_deal_stage_change")),
        schema="crm",
    )
    op.create_index(
        "ix_deal_stage_change_tenant_id_deal_id",
        "deal_stage_change",
        ["tenant_id", "deal_id"],
        unique=False,
        schema="crm",
    )
    for table in TABLES:
        migrations.tenant_table(f"crm.{table}")


def downgrade() -> None:
    op.drop_index(
        "ix_deal_stage_change_tenant_id_deal_id", table_name="deal_stage_change", schema="crm"
    )
    op.drop_table("deal_stage_change", schema="crm")
    op.drop_index("ix_activity_tenant_id_due_at", table_name="activity", schema="crm")
    op.drop_table("activity", schema="crm")
    op.drop_index("ix_lead_tenant_id_status", table_name="lead", schema="crm")
    op.drop_table("lead", schema="crm")
    op.drop_index("ix_deal_tenant_id_stage_id", table_name="deal", schema="crm")
    op.drop_index("ix_deal_tenant_id_customer_id", table_name="deal", schema="crm")
    op.drop_table("deal", schema="crm")
    op.drop_index("ix_contact_tenant_id_customer_id", table_name="contact", schema="crm")
    op.drop_table("contact", schema="crm")
    op.drop_index("ix_customer_tenant_id_owner_id", table_name="customer", schema="crm")
    op.drop_index("ix_customer_tenant_id_name_key", table_name="customer", schema="crm")
    op.drop_index("ix_customer_tenant_id_created_at", table_name="customer", schema="crm")
    op.drop_table("customer", schema="crm")
    op.drop_table("pipeline_stage", schema="crm")
    op.execute('DROP SCHEMA IF EXISTS "crm"')
