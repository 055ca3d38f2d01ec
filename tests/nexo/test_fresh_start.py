"""`nexo serve` from nothing: an empty data dir, the embedded PostgreSQL, real HTTP, SIGTERM.
Once with everything in one process, once split into a process per subgraph."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest

from subgraphs.registry import SUBGRAPHS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if "postgres" in (proc.info.get("name") or "") and str(data_dir) in cmdline:
            found.append(proc)
    return found


def _nexo_children(parent: psutil.Process) -> list[psutil.Process]:
    try:
        return [p for p in parent.children(recursive=True) if "nexo" in " ".join(p.cmdline())]
    except psutil.NoSuchProcess:
        return []


@contextmanager
def nexo_serve(*extra: str) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """Run `nexo serve` on a fresh data dir until ready; SIGTERM it afterwards and check
    that it exits cleanly and leaves no PostgreSQL behind."""
    # Not pytest's tmp_path: pytest keeps its base folder 0700, and as root the embedded
    # PostgreSQL runs as another user that must traverse the path.
    data_dir = Path(tempfile.mkdtemp(prefix="nexo-fresh-")) / "data"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["NEXO_DATA_DIR"] = str(data_dir)
    # A file, not a pipe: nothing reads a pipe while the test runs, and a full one would
    # block the server mid-request.
    log = data_dir.parent / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nexo", "serve", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "nexo serve did not become ready"
            time.sleep(0.3)
        assert _postgres_processes(data_dir), "expected the embedded PostgreSQL to run"
        yield base, data_dir, proc
    finally:
        children = _nexo_children(psutil.Process(proc.pid))
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    deadline = time.monotonic() + 20
    while (_postgres_processes(data_dir) or any(c.is_running() for c in children)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert not _postgres_processes(data_dir), "PostgreSQL was left running"
    assert not [c for c in children if c.is_running()], "a subgraph process was left running"


def _gql(
    base: str, query: str, variables: dict[str, object] | None = None, token: str | None = None
) -> dict:  # type: ignore[type-arg]
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    return response.json()  # type: ignore[no-any-return]


def _sign_up_login_me(base: str) -> None:
    sign_up = _gql(
        base,
        "mutation($i: SignUpInput!) { signUp(input: $i) { user { tenant { slug } } errors { code } } }",
        {
            "i": {
                "tenantName": "Fresh Start",
                "email": "a@b.example",
                "password": "p" * 12,
                "name": "A",
            }
        },
    )
    assert sign_up["data"]["signUp"]["errors"] == []
    slug = sign_up["data"]["signUp"]["user"]["tenant"]["slug"]
    login = _gql(
        base,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }",
        {"i": {"tenant": slug, "email": "a@b.example", "password": "p" * 12}},
    )
    token = login["data"]["login"]["accessToken"]
    assert _gql(base, "{ me { email } }", token=token) == {"data": {"me": {"email": "a@b.example"}}}


@pytest.mark.slow
def test_serve_on_an_empty_data_dir_then_sigterm() -> None:
    with nexo_serve() as (base, _, _):
        _sign_up_login_me(base)


@pytest.mark.slow
def test_split_serve_runs_a_process_per_subgraph() -> None:
    busy = []
    for spec in SUBGRAPHS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", spec.port)) == 0:
                busy.append(spec.port)
    assert not busy, f"ports of the service map are taken: {busy}"
    with nexo_serve("--split") as (base, _, proc):
        children = _nexo_children(psutil.Process(proc.pid))
        assert len(children) == len(SUBGRAPHS)
        for spec in SUBGRAPHS:
            health = httpx.get(f"http://127.0.0.1:{spec.port}/health", timeout=5).json()
            assert health == {"status": "ok", "service": spec.name}
        _sign_up_login_me(base)
