"""Notifications' GraphQL inputs (filters, orders, mutation inputs) and their conversion to
the services' arguments."""

from __future__ import annotations

from enum import Enum

import strawberry

from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.types import SortDirection
from subgraphs.notifications import reads
from subgraphs.notifications.catalog import DEFAULT_LOCALE
from subgraphs.notifications.graphql.types import (
    NotificationChannel,
    NotificationDeliveryState,
    NotificationPreferenceMode,
)
from subgraphs.notifications.rules import RuleFields

# --- query inputs -----------------------------------------------------------------------


@strawberry.input
class NotificationFilter:
    event_type: str | None = None


@strawberry.enum
class NotificationOrderField(Enum):
    CREATED_AT = "CREATED_AT"


@strawberry.input
class NotificationOrder:
    field: NotificationOrderField = NotificationOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC

    @property
    def oldest_first(self) -> bool:
        return self.direction is SortDirection.ASC


@strawberry.input
class NotificationRuleFilter:
    event_type: str | None = None
    enabled: bool | None = None

    def to_filter(self) -> reads.RuleFilter:
        return reads.RuleFilter(event_type=self.event_type, enabled=self.enabled)


@strawberry.enum
class NotificationRuleOrderField(Enum):
    EVENT_TYPE = "EVENT_TYPE"


@strawberry.input
class NotificationRuleOrder:
    field: NotificationRuleOrderField = NotificationRuleOrderField.EVENT_TYPE
    direction: SortDirection = SortDirection.ASC

    @property
    def descending(self) -> bool:
        return self.direction is SortDirection.DESC


@strawberry.input
class NotificationTemplateFilter:
    name: str | None = None
    channel: NotificationChannel | None = None
    locale: str | None = None

    def to_filter(self) -> reads.TemplateFilter:
        return reads.TemplateFilter(name=self.name, channel=self.channel, locale=self.locale)


@strawberry.enum
class NotificationTemplateOrderField(Enum):
    NAME = "NAME"


@strawberry.input
class NotificationTemplateOrder:
    field: NotificationTemplateOrderField = NotificationTemplateOrderField.NAME
    direction: SortDirection = SortDirection.ASC

    @property
    def descending(self) -> bool:
        return self.direction is SortDirection.DESC


@strawberry.input
class NotificationDeliveryFilter:
    state: NotificationDeliveryState | None = None
    channel: NotificationChannel | None = None
    event_type: str | None = None
    event_id: strawberry.ID | None = None

    def to_filter(self, *, state: NotificationDeliveryState | None = None) -> reads.DeliveryFilter:
        return reads.DeliveryFilter(
            state=state or self.state,
            channel=self.channel,
            event_type=self.event_type,
            event_id=parse_opt_id(self.event_id),
        )


@strawberry.enum
class NotificationDeliveryOrderField(Enum):
    CREATED_AT = "CREATED_AT"


@strawberry.input
class NotificationDeliveryOrder:
    field: NotificationDeliveryOrderField = NotificationDeliveryOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC

    @property
    def oldest_first(self) -> bool:
        return self.direction is SortDirection.ASC


# --- mutation inputs ----------------------------------------------------------------------


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = None
    all: bool = strawberry.field(default=False, description="Every unread notification.")


@strawberry.input
class SaveNotificationRuleInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="Null: a new rule.")
    event_type: str
    name: str
    channels: list[NotificationChannel]
    roles: list[str] = strawberry.field(default_factory=list)
    user_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    customer_contact: bool = False
    template: str | None = strawberry.field(default=None, description="Default: the event type.")
    locale: str = DEFAULT_LOCALE
    attach_document: bool = False
    enabled: bool = True

    def to_fields(self) -> RuleFields:
        return RuleFields(
            event_type=self.event_type,
            name=self.name,
            channels=self.channels,
            roles=self.roles,
            user_ids=[parse_id(u) for u in self.user_ids],
            customer_contact=self.customer_contact,
            template=self.template,
            locale=self.locale,
            attach_document=self.attach_document,
            enabled=self.enabled,
        )


@strawberry.input
class IdInput:
    id: strawberry.ID


@strawberry.input
class SaveNotificationTemplateInput:
    name: str = strawberry.field(description="An event type, or `type/audience`.")
    channel: NotificationChannel
    locale: str = DEFAULT_LOCALE
    subject: str = ""
    body: str


@strawberry.input
class PreviewNotificationTemplateInput:
    name: str
    channel: NotificationChannel
    locale: str = DEFAULT_LOCALE
    subject: str | None = strawberry.field(default=None, description="Null: the one in effect.")
    body: str | None = strawberry.field(default=None, description="Null: the one in effect.")


@strawberry.input
class SetNotificationPreferenceInput:
    event_type: str = strawberry.field(description="An event type, or `*` for all.")
    channel: NotificationChannel
    mode: NotificationPreferenceMode


@strawberry.input
class SetContactUnsubscribedInput:
    contact_id: strawberry.ID = strawberry.field(description="The customer (contact) id.")
    unsubscribed: bool = True
