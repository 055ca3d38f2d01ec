"""The router's own settings, read from the environment by the router itself.

The platform's settings (`shared/settings.py`) are another module's; the router reads
only the variables below, so it runs alone (`serve_supergraph`) as well as inside NEXO.

| variable | default | meaning |
|---|---|---|
| `NEXO_ENV` | `development` | `production`: introspection, suggestions, GraphiQL, GET off |
| `NEXO_INTROSPECTION` | on in development | `true`/`false`: answer `__schema`/`__type` |
| `NEXO_FIELD_SUGGESTIONS` | on in development | `true`/`false`: "Did you mean ...?" in errors |
| `NEXO_GRAPHIQL` | on in development | `true`/`false`: GraphiQL on a browser's GET /graphql |
| `NEXO_HTTP_GET` | on in development | `true`/`false`: queries over GET (POST always works) |
| `NEXO_LIMIT_<NAME>` | see `OperationLimits` | a number, or `off`: e.g. `NEXO_LIMIT_DEPTH=8` |
| `NEXO_CORS_ORIGINS` | empty: no CORS headers | comma-separated origins browsers may call from |
| `NEXO_CORS_CREDENTIALS` | `false` | `true`: those origins may send cookies |
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from router.limits import OperationLimits

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
ENVIRONMENTS = ("development", "production")
_ORIGIN = re.compile(r"^https?://[^/?#\s]+$")


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def cors_origins(raw: str | None) -> tuple[str, ...]:
    """`NEXO_CORS_ORIGINS`: comma-separated origins (`https://app.example.com`,
    `http://localhost:5173`), or `*` for any. Raises ValueError naming an entry that is
    not an origin (a path or a trailing slash would never match a browser's Origin)."""
    origins = tuple(o.strip() for o in (raw or "").split(",") if o.strip())
    if origins == ("*",):
        return origins
    for origin in origins:
        if not _ORIGIN.match(origin) or origin != origin.lower():
            raise ValueError(
                f"NEXO_CORS_ORIGINS: {origin!r} is not an origin: scheme://host[:port] in"
                " lower case, without path or trailing slash (or `*` alone)"
            )
    return origins


@dataclass(frozen=True)
class RouterSettings:
    production: bool = False
    introspection: bool = True
    field_suggestions: bool = True
    graphiql: bool = True
    http_get: bool = True
    limits: OperationLimits = field(default_factory=OperationLimits)
    cors_origins: tuple[str, ...] = ()
    """Origins whose browser pages may call the router; empty: no CORS headers."""
    cors_credentials: bool = False

    def __post_init__(self) -> None:
        if self.cors_credentials and "*" in self.cors_origins:
            raise ValueError(
                "NEXO_CORS_CREDENTIALS=true with NEXO_CORS_ORIGINS=* would let every web site"
                " make credentialed calls: name the origins instead"
            )

    @classmethod
    def for_mode(cls, production: bool, limits: OperationLimits | None = None) -> RouterSettings:
        """Production turns off what tells a stranger about the API (introspection,
        suggestions, GraphiQL) and GET queries; development keeps them."""
        dev = not production
        return cls(production, dev, dev, dev, dev, limits or OperationLimits())

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, production: bool | None = None
    ) -> RouterSettings:
        """The settings `environ` (default: the process environment) asks for;
        `production` given here wins over `NEXO_ENV`. Raises ValueError naming a
        malformed variable."""
        env = os.environ if environ is None else environ
        if production is None:
            mode = (env.get("NEXO_ENV") or "development").strip().lower()
            if mode not in ENVIRONMENTS:
                raise ValueError(f"NEXO_ENV must be development or production, not {mode!r}")
            production = mode == "production"
        base = cls.for_mode(production, OperationLimits.from_env(env))
        return dataclasses.replace(
            base,
            introspection=_flag(env, "NEXO_INTROSPECTION", base.introspection),
            field_suggestions=_flag(env, "NEXO_FIELD_SUGGESTIONS", base.field_suggestions),
            graphiql=_flag(env, "NEXO_GRAPHIQL", base.graphiql),
            http_get=_flag(env, "NEXO_HTTP_GET", base.http_get),
            cors_origins=cors_origins(env.get("NEXO_CORS_ORIGINS")),
            cors_credentials=_flag(env, "NEXO_CORS_CREDENTIALS", False),
        )
