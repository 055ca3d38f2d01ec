"""Notifications' GraphQL object types, entities and enums (the enums are the models').

Notifications extends identity's `User` (its inbox and unread count) and sales'
`SalesOrder` and `Invoice` (the URLs of their PDF documents)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from shared.errors import Forbidden
from shared.graphql.ids import parse_id, to_id, to_opt_id
from shared.graphql.relay import Connection
from shared.graphql.resolvers import context, load_one
from shared.graphql.types import UserError
from subgraphs.notifications import models
from subgraphs.notifications.config import document_path
from subgraphs.notifications.graphql import loaders
from subgraphs.notifications.models import Channel, DeliveryState, DocumentKind, PreferenceMode

READ, MANAGE = "notifications:read", "notifications:manage"
DOCUMENTS = "sales:read"

NotificationChannel = Channel
NotificationDeliveryState = DeliveryState
NotificationPreferenceMode = PreferenceMode
for _enum, _name in (
    (NotificationChannel, "NotificationChannel"),
    (NotificationDeliveryState, "NotificationDeliveryState"),
    (NotificationPreferenceMode, "NotificationPreferenceMode"),
):
    strawberry.enum(_enum, name=_name)


@strawberry.type(description="An entry of a user's in-app inbox.")
class Notification:
    id: strawberry.ID
    event_type: str
    title: str
    body: str
    aggregate_type: str | None = strawberry.field(description="What the event is about.")
    aggregate_id: strawberry.ID | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @strawberry.field
    def read(self) -> bool:
        return self.read_at is not None

    @classmethod
    def from_model(cls, n: models.Notification) -> Notification:
        return cls(
            id=to_id(n.id),
            event_type=n.event_type,
            title=n.title,
            body=n.body,
            aggregate_type=n.aggregate_type,
            aggregate_id=to_opt_id(n.aggregate_id),
            created_at=n.created_at,
            read_at=n.read_at,
        )


@strawberry.federation.type(keys=["id"], description="Identity's user, with their inbox.")
class User:
    id: strawberry.ID

    def _guard(self, info: Info[Any, Any]) -> uuid.UUID:
        """Only the user themselves, or a holder of notifications:manage, sees an inbox."""
        principal = context(info).require(READ)
        user_id = parse_id(self.id)
        if user_id != principal.user_id and not principal.can(MANAGE):
            raise Forbidden("Only the user's own inbox", permission=MANAGE)
        return user_id

    @strawberry.field(description="Newest first.")
    async def notifications(
        self,
        info: Info[Any, Any],
        unread: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Notification]:
        key = (self._guard(info), first, after, unread)
        page = await loaders.inboxes(context(info)).load(key)
        return Connection.of(page, Notification.from_model)

    @strawberry.field
    async def unread_count(self, info: Info[Any, Any]) -> int:
        count: int = await loaders.unread_counts(context(info)).load(self._guard(info))
        return count

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="Sales' order, with its documents.")
class SalesOrder:
    id: strawberry.ID

    @strawberry.field(
        description="The quotation or order confirmation as PDF (GET with the bearer token)."
    )
    def pdf_url(self, info: Info[Any, Any]) -> str:
        context(info).require(DOCUMENTS)
        return document_path(DocumentKind.SALES_ORDER, parse_id(self.id))

    @strawberry.field(description="The delivery slip as PDF (GET with the bearer token).")
    def delivery_slip_pdf_url(self, info: Info[Any, Any]) -> str:
        context(info).require(DOCUMENTS)
        return document_path(DocumentKind.DELIVERY_SLIP, parse_id(self.id))

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> SalesOrder:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="Sales' invoice, with its document.")
class Invoice:
    id: strawberry.ID

    @strawberry.field(description="The invoice or credit note as PDF (GET with the bearer token).")
    def pdf_url(self, info: Info[Any, Any]) -> str:
        context(info).require(DOCUMENTS)
        return document_path(DocumentKind.INVOICE, parse_id(self.id))

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Invoice:
        return cls(id=id)


@strawberry.type(description="Which recipients of an event type get which channels.")
class NotificationRule:
    id: strawberry.ID
    event_type: str
    name: str
    enabled: bool
    builtin: bool = strawberry.field(description="Shipped with NEXO: may be disabled, not deleted.")
    channels: list[NotificationChannel]
    roles: list[str]
    customer_contact: bool = strawberry.field(
        description="Also the customer contact of the document the event is about."
    )
    template: str
    locale: str
    attach_document: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    user_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field
    def users(self) -> list[User]:
        return [User(id=to_id(u)) for u in self.user_ids]

    @classmethod
    def from_model(cls, r: models.Rule) -> NotificationRule:
        return cls(
            id=to_id(r.id),
            event_type=r.event_type,
            name=r.name,
            enabled=r.enabled,
            builtin=r.builtin_key is not None,
            channels=[Channel(c) for c in r.channels],
            roles=list(r.roles),
            customer_contact=r.customer_contact,
            template=r.template,
            locale=r.locale,
            attach_document=r.attach_document,
            created_at=r.created_at,
            updated_at=r.updated_at,
            user_ids=list(r.user_ids),
        )


@strawberry.type(description="A tenant's own version of a template (Jinja2, sandboxed).")
class NotificationTemplate:
    id: strawberry.ID
    name: str
    channel: NotificationChannel
    locale: str
    subject: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, t: models.Template) -> NotificationTemplate:
        return cls(
            id=to_id(t.id),
            name=t.name,
            channel=Channel(t.channel),
            locale=t.locale,
            subject=t.subject,
            body=t.body,
            created_at=t.created_at,
            updated_at=t.updated_at,
        )


@strawberry.type(description="A template rendered on sample data.")
class NotificationTemplatePreview:
    subject: str | None = None
    body: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="One message of one event to one recipient on one channel.")
class NotificationDelivery:
    id: strawberry.ID
    event_id: strawberry.ID
    event_type: str
    channel: NotificationChannel
    state: NotificationDeliveryState
    recipient: str = strawberry.field(description="`user:<id>` or `contact:<id>`.")
    address: str | None
    subject: str
    body: str
    attachment: str | None = strawberry.field(description="The attached document's kind.")
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    sent_at: dt.datetime | None
    created_at: dt.datetime
    user_id: strawberry.Private[uuid.UUID | None]
    rule_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    def user(self) -> User | None:
        return User(id=to_id(self.user_id)) if self.user_id else None

    @strawberry.field
    async def rule(self, info: Info[Any, Any]) -> NotificationRule | None:
        return await load_one(info, loaders.rules, self.rule_id, NotificationRule.from_model)

    @classmethod
    def from_model(cls, d: models.Delivery) -> NotificationDelivery:
        return cls(
            id=to_id(d.id),
            event_id=to_id(d.event_id),
            event_type=d.event_type,
            channel=Channel(d.channel),
            state=DeliveryState(d.state),
            recipient=d.recipient,
            address=d.address,
            subject=d.subject,
            body=d.body,
            attachment=d.attachment_kind,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            sent_at=d.sent_at,
            created_at=d.created_at,
            user_id=d.user_id,
            rule_id=d.rule_id,
        )


@strawberry.type(description="A user's choice for one event type (`*`: all) on one channel.")
class NotificationPreference:
    event_type: str
    channel: NotificationChannel
    mode: NotificationPreferenceMode

    @classmethod
    def from_model(cls, p: models.Preference) -> NotificationPreference:
        return cls(event_type=p.event_type, channel=Channel(p.channel), mode=PreferenceMode(p.mode))
