"""Tables of the `identity` schema."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

# Shared tables identity writes: imported so the metadata (alembic, Citus) holds them.
import shared.ratelimit
import shared.revocation  # noqa: F401
from shared.db import Base

SCHEMA = "identity"


def _now() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Tenant(Base):
    """Global: read by slug at login, before any tenant is bound."""

    __tablename__ = "tenant"
    __table_args__ = ({"schema": SCHEMA},)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    base_currency: Mapped[str] = mapped_column(String(3), server_default="EUR")
    created_at: Mapped[dt.datetime] = _now()
    address: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    """line1, line2, postal_code, city, region, country: printed on the tenant's documents."""
    tax_id: Mapped[str] = mapped_column(String(50), server_default="")


class User(Base):
    __tablename__ = "user"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["identity.tenant.id"]),
        Index(
            "uq_user_tenant_id_email", "tenant_id", func.lower(literal_column("email")), unique=True
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    token_version: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    """Raised whenever the user's access must be re-checked (deactivation, roles,
    password): access tokens carry it, and older versions stop verifying."""
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Role(Base):
    __tablename__ = "role"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["identity.tenant.id"]),
        UniqueConstraint("tenant_id", "name"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(Text, server_default="")
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(63)))
    builtin: Mapped[bool] = mapped_column(Boolean, server_default="false")


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["identity.user.tenant_id", "identity.user.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "role_id"], ["identity.role.tenant_id", "identity.role.id"]
        ),
        Index("ix_user_role_tenant_id_role_id", "tenant_id", "role_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class RefreshToken(Base):
    """One row per issued refresh token; a family is one login's chain of rotations."""

    __tablename__ = "refresh_token"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["identity.user.tenant_id", "identity.user.id"]
        ),
        UniqueConstraint("tenant_id", "token_hash"),
        Index("ix_refresh_token_tenant_id_family_id", "tenant_id", "family_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    family_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SigningKey(Base):
    """Global: token keys. The newest unretired key signs; every unretired key verifies."""

    __tablename__ = "signing_key"
    __table_args__ = ({"schema": SCHEMA},)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = _now()
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Global, keyed by a hash of (tenant slug, email) whether or not they exist, so the
    throttle itself reveals nothing about which accounts exist."""

    __tablename__ = "login_throttle"
    __table_args__ = ({"schema": SCHEMA},)

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    window_started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """For an (account, source) key: when the account last logged in from that source,
    which keeps the source usable while the account is locked for unknown ones."""


class LockoutEvent(Base):
    """A lock-out the login throttle imposed: the audit trail admins read. Kept under the
    account's tenant; for an unknown tenant, under the platform partition
    (`shared.ratelimit.PLATFORM`), with no email."""

    __tablename__ = "lockout_event"
    __table_args__ = (
        Index("ix_lockout_event_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    occurred_at: Mapped[dt.datetime] = _now()
    scope: Mapped[str] = mapped_column(String(16))
    """`account+source`, `account` (unknown sources only) or `source` (every account)."""
    email: Mapped[str | None] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(64))
    locked_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Invitation(Base):
    """An admin's invitation: a one-time token that creates a user with `roles`."""

    __tablename__ = "invitation"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["identity.tenant.id"]),
        UniqueConstraint("tenant_id", "token_hash"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(63)))
    token_hash: Mapped[str] = mapped_column(String(64))
    invited_by: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MfaTotp(Base):
    """A user's TOTP secret: pending until `confirmed_at`. `last_step` is the newest
    accepted time step, so a code cannot be replayed inside its window."""

    __tablename__ = "mfa_totp"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["identity.user.tenant_id", "identity.user.id"]
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    last_step: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[dt.datetime] = _now()
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MfaRecoveryCode(Base):
    """A single-use recovery code, hashed with the password hasher."""

    __tablename__ = "mfa_recovery_code"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["identity.user.tenant_id", "identity.user.id"]
        ),
        Index("ix_mfa_recovery_code_tenant_id_user_id", "tenant_id", "user_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MfaChallenge(Base):
    """A login's second step: the password was right; the `mfaToken` (hashed here) is
    short-lived and single-use."""

    __tablename__ = "mfa_challenge"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["identity.user.tenant_id", "identity.user.id"]
        ),
        UniqueConstraint("tenant_id", "token_hash"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MfaPolicy(Base):
    """The tenant's MFA rule; no row means MFA is optional."""

    __tablename__ = "mfa_policy"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["identity.tenant.id"]),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    updated_at: Mapped[dt.datetime] = _now()


class ServiceClient(Base):
    """An OAuth2 client of the tenant (client credentials grant, RFC 6749 4.4): its
    secret is stored hashed; its tokens carry `permissions` and `kind: client`."""

    __tablename__ = "service_client"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["identity.tenant.id"]),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(63)))
    secret_hash: Mapped[str] = mapped_column(String(64))
    token_version: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
