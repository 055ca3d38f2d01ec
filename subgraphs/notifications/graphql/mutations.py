"""Notifications' mutations and their payloads. Thin: parse, call the rule through
`perform`, map. The rules name problems by their own arguments; `rename` maps those onto
the input's fields (`ruleId` -> `id`, `fields` -> the input itself)."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from shared.auth import Principal
from shared.graphql.ids import parse_id, to_id
from shared.graphql.resolvers import perform
from shared.graphql.types import UserError
from subgraphs.notifications import (
    dispatch,
    inbox,
    models,
    preferences,
    reads,
    rules,
    templates,
)
from subgraphs.notifications.graphql.inputs import (
    IdInput,
    MarkNotificationsReadInput,
    SaveNotificationRuleInput,
    SaveNotificationTemplateInput,
    SetContactUnsubscribedInput,
    SetNotificationPreferenceInput,
)
from subgraphs.notifications.graphql.types import (
    MANAGE,
    READ,
    NotificationDelivery,
    NotificationPreference,
    NotificationRule,
    NotificationTemplate,
)

RULE = {"ruleId": "id", "fields": ""}
TEMPLATE = {"templateId": "id"}
DELIVERY = {"deliveryId": "id"}


@strawberry.type
class MarkNotificationsReadPayload:
    count: int = strawberry.field(default=0, description="How many changed to read.")
    unread_count: int | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NotificationRulePayload:
    rule: NotificationRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Rule | None, errors: list[UserError]) -> NotificationRulePayload:
        return cls(rule=NotificationRule.from_model(row) if row else None, errors=errors)


@strawberry.type
class NotificationTemplatePayload:
    template: NotificationTemplate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, row: models.Template | None, errors: list[UserError]
    ) -> NotificationTemplatePayload:
        return cls(template=NotificationTemplate.from_model(row) if row else None, errors=errors)


@strawberry.type
class NotificationDeliveryPayload:
    delivery: NotificationDelivery | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, row: models.Delivery | None, errors: list[UserError]
    ) -> NotificationDeliveryPayload:
        return cls(delivery=NotificationDelivery.from_model(row) if row else None, errors=errors)


@strawberry.type
class NotificationPreferencePayload:
    preference: NotificationPreference | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ContactUnsubscribedPayload:
    contact_id: strawberry.ID | None = None
    unsubscribed: bool | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _mark(
    session: AsyncSession, p: Principal, ids: list[uuid.UUID] | None, every: bool
) -> tuple[int, int]:
    count = await inbox.mark_read(session, p.tenant_id, user_id=p.user_id, ids=ids, all=every)
    unread = await reads.unread_counts(session, p.tenant_id, [p.user_id])
    return count, unread.get(p.user_id, 0)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Mark some (`ids`) or all of the caller's notifications read.")
    async def mark_notifications_read(
        self, info: Info[Any, Any], input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        ids = None if input.ids is None else [parse_id(i) for i in input.ids]
        result, errors = await perform(info, READ, lambda s, p: _mark(s, p, ids, input.all))
        if result is None:
            return MarkNotificationsReadPayload(errors=errors)
        return MarkNotificationsReadPayload(count=result[0], unread_count=result[1])

    @strawberry.mutation(description="Create a rule (no `id`) or replace a rule's settings.")
    async def save_notification_rule(
        self, info: Info[Any, Any], input: SaveNotificationRuleInput
    ) -> NotificationRulePayload:
        rule_id = None if input.id is None else parse_id(input.id)
        fields = input.to_fields()
        return NotificationRulePayload.of(
            *await perform(
                info,
                MANAGE,
                lambda s, p: rules.save_rule(s, p.tenant_id, rule_id=rule_id, fields=fields),
                rename=RULE,
            )
        )

    @strawberry.mutation(description="Delete a rule of the tenant's (built-in ones: disable).")
    async def delete_notification_rule(
        self, info: Info[Any, Any], input: IdInput
    ) -> NotificationRulePayload:
        return NotificationRulePayload.of(
            *await perform(
                info,
                MANAGE,
                lambda s, p: rules.delete_rule(s, p.tenant_id, parse_id(input.id)),
                rename=RULE,
            )
        )

    @strawberry.mutation(
        description="Create or replace the tenant's template of (name, channel, locale); "
        "refused with TEMPLATE_INVALID unless it compiles and renders on sample data."
    )
    async def save_notification_template(
        self, info: Info[Any, Any], input: SaveNotificationTemplateInput
    ) -> NotificationTemplatePayload:
        return NotificationTemplatePayload.of(
            *await perform(
                info,
                MANAGE,
                lambda s, p: templates.save_template(
                    s,
                    p.tenant_id,
                    name=input.name,
                    channel=input.channel,
                    locale=input.locale,
                    subject=input.subject,
                    body=input.body,
                ),
            )
        )

    @strawberry.mutation(description="Remove the tenant's version: the shipped one applies again.")
    async def delete_notification_template(
        self, info: Info[Any, Any], input: IdInput
    ) -> NotificationTemplatePayload:
        return NotificationTemplatePayload.of(
            *await perform(
                info,
                MANAGE,
                lambda s, p: templates.delete_template(s, p.tenant_id, parse_id(input.id)),
                rename=TEMPLATE,
            )
        )

    @strawberry.mutation(description="Send a dead letter again (a fresh count of attempts).")
    async def retry_dead_letter(
        self, info: Info[Any, Any], input: IdInput
    ) -> NotificationDeliveryPayload:
        return NotificationDeliveryPayload.of(
            *await perform(
                info,
                MANAGE,
                lambda s, p: dispatch.retry_dead_letter(s, p.tenant_id, parse_id(input.id)),
                rename=DELIVERY,
            )
        )

    @strawberry.mutation(description="The caller's choice for an event type on a channel.")
    async def set_notification_preference(
        self, info: Info[Any, Any], input: SetNotificationPreferenceInput
    ) -> NotificationPreferencePayload:
        row, errors = await perform(
            info,
            READ,
            lambda s, p: preferences.set_preference(
                s,
                p.tenant_id,
                user_id=p.user_id,
                event_type=input.event_type,
                channel=input.channel,
                mode=input.mode,
            ),
        )
        preference = NotificationPreference.from_model(row) if row else None
        return NotificationPreferencePayload(preference=preference, errors=errors)

    @strawberry.mutation(description="Record that a customer contact wants no more email.")
    async def set_contact_unsubscribed(
        self, info: Info[Any, Any], input: SetContactUnsubscribedInput
    ) -> ContactUnsubscribedPayload:
        contact_id = parse_id(input.contact_id)
        flag, errors = await perform(
            info,
            MANAGE,
            lambda s, p: preferences.set_unsubscribed(
                s,
                p.tenant_id,
                contact_id=contact_id,
                unsubscribed=input.unsubscribed,
                actor=p.user_id,
            ),
        )
        if flag is None:
            return ContactUnsubscribedPayload(errors=errors)
        return ContactUnsubscribedPayload(contact_id=to_id(contact_id), unsubscribed=flag)
