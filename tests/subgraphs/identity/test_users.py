"""User and role administration: permissions, validation, nothing written on bad input."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from shared.context import Runtime
from subgraphs.identity.models import Role, User, UserRole
from subgraphs.identity.roles import BUILTIN_ROLES
from tests.conftest import GraphQLClient, TenantHandle

CREATE_USER = """mutation($i: CreateUserInput!) { createUser(input: $i) {
  user { id email roles { name } } errors { field code message } } }"""
UPDATE_USER = """mutation($i: UpdateUserInput!) { updateUser(input: $i) {
  user { id name email roles { name } } errors { field code } } }"""
DEACTIVATE = """mutation($i: DeactivateUserInput!) { deactivateUser(input: $i) {
  user { id active } errors { field code } } }"""
CREATE_ROLE = """mutation($i: CreateRoleInput!) { createRole(input: $i) {
  role { id name permissions builtin } errors { field code } } }"""
UPDATE_ROLE = """mutation($i: UpdateRoleInput!) { updateRole(input: $i) {
  role { name permissions } errors { field code } } }"""
UPDATE_USER_MESSAGES = """mutation($i: UpdateUserInput!) { updateUser(input: $i) {
  user { id } errors { field code message } } }"""
DEACTIVATE_MESSAGES = """mutation($i: DeactivateUserInput!) { deactivateUser(input: $i) {
  user { id } errors { field code message } } }"""
UPDATE_ROLE_MESSAGES = """mutation($i: UpdateRoleInput!) { updateRole(input: $i) {
  role { id } errors { field code message } } }"""
LOGIN = """mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }"""
USERS = """query($f: UserFilter, $first: Int, $after: String) { users(first: $first, after: $after, filter: $f) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { name email } } } }"""


async def counts(runtime: Runtime, tenant: TenantHandle) -> tuple[int, int, int]:
    async with runtime.db.transaction(tenant.id, readonly=True) as s:
        return (
            int(await s.scalar(select(func.count()).select_from(User)) or 0),
            int(await s.scalar(select(func.count()).select_from(Role)) or 0),
            int(await s.scalar(select(func.count()).select_from(UserRole)) or 0),
        )


def user_input(**overrides: Any) -> dict[str, Any]:
    return {
        "email": "clerk@example.com",
        "name": "Clerk",
        "password": "long enough password",
        "roles": ["sales"],
        **overrides,
    }


async def login_as(gql: GraphQLClient, tenant: TenantHandle, email: str, password: str) -> str:
    r = await gql(LOGIN, {"i": {"tenant": tenant.slug, "email": email, "password": password}})
    token = r["data"]["login"]["accessToken"]
    assert token, r
    return str(token)


async def test_admin_creates_a_user_who_can_log_in(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    r = await identity_gql(CREATE_USER, {"i": user_input()}, token=tenant.token)
    assert r["data"]["createUser"]["errors"] == []
    assert r["data"]["createUser"]["user"]["roles"] == [{"name": "sales"}]
    token = await login_as(identity_gql, tenant, "clerk@example.com", "long enough password")
    me = await identity_gql("{ me { email roles { name } } }", token=token)
    assert me["data"]["me"] == {"email": "clerk@example.com", "roles": [{"name": "sales"}]}


async def test_bad_input_gives_field_errors_and_writes_nothing(
    identity_gql: GraphQLClient, runtime: Runtime, tenant: TenantHandle
) -> None:
    before = await counts(runtime, tenant)
    cases = [
        (user_input(email="nope"), ("input.email", "INVALID_EMAIL")),
        (user_input(password="short"), ("input.password", "PASSWORD_TOO_SHORT")),
        (user_input(email=tenant.admin_email.upper()), ("input.email", "DUPLICATE")),
        (user_input(roles=["sales", "wizard"]), ("input.roles", "UNKNOWN_ROLE")),
        (user_input(name="  "), ("input.name", "REQUIRED")),
        # Checks.email's rules, the same in every domain: blank is REQUIRED, too long TOO_LONG.
        (user_input(email="  "), ("input.email", "REQUIRED")),
        (user_input(email="a" * 250 + "@x.io"), ("input.email", "TOO_LONG")),
    ]
    for given, expected in cases:
        r = await identity_gql(CREATE_USER, {"i": given}, token=tenant.token)
        payload = r["data"]["createUser"]
        assert payload["user"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected]
    assert await counts(runtime, tenant) == before


async def test_non_admins_are_forbidden(
    identity_gql: GraphQLClient, runtime: Runtime, tenant: TenantHandle
) -> None:
    await identity_gql(CREATE_USER, {"i": user_input()}, token=tenant.token)
    token = await login_as(identity_gql, tenant, "clerk@example.com", "long enough password")
    before = await counts(runtime, tenant)
    for mutation, given in [
        (CREATE_USER, user_input(email="x@example.com")),
        (UPDATE_USER, {"id": str(tenant.admin_id), "name": "Hacked"}),
        (DEACTIVATE, {"id": str(tenant.admin_id)}),
        (CREATE_ROLE, {"name": "r", "permissions": []}),
    ]:
        r = await identity_gql(mutation, {"i": given}, token=token)
        assert r["data"] is None
        assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await counts(runtime, tenant) == before
    unauth = await identity_gql(CREATE_USER, {"i": user_input()})
    assert unauth["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_update_and_deactivate(identity_gql: GraphQLClient, tenant: TenantHandle) -> None:
    created = await identity_gql(CREATE_USER, {"i": user_input()}, token=tenant.token)
    uid = created["data"]["createUser"]["user"]["id"]
    r = await identity_gql(
        UPDATE_USER,
        {"i": {"id": uid, "name": "Renamed", "roles": ["viewer", "warehouse"]}},
        token=tenant.token,
    )
    assert r["data"]["updateUser"]["user"]["name"] == "Renamed"
    assert r["data"]["updateUser"]["user"]["roles"] == [{"name": "viewer"}, {"name": "warehouse"}]
    dup = await identity_gql(
        UPDATE_USER, {"i": {"id": uid, "email": tenant.admin_email}}, token=tenant.token
    )
    assert dup["data"]["updateUser"]["errors"] == [{"field": "input.email", "code": "DUPLICATE"}]
    r = await identity_gql(DEACTIVATE, {"i": {"id": uid}}, token=tenant.token)
    assert r["data"]["deactivateUser"]["user"]["active"] is False
    denied = await identity_gql(
        LOGIN,
        {
            "i": {
                "tenant": tenant.slug,
                "email": "clerk@example.com",
                "password": "long enough password",
            }
        },
    )
    assert denied["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    self_ = await identity_gql(DEACTIVATE, {"i": {"id": str(tenant.admin_id)}}, token=tenant.token)
    assert self_["data"]["deactivateUser"]["errors"] == [
        {"field": "input.id", "code": "CANNOT_DEACTIVATE_SELF"}
    ]


async def test_unknown_ids_are_not_found(
    identity_gql: GraphQLClient,
    runtime: Runtime,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    """Another tenant's id is as unknown as a random one (or one that is not a UUID): a
    mutation answers the payload error NOT_FOUND and writes nothing; a query answers null."""
    async with runtime.db.transaction(other_tenant.id, readonly=True) as s:
        other_role = await s.scalar(select(Role.id).where(Role.name == "viewer"))
        other_admin = await s.get(User, (other_tenant.id, other_tenant.admin_id))
        assert other_admin is not None
        other_state = (other_admin.name, other_admin.active)
    before = await counts(runtime, tenant)
    other_before = await counts(runtime, other_tenant)
    unknown_ids = [str(other_tenant.admin_id), str(uuid.uuid4()), "not-a-uuid"]
    for mutation, field, given in [
        *[(UPDATE_USER_MESSAGES, "updateUser", {"id": i, "name": "X"}) for i in unknown_ids],
        *[(DEACTIVATE_MESSAGES, "deactivateUser", {"id": i}) for i in unknown_ids],
    ]:
        r = await identity_gql(mutation, {"i": given}, token=tenant.token)
        assert "errors" not in r, r
        assert r["data"][field] == {
            "user": None,
            "errors": [
                {"field": "input.id", "code": "NOT_FOUND", "message": "No user with this id"}
            ],
        }, given
    for role_id in [str(other_role), str(uuid.uuid4()), "not-a-uuid"]:
        r = await identity_gql(
            UPDATE_ROLE_MESSAGES, {"i": {"id": role_id, "permissions": []}}, token=tenant.token
        )
        assert "errors" not in r, r
        assert r["data"]["updateRole"] == {
            "role": None,
            "errors": [
                {"field": "input.id", "code": "NOT_FOUND", "message": "No role with this id"}
            ],
        }, role_id
    assert await counts(runtime, tenant) == before
    assert await counts(runtime, other_tenant) == other_before
    async with runtime.db.transaction(other_tenant.id, readonly=True) as s:
        still = await s.get(User, (other_tenant.id, other_tenant.admin_id))
        assert still is not None and (still.name, still.active) == other_state
        role = await s.get(Role, (other_tenant.id, other_role))
        assert role is not None and role.permissions == BUILTIN_ROLES["viewer"][1]
    # The refused deactivation revoked none of the other admin's refresh tokens.
    refreshed = await identity_gql(
        "mutation($i: RefreshTokenInput!) { refreshToken(input: $i) { errors { code } } }",
        {"i": {"refreshToken": other_tenant.refresh_token}},
    )
    assert refreshed == {"data": {"refreshToken": {"errors": []}}}
    for user_id in unknown_ids:
        q = await identity_gql(
            "query($id: ID!) { user(id: $id) { id } }", {"id": user_id}, token=tenant.token
        )
        assert q == {"data": {"user": None}}, user_id


async def test_custom_roles(
    identity_gql: GraphQLClient, runtime: Runtime, tenant: TenantHandle
) -> None:
    r = await identity_gql(
        CREATE_ROLE,
        {"i": {"name": "auditor", "permissions": ["crm:read", "stock:read"]}},
        token=tenant.token,
    )
    role = r["data"]["createRole"]["role"]
    assert role["permissions"] == ["crm:read", "stock:read"] and role["builtin"] is False
    before = await counts(runtime, tenant)
    bad = await identity_gql(
        CREATE_ROLE, {"i": {"name": "auditor", "permissions": ["crm:fly"]}}, token=tenant.token
    )
    assert {(e["field"], e["code"]) for e in bad["data"]["createRole"]["errors"]} == {
        ("input.name", "DUPLICATE"),
        ("input.permissions", "UNKNOWN_PERMISSION"),
    }
    assert await counts(runtime, tenant) == before
    upd = await identity_gql(
        UPDATE_ROLE, {"i": {"id": role["id"], "permissions": ["crm:read"]}}, token=tenant.token
    )
    assert upd["data"]["updateRole"]["role"]["permissions"] == ["crm:read"]
    roles = await identity_gql("{ roles { id name builtin } }", token=tenant.token)
    admin_role = next(x for x in roles["data"]["roles"] if x["name"] == "admin")
    frozen = await identity_gql(
        UPDATE_ROLE, {"i": {"id": admin_role["id"], "permissions": []}}, token=tenant.token
    )
    assert frozen["data"]["updateRole"]["errors"] == [{"field": "input.id", "code": "BUILTIN_ROLE"}]
    assert sorted(x["name"] for x in roles["data"]["roles"] if x["builtin"]) == [
        "accountant",
        "admin",
        "manager",
        "production",
        "purchasing",
        "sales",
        "viewer",
        "warehouse",
    ]


async def test_users_connection_pages_and_filters(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    for i in range(5):
        await identity_gql(
            CREATE_USER,
            {"i": user_input(email=f"u{i}@example.com", name=f"User {i}")},
            token=tenant.token,
        )
    page1 = (await identity_gql(USERS, {"first": 3, "f": {"search": "user"}}, token=tenant.token))[
        "data"
    ]["users"]
    assert page1["totalCount"] == 5 and page1["pageInfo"]["hasNextPage"] is True
    page2 = (
        await identity_gql(
            USERS,
            {"first": 3, "after": page1["pageInfo"]["endCursor"], "f": {"search": "user"}},
            token=tenant.token,
        )
    )["data"]["users"]
    names = [e["node"]["name"] for e in page1["edges"] + page2["edges"]]
    assert names == [f"User {i}" for i in range(5)]
    assert page2["pageInfo"]["hasNextPage"] is False
    admins = (await identity_gql(USERS, {"f": {"role": "admin"}}, token=tenant.token))["data"][
        "users"
    ]
    assert [e["node"]["email"] for e in admins["edges"]] == [tenant.admin_email]
    bad = await identity_gql(USERS, {"first": 1000}, token=tenant.token)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = await identity_gql(USERS, {"after": "garbage"}, token=tenant.token)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
