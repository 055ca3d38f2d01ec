"""Trace ids for the request log lines, after W3C Trace Context (`traceparent`).

A request's trace id is its caller's `traceparent` trace id when one is sent, else its
request id (the router makes request ids of 32 hex digits, a valid trace id): the router
forwards the request id to every subgraph, so the router's line and the subgraphs' lines
of one request carry the same trace id in-process and over HTTP alike.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

HEADER = "traceparent"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


@dataclass(frozen=True, slots=True)
class TraceParent:
    trace_id: str
    span_id: str
    flags: str = "01"

    def header(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceParent:
        """The same trace, a new span (what a callee sees as its parent)."""
        return TraceParent(self.trace_id, new_span_id(), self.flags)


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def parse(value: str | None) -> TraceParent | None:
    """A valid version-00 `traceparent`, or None (invalid ones are ignored, as the
    specification asks)."""
    if not value:
        return None
    found = _TRACEPARENT.match(value.strip().lower())
    if found is None:
        return None
    trace_id, span_id, flags = found.groups()
    if trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
        return None
    return TraceParent(trace_id, span_id, flags)


def from_headers(headers: Mapping[str, str]) -> TraceParent | None:
    return parse(headers.get(HEADER))


_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def trace_id(headers: Mapping[str, str], request_id: str | None) -> str:
    """The trace a request belongs to: its `traceparent`'s, else its request id when
    that is a trace id, else a new one."""
    given = from_headers(headers)
    if given is not None:
        return given.trace_id
    if request_id and _HEX32.match(request_id.lower()):
        return request_id.lower()
    return new_trace_id()


def continue_or_start(headers: Mapping[str, str]) -> TraceParent:
    """The caller's trace continued with a new span, or a new trace."""
    given = from_headers(headers)
    return given.child() if given else TraceParent(new_trace_id(), new_span_id())
