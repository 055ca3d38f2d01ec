"""JSON logs: the request id bound per request (structlog contextvars), secrets redacted,
and one `request` line per HTTP request or subgraph operation.

Every line is one JSON object on stderr. A request's line (`event: "request"`) carries
`service`, `request_id`, `trace_id`, `tenant`, `user`, `operation`, `operation_type`,
`outcome`, `status` and `duration_ms`; the router forwards its request id to subgraphs,
so the router's line and each subgraph's line share it. Variables, headers, tokens and
passwords are never logged: `redact` masks any field whose name says it holds one.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog

REDACTED = "[redacted]"
_SECRET_WORDS = (
    "password",
    "token",
    "secret",
    "authorization",
    "cookie",
    "variables",
    "private",
    "signature",
    "credential",
)
"""A field whose name contains one of these is masked, at any depth."""


@functools.lru_cache(maxsize=4096)
def _is_secret(key: str) -> bool:
    # Asked for every field of every line, of the few dozen names the code logs.
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _redacted(value: Any, depth: int = 0) -> Any:
    if depth > 4:
        return value
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and _is_secret(k) else _redacted(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redacted(v, depth + 1) for v in value]
    return value


def redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: masks fields named like secrets (`password`, `*token*`...)."""
    for key in list(event_dict):
        if key != "event" and _is_secret(key):
            event_dict[key] = REDACTED
        elif isinstance(event_dict[key], dict | list):
            event_dict[key] = _redacted(event_dict[key])
    return event_dict


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Resolve sys.stderr at each call, not once: it may be replaced (tests, daemons).
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )


# --- the request line -------------------------------------------------------------------

log = structlog.get_logger("nexo.request")

QUIET_PATHS = frozenset({"/metrics", "/health", "/ready"})
"""Probes and scrapes: no request line (they would drown the rest)."""


@dataclass
class RequestLine:
    """What one request's log line will say; filled in as the request goes."""

    service: str
    request_id: str | None = None
    trace_id: str | None = None
    tenant: str | None = None
    user: str | None = None
    operation: str | None = None
    operation_type: str | None = None
    outcome: str | None = None
    status: int | None = None
    method: str | None = None
    route: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def fields(self) -> dict[str, Any]:
        found = {
            "service": self.service,
            "request_id": self.request_id,
            "trace_id": self.trace_id,
            "tenant": self.tenant,
            "user": self.user,
            "operation": self.operation,
            "operation_type": self.operation_type,
            "outcome": self.outcome,
            "status": self.status,
            "method": self.method,
            "route": self.route,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 3),
            **self.extra,
        }
        return {k: v for k, v in found.items() if v is not None}

    def emit(self) -> None:
        fields = self.fields()
        outcome = fields.get("outcome")
        status = fields.get("status") or 0
        failed = status >= 500 or outcome == "internal_error"
        (log.error if failed else log.info)("request", **fields)


_CURRENT: ContextVar[RequestLine | None] = ContextVar("nexo_request_line", default=None)


def current_request() -> RequestLine | None:
    """The line of the request this code runs for (tasks inherit it), if any."""
    return _CURRENT.get()


@contextmanager
def request_line(line: RequestLine, *, emit: bool = True) -> Iterator[RequestLine]:
    """Make `line` the current request's line for the block; log it at the end."""
    token = _CURRENT.set(line)
    try:
        yield line
    finally:
        _CURRENT.reset(token)
        if emit:
            line.emit()


def annotate(**values: Any) -> None:
    """Fill in fields of the current request's line that are still empty."""
    line = _CURRENT.get()
    if line is None:
        return
    for key, value in values.items():
        if value is None:
            continue
        if hasattr(line, key) and key not in ("extra", "started"):
            if getattr(line, key) is None:
                setattr(line, key, value)
        else:
            line.extra.setdefault(key, value)
