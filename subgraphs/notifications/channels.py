"""The outward channels: email over SMTP (aiosmtplib) and SMS through a provider.

A sender either returns (the message was accepted) or raises `DeliveryFailed`; the
dispatcher retries with backoff and dead-letters after the last attempt. SMS sits behind
`SmsProvider` because providers differ by contract; `HttpSmsProvider` speaks a plain JSON
POST with a bearer token (`{"to": ..., "body": ...}`), which most gateways accept or a
small adapter translates.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import aiosmtplib
import httpx

from subgraphs.notifications.config import NotificationsConfig, SmsConfig, SmtpConfig
from subgraphs.notifications.models import Channel

DELIVERY_HEADER = "X-Nexo-Delivery"


class DeliveryFailed(Exception):
    """The channel did not accept the message; `str()` is what the dead letter shows."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Message:
    delivery_id: uuid.UUID
    to: str
    subject: str
    body: str
    attachments: Sequence[Attachment] = field(default_factory=tuple)


class Sender(Protocol):
    async def send(self, message: Message) -> None: ...


class EmailSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.config.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = make_msgid(idstring=message.delivery_id.hex, domain="nexo")
        # The same delivery re-sent after a crash carries the same id: receivers (and
        # tests) can recognise the duplicate.
        email[DELIVERY_HEADER] = str(message.delivery_id)
        email.set_content(message.body)
        for a in message.attachments:
            maintype, _, subtype = a.content_type.partition("/")
            email.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.filename)
        return email

    async def send(self, message: Message) -> None:
        try:
            await aiosmtplib.send(
                self.build(message),
                hostname=self.config.host,
                port=self.config.port,
                timeout=self.config.timeout,
                start_tls=None,  # upgrade when the server offers STARTTLS
                username=self.config.username or None,
                password=self.config.password or None,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as exc:
            raise DeliveryFailed(f"SMTP {self.config.host}:{self.config.port}: {exc}") from exc


class SmsProvider(Protocol):
    async def send_sms(self, to: str, body: str) -> None:
        """Hand the text to the provider; raise `DeliveryFailed` if it is refused."""


class HttpSmsProvider:
    def __init__(self, config: SmsConfig, *, timeout: float = 15.0) -> None:
        self.config = config
        self.timeout = timeout

    async def send_sms(self, to: str, body: str) -> None:
        if not self.config.url:
            raise DeliveryFailed("No SMS provider is configured (NEXO_SMS_URL)")
        headers = {"Authorization": f"Bearer {self.config.token}"} if self.config.token else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.config.url, json={"to": to, "body": body}, headers=headers
                )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"SMS provider unreachable: {exc!r}") from exc
        if response.status_code >= 300:
            raise DeliveryFailed(f"SMS provider answered {response.status_code}")


class SmsSender:
    MAX_LENGTH = 1_600
    """Ten concatenated segments; longer texts are cut."""

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    async def send(self, message: Message) -> None:
        await self.provider.send_sms(message.to, message.body[: self.MAX_LENGTH])


Channels = Mapping[Channel, Sender]


def default_channels(config: NotificationsConfig) -> dict[Channel, Sender]:
    return {
        Channel.EMAIL: EmailSender(config.smtp),
        Channel.SMS: SmsSender(HttpSmsProvider(config.sms)),
    }


async def send(channels: Channels, channel: Channel, message: Message) -> None:
    sender = channels.get(channel)
    if sender is None:
        raise DeliveryFailed(f"No sender for channel {channel}")
    try:
        await sender.send(message)
    except DeliveryFailed:
        raise
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a sender bug must not look like success
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
