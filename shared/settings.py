"""Process settings, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import platformdirs


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


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


def _default_data_dir() -> Path:
    # As root the embedded PostgreSQL runs as a separate `pgserver` user that must be able
    # to traverse every parent folder; under /root that would mean opening /root up.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/nexo")
    return platformdirs.user_data_path("nexo")


def load_settings() -> Settings:
    env = os.environ.get
    return Settings(
        database_url=env("DATABASE_URL") or None,
        app_database_url=env("NEXO_APP_DATABASE_URL") or None,
        app_role=env("NEXO_APP_ROLE", "nexo_app"),
        app_password=env("NEXO_APP_PASSWORD", "nexo-app-local-only"),
        data_dir=Path(env("NEXO_DATA_DIR") or _default_data_dir()),
        jwt_issuer=env("NEXO_JWT_ISSUER", "https://nexo.local"),
        jwt_audience=env("NEXO_JWT_AUDIENCE", "nexo-api"),
        access_token_ttl=int(env("NEXO_ACCESS_TOKEN_TTL", "900")),
        refresh_token_ttl=int(env("NEXO_REFRESH_TOKEN_TTL", str(30 * 24 * 3600))),
        dev=_flag("NEXO_DEV"),
        log_level=env("NEXO_LOG_LEVEL", "INFO").upper(),
        pool_size=int(env("NEXO_DB_POOL_SIZE", "10")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
