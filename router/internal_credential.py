"""The router's side of `shared.internal_auth`: who the client is, and the credential on
every subgraph call that says so.

The client's address is the connection's peer, unless the peer is one of
`NEXO_TRUSTED_PROXIES`: then it is the right-most `X-Forwarded-For` entry that is not a
trusted proxy (entries further left were written by whoever sent the request, so they
prove nothing). It travels to subgraphs only inside the credential `signed_transports`
adds, HMAC-signed with `NEXO_INTERNAL_SECRET`: the router forwards no client header but
`authorization`, the request id and `Idempotency-Key`, so a client can neither send a
credential nor an address of its own.

`RouterEdge` is the ASGI middleware that records the address for the request and turns a
RATE_LIMITED error's `retryAfter` into the response's `Retry-After` header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router.transport import Transport
from shared.internal_auth import HEADER, retry_after_header, sign
from shared.settings import load_settings

CLIENT: ContextVar[str | None] = ContextVar("nexo_router_client", default=None)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]
) -> str | None:
    """The client's address: the peer, or what trusted proxies in front of us saw."""
    if peer is None or not forwarded_for or not _trusted(peer, proxies):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _trusted(hop, proxies):
            return hop
    return peer


class SigningTransport:
    """Adds the router's credential, with the request's client address, to each call."""

    def __init__(self, inner: Transport, secret: str | None) -> None:
        self.inner = inner
        self.secret = secret

    @property
    def timeout(self) -> float | None:
        """The inner transport's own timeout, if it has one (`Executor.send`)."""
        return getattr(self.inner, "timeout", None)

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        credential = sign(self.secret, client=CLIENT.get())
        return await self.inner.fetch(request, {**headers, HEADER: credential})

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


def signed_transports(
    transports: Mapping[str, Transport], secret: str | None = None
) -> dict[str, Transport]:
    """`transports`, each signing its calls with `NEXO_INTERNAL_SECRET` (unless `secret`
    is given); unchanged when there is no secret (development: subgraphs then take the
    client to be their HTTP peer, and in-process calls come from no known address)."""
    key = secret if secret is not None else load_settings().internal_secret
    if key is None:
        return dict(transports)
    return {name: SigningTransport(t, key) for name, t in transports.items()}


class RouterEdge:
    """Records the request's client address; sets `Retry-After` on rate-limited answers."""

    def __init__(self, app: ASGIApp, proxies: tuple[str, ...] | None = None) -> None:
        self.app = app
        entries = proxies if proxies is not None else load_settings().trusted_proxies
        self.proxies = _networks(entries)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else None
        xff = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"x-forwarded-for"),
            None,
        )
        token = CLIENT.set(client_address(peer, xff, self.proxies))
        started: list[Message] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)
                return
            if message["type"] == "http.response.body" and started:
                start = started.pop()
                wait = retry_after_header(message.get("body", b""))
                if wait is not None and not message.get("more_body"):
                    start["headers"] = [*start.get("headers", []), (b"retry-after", wait.encode())]
                await send(start)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            CLIENT.reset(token)
