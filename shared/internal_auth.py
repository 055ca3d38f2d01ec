"""The router's credential on its calls to subgraphs, and the client address it vouches for.

The router sends `x-nexo-internal: v1.<claims>.<mac>` on every subgraph call: the claims
(base64url JSON) hold the client's address and an expiry a minute ahead, the mac is
HMAC-SHA256 over `v1.<claims>` keyed with `NEXO_INTERNAL_SECRET`. A subgraph with the
secret set refuses an HTTP call without a valid credential (`_entities` and `_service`
included); another gateway in the router's place (Hive Gateway, Apollo Router) may send
the secret itself as the header's value instead, and then vouches for no address.

Clients cannot forge either header: the router forwards only `authorization`, the
request id and `Idempotency-Key` (`router.gateway.FORWARDED_HEADERS`) and sets the
credential itself. The subgraph drops any `x-nexo-client-ip` it receives and sets it
from the verified credential alone (or, without one, from the HTTP peer), so code reads
the client address from that header with confidence: `client_address(headers)`.

Without a secret (development), credentials travel unsigned and are believed: that is
why production deployments set the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

import orjson

HEADER = "x-nexo-internal"
CLIENT_ADDRESS = "x-nexo-client-ip"
"""Set by the subgraph's context from a verified credential; never a client's."""
UNKNOWN = "unknown"
VERSION = "v1"
LIFETIME = 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, message: str) -> str:
    return _b64(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest())


def sign(secret: str | None, *, client: str | None, now: float | None = None) -> str:
    """The credential for one subgraph call on behalf of a client at `client`."""
    issued = time.time() if now is None else now
    claims = _b64(orjson.dumps({"ip": client, "exp": int(issued) + LIFETIME}))
    signed = f"{VERSION}.{claims}"
    return f"{signed}.{_mac(secret, signed) if secret else ''}"


class Verdict:
    """What a credential proves: whether it came from the router (or a gateway holding
    the secret), and the client address it vouches for."""

    __slots__ = ("client", "trusted")

    def __init__(self, trusted: bool, client: str | None = None) -> None:
        self.trusted = trusted
        self.client = client


REFUSED = Verdict(False)


def verify(secret: str | None, value: str | None, *, now: float | None = None) -> Verdict:
    if not value:
        return Verdict(secret is None)
    if secret is not None and hmac.compare_digest(value.encode(), secret.encode()):
        return Verdict(True)
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        return REFUSED
    signed = f"{parts[0]}.{parts[1]}"
    if secret is not None and not hmac.compare_digest(
        parts[2].encode(), _mac(secret, signed).encode()
    ):
        return REFUSED
    try:
        claims = orjson.loads(_unb64(parts[1]))
        expires = int(claims["exp"])
        client = claims.get("ip")
    except (ValueError, KeyError, TypeError):
        return REFUSED
    if expires < (time.time() if now is None else now):
        return REFUSED
    return Verdict(True, client if isinstance(client, str) and client else None)


def believed_headers(
    secret: str | None, headers: Mapping[str, str], *, peer: str | None = None
) -> tuple[Verdict, dict[str, str]]:
    """The verdict on the call's credential, and the headers with `CLIENT_ADDRESS` set
    only from what was verified (the router's word, else the HTTP peer)."""
    verdict = verify(secret, headers.get(HEADER))
    kept = {k: v for k, v in headers.items() if k not in (CLIENT_ADDRESS, HEADER)}
    address = verdict.client if verdict.trusted and verdict.client else peer
    kept[CLIENT_ADDRESS] = address or UNKNOWN
    return verdict, kept


def client_address(headers: Mapping[str, str]) -> str:
    return headers.get(CLIENT_ADDRESS) or UNKNOWN


def retry_after_header(body: bytes | memoryview) -> str | None:
    """The `Retry-After` value for a GraphQL response body with a RATE_LIMITED error."""
    raw = bytes(body)
    if b'"RATE_LIMITED"' not in raw:
        return None
    try:
        errors = orjson.loads(raw).get("errors") or []
    except (orjson.JSONDecodeError, AttributeError):
        return None
    waits = [
        e["extensions"]["retryAfter"]
        for e in errors
        if isinstance(e, dict)
        and isinstance(e.get("extensions"), dict)
        and e["extensions"].get("code") == "RATE_LIMITED"
        and isinstance(e["extensions"].get("retryAfter"), int)
    ]
    return str(max(waits)) if waits else None
