"""The audit log: written with the change (a rolled-back change leaves no event),
invisible across tenants, append-only for the application role (and, by trigger, for
the owner too), and `auditEvents` for admins only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import audit
from shared.context import Runtime
from subgraphs.identity import api as identity
from tests.conftest import PASSWORD, GraphQLClient, TenantHandle, token_for

EVENTS = """query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { action actorId targetType targetId requestId
      changes { field before after } } }
  }
}"""

UPDATE_USER = """mutation($i: UpdateUserInput!) {
  updateUser(input: $i) { user { id } errors { field code } } }"""
DEACTIVATE = """mutation($i: DeactivateUserInput!) {
  deactivateUser(input: $i) { user { id active } errors { field code } } }"""
LOGIN = """mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }"""


async def _count(runtime: Runtime, tenant: TenantHandle, action: audit.Action) -> int:
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        found = await session.scalar(
            select(func.count())
            .select_from(audit.AuditEvent)
            .where(audit.AuditEvent.action == str(action))
        )
    return int(found or 0)


async def _new_user(runtime: Runtime, tenant: TenantHandle, role: str = "viewer") -> uuid.UUID:
    async with runtime.db.transaction(tenant.id) as session:
        user = await identity.create_user(
            session,
            tenant.id,
            email=f"{role}-{uuid.uuid4().hex[:8]}@example.com",
            name=role.title(),
            password=PASSWORD,
            roles=[role],
        )
    return user.id


async def test_an_event_commits_with_its_change_and_rolls_back_with_it(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    user_id = await _new_user(runtime, tenant)

    async def deactivate_then_fail() -> None:
        async with runtime.db.transaction(tenant.id) as session:
            await identity.deactivate_user(
                session, tenant.id, user_id=user_id, actor=tenant.admin_id
            )
            assert await _count_in(session, audit.Action.USER_DEACTIVATED) == 1
            raise RuntimeError("the rest of the change failed")

    with pytest.raises(RuntimeError):
        await deactivate_then_fail()
    assert await _count(runtime, tenant, audit.Action.USER_DEACTIVATED) == 0
    async with runtime.db.transaction(tenant.id) as session:
        await identity.deactivate_user(session, tenant.id, user_id=user_id, actor=tenant.admin_id)
    assert await _count(runtime, tenant, audit.Action.USER_DEACTIVATED) == 1


async def _count_in(session: Any, action: audit.Action) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(audit.AuditEvent)
        .where(audit.AuditEvent.action == str(action))
    )
    return int(found or 0)


async def test_a_mutation_with_payload_errors_leaves_no_event(
    runtime: Runtime, tenant: TenantHandle, identity_gql: GraphQLClient
) -> None:
    """The mutation's own unit of work rolls back: nothing it recorded survives."""
    user_id = await _new_user(runtime, tenant)
    bad = await identity_gql(
        UPDATE_USER,
        {"i": {"id": str(user_id), "roles": ["manager"], "email": "not an email"}},
        token=tenant.token,
    )
    assert bad["data"]["updateUser"]["errors"]
    assert await _count(runtime, tenant, audit.Action.USER_ROLES_CHANGED) == 0
    good = await identity_gql(
        UPDATE_USER, {"i": {"id": str(user_id), "roles": ["manager"]}}, token=tenant.token
    )
    assert good["data"]["updateUser"]["errors"] == []
    events = await identity_gql(
        EVENTS, {"filter": {"actions": ["identity.user.roles_changed"]}}, token=tenant.token
    )
    node = events["data"]["auditEvents"]["edges"][0]["node"]
    assert node == {
        "action": "identity.user.roles_changed",
        "actorId": str(tenant.admin_id),
        "targetType": "User",
        "targetId": str(user_id),
        "requestId": node["requestId"],
        "changes": [{"field": "roles", "before": '["viewer"]', "after": '["manager"]'}],
    }
    assert node["requestId"]


