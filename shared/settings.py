"""Process settings, and every environment variable NEXO reads declared once:
`ALL_VARIABLES` = the process settings parsed here (`VARIABLES`) + the router's and the
notification worker's, which their own modules parse (tests check the names agree).

`docs/configuration.md` is generated from them (`python -m nexo.config`) and a test fails
when it is stale; `nexo config show` prints the effective values, secrets masked.
A secret read here may also come from a file named by `<NAME>_FILE` (a Docker or
Kubernetes secret).

`NEXO_ENV=production` refuses the development defaults (`development_defaults`):
`get_settings()` raises `ConfigurationError` naming each one and how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import platformdirs

DEV_APP_PASSWORD = "nexo-app-local-only"
"""The application role's development password; production refuses it."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    default: str | None
    """As it would be written in the environment; None: unset."""
    default_doc: str
    """How the default reads in the reference (`docs/configuration.md`)."""
    meaning: str
    secret: bool = False
    """Masked by `nexo config show`; if this module reads it, `<name>_FILE` works too."""
    choices: tuple[str, ...] = ()
    reader: str = "shared.settings"
    """The module that parses it. For another module's variables the default is that
    module's (`nexo.config.reader_defaults`): declared here are the name and meaning."""


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "NEXO_ENV",
        "development",
        "`development`",
        "`production` refuses to start with development defaults (see below)",
        choices=("development", "production"),
    ),
    Variable(
        "DATABASE_URL",
        None,
        "unset: embedded PostgreSQL",
        "the owner's URL (runs migrations); nothing is started when set",
        secret=True,
    ),
    Variable(
        "NEXO_APP_DATABASE_URL",
        None,
        "the owner's URL with user `NEXO_APP_ROLE`",
        "the application role's URL (a read replica or a pooler may go here)",
        secret=True,
    ),
    Variable(
        "NEXO_APP_ROLE",
        "nexo_app",
        "`nexo_app`",
        "the application role (owns nothing, `NOSUPERUSER NOBYPASSRLS`); migrate creates it",
    ),
    Variable(
        "NEXO_APP_PASSWORD",
        DEV_APP_PASSWORD,
        "a development value",
        "the application role's password, set by migrate (production refuses the default)",
        secret=True,
    ),
    Variable(
        "NEXO_DB_POOL_SIZE",
        "10",
        "`10`",
        "connections per process to the application database (plus as many overflow)",
    ),
    Variable(
        "NEXO_DATA_DIR",
        None,
        "the per-user data directory (`/var/lib/nexo` for root)",
        "where the embedded PostgreSQL keeps its files",
    ),
    Variable(
        "NEXO_JWT_ISSUER",
        "https://nexo.local",
        "`https://nexo.local`",
        "the `iss` claim of access tokens",
    ),
    Variable("NEXO_JWT_AUDIENCE", "nexo-api", "`nexo-api`", "the `aud` claim of access tokens"),
    Variable("NEXO_ACCESS_TOKEN_TTL", "900", "`900`", "seconds an access token stays valid"),
    Variable(
        "NEXO_REFRESH_TOKEN_TTL",
        str(30 * 24 * 3600),
        "`2592000` (30 days)",
        "seconds a refresh token stays valid",
    ),
    Variable(
        "NEXO_SIGNING_KEYS",
        "generate",
        "`generate`",
        "`generate`: `nexo migrate` creates a signing key whenever none is active"
        " (development); `managed`: the operator creates and rotates keys with"
        " `nexo keys rotate` (production refuses `generate`; today `nexo migrate` still"
        " creates a first key when none is active)",
        choices=("generate", "managed"),
    ),
    Variable(
        "NEXO_SIGNUP",
        "open",
        "`open`",
        "who may create a tenant: `open`, `invite` or `closed` (production refuses `open`"
        " unless it is set explicitly)",
        choices=("open", "invite", "closed"),
    ),
    Variable(
        "NEXO_REVOCATION_CACHE_SECONDS",
        "5",
        "`5`",
        "seconds a process trusts its copy of a tenant's token revocations: a logout,"
        " deactivation or role change stops old access tokens within this bound elsewhere"
        " (at once in the process that made it)",
    ),
    Variable(
        "NEXO_RATE_LIMIT",
        "600",
        "`600`",
        "subgraph requests a minute per user (ten times that per tenant, a fifth per"
        " anonymous source address), in PostgreSQL token buckets; `off` switches it off."
        " Login, refresh, sign-up and invitations have stricter fixed limits",
    ),
    Variable(
        "NEXO_INTERNAL_SECRET",
        None,
        "unset: subgraphs accept direct calls",
        "the secret the router signs its calls to subgraphs with; when set, subgraphs"
        " refuse any HTTP call without a valid router credential (including `_entities`)",
        secret=True,
    ),
    Variable(
        "NEXO_TRUSTED_PROXIES",
        "",
        "none",
        "comma-separated addresses or networks of proxies in front of the router whose"
        " `X-Forwarded-For` is believed; otherwise the client is the connection's peer",
    ),
    Variable(
        "NEXO_PERSISTED_QUERIES",
        "apq",
        "`apq`",
        "`apq`: automatic persisted queries (hash, then register on a miss); `safelist`:"
        " only documents registered with `nexo operations register` run; `off`",
        choices=("apq", "safelist", "off"),
    ),
    Variable(
        "NEXO_TRUSTED_DOCUMENTS",
        None,
        "`trusted-documents.json` in `NEXO_DATA_DIR`",
        "the safelist file `nexo operations register FILE` writes and the router reads",
    ),
    Variable(
        "NEXO_DEV",
        "off",
        "off",
        "development mode: `nexo-query-plan: true` returns the router's plan"
        " (production refuses it)",
    ),
    Variable(
        "NEXO_METRICS_DATABASE_URL",
        None,
        "the owner's URL",
        "the connection `/metrics` computes its database gauges with (one aggregate query"
        " each over every tenant): a role that sees all tenants, e.g. `BYPASSRLS` with"
        " SELECT on NEXO's schemas; without it or the owner's password they are left out",
        secret=True,
    ),
    Variable(
        "NEXO_METRICS_REFRESH_SECONDS",
        "30",
        "`30`",
        "seconds `/metrics` serves its database gauges from cache before querying again",
    ),
    Variable(
        "PROMETHEUS_MULTIPROC_DIR",
        None,
        "unset: one process per port",
        "a directory every worker process writes its metric values to (prometheus-client's"
        " multiprocess mode), so `/metrics` answers for them all; empty it before start",
        reader="shared.metrics",
    ),
    Variable(
        "NEXO_LOG_LEVEL",
        "INFO",
        "`INFO`",
        "`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`; logs are JSON lines on stderr",
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    ),
    Variable(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        None,
        "unset: tracing off",
        "base URL of an OpenTelemetry collector speaking OTLP/HTTP (`http://collector:4318`):"
        " traces of the router, subgraphs and SQL are posted to `<url>/v1/traces`;"
        " unset, no span is recorded (the no-op tracer)",
        reader="shared.tracing",
    ),
    Variable(
        "OTEL_SERVICE_NAME",
        None,
        "`nexo-<service>` (`nexo-router`, `nexo-crm`...)",
        "the traces' `service.name`",
        reader="shared.tracing",
    ),
    Variable(
        "NEXO_TRACE_SAMPLE_RATIO",
        None,
        "`1`",
        "share of new traces recorded, 0 to 1; a trace begun upstream (`traceparent`) keeps"
        " its caller's decision",
        reader="shared.tracing",
    ),
)
"""The process settings (`Settings`)."""

