"""The configuration: every variable declared once, production refusing development
defaults, `nexo config show` masking secrets, and the generated reference being fresh.
No database: settings are read from explicit mappings or a subprocess's environment."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nexo.cli import app
from nexo.config import reader_defaults, reference_markdown, show
from shared.settings import (
    ALL_VARIABLES,
    DEV_APP_PASSWORD,
    NOTIFICATIONS,
    ROUTER_FLAGS,
    ROUTER_LIMITS,
    VARIABLES,
    VARIABLES_BY_NAME,
    ConfigurationError,
    checked,
    development_defaults,
    get_settings,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[2]
NEXO = Path(sys.executable).with_name("nexo")

PRODUCTION_READY = {
    "NEXO_ENV": "production",
    "DATABASE_URL": "postgresql://nexo:owner-secret@db.internal:5432/nexo",
    "NEXO_APP_PASSWORD": "app-secret-value",
    "NEXO_SIGNING_KEYS": "managed",
    "NEXO_SIGNUP": "invite",
}


def test_defaults_are_the_development_ones() -> None:
    settings = load_settings({})
    assert settings.env == "development" and not settings.production
    assert settings.database_url is None
    assert settings.app_password == DEV_APP_PASSWORD
    assert (settings.signing_keys, settings.signup, settings.dev) == ("generate", "open", False)
    assert (settings.pool_size, settings.access_token_ttl, settings.log_level) == (10, 900, "INFO")
    # Development accepts its defaults: nothing refuses.
    assert checked(settings, {}) is settings


def test_production_refuses_every_development_default_by_name() -> None:
    environ = {"NEXO_ENV": "production", "NEXO_DEV": "1"}
    with pytest.raises(ConfigurationError) as refused:
        checked(load_settings(environ), environ)
    message = str(refused.value)
    assert message.startswith("NEXO_ENV=production refuses to start with development defaults:")
    for name in (
        "DATABASE_URL",
        "NEXO_APP_PASSWORD",
        "NEXO_SIGNING_KEYS",
        "NEXO_SIGNUP",
        "NEXO_DEV",
    ):
        assert name in message
    assert len(refused.value.problems) == 5


def test_production_starts_when_each_default_is_replaced() -> None:
    settings = load_settings(PRODUCTION_READY)
    assert checked(settings, PRODUCTION_READY) is settings
    assert development_defaults(settings, PRODUCTION_READY) == []


@pytest.mark.parametrize(
    ("change", "refused_name"),
    [
        ({"NEXO_APP_PASSWORD": DEV_APP_PASSWORD}, "NEXO_APP_PASSWORD"),
        ({"NEXO_SIGNING_KEYS": "generate"}, "NEXO_SIGNING_KEYS"),
        ({"NEXO_SIGNUP": ""}, "NEXO_SIGNUP"),
        ({"NEXO_DEV": "on"}, "NEXO_DEV"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
    ],
)
def test_each_development_default_alone_is_refused(
    change: dict[str, str], refused_name: str
) -> None:
    environ = {**PRODUCTION_READY, **change}
    with pytest.raises(ConfigurationError) as refused:
        checked(load_settings(environ), environ)
    assert len(refused.value.problems) == 1
    assert refused_name in refused.value.problems[0]


def test_open_sign_up_is_accepted_in_production_only_when_asked_for() -> None:
    environ = {**PRODUCTION_READY, "NEXO_SIGNUP": "open"}
    assert checked(load_settings(environ), environ).signup == "open"


def test_an_app_password_inside_the_app_url_counts() -> None:
    environ = {
        **PRODUCTION_READY,
        "NEXO_APP_PASSWORD": "",
        "NEXO_APP_DATABASE_URL": "postgresql://nexo_app:from-url@replica:5432/nexo",
    }
    assert development_defaults(load_settings(environ), environ) == []


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "nexo_app_password"
    secret.write_text("from-a-docker-secret\n")
    settings = load_settings({"NEXO_APP_PASSWORD_FILE": str(secret)})
    assert settings.app_password == "from-a-docker-secret"
    # The variable itself wins over its file.
    both = {"NEXO_APP_PASSWORD": "direct", "NEXO_APP_PASSWORD_FILE": str(secret)}
    assert load_settings(both).app_password == "direct"
    with pytest.raises(ConfigurationError, match="NEXO_APP_PASSWORD_FILE: cannot read"):
        load_settings({"NEXO_APP_PASSWORD_FILE": str(tmp_path / "missing")})


def test_only_secrets_are_read_from_files(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text("production")
    assert load_settings({"NEXO_ENV_FILE": str(path)}).env == "development"


def test_invalid_values_are_named_together() -> None:
    environ = {
        "NEXO_ENV": "prod",
        "NEXO_DB_POOL_SIZE": "ten",
        "NEXO_SIGNUP": "sometimes",
        "NEXO_DEV": "maybe",
        "NEXO_LOG_LEVEL": "loud",
    }
    with pytest.raises(ConfigurationError) as invalid:
        load_settings(environ)
    text = str(invalid.value)
    assert text.startswith("invalid configuration:")
    for name in environ:
        assert name in text
    assert "must be one of development, production" in text


def test_get_settings_refuses_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.setenv("NEXO_ENV", "production")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_show_masks_secrets_and_names_sources(tmp_path: Path) -> None:
    secret = tmp_path / "app"
    secret.write_text("file-secret-value")
    environ = {
        "DATABASE_URL": "postgresql://nexo:owner-secret@db.internal:5432/nexo",
        "NEXO_APP_DATABASE_URL": "postgresql://nexo_app:app-url-secret@replica/nexo?sslmode=require",
        "NEXO_APP_PASSWORD_FILE": str(secret),
        "NEXO_JWT_ISSUER": "https://erp.example",
    }
    text, refused = show(environ)
    assert not refused
    for leaked in ("owner-secret", "app-url-secret", "file-secret-value"):
        assert leaked not in text
    lines = {line.split("=", 1)[0].strip(): line for line in text.splitlines() if " = " in line}
    assert set(lines) == set(VARIABLES_BY_NAME)
    assert "postgresql://nexo:****@db.internal:5432/nexo  # environment" in lines["DATABASE_URL"]
    assert "replica/nexo?sslmode=require" in lines["NEXO_APP_DATABASE_URL"]
    assert lines["NEXO_APP_PASSWORD"].endswith("= ****  # file")
    assert lines["NEXO_JWT_ISSUER"].endswith("= https://erp.example  # environment")
    assert lines["NEXO_APP_ROLE"].endswith("= nexo_app  # default")
    assert "development defaults in use (NEXO_ENV=production would refuse them):" in text


def test_show_masks_a_password_in_the_url_query() -> None:
    text, _ = show({"DATABASE_URL": "postgresql://db/nexo?user=nexo&password=query-secret"})
    assert "query-secret" not in text


def test_show_says_production_would_refuse() -> None:
    text, refused = show({"NEXO_ENV": "production"})
    assert refused
    assert "NEXO_ENV=production refuses to start with these development defaults:" in text


def test_show_reports_invalid_values_instead_of_failing() -> None:
    text, refused = show({"NEXO_DB_POOL_SIZE": "-1"})
    assert refused
    assert "NEXO_DB_POOL_SIZE='-1': must be a positive whole number" in text


def test_config_show_command(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.setenv("NEXO_APP_PASSWORD", "cli-secret-value")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "NEXO_APP_PASSWORD" in result.output and "cli-secret-value" not in result.output
    monkeypatch.setenv("NEXO_ENV", "production")
    assert CliRunner().invoke(app, ["config", "show"]).exit_code == 1


def _nexo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in VARIABLES_BY_NAME}
    return subprocess.run(
        [str(NEXO), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_serve_refuses_with_a_clear_message() -> None:
    """`NEXO_ENV=production nexo serve` exits 2 before starting anything."""
    result = _nexo("serve", "--port", "1", NEXO_ENV="production")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        "nexo: NEXO_ENV=production refuses to start with development defaults:"
    )
    for name in ("DATABASE_URL", "NEXO_APP_PASSWORD", "NEXO_SIGNING_KEYS", "NEXO_SIGNUP"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_value_stops_any_command_clearly() -> None:
    result = _nexo("migrate", NEXO_ENV="staging")
    assert result.returncode == 2
    assert "NEXO_ENV='staging': must be one of development, production" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_configuration_reference_is_fresh() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == reference_markdown(), (
        "docs/configuration.md is stale: python -m nexo.config > docs/configuration.md"
    )
    for variable in ALL_VARIABLES:
        assert f"`{variable.name}`" in page


APP_PACKAGES = ("shared", "nexo", "router", "subgraphs")
READS_ENVIRONMENT = re.compile(r"os\.environ|os\.getenv|getenv\(")
VARIABLE_NAME = re.compile(r"[\"'](NEXO_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL)[\"']")


def _app_modules() -> list[Path]:
    return [p for package in APP_PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]


def test_every_variable_the_application_names_is_declared() -> None:
    """Every environment variable is declared once, in shared/settings.py: any
    `NEXO_...` name in the application's code is one of them."""
    undeclared = sorted(
        {
            f"{path.relative_to(ROOT)}: {name}"
            for path in _app_modules()
            for name in VARIABLE_NAME.findall(path.read_text(encoding="utf-8"))
            if name not in VARIABLES_BY_NAME and name.removesuffix("_FILE") not in VARIABLES_BY_NAME
        }
    )
    assert undeclared == [], f"declare these in shared/settings.py: {undeclared}"


