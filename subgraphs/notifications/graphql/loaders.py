"""Notifications' dataloaders: the request's single instance of each, batching every
load of a tick into one statement."""

from __future__ import annotations

import uuid

from aiodataloader import DataLoader

from shared.batch import by_id
from shared.context import RequestContext
from shared.loaders import loader
from shared.pagination import Page
from subgraphs.notifications import reads
from subgraphs.notifications.models import Delivery, Notification, Rule, Template


def unread_counts(ctx: RequestContext) -> DataLoader[uuid.UUID, int]:
    return loader(ctx, "notifications.unread_counts", reads.unread_counts, default=lambda: 0)


def inboxes(ctx: RequestContext) -> DataLoader[reads.InboxKey, Page[Notification]]:
    return loader(ctx, "notifications.inboxes", reads.inboxes)


def own_notifications(ctx: RequestContext) -> DataLoader[uuid.UUID, Notification | None]:
    """The caller's own notifications by id (another user's are not found)."""
    user = ctx.require().user_id
    return loader(
        ctx,
        "notifications.own",
        lambda s, t, ids: reads.notifications_by_id(s, t, user, ids),
    )


def rules(ctx: RequestContext) -> DataLoader[uuid.UUID, Rule | None]:
    return loader(ctx, "notifications.rules", lambda s, t, ids: by_id(s, Rule, t, ids))


def templates(ctx: RequestContext) -> DataLoader[uuid.UUID, Template | None]:
    return loader(ctx, "notifications.templates", lambda s, t, ids: by_id(s, Template, t, ids))


def deliveries(ctx: RequestContext) -> DataLoader[uuid.UUID, Delivery | None]:
    return loader(ctx, "notifications.deliveries", lambda s, t, ids: by_id(s, Delivery, t, ids))