_LIMITS = "router.limits"
_NOTIFY = "subgraphs.notifications.config"


def _limit(name: str, meaning: str) -> Variable:
    return Variable(
        f"NEXO_LIMIT_{name}", None, "", f"{meaning}; `off` switches it off", reader=_LIMITS
    )


def _router_flag(name: str, meaning: str) -> Variable:
    return Variable(
        name,
        None,
        "on in development, off in production",
        f"`true`/`false`: {meaning}",
        reader="router.settings",
    )


ROUTER_FLAGS: tuple[Variable, ...] = (
    _router_flag("NEXO_INTROSPECTION", "answer `__schema`/`__type`"),
    _router_flag("NEXO_FIELD_SUGGESTIONS", '"Did you mean ...?" in errors'),
    _router_flag("NEXO_GRAPHIQL", "GraphiQL on a browser's GET /graphql"),
    _router_flag("NEXO_HTTP_GET", "queries over GET (POST always works)"),
    Variable(
        "NEXO_CORS_ORIGINS",
        None,
        "empty: no CORS headers",
        "comma-separated origins whose browser pages may call the router"
        " (`https://app.example.com`), or `*`",
        reader="router.settings",
    ),
    Variable(
        "NEXO_CORS_CREDENTIALS",
        None,
        "`false`",
        "`true`/`false`: the allowed origins may send credentials (cookies)",
        reader="router.settings",
    ),
)
"""The router's switches, parsed by `router.settings.RouterSettings.from_env` (which reads
`NEXO_ENV` too, so the router runs alone as well as inside NEXO)."""