def test_modules_reading_the_environment_are_declared_readers() -> None:
    """Only shared.settings and the modules named as a variable's `reader` read the
    environment (each reads only its declared variables)."""
    readers = {v.reader for v in ALL_VARIABLES} | {"nexo.config"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in _app_modules()
        if READS_ENVIRONMENT.search(path.read_text(encoding="utf-8"))
        and ".".join(path.relative_to(ROOT).with_suffix("").parts) not in readers
    ]
    assert offenders == [], f"read the environment through shared.settings: {offenders}"


def test_router_limits_are_declared() -> None:
    limits = pytest.importorskip("router.limits")
    expected = {f"NEXO_LIMIT_{f.name.upper()}" for f in dataclasses.fields(limits.OperationLimits)}
    assert {v.name for v in ROUTER_LIMITS} == expected
    assert reader_defaults()["NEXO_LIMIT_DEPTH"] == str(limits.OperationLimits().depth)


def test_router_switches_are_declared() -> None:
    settings = pytest.importorskip("router.settings")
    source = Path(settings.__file__).read_text(encoding="utf-8")
    named = set(VARIABLE_NAME.findall(source)) - {"NEXO_ENV"}
    assert named == {v.name for v in ROUTER_FLAGS}


def test_notification_variables_are_declared() -> None:
    config = pytest.importorskip("subgraphs.notifications.config")
    assert {v.name for v in NOTIFICATIONS} == set(config.VARIABLES)
