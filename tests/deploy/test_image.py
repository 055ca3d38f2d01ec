"""The built image, run: `nexo --help`, a non-root user without compilers, production
refusing development defaults, the baked supergraph, and NEXO serving (its embedded
PostgreSQL, migrations, a sign-up and a query) until Docker reports it healthy.

Runs where .ci/image built the image (NEXO_IMAGE names it, NEXO_DOCKER the client);
skipped elsewhere. Containers use the host's network on loopback only."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

IMAGE = os.environ.get("NEXO_IMAGE", "")
DOCKER = os.environ.get("NEXO_DOCKER", "docker")

pytestmark = pytest.mark.skipif(not IMAGE, reason="no image: run .ci/image (sets NEXO_IMAGE)")


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    flags = [f"--env={k}={v}" for k, v in (env or {}).items()]
    return docker("run", "--rm", "--network=none", *flags, IMAGE, *args)


def test_nexo_help_runs() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for command in ("serve", "migrate", "router", "config", "citus"):
        assert command in result.stdout


def test_image_configuration() -> None:
    config = json.loads(docker("image", "inspect", IMAGE).stdout)[0]["Config"]
    assert config["Entrypoint"] == ["nexo"]
    assert config["User"].split(":")[0] not in {"", "0", "root"}
    assert "/health" in " ".join(config["Healthcheck"]["Test"])


def test_runs_as_non_root_without_compilers_or_pip() -> None:
    probe = "id -u; for c in gcc cc g++ clang make pip pip3; do command -v $c; done; true"
    result = docker("run", "--rm", "--network=none", "--entrypoint=sh", IMAGE, "-c", probe)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert lines[0] != "0"
    assert lines[1:] == [], f"found in the image: {lines[1:]}"


def test_production_refuses_development_defaults_in_the_image() -> None:
    refused = run("serve", env={"NEXO_ENV": "production"})
    assert refused.returncode == 2
    assert "refuses to start with development defaults" in refused.stderr
    shown = run("config", "show", env={"NEXO_ENV": "production", "NEXO_APP_PASSWORD": "s3cr3t-x"})
    assert shown.returncode == 1
    assert "s3cr3t-x" not in shown.stdout and "NEXO_APP_PASSWORD" in shown.stdout


def test_the_baked_supergraph_names_the_compose_services() -> None:
    """The supergraph composed at build time has every subgraph of the image's registry,
    each at its compose service name and port."""
    probe = (
        "from pathlib import Path; from subgraphs.registry import SUBGRAPHS; "
        "sdl = Path('/opt/nexo/supergraph.graphql').read_text(); "
        "print(len(SUBGRAPHS), all(f'url: \"http://{s.name}:{s.port}/graphql\"' in sdl "
        "for s in SUBGRAPHS))"
    )
    result = docker("run", "--rm", "--network=none", "--entrypoint=python3", IMAGE, "-c", probe)
    assert result.returncode == 0, result.stderr
    count, complete = result.stdout.split()
    assert int(count) >= 4 and complete == "True", result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serving() -> Iterator[tuple[str, str]]:
    port = _free_port()
    name = f"nexo-image-test-{uuid.uuid4().hex[:8]}"
    started = docker(
        "run",
        "--detach",
        f"--name={name}",
        "--network=host",
        f"--env=NEXO_HEALTH_PORT={port}",
        IMAGE,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    assert started.returncode == 0, started.stderr
    try:
        yield name, f"http://127.0.0.1:{port}"
    finally:
        docker("rm", "--force", name)


def test_serves_nexo_with_embedded_postgres_until_healthy(serving: tuple[str, str]) -> None:
    name, base = serving
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, docker("logs", name).stderr[-2000:]
        time.sleep(1)
    signed_up = httpx.post(
        f"{base}/graphql",
        json={
            "query": "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken errors { code } } }",
            "variables": {
                "i": {
                    "tenantName": "Image Test Co",
                    "email": "admin@image.example",
                    "name": "Ada",
                    "password": "correct horse battery",
                }
            },
        },
        timeout=60,
    ).json()
    token = signed_up["data"]["signUp"]["accessToken"]
    me = httpx.post(
        f"{base}/graphql",
        json={"query": "{ me { email tenant { name } } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert me == {
        "data": {"me": {"email": "admin@image.example", "tenant": {"name": "Image Test Co"}}}
    }
    # Docker's own verdict from the image's HEALTHCHECK.
    while True:
        state = docker("inspect", "--format={{.State.Health.Status}}", name).stdout.strip()
        if state == "healthy":
            break
        assert state in {"starting", "unhealthy"} and time.monotonic() < deadline, state
        time.sleep(2)