ROUTER_SUPERGRAPH: tuple[Variable, ...] = (
    Variable(
        "NEXO_ROUTER_FROM_CONTEXT",
        None,
        "off",
        "`1`: serve supergraphs that use `@context`/`@fromContext` (the context spec);"
        " refused otherwise",
        reader="router.supergraph",
    ),
)
"""Read by `router.supergraph.load_supergraph` when a supergraph is loaded."""

ROUTER_LIMITS: tuple[Variable, ...] = (
    _limit("DEPTH", "fields on an operation's longest path"),
    _limit("ALIASES", "aliased fields in an operation"),
    _limit("ROOT_FIELDS", "root fields of an operation"),
    _limit("MUTATION_FIELDS", "root fields of a mutation"),
    _limit("DIRECTIVES", "directives on one field, fragment or operation"),
    _limit("DUPLICATE_FIELDS", "selections of one response key in a selection set"),
    _limit("INTROSPECTION_LISTS", "nested list fields under `__schema`/`__type`"),
    _limit("TOKENS", "lexical tokens of a document"),
    _limit("DOCUMENT_BYTES", "characters of a query document"),
    _limit("COST", "estimated objects an operation resolves"),
    _limit("PAGE_SIZE", "assumed size of a list asked for without `first`/`last`"),
    _limit("LIST_SIZE", "assumed size of a list with no slicing argument"),
    _limit("BODY_BYTES", "HTTP request body (413 past it)"),
    _limit("JSON_DEPTH", "nesting of the JSON body"),
    _limit("RESPONSE_BYTES", "serialised response body"),
    _limit("DEADLINE_SECONDS", "wall-clock seconds of one request in the router"),
    _limit("PLAN_WORK", "steps the planner may take for one operation"),
)
"""The router's operation limits, parsed by `router.limits.OperationLimits.from_env`."""

NOTIFICATIONS: tuple[Variable, ...] = tuple(
    Variable(name, None, "", meaning, secret, reader=_NOTIFY)
    for name, meaning, secret in (
        ("NEXO_SMTP_HOST", "SMTP server that notification email is handed to", False),
        ("NEXO_SMTP_PORT", "its port", False),
        ("NEXO_SMTP_FROM", "the From address of notification email", False),
        ("NEXO_SMTP_USERNAME", "SMTP login (unset: no authentication)", False),
        ("NEXO_SMTP_PASSWORD", "SMTP password", True),
        ("NEXO_SMTP_TIMEOUT", "seconds before an SMTP conversation counts as failed", False),
        ("NEXO_SMS_URL", "HTTP endpoint of the SMS provider (unset: SMS fails)", False),
        ("NEXO_SMS_TOKEN", "bearer token sent to the SMS provider", True),
        ("NEXO_DOCUMENTS_URL", "public base URL of `/documents/...` PDF links", False),
        ("NEXO_NOTIFY_POLL_SECONDS", "worker polling fallback, seconds between sweeps", False),
        ("NEXO_NOTIFY_BATCH", "outbox events relayed per transaction", False),
        ("NEXO_NOTIFY_MAX_ATTEMPTS", "send attempts before a delivery is a dead letter", False),
        ("NEXO_NOTIFY_BACKOFF_SECONDS", "first retry delay, doubled per attempt", False),
        ("NEXO_NOTIFY_BACKOFF_MAX_SECONDS", "longest retry delay", False),
        ("NEXO_NOTIFY_DIGEST_HOUR", "UTC hour from which the daily digest goes out", False),
    )
)
"""The notifications worker and channels, parsed by `subgraphs.notifications.config`."""

