"""Notifications' queries. Thin: parse, call the read through `read`, map."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.errors import InvalidInput
from shared.graphql.relay import Connection
from shared.graphql.resolvers import context, read, reference
from shared.graphql.types import user_errors
from subgraphs.notifications import reads, templates
from subgraphs.notifications.graphql import loaders
from subgraphs.notifications.graphql.inputs import (
    NotificationDeliveryFilter,
    NotificationDeliveryOrder,
    NotificationFilter,
    NotificationOrder,
    NotificationRuleFilter,
    NotificationRuleOrder,
    NotificationTemplateFilter,
    NotificationTemplateOrder,
    PreviewNotificationTemplateInput,
)
from subgraphs.notifications.graphql.types import (
    MANAGE,
    READ,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationRule,
    NotificationTemplate,
    NotificationTemplatePreview,
)
from subgraphs.notifications.models import DeliveryState


@strawberry.type
class Query:
    @strawberry.field(description="The caller's in-app inbox, newest first.")
    async def notifications(
        self,
        info: Info[Any, Any],
        unread: bool | None = None,
        first: int | None = None,
        after: str | None = None,
        filter: NotificationFilter | None = None,
        order_by: NotificationOrder | None = None,
    ) -> Connection[Notification]:
        f, o = filter or NotificationFilter(), order_by or NotificationOrder()
        user = context(info).require(READ).user_id
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_notifications(
                s,
                t,
                user,
                unread=unread,
                event_type=f.event_type,
                oldest_first=o.oldest_first,
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, Notification.from_model)

    @strawberry.field(description="One of the caller's notifications.")
    async def notification(self, info: Info[Any, Any], id: strawberry.ID) -> Notification | None:
        return await reference(info, READ, loaders.own_notifications, id, Notification.from_model)

    @strawberry.field(description="How many of the caller's notifications are unread.")
    async def unread_count(self, info: Info[Any, Any]) -> int:
        ctx = context(info)
        count: int = await loaders.unread_counts(ctx).load(ctx.require(READ).user_id)
        return count

    @strawberry.field
    async def notification_rules(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: NotificationRuleFilter | None = None,
        order_by: NotificationRuleOrder | None = None,
    ) -> Connection[NotificationRule]:
        f, o = filter or NotificationRuleFilter(), order_by or NotificationRuleOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_rules(
                s, t, filter=f.to_filter(), descending=o.descending, first=first, after=after
            ),
        )
        return Connection.of(page, NotificationRule.from_model)

    @strawberry.field
    async def notification_rule(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> NotificationRule | None:
        return await reference(info, READ, loaders.rules, id, NotificationRule.from_model)

    @strawberry.field(description="The tenant's own templates (the shipped ones apply otherwise).")
    async def notification_templates(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: NotificationTemplateFilter | None = None,
        order_by: NotificationTemplateOrder | None = None,
    ) -> Connection[NotificationTemplate]:
        f, o = filter or NotificationTemplateFilter(), order_by or NotificationTemplateOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_templates(
                s, t, filter=f.to_filter(), descending=o.descending, first=first, after=after
            ),
        )
        return Connection.of(page, NotificationTemplate.from_model)

    @strawberry.field
    async def notification_template(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> NotificationTemplate | None:
        return await reference(info, READ, loaders.templates, id, NotificationTemplate.from_model)

    @strawberry.field(description="A template (or the one in effect) rendered on sample data.")
    async def preview_notification_template(
        self, info: Info[Any, Any], input: PreviewNotificationTemplateInput
    ) -> NotificationTemplatePreview:
        try:
            result = await read(
                info,
                READ,
                lambda s, t: templates.preview(
                    s,
                    t,
                    name=input.name,
                    channel=input.channel,
                    locale=input.locale,
                    subject=input.subject,
                    body=input.body,
                ),
            )
        except InvalidInput as exc:
            return NotificationTemplatePreview(errors=user_errors(exc.under("input")))
        return NotificationTemplatePreview(subject=result.subject, body=result.body)

    @strawberry.field(description="Deliveries that failed their last attempt, newest first.")
    async def dead_letters(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: NotificationDeliveryFilter | None = None,
        order_by: NotificationDeliveryOrder | None = None,
    ) -> Connection[NotificationDelivery]:
        f, o = filter or NotificationDeliveryFilter(), order_by or NotificationDeliveryOrder()
        page = await read(
            info,
            MANAGE,
            lambda s, t: reads.list_deliveries(
                s,
                t,
                filter=f.to_filter(state=DeliveryState.DEAD),
                oldest_first=o.oldest_first,
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, NotificationDelivery.from_model)

    @strawberry.field(description="Every delivery of every event, newest first.")
    async def notification_deliveries(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: NotificationDeliveryFilter | None = None,
        order_by: NotificationDeliveryOrder | None = None,
    ) -> Connection[NotificationDelivery]:
        f, o = filter or NotificationDeliveryFilter(), order_by or NotificationDeliveryOrder()
        page = await read(
            info,
            MANAGE,
            lambda s, t: reads.list_deliveries(
                s, t, filter=f.to_filter(), oldest_first=o.oldest_first, first=first, after=after
            ),
        )
        return Connection.of(page, NotificationDelivery.from_model)

    @strawberry.field
    async def notification_delivery(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> NotificationDelivery | None:
        return await reference(
            info, MANAGE, loaders.deliveries, id, NotificationDelivery.from_model
        )

    @strawberry.field(description="The caller's choices per event type and channel.")
    async def notification_preferences(
        self, info: Info[Any, Any], first: int | None = None, after: str | None = None
    ) -> Connection[NotificationPreference]:
        user = context(info).require(READ).user_id
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_preferences(s, t, user, first=first, after=after),
        )
        return Connection.of(page, NotificationPreference.from_model)
