"""compose.yml: the topology the issue asks for, health checks, conditions, limits and no
secrets; validated by `docker compose config` / `docker-compose config` where present."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import make_url

from subgraphs.registry import ROUTER_PORT, SUBGRAPHS

ROOT = Path(__file__).resolve().parents[2]
SERVICE_MAP = {
    "identity": 3001,
    "crm": 3002,
    "stock": 3003,
    "sales": 3004,
    "purchases": 3005,
    "production": 3006,
    "notifications": 3007,
}
"""DESIGN section 2: the seven subgraphs and their ports."""
NEXO_SERVICES = {"migrate", "router", "worker", *SERVICE_MAP}
OTHERS = {"postgres", "prometheus", "alertmanager", "grafana", "loki", "alloy"}
ONE_SHOT = {"migrate"}
NO_HTTP = {"migrate", "worker"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yml").read_text(encoding="utf-8"))
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_the_whole_topology_is_declared(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == NEXO_SERVICES | OTHERS


def test_the_seven_subgraphs_on_their_service_map_ports(compose: dict[str, Any]) -> None:
    for name, port in SERVICE_MAP.items():
        service = services(compose)[name]
        assert service["command"] == ["subgraph", name, "--host", "0.0.0.0", "--port", str(port)]
        assert service["expose"] == [str(port)]
        assert service["environment"]["NEXO_HEALTH_PORT"] == str(port)
    # The registry (the subgraphs that exist so far) agrees with the service map.
    for spec in SUBGRAPHS:
        assert SERVICE_MAP[spec.name] == spec.port


def test_router_serves_the_baked_supergraph_on_the_router_port(compose: dict[str, Any]) -> None:
    router = services(compose)["router"]
    assert router["command"][:3] == ["router", "--supergraph", "/opt/nexo/supergraph.graphql"]
    assert router["command"][-1] == str(ROUTER_PORT)
    assert "--output /opt/nexo/supergraph.graphql" in (ROOT / "Dockerfile").read_text()
    assert {name: d["condition"] for name, d in router["depends_on"].items()} == dict.fromkeys(
        SERVICE_MAP, "service_healthy"
    )


def test_nexo_services_run_the_image_with_the_right_commands(compose: dict[str, Any]) -> None:
    for name in NEXO_SERVICES:
        assert services(compose)[name]["image"] == "${NEXO_IMAGE:-nexo:latest}", name
    assert services(compose)["migrate"]["build"] == "."
    assert services(compose)["migrate"]["command"] == ["migrate"]
    assert services(compose)["migrate"]["restart"] == "no"
    assert services(compose)["worker"]["command"] == ["worker"]


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        check = service.get("healthcheck", {})
        if name in NO_HTTP:
            assert check == {"disable": True}, name
            continue
        assert check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), name
        if name in NEXO_SERVICES:
            assert "/health" in " ".join(check["test"])


def test_dependencies_wait_on_conditions(compose: dict[str, Any]) -> None:
    allowed = {"service_healthy", "service_completed_successfully"}
    for name, service in services(compose).items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for target, how in depends.items():
            assert how["condition"] in allowed, (name, target)
            expected = "service_completed_successfully" if target in ONE_SHOT else "service_healthy"
            assert how["condition"] == expected, (name, target)
    for name in (*SERVICE_MAP, "worker"):
        assert set(services(compose)[name]["depends_on"]) == {"postgres", "migrate"}, name
    assert set(services(compose)["grafana"]["depends_on"]) == {"prometheus", "loki"}
    assert set(services(compose)["alloy"]["depends_on"]) == {"loki"}


def test_every_service_has_resource_limits(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        limits = service["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0, name
        assert re.fullmatch(r"\d+[MG]", limits["memory"]), name


SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|_KEY\b")


def test_no_secrets_in_the_file(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for key, value in (service.get("environment") or {}).items():
            text = str(value)
            if SECRET_NAME.search(key):
                assert key.endswith("_FILE"), (name, key)
                assert text.startswith("/run/secrets/"), (name, key)
            if "://" in text and text.startswith("postgres"):
                assert make_url(text).password is None, (name, key)
            if key.endswith("_FILE"):
                secret = text.removeprefix("/run/secrets/")
                assert secret in service["secrets"], (name, key)
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./deploy/secrets/")
    ignored = (ROOT / "deploy" / "secrets" / ".gitignore").read_text().splitlines()
    assert "*" in ignored


def test_every_interpolated_variable_is_in_env_example(compose: dict[str, Any]) -> None:
    text = (ROOT / "compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    declared = set(re.findall(r"(?m)^([A-Z_][A-Z0-9_]*)=", example))
    assert used == declared
    assert not any(SECRET_NAME.search(name) for name in declared)


def test_mounted_deploy_files_exist(compose: dict[str, Any]) -> None:
    # Secret files never enter git: deploy/secrets/generate makes them before `up`, and the
    # README names each one.
    secrets_readme = (ROOT / "deploy" / "secrets" / "README.md").read_text(encoding="utf-8")
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./deploy/secrets/"):
                assert source.removeprefix("./deploy/secrets/") in secrets_readme, (name, source)
            elif source.startswith("./"):
                assert (ROOT / source).exists(), (name, source)


def _validator() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_it() -> None:
    validator = _validator()
    if validator is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed (.ci/deploy is)")
    result = subprocess.run(
        [*validator, "-f", "compose.yml", "--env-file", ".env.example", "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