ALL_VARIABLES: tuple[Variable, ...] = (
    VARIABLES + ROUTER_FLAGS + ROUTER_SUPERGRAPH + ROUTER_LIMITS + NOTIFICATIONS
)
"""Every environment variable NEXO reads. Modules other than this one that read the
environment read only variables declared here (a test checks names and defaults)."""

VARIABLES_BY_NAME: Mapping[str, Variable] = {v.name: v for v in ALL_VARIABLES}


class ConfigurationError(Exception):
    """The environment is invalid, or production was asked for with development defaults."""

    def __init__(self, problems: list[str], *, production: bool = False) -> None:
        self.problems = problems
        head = (
            "NEXO_ENV=production refuses to start with development defaults:"
            if production
            else "invalid configuration:"
        )
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None
    """The owner's URL (migrations). Unset: an embedded PostgreSQL under `data_dir`."""
    app_database_url: str | None
    """The application role's URL; derived from `database_url` when unset."""
    app_role: str
    app_password: str
    data_dir: Path
    jwt_issuer: str
    jwt_audience: str
    access_token_ttl: int
    refresh_token_ttl: int
    dev: bool
    log_level: str
    pool_size: int
    env: str = "development"
    signing_keys: str = "generate"
    signup: str = "open"
    revocation_cache_seconds: float = 5.0
    rate_limit: int | None = 600
    """Subgraph requests a minute per user; None: off."""
    internal_secret: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    persisted_queries: str = "apq"
    trusted_documents: Path | None = None
    metrics_database_url: str | None = None
    metrics_refresh_seconds: int = 30

    @property
    def production(self) -> bool:
        return self.env == "production"


def _default_data_dir() -> Path:
    # As root the embedded PostgreSQL runs as a separate `pgserver` user that must be able
    # to traverse every parent folder; under /root that would mean opening /root up.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/nexo")
    return platformdirs.user_data_path("nexo")


def _from_file(variable: Variable) -> bool:
    """Secrets this module parses may come from `<NAME>_FILE` (other readers read only
    the variable itself)."""
    return variable.secret and variable.reader == "shared.settings"


