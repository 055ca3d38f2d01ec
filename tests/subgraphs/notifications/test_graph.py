"""The GraphQL surface: the inbox (and `User.notifications` through the entity), rules,
deliveries, permissions, tenant isolation, bad input, and statement counts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from shared.context import Runtime
from subgraphs.notifications.models import Notification, Rule
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    emit_events,
    make_worker,
    ok,
    person,
    ping_rule,
    scalar,
)

INBOX = """
query($unread: Boolean, $first: Int, $after: String) {
  unreadCount
  notifications(unread: $unread, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id eventType title read readAt } }
  }
}"""

MARK = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { count unreadCount errors { field code message } }
}"""

SAVE_RULE = """
mutation($input: SaveNotificationRuleInput!) {
  saveNotificationRule(input: $input) {
    rule { id eventType name enabled builtin channels roles users { id } customerContact
           template locale attachDocument }
    errors { field code message }
  }
}"""


async def _with_inbox(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, count: int, role: str = "viewer"
) -> Any:
    user = await person(runtime, tenant, role)
    own_type = f"test.ping_{uuid.uuid4().hex[:8]}"  # this user's events only
    await ping_rule(gql, tenant.token, [user.id], event_type=own_type)
    await emit_events(runtime, tenant.id, count, type=own_type)
    await make_worker(runtime).run_once()
    return user


