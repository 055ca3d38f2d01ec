"""Notifications' surface for the process assembly (`nexo serve`, `nexo worker`, the
demo seed) and tests: the worker and how to run it, the documents route, the defaults a
tenant starts with, and the events and states notifications has. Nothing depends on
notifications: other domains only emit outbox events, which it relays."""

from subgraphs.notifications.channels import (
    Attachment,
    DeliveryFailed,
    EmailSender,
    HttpSmsProvider,
    Message,
    Sender,
    SmsProvider,
    SmsSender,
    default_channels,
)
from subgraphs.notifications.config import (
    NotificationsConfig,
    SmsConfig,
    SmtpConfig,
    WorkerConfig,
    from_env,
)
from subgraphs.notifications.events import NotificationsEvent
from subgraphs.notifications.models import Channel, DeliveryState, DocumentKind, PreferenceMode
from subgraphs.notifications.routes import document_routes
from subgraphs.notifications.rules import install_defaults
from subgraphs.notifications.worker import Progress, Worker, run_until_signalled, running

__all__ = [
    "Attachment",
    "Channel",
    "DeliveryFailed",
    "DeliveryState",
    "DocumentKind",
    "EmailSender",
    "HttpSmsProvider",
    "Message",
    "NotificationsConfig",
    "NotificationsEvent",
    "PreferenceMode",
    "Progress",
    "Sender",
    "SmsConfig",
    "SmsProvider",
    "SmsSender",
    "SmtpConfig",
    "Worker",
    "WorkerConfig",
    "default_channels",
    "document_routes",
    "from_env",
    "install_defaults",
    "run_until_signalled",
    "running",
]