async def test_logins_and_their_failures_are_audited(
    runtime: Runtime, tenant: TenantHandle, identity_gql: GraphQLClient
) -> None:
    login = {"tenant": tenant.slug, "email": tenant.admin_email}
    failed = await identity_gql(LOGIN, {"i": {**login, "password": "wrong password"}})
    assert failed["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    ok = await identity_gql(LOGIN, {"i": {**login, "password": tenant.admin_password}})
    assert ok["data"]["login"]["errors"] == []
    events = await identity_gql(
        EVENTS,
        {"filter": {"actions": ["identity.login.succeeded", "identity.login.failed"]}},
        token=tenant.token,
    )
    nodes = [e["node"] for e in events["data"]["auditEvents"]["edges"]]
    # Newest first; the failed attempt survived its mutation's rollback.
    assert [(n["action"], n["targetId"]) for n in nodes[:2]] == [
        ("identity.login.succeeded", str(tenant.admin_id)),
        ("identity.login.failed", str(tenant.admin_id)),
    ]
    assert nodes[1]["actorId"] is None
    assert nodes[1]["changes"] == [
        {"field": "email", "before": None, "after": f'"{tenant.admin_email}"'}
    ]
    assert "wrong password" not in str(nodes)


async def test_events_are_invisible_to_other_tenants(
    runtime: Runtime,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    identity_gql: GraphQLClient,
) -> None:
    user_id = await _new_user(runtime, tenant)
    done = await identity_gql(DEACTIVATE, {"i": {"id": str(user_id)}}, token=tenant.token)
    assert done["data"]["deactivateUser"]["user"]["active"] is False
    mine = await identity_gql(EVENTS, {}, token=tenant.token)
    theirs = await identity_gql(EVENTS, {}, token=other_tenant.token)
    actions = [e["node"]["action"] for e in mine["data"]["auditEvents"]["edges"]]
    assert "identity.user.deactivated" in actions
    their_targets = [e["node"]["targetId"] for e in theirs["data"]["auditEvents"]["edges"]]
    assert str(user_id) not in their_targets
    assert await _count(runtime, other_tenant, audit.Action.USER_DEACTIVATED) == 0
    # Even asking by the other tenant's target id finds nothing.
    asked = await identity_gql(
        EVENTS, {"filter": {"targetId": str(user_id)}}, token=other_tenant.token
    )
    assert asked["data"]["auditEvents"]["totalCount"] == 0


async def test_only_admins_read_the_audit_log(
    runtime: Runtime, tenant: TenantHandle, identity_gql: GraphQLClient
) -> None:
    viewer = await token_for(runtime, tenant, "manager")
    refused = await identity_gql(EVENTS, {}, token=viewer)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await identity_gql(EVENTS, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_pages_newest_first(
    runtime: Runtime, tenant: TenantHandle, identity_gql: GraphQLClient
) -> None:
    for _ in range(3):
        user_id = await _new_user(runtime, tenant)
        await identity_gql(DEACTIVATE, {"i": {"id": str(user_id)}}, token=tenant.token)
    wanted = {"actions": ["identity.user.deactivated"]}
    first = await identity_gql(EVENTS, {"filter": wanted, "first": 2}, token=tenant.token)
    page = first["data"]["auditEvents"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = await identity_gql(
        EVENTS,
        {"filter": wanted, "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=tenant.token,
    )
    seen = [e["node"]["targetId"] for e in page["edges"] + rest["data"]["auditEvents"]["edges"]]
    assert len(seen) == len(set(seen)) == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE shared.audit_event SET action = 'tampered'",
        "DELETE FROM shared.audit_event",
        "TRUNCATE shared.audit_event",
    ],
)
async def test_the_application_role_cannot_change_or_remove_events(
    runtime: Runtime, tenant: TenantHandle, statement: str
) -> None:
    await _new_user(runtime, tenant)
    async with runtime.db.transaction(tenant.id) as session:
        await audit.record(session, tenant.id, action=audit.Action.ROLE_CREATED, target_type="Role")
    with pytest.raises(DBAPIError, match="permission denied"):
        async with runtime.db.transaction(tenant.id) as session:
            await session.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE shared.audit_event SET action = 'tampered'",
        "DELETE FROM shared.audit_event",
        "TRUNCATE shared.audit_event",
    ],
)
async def test_not_even_the_owner_rewrites_the_log(
    runtime: Runtime, tenant: TenantHandle, owner_engine: AsyncEngine, statement: str
) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        await audit.record(session, tenant.id, action=audit.Action.ROLE_CREATED, target_type="Role")
    with pytest.raises(DBAPIError, match="append-only"):
        async with owner_engine.begin() as conn:
            await conn.execute(text(statement))


async def test_the_app_role_cannot_append_for_another_tenant(
    runtime: Runtime, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with runtime.db.transaction(tenant.id) as session:
            await audit.record(
                session, other_tenant.id, action=audit.Action.ROLE_CREATED, target_type="Role"
            )