async def test_the_inbox_pages_newest_first_and_marks_read(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await _with_inbox(runtime, gql, tenant, 5)
    first = await ok(gql, user.token, INBOX, first=3)
    assert first["unreadCount"] == 5
    page = first["notifications"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (5, True)
    rest = await ok(gql, user.token, INBOX, first=3, after=page["pageInfo"]["endCursor"])
    ids = [e["node"]["id"] for e in page["edges"] + rest["notifications"]["edges"]]
    assert len(set(ids)) == 5
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        newest = list(
            (
                await session.scalars(
                    select(Notification.id)
                    .where(Notification.user_id == user.id)
                    .order_by(Notification.created_at.desc(), Notification.id.desc())
                )
            ).all()
        )
    assert ids == [str(i) for i in newest]

    marked = await ok(gql, user.token, MARK, input={"ids": ids[:2]})
    assert marked["markNotificationsRead"] == {"count": 2, "unreadCount": 3, "errors": []}
    again = await ok(gql, user.token, MARK, input={"ids": ids[:2]})
    assert again["markNotificationsRead"]["count"] == 0
    unread = await ok(gql, user.token, INBOX, unread=True)
    assert [e["node"]["id"] for e in unread["notifications"]["edges"]] == ids[2:]
    read = await ok(gql, user.token, INBOX, unread=False)
    assert [e["node"]["read"] for e in read["notifications"]["edges"]] == [True, True]
    everything = await ok(gql, user.token, MARK, input={"all": True})
    assert everything["markNotificationsRead"] == {"count": 3, "unreadCount": 0, "errors": []}


async def test_marking_someone_elses_or_an_unknown_notification_writes_nothing(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    user = await _with_inbox(runtime, gql, tenant, 2)
    colleague = await _with_inbox(runtime, gql, tenant, 1)
    stranger = await _with_inbox(runtime, gql, other_tenant, 1)
    mine = [e["node"]["id"] for e in (await ok(gql, user.token, INBOX))["notifications"]["edges"]]
    theirs = (await ok(gql, colleague.token, INBOX))["notifications"]["edges"][0]["node"]["id"]
    foreign = (await ok(gql, stranger.token, INBOX))["notifications"]["edges"][0]["node"]["id"]
    for bad in (theirs, foreign, str(uuid.uuid4()), "not-an-id"):
        result = await ok(gql, user.token, MARK, input={"ids": [mine[0], bad]})
        assert result["markNotificationsRead"] == {
            "count": 0,
            "unreadCount": None,
            "errors": [
                {
                    "field": "input.ids.1",
                    "code": "NOT_FOUND",
                    "message": "No notification with this id",
                }
            ],
        }
    assert (await ok(gql, user.token, INBOX))["unreadCount"] == 2
    assert (await ok(gql, colleague.token, INBOX))["unreadCount"] == 1
    for input, code in (({}, "REQUIRED"), ({"ids": mine, "all": True}, "INVALID")):
        result = await ok(gql, user.token, MARK, input=input)
        assert [e["code"] for e in result["markNotificationsRead"]["errors"]] == [code]
    one = "query($id: ID!) { notification(id: $id) { id title } }"
    assert (await ok(gql, user.token, one, id=theirs)) == {"notification": None}
    assert (await ok(gql, user.token, one, id=foreign)) == {"notification": None}
    assert (await ok(gql, user.token, one, id=mine[0]))["notification"]["id"] == mine[0]


ENTITY = """
query($r: [_Any!]!, $first: Int) {
  _entities(representations: $r) {
    ... on User { id unreadCount notifications(first: $first) { totalCount edges { node { id } } } }
  }
}"""


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        # Not ours: shared's per-request throttle, and the token verifier reloading the
        # signing keys (once a minute, so in whichever request comes first after that).
        if "rate_limit_bucket" not in sql and "signing_key" not in sql:
            seen.append(sql)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_user_notifications_resolve_through_dataloaders_in_a_fixed_number_of_statements(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    users = [await _with_inbox(runtime, gql, tenant, n) for n in (1, 3, 7)]
    manager = await person(runtime, tenant, "manager")  # notifications:manage: every inbox
    counts, seens = [], []
    for first in (5, 50):
        reps = [{"__typename": "User", "id": str(u.id)} for u in users]  # (consumed)
        with statements(runtime) as seen:
            data = await ok(gql, manager.token, ENTITY, r=reps, first=first)
        counts.append(len(seen))
        seens.append([" ".join(s.split()[:6]) for s in seen])
        got = [(e["unreadCount"], e["notifications"]["totalCount"]) for e in data["_entities"]]
        assert got == [(1, 1), (3, 3), (7, 7)]
        shown = [len(e["notifications"]["edges"]) for e in data["_entities"]]
        assert shown == [1, 3, min(7, first)]
    assert counts[0] == counts[1], seens
    assert counts[0] <= 3, seens  # the inbox page, its count, the unread counts
    inbox_counts = []
    for first in (5, 50):
        with statements(runtime) as seen:
            await ok(gql, users[2].token, INBOX, first=first)
        inbox_counts.append(len(seen))
    # (shared's throttle binds the tenant in a transaction of its own: one more statement)
    assert inbox_counts[0] == inbox_counts[1] <= 5, seen  # binding, count, page, unread


async def test_a_users_inbox_is_theirs_alone(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await _with_inbox(runtime, gql, tenant, 1)
    colleague = await person(runtime, tenant, "viewer")
    own = await ok(gql, user.token, ENTITY, r=[{"__typename": "User", "id": str(user.id)}])
    assert own["_entities"][0]["unreadCount"] == 1
    result = await gql(
        ENTITY, {"r": [{"__typename": "User", "id": str(user.id)}]}, token=colleague.token
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_rules_are_shipped_listed_and_saved(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    await make_worker(runtime).run_once()  # installs the defaults
    listed = await ok(
        gql,
        tenant.token,
        """{ notificationRules(first: 50) { totalCount edges { node {
               eventType builtin channels roles customerContact template attachDocument } } } }""",
    )
    nodes = [e["node"] for e in listed["notificationRules"]["edges"]]
    assert listed["notificationRules"]["totalCount"] == 13
    assert {n["eventType"] for n in nodes} == {
        "stock.low",
        "order.confirmed",
        "order.delivered",
        "invoice.posted",
        "invoice.overdue",
        "deal.won",
        "activity.due",
        "production.done",
        "quality.failed",
        "bill.held",
    }
    assert all(n["builtin"] for n in nodes)
    assert {
        "eventType": "stock.low",
        "builtin": True,
        "channels": ["IN_APP", "EMAIL"],
        "roles": ["warehouse"],
        "customerContact": False,
        "template": "stock.low",
        "attachDocument": False,
    } in nodes
    viewer = await person(runtime, tenant, "viewer")
    data = await ok(
        gql,
        tenant.token,
        SAVE_RULE,
        input={
            "eventType": "order.cancelled",  # not emitted by anyone yet: tolerated
            "name": "Cancellations",
            "channels": ["IN_APP", "EMAIL", "IN_APP"],
            "roles": ["sales", "sales"],
            "userIds": [str(viewer.id)],
        },
    )
    rule = data["saveNotificationRule"]["rule"]
    assert data["saveNotificationRule"]["errors"] == []
    assert rule == {
        "id": rule["id"],
        "eventType": "order.cancelled",
        "name": "Cancellations",
        "enabled": True,
        "builtin": False,
        "channels": ["IN_APP", "EMAIL"],
        "roles": ["sales"],
        "users": [{"id": str(viewer.id)}],
        "customerContact": False,
        "template": "order.cancelled",
        "locale": "en",
        "attachDocument": False,
    }
    builtin_id = await scalar(
        runtime, tenant.id, select(Rule.id).where(Rule.builtin_key == "stock.low/warehouse")
    )
    delete = """mutation($input: IdInput!) { deleteNotificationRule(input: $input) {
                  rule { id } errors { field code message } } }"""
    refused = await ok(gql, tenant.token, delete, input={"id": str(builtin_id)})
    assert refused["deleteNotificationRule"]["errors"] == [
        {
            "field": "input.id",
            "code": "INVALID_STATE",
            "message": "A built-in rule can be disabled, not deleted",
        }
    ]
    disabled = await ok(
        gql,
        tenant.token,
        SAVE_RULE,
        input={
            "id": str(builtin_id),
            "eventType": "stock.low",
            "name": "Low stock",
            "channels": ["IN_APP"],
            "roles": ["warehouse"],
            "enabled": False,
        },
    )
    assert disabled["saveNotificationRule"]["rule"]["enabled"] is False
    await make_worker(runtime).run_once()  # a later install does not bring it back
    enabled = await scalar(runtime, tenant.id, select(Rule.enabled).where(Rule.id == builtin_id))
    assert enabled is False
    gone = await ok(gql, tenant.token, delete, input={"id": rule["id"]})
    assert gone["deleteNotificationRule"] == {"rule": {"id": rule["id"]}, "errors": []}


async def test_a_bad_rule_is_refused_with_every_problem_and_nothing_written(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    stranger = await person(runtime, other_tenant, "viewer")
    before = await scalar(runtime, tenant.id, select(func.count()).select_from(Rule))
    data = await ok(
        gql,
        tenant.token,
        SAVE_RULE,
        input={
            "eventType": "Not An Event",
            "name": " ",
            "channels": [],
            "roles": ["nobody"],
            "userIds": [str(stranger.id)],
            "template": "Bad Name",
            "locale": "xx_YY",
        },
    )
    assert data["saveNotificationRule"]["rule"] is None
    assert {(e["field"], e["code"]) for e in data["saveNotificationRule"]["errors"]} == {
        ("input.eventType", "INVALID"),
        ("input.name", "REQUIRED"),
        ("input.channels", "REQUIRED"),
        ("input.template", "INVALID"),
        ("input.locale", "INVALID"),
        ("input.roles.0", "UNKNOWN_ROLE"),
        ("input.userIds.0", "NOT_FOUND"),
    }
    nobody = await ok(
        gql,
        tenant.token,
        SAVE_RULE,
        input={"eventType": "test.ping", "name": "X", "channels": ["IN_APP"]},
    )
    assert [e["field"] for e in nobody["saveNotificationRule"]["errors"]] == ["input.roles"]
    nul = await gql(
        SAVE_RULE,
        {
            "input": {
                "eventType": "a.b",
                "name": "a\x00",
                "channels": ["IN_APP"],
                "roles": ["sales"],
            }
        },
        token=tenant.token,
    )
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Another tenant's rule cannot be read, changed or deleted.
    theirs = await ping_rule(gql, other_tenant.token, [stranger.id])
    changed = await ok(
        gql,
        tenant.token,
        SAVE_RULE,
        input={
            "id": theirs,
            "eventType": "test.ping",
            "name": "X",
            "channels": ["IN_APP"],
            "roles": ["sales"],
        },
    )
    assert changed["saveNotificationRule"]["errors"] == [
        {"field": "input.id", "code": "NOT_FOUND", "message": "No notification rule with this id"}
    ]
    read = "query($id: ID!) { notificationRule(id: $id) { id } }"
    assert await ok(gql, tenant.token, read, id=theirs) == {"notificationRule": None}
    assert await ok(gql, tenant.token, read, id="garbage") == {"notificationRule": None}
    after = await scalar(runtime, tenant.id, select(func.count()).select_from(Rule))
    assert after == before


async def test_permissions_and_malformed_arguments(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    viewer = await person(runtime, tenant, "viewer")
    assert "notificationRules" in await ok(
        gql, viewer.token, "{ notificationRules { totalCount } }"
    )
    for query in (
        "{ deadLetters { totalCount } }",
        "{ notificationDeliveries { totalCount } }",
        """mutation { saveNotificationRule(input: {eventType: "a.b", name: "n",
             channels: [IN_APP], roles: ["sales"]}) { errors { code } } }""",
        'mutation { retryDeadLetter(input: {id: "x"}) { errors { code } } }',
        'mutation { setContactUnsubscribed(input: {contactId: "x"}) { errors { code } } }',
    ):
        result = await gql(query, token=viewer.token)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    for query, code in (
        ("{ notifications(first: -1) { totalCount } }", "BAD_USER_INPUT"),
        ("{ notifications(first: 101) { totalCount } }", "BAD_USER_INPUT"),
        ('{ notifications(after: "garbage") { totalCount } }', "BAD_USER_INPUT"),
        ("{ notifications(first: 99999999999) { totalCount } }", "GRAPHQL_VALIDATION_FAILED"),
    ):
        result = await gql(query, token=viewer.token)
        assert result["errors"][0]["extensions"]["code"] == code, query
    retry = await ok(
        gql,
        tenant.token,
        'mutation { retryDeadLetter(input: {id: "nope"}) { errors { field code } } }',
    )
    assert retry["retryDeadLetter"]["errors"] == [{"field": "input.id", "code": "NOT_FOUND"}]
    unsubscribe = await ok(
        gql,
        tenant.token,
        "mutation($input: SetContactUnsubscribedInput!) { setContactUnsubscribed(input: $input) "
        "{ unsubscribed errors { field code } } }",
        input={"contactId": str(uuid.uuid4())},
    )
    assert unsubscribe["setContactUnsubscribed"] == {
        "unsubscribed": None,
        "errors": [{"field": "input.contactId", "code": "NOT_FOUND"}],
    }