def source_of(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Where a variable's effective value comes from: `environment`, `file` or `default`."""
    env = os.environ if environ is None else environ
    if env.get(name):
        return "environment"
    if _from_file(VARIABLES_BY_NAME[name]) and env.get(f"{name}_FILE"):
        return "file"
    return "default"


def raw_value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A variable's effective text: the environment, else `<NAME>_FILE` for a secret,
    else its default (None when it has none)."""
    env = os.environ if environ is None else environ
    variable = VARIABLES_BY_NAME[name]
    if value := env.get(name):
        return value
    if _from_file(variable) and (path := env.get(f"{name}_FILE")):
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigurationError([f"{name}_FILE: cannot read {path}: {exc}"]) from exc
    return variable.default


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (or the given mapping); invalid values raise
    `ConfigurationError` naming every bad variable. Development defaults are not refused
    here: `get_settings()` does that in production."""
    problems: list[str] = []

    def text(name: str) -> str:
        value = raw_value(name, environ) or ""
        variable = VARIABLES_BY_NAME[name]
        if variable.choices and value not in variable.choices:
            problems.append(f"{name}={value!r}: must be one of {', '.join(variable.choices)}")
        return value

    def number(name: str) -> int:
        value = raw_value(name, environ) or ""
        try:
            parsed = int(value)
        except ValueError:
            parsed = 0
        if parsed <= 0:
            problems.append(f"{name}={value!r}: must be a positive whole number")
        return parsed

    def flag(name: str) -> bool:
        value = (raw_value(name, environ) or "").strip().lower()
        if value not in _TRUE | _FALSE:
            problems.append(f"{name}={value!r}: must be on or off (1/0, true/false, yes/no)")
        return value in _TRUE

    def upper(name: str) -> str:
        return (raw_value(name, environ) or "").upper()

    log_level = upper("NEXO_LOG_LEVEL")
    if log_level not in VARIABLES_BY_NAME["NEXO_LOG_LEVEL"].choices:
        problems.append(
            f"NEXO_LOG_LEVEL={log_level!r}: must be one of "
            + ", ".join(VARIABLES_BY_NAME["NEXO_LOG_LEVEL"].choices)
        )
    settings = Settings(
        database_url=raw_value("DATABASE_URL", environ) or None,
        app_database_url=raw_value("NEXO_APP_DATABASE_URL", environ) or None,
        app_role=text("NEXO_APP_ROLE"),
        app_password=text("NEXO_APP_PASSWORD"),
        data_dir=Path(raw_value("NEXO_DATA_DIR", environ) or _default_data_dir()),
        jwt_issuer=text("NEXO_JWT_ISSUER"),
        jwt_audience=text("NEXO_JWT_AUDIENCE"),
        access_token_ttl=number("NEXO_ACCESS_TOKEN_TTL"),
        refresh_token_ttl=number("NEXO_REFRESH_TOKEN_TTL"),
        dev=flag("NEXO_DEV"),
        log_level=log_level,
        pool_size=number("NEXO_DB_POOL_SIZE"),
        env=text("NEXO_ENV"),
        signing_keys=text("NEXO_SIGNING_KEYS"),
        signup=text("NEXO_SIGNUP"),
        revocation_cache_seconds=number("NEXO_REVOCATION_CACHE_SECONDS"),
        rate_limit=None
        if (raw_value("NEXO_RATE_LIMIT", environ) or "").strip().lower() == "off"
        else number("NEXO_RATE_LIMIT"),
        internal_secret=raw_value("NEXO_INTERNAL_SECRET", environ) or None,
        trusted_proxies=tuple(
            p.strip()
            for p in (raw_value("NEXO_TRUSTED_PROXIES", environ) or "").split(",")
            if p.strip()
        ),
        persisted_queries=text("NEXO_PERSISTED_QUERIES"),
        metrics_database_url=raw_value("NEXO_METRICS_DATABASE_URL", environ) or None,
        metrics_refresh_seconds=number("NEXO_METRICS_REFRESH_SECONDS"),
        trusted_documents=Path(docs)
        if (docs := raw_value("NEXO_TRUSTED_DOCUMENTS", environ))
        else None,
    )
    if problems:
        raise ConfigurationError(problems)
    return settings


def _app_password_in_use(settings: Settings) -> str:
    if settings.app_database_url:
        from sqlalchemy import make_url

        password = make_url(settings.app_database_url).password
        if password:
            return str(password)
    return settings.app_password


def development_defaults(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """The development defaults in force, each with how to replace it; production refuses
    to start while this is not empty."""
    found: list[str] = []
    if settings.database_url is None:
        found.append(
            "DATABASE_URL is unset, so NEXO would start its embedded PostgreSQL:"
            " point it at the production database"
        )
    if _app_password_in_use(settings) == DEV_APP_PASSWORD:
        found.append(
            "NEXO_APP_PASSWORD is the development default: set it"
            " (or NEXO_APP_PASSWORD_FILE, e.g. a Docker secret)"
        )
    if settings.signing_keys == "generate":
        found.append(
            "NEXO_SIGNING_KEYS=generate is the development key source: set"
            " NEXO_SIGNING_KEYS=managed and create keys with `nexo keys rotate`"
        )
    if settings.signup == "open" and source_of("NEXO_SIGNUP", environ) == "default":
        found.append(
            "NEXO_SIGNUP defaults to open sign-up: set NEXO_SIGNUP=invite or closed,"
            " or NEXO_SIGNUP=open to keep it open on purpose"
        )
    if settings.dev:
        found.append("NEXO_DEV is on (it returns query plans to any caller): turn it off")
    return found


def checked(settings: Settings, environ: Mapping[str, str] | None = None) -> Settings:
    """`settings`, or `ConfigurationError` in production with development defaults."""
    if settings.production and (found := development_defaults(settings, environ)):
        raise ConfigurationError(found, production=True)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; in production, development defaults refuse."""
    return checked(load_settings())
