"""The notification worker's and channels' configuration, from the environment.

`shared.settings` is the process's registry of variables; until these are added there,
this module reads its own (and only its own) variables, each documented in `VARIABLES`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

VARIABLES: dict[str, tuple[str, str]] = {
    "NEXO_SMTP_HOST": ("localhost", "SMTP server that notification email is handed to"),
    "NEXO_SMTP_PORT": ("25", "its port"),
    "NEXO_SMTP_FROM": ("NEXO <no-reply@nexo.local>", "the From address of notification email"),
    "NEXO_SMTP_USERNAME": ("", "SMTP login (unset: no authentication)"),
    "NEXO_SMTP_PASSWORD": ("", "SMTP password (a secret)"),
    "NEXO_SMTP_TIMEOUT": ("30", "seconds before an SMTP conversation counts as failed"),
    "NEXO_SMS_URL": ("", "HTTP endpoint of the SMS provider (unset: SMS fails, dead letters)"),
    "NEXO_SMS_TOKEN": ("", "bearer token sent to the SMS provider (a secret)"),
    "NEXO_DOCUMENTS_URL": (
        "",
        "public base URL of `/documents/...` PDF links (unset: relative to the API origin)",
    ),
    "NEXO_NOTIFY_POLL_SECONDS": ("5", "worker polling fallback, seconds between sweeps"),
    "NEXO_NOTIFY_BATCH": ("200", "outbox events relayed per transaction"),
    "NEXO_NOTIFY_MAX_ATTEMPTS": ("5", "send attempts before a delivery is a dead letter"),
    "NEXO_NOTIFY_BACKOFF_SECONDS": ("30", "first retry delay, doubled per attempt"),
    "NEXO_NOTIFY_BACKOFF_MAX_SECONDS": ("3600", "longest retry delay"),
    "NEXO_NOTIFY_DIGEST_HOUR": ("7", "UTC hour from which the daily digest goes out"),
}
"""name -> (default, meaning)."""


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    sender: str = "NEXO <no-reply@nexo.local>"
    timeout: float = 30.0
    username: str = ""
    password: str = ""


@dataclass(frozen=True, slots=True)
class SmsConfig:
    url: str = ""
    token: str = ""


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    poll_interval: float = 5.0
    """Seconds between sweeps over every tenant (NOTIFY wakes the worker sooner)."""
    batch_size: int = 200
    max_attempts: int = 5
    backoff: float = 30.0
    backoff_max: float = 3600.0
    digest_hour: int = 7
    schedule_interval: float = 60.0
    """Seconds between evaluations of the schedules (each fires once per period anyway)."""
    rounds_per_tenant: int = 20
    """Batches one tenant gets per round before the others get their turn."""

    def backoff_after(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return float(min(self.backoff_max, self.backoff * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class NotificationsConfig:
    smtp: SmtpConfig
    sms: SmsConfig
    worker: WorkerConfig
    documents_url: str = ""


def from_env(environ: Mapping[str, str] | None = None) -> NotificationsConfig:
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return env.get(name) or VARIABLES[name][0]

    def number(name: str, *, minimum: float = 0) -> float:
        try:
            value = float(get(name))
        except ValueError:
            raise ConfigError(f"{name}={get(name)!r}: must be a number") from None
        if value < minimum:
            raise ConfigError(f"{name}={get(name)!r}: must be at least {minimum:g}")
        return value

    return NotificationsConfig(
        smtp=SmtpConfig(
            host=get("NEXO_SMTP_HOST"),
            port=int(number("NEXO_SMTP_PORT", minimum=1)),
            sender=get("NEXO_SMTP_FROM"),
            timeout=number("NEXO_SMTP_TIMEOUT", minimum=0.1),
            username=get("NEXO_SMTP_USERNAME"),
            password=get("NEXO_SMTP_PASSWORD"),
        ),
        sms=SmsConfig(url=get("NEXO_SMS_URL"), token=get("NEXO_SMS_TOKEN")),
        worker=WorkerConfig(
            poll_interval=number("NEXO_NOTIFY_POLL_SECONDS", minimum=0.01),
            batch_size=int(number("NEXO_NOTIFY_BATCH", minimum=1)),
            max_attempts=int(number("NEXO_NOTIFY_MAX_ATTEMPTS", minimum=1)),
            backoff=number("NEXO_NOTIFY_BACKOFF_SECONDS"),
            backoff_max=number("NEXO_NOTIFY_BACKOFF_MAX_SECONDS"),
            digest_hour=int(number("NEXO_NOTIFY_DIGEST_HOUR")) % 24,
        ),
        documents_url=get("NEXO_DOCUMENTS_URL").rstrip("/"),
    )


@lru_cache(maxsize=1)
def get_config() -> NotificationsConfig:
    """The process's configuration, read once."""
    return from_env()


def document_path(kind: str, document_id: object) -> str:
    """Where the documents route serves a document (`routes.py`), under the public base."""
    return f"{get_config().documents_url}/documents/{kind}/{document_id}.pdf"
