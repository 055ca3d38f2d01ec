"""Identity's rules and public API: tenants, users, roles, login and tokens.

Login and refresh have side effects that must outlive a failed attempt (the throttle
count, revoking a token family on reuse); those run in their own short transactions on
`db`, never in the caller's unit of work, which rolls back on failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Select, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.db import Database, TenantId, bind_tenant
from shared.errors import InvalidInput, NotFound, Problem, RateLimited
from shared.outbox import emit
from shared.pagination import Page, SortKey, paginate
from shared.settings import Settings
from subgraphs.identity import tokens
from subgraphs.identity.models import LoginThrottle, RefreshToken, Role, Tenant, User, UserRole
from subgraphs.identity.roles import BUILTIN_ROLES, is_permission

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_FAILURES = 10
FAILURE_WINDOW = dt.timedelta(minutes=15)
COOL_OFF = dt.timedelta(minutes=15)

# OWASP's argon2id minimum: 19 MiB, 2 iterations, parallelism 1.
_hasher = PasswordHash((Argon2Hasher(memory_cost=19456, time_cost=2, parallelism=1),))
# Verified when the tenant or the user does not exist, so every failure costs one hash.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class AuthResult:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    roles: list[str]
    permissions: list[str]
    token_id: str

    def principal(self) -> Principal:
        """Who the caller is from now on, so the payload resolves as the new user."""
        return Principal(
            user_id=self.user.id,
            tenant_id=TenantId(self.user.tenant_id),
            roles=frozenset(self.roles),
            permissions=frozenset(self.permissions),
            token_id=self.token_id,
        )


# --- validation ---------------------------------------------------------------------


def _check_email(problems: list[Problem], field: str, email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        problems.append(Problem(field, "INVALID_EMAIL", "Enter a valid email address"))
    return email


def _check_password(problems: list[Problem], field: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            Problem(
                field,
                "PASSWORD_TOO_SHORT",
                f"The password needs at least {MIN_PASSWORD_LENGTH} characters",
            )
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(Problem(field, "PASSWORD_TOO_LONG", "The password is too long"))


def _check_name(problems: list[Problem], field: str, name: str, *, limit: int = 200) -> str:
    name = name.strip()
    if not name:
        problems.append(Problem(field, "REQUIRED", "This field is required"))
    elif len(name) > limit:
        problems.append(Problem(field, "TOO_LONG", f"At most {limit} characters"))
    return name


async def hash_password(password: str) -> str:
    # Argon2 is deliberately slow; keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify_password(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(_hasher.verify, password, password_hash)


# --- tenants and sign-up ------------------------------------------------------------


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SLUG_CHARS.sub("-", ascii_name.lower()).strip("-")[:50] or "tenant"


async def _unique_slug(session: AsyncSession, name: str) -> str:
    base = slugify(name)
    taken = set(
        (await session.scalars(select(Tenant.slug).where(Tenant.slug.like(f"{base}%")))).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def create_builtin_roles(session: AsyncSession, tenant: TenantId) -> dict[str, Role]:
    roles = {
        name: Role(tenant_id=tenant, name=name, description=desc, permissions=perms, builtin=True)
        for name, (desc, perms) in BUILTIN_ROLES.items()
    }
    session.add_all(roles.values())
    await session.flush()
    return roles


async def sign_up(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_name: str,
    email: str,
    password: str,
    name: str,
    slug: str | None = None,
) -> AuthResult:
    """A new tenant with its built-in roles and its first admin, logged in."""
    problems: list[Problem] = []
    tenant_name = _check_name(problems, "input.tenantName", tenant_name)
    email = _check_email(problems, "input.email", email)
    _check_password(problems, "input.password", password)
    name = _check_name(problems, "input.name", name)
    if problems:
        raise InvalidInput(problems)
    tenant_row = Tenant(
        id=uuid.uuid4(), name=tenant_name, slug=slug or await _unique_slug(session, tenant_name)
    )
    session.add(tenant_row)
    await session.flush()
    tenant = TenantId(tenant_row.id)
    await bind_tenant(session, tenant)
    roles = await create_builtin_roles(session, tenant)
    user = User(
        tenant_id=tenant,
        email=email,
        name=name,
        password_hash=await hash_password(password),
    )
    session.add(user)
    await session.flush()
    session.add(UserRole(tenant_id=tenant, user_id=user.id, role_id=roles["admin"].id))
    await session.flush()
    await emit(
        session,
        tenant,
        type="tenant.created",
        aggregate_type="Tenant",
        aggregate_id=tenant,
        payload={"slug": tenant_row.slug, "name": tenant_name},
    )
    return await _start_session(session, settings, tenant, user)


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def tenants_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Tenant]:
    # A principal may only ever see its own tenant through the graph.
    wanted = [i for i in ids if i == tenant]
    rows = await session.scalars(select(Tenant).where(Tenant.id.in_(wanted)))
    return {t.id: t for t in rows}


# --- login, refresh, logout ---------------------------------------------------------


def _throttle_key(tenant_slug: str, email: str) -> str:
    return hashlib.sha256(
        f"{tenant_slug.strip().lower()}\0{email.strip().lower()}".encode()
    ).hexdigest()


async def _record_failure(db: Database, key: str) -> None:
    now = func.now()
    fresh = LoginThrottle.window_started_at < now - FAILURE_WINDOW
    failures = case((fresh, 1), else_=LoginThrottle.failures + 1)
    stmt = insert(LoginThrottle).values(
        key_hash=key, failures=1, window_started_at=now, locked_until=None
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.key_hash],
        set_={
            "failures": failures,
            "window_started_at": case((fresh, now), else_=LoginThrottle.window_started_at),
            "locked_until": case(
                (failures >= MAX_FAILURES, now + COOL_OFF), else_=LoginThrottle.locked_until
            ),
        },
    )
    async with db.transaction(None) as session:
        await session.execute(stmt)


def invalid_credentials() -> InvalidInput:
    return InvalidInput.one(None, "INVALID_CREDENTIALS", "Unknown tenant, email or password")


async def login(
    session: AsyncSession,
    db: Database,
    settings: Settings,
    *,
    tenant_slug: str,
    email: str,
    password: str,
) -> AuthResult:
    """Same error, same cost, for an unknown tenant, an unknown email and a wrong password."""
    key = _throttle_key(tenant_slug, email)
    locked = await session.scalar(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key_hash == key, LoginThrottle.locked_until > func.now()
        )
    )
    if locked is not None:
        raise RateLimited("Too many failed logins; try again later", retryAfter=locked.isoformat())
    tenant_row = await session.scalar(
        select(Tenant).where(Tenant.slug == tenant_slug.strip().lower())
    )
    user: User | None = None
    if tenant_row is not None:
        await bind_tenant(session, TenantId(tenant_row.id))
        user = await session.scalar(
            select(User).where(
                func.lower(User.email) == email.strip().lower(), User.active.is_(True)
            )
        )
    ok = await _verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if not ok or user is None or tenant_row is None:
        await _record_failure(db, key)
        raise invalid_credentials()
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key))
    return await _start_session(session, settings, TenantId(tenant_row.id), user)


async def _start_session(
    session: AsyncSession, settings: Settings, tenant: TenantId, user: User
) -> AuthResult:
    return await _issue(session, settings, tenant, user, family_id=uuid.uuid4())


async def _issue(
    session: AsyncSession, settings: Settings, tenant: TenantId, user: User, *, family_id: uuid.UUID
) -> AuthResult:
    roles = await roles_of(session, tenant, user.id)
    permissions = sorted({p for r in roles for p in r.permissions})
    access = await tokens.issue_access_token(
        session,
        user_id=user.id,
        tenant=tenant,
        roles=[r.name for r in roles],
        permissions=permissions,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
    )
    refresh, refresh_hash = tokens.new_refresh_secret(tenant)
    session.add(
        RefreshToken(
            tenant_id=tenant,
            family_id=family_id,
            user_id=user.id,
            token_hash=refresh_hash,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.refresh_token_ttl),
        )
    )
    await session.flush()
    return AuthResult(
        access.token,
        refresh,
        access.expires_in,
        user,
        [r.name for r in roles],
        permissions,
        access.token_id,
    )


def invalid_refresh_token() -> InvalidInput:
    return InvalidInput.one(
        "input.refreshToken", "INVALID_TOKEN", "The refresh token is invalid or expired"
    )


async def _revoke_family(db: Database, tenant: TenantId, family_id: uuid.UUID) -> None:
    async with db.transaction(tenant) as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )


async def refresh(
    session: AsyncSession, db: Database, settings: Settings, *, refresh_token: str
) -> AuthResult:
    """Rotate: the presented token stops working. Presenting an already-rotated token
    means it leaked, so its whole family is revoked (RFC 6819 5.2.2.3)."""
    parsed = tokens.parse_refresh_token(refresh_token)
    if parsed is None:
        raise invalid_refresh_token()
    tenant, token_hash = parsed
    await bind_tenant(session, tenant)
    row = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    if row is None or row.revoked_at is not None:
        raise invalid_refresh_token()
    if row.rotated_at is not None:
        await _revoke_family(db, tenant, row.family_id)
        raise invalid_refresh_token()
    claimed = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == row.id,
            RefreshToken.rotated_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > func.now(),
        )
        .values(rotated_at=func.now())
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        if row.expires_at > dt.datetime.now(dt.UTC):
            # Lost a race against another rotation of the same token: reuse.
            await _revoke_family(db, tenant, row.family_id)
        raise invalid_refresh_token()
    user = await session.scalar(select(User).where(User.id == row.user_id, User.active.is_(True)))
    if user is None:
        raise invalid_refresh_token()
    return await _issue(session, settings, tenant, user, family_id=row.family_id)


async def logout(session: AsyncSession, *, refresh_token: str) -> None:
    parsed = tokens.parse_refresh_token(refresh_token)
    if parsed is None:
        raise invalid_refresh_token()
    tenant, token_hash = parsed
    await bind_tenant(session, tenant)
    family = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash)
    )
    if family is None:
        raise invalid_refresh_token()
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


# --- users --------------------------------------------------------------------------


async def roles_of(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> list[Role]:
    return (await roles_by_user(session, tenant, [user_id])).get(user_id, [])


async def roles_by_user(
    session: AsyncSession, tenant: TenantId, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Role]]:
    rows = await session.execute(
        select(UserRole.user_id, Role)
        .join(Role, (Role.tenant_id == UserRole.tenant_id) & (Role.id == UserRole.role_id))
        .where(UserRole.tenant_id == tenant, UserRole.user_id.in_(user_ids))
        .order_by(Role.name)
    )
    found: dict[uuid.UUID, list[Role]] = {}
    for user_id, role in rows:
        found.setdefault(user_id, []).append(role)
    return found


async def users_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    rows = await session.scalars(select(User).where(User.tenant_id == tenant, User.id.in_(ids)))
    return {u.id: u for u in rows}


async def get_user(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> User:
    user = await session.get(User, (tenant, user_id))
    if user is None:
        raise NotFound("User not found", id=str(user_id))
    return user


async def _resolve_roles(
    session: AsyncSession, tenant: TenantId, names: Sequence[str], problems: list[Problem]
) -> list[Role]:
    wanted = sorted(set(names))
    rows = list(
        (
            await session.scalars(
                select(Role).where(Role.tenant_id == tenant, Role.name.in_(wanted))
            )
        ).all()
    )
    missing = sorted(set(wanted) - {r.name for r in rows})
    if missing:
        problems.append(
            Problem("input.roles", "UNKNOWN_ROLE", f"Unknown role(s): {', '.join(missing)}")
        )
    return rows


async def _email_taken(
    session: AsyncSession, tenant: TenantId, email: str, *, except_id: uuid.UUID | None = None
) -> bool:
    stmt = select(User.id).where(User.tenant_id == tenant, func.lower(User.email) == email.lower())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return (await session.scalar(stmt)) is not None


async def create_user(
    session: AsyncSession,
    tenant: TenantId,
    *,
    email: str,
    name: str,
    password: str,
    roles: Sequence[str],
) -> User:
    problems: list[Problem] = []
    email = _check_email(problems, "input.email", email)
    name = _check_name(problems, "input.name", name)
    _check_password(problems, "input.password", password)
    role_rows = await _resolve_roles(session, tenant, roles, problems)
    if not any(p.field == "input.email" for p in problems) and await _email_taken(
        session, tenant, email
    ):
        problems.append(Problem("input.email", "DUPLICATE", "A user with this email exists"))
    if problems:
        raise InvalidInput(problems)
    user = User(
        tenant_id=tenant, email=email, name=name, password_hash=await hash_password(password)
    )
    session.add(user)
    await session.flush()
    session.add_all(UserRole(tenant_id=tenant, user_id=user.id, role_id=r.id) for r in role_rows)
    await session.flush()
    return user


async def update_user(
    session: AsyncSession,
    tenant: TenantId,
    *,
    user_id: uuid.UUID,
    email: str | None = None,
    name: str | None = None,
    password: str | None = None,
    roles: Sequence[str] | None = None,
) -> User:
    user = await get_user(session, tenant, user_id)
    problems: list[Problem] = []
    if email is not None:
        email = _check_email(problems, "input.email", email)
        if not problems and await _email_taken(session, tenant, email, except_id=user_id):
            problems.append(Problem("input.email", "DUPLICATE", "A user with this email exists"))
    if name is not None:
        name = _check_name(problems, "input.name", name)
    if password is not None:
        _check_password(problems, "input.password", password)
    role_rows = (
        await _resolve_roles(session, tenant, roles, problems) if roles is not None else None
    )
    if problems:
        raise InvalidInput(problems)
    if email is not None:
        user.email = email
    if name is not None:
        user.name = name
    if password is not None:
        user.password_hash = await hash_password(password)
    if role_rows is not None:
        await session.execute(
            delete(UserRole).where(UserRole.tenant_id == tenant, UserRole.user_id == user_id)
        )
        session.add_all(
            UserRole(tenant_id=tenant, user_id=user_id, role_id=r.id) for r in role_rows
        )
    await session.flush()
    return user


async def deactivate_user(
    session: AsyncSession, tenant: TenantId, *, user_id: uuid.UUID, actor: uuid.UUID
) -> User:
    if user_id == actor:
        raise InvalidInput.one(
            "input.id", "CANNOT_DEACTIVATE_SELF", "You cannot deactivate yourself"
        )
    user = await get_user(session, tenant, user_id)
    user.active = False
    # Access tokens expire on their own within minutes; refresh tokens die now.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class UserFilter:
    search: str | None = None
    active: bool | None = None
    role: str | None = None


def _users_query(tenant: TenantId, f: UserFilter) -> Select[Any]:
    stmt = select(User).where(User.tenant_id == tenant)
    if f.search:
        pattern = f"%{f.search.strip()}%"
        stmt = stmt.where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    if f.active is not None:
        stmt = stmt.where(User.active.is_(f.active))
    if f.role:
        stmt = stmt.where(
            select(literal(1))
            .select_from(UserRole)
            .join(Role, (Role.tenant_id == UserRole.tenant_id) & (Role.id == UserRole.role_id))
            .where(
                UserRole.tenant_id == User.tenant_id,
                UserRole.user_id == User.id,
                Role.name == f.role,
            )
            .exists()
        )
    return stmt


async def list_users(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: UserFilter,
    first: int | None,
    after: str | None,
) -> Page[User]:
    return await paginate(
        session,
        _users_query(tenant, filter),
        keys=[SortKey(User.name), SortKey(User.id)],
        key_of=lambda u: (u.name, u.id),
        first=first,
        after=after,
    )


# --- roles --------------------------------------------------------------------------


async def list_roles(session: AsyncSession, tenant: TenantId) -> list[Role]:
    return list(
        (
            await session.scalars(select(Role).where(Role.tenant_id == tenant).order_by(Role.name))
        ).all()
    )


def _check_permissions(problems: list[Problem], permissions: Sequence[str]) -> list[str]:
    bad = [p for p in permissions if not is_permission(p)]
    if bad:
        problems.append(
            Problem(
                "input.permissions",
                "UNKNOWN_PERMISSION",
                f"Unknown permission(s): {', '.join(bad)}",
            )
        )
    return sorted(set(permissions))


async def create_role(
    session: AsyncSession,
    tenant: TenantId,
    *,
    name: str,
    description: str = "",
    permissions: Sequence[str],
) -> Role:
    problems: list[Problem] = []
    name = _check_name(problems, "input.name", name, limit=63)
    perms = _check_permissions(problems, permissions)
    if name and await session.scalar(
        select(Role.id).where(Role.tenant_id == tenant, Role.name == name)
    ):
        problems.append(Problem("input.name", "DUPLICATE", "A role with this name exists"))
    if problems:
        raise InvalidInput(problems)
    role = Role(tenant_id=tenant, name=name, description=description, permissions=perms)
    session.add(role)
    await session.flush()
    return role


async def update_role(
    session: AsyncSession,
    tenant: TenantId,
    *,
    role_id: uuid.UUID,
    name: str | None = None,
    description: str | None = None,
    permissions: Sequence[str] | None = None,
) -> Role:
    role = await session.get(Role, (tenant, role_id))
    if role is None:
        raise NotFound("Role not found", id=str(role_id))
    if role.builtin:
        raise InvalidInput.one("input.id", "BUILTIN_ROLE", "Built-in roles cannot be changed")
    problems: list[Problem] = []
    if name is not None:
        name = _check_name(problems, "input.name", name, limit=63)
        if name and await session.scalar(
            select(Role.id).where(Role.tenant_id == tenant, Role.name == name, Role.id != role_id)
        ):
            problems.append(Problem("input.name", "DUPLICATE", "A role with this name exists"))
    perms = _check_permissions(problems, permissions) if permissions is not None else None
    if problems:
        raise InvalidInput(problems)
    if name is not None:
        role.name = name
    if description is not None:
        role.description = description
    if perms is not None:
        role.permissions = perms
    await session.flush()
    return role
