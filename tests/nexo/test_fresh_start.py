"""`nexo serve` from nothing: an empty data dir, the embedded PostgreSQL, real HTTP, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest


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


@pytest.mark.slow
def test_serve_on_an_empty_data_dir_then_sigterm() -> None:
    # Not pytest's tmp_path: pytest keeps its base folder 0700, and as root the embedded
    # PostgreSQL runs as another user that must traverse the path.
    data_dir = Path(tempfile.mkdtemp(prefix="nexo-fresh-")) / "data"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["NEXO_DATA_DIR"] = str(data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nexo", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "nexo serve did not become ready"
            time.sleep(0.3)
        assert _postgres_processes(data_dir), "expected the embedded PostgreSQL to run"
        sign_up = httpx.post(
            f"{base}/graphql",
            json={
                "query": "mutation($i: SignUpInput!) { signUp(input: $i) { user { tenant { slug } } errors { code } } }",
                "variables": {
                    "i": {
                        "tenantName": "Fresh Start",
                        "email": "a@b.example",
                        "password": "p" * 12,
                        "name": "A",
                    }
                },
            },
            timeout=30,
        ).json()
        assert sign_up["data"]["signUp"]["errors"] == []
        slug = sign_up["data"]["signUp"]["user"]["tenant"]["slug"]
        login = httpx.post(
            f"{base}/graphql",
            json={
                "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }",
                "variables": {"i": {"tenant": slug, "email": "a@b.example", "password": "p" * 12}},
            },
            timeout=30,
        ).json()
        token = login["data"]["login"]["accessToken"]
        me = httpx.post(
            f"{base}/graphql",
            json={"query": "{ me { email } }"},
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        assert me == {"data": {"me": {"email": "a@b.example"}}}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    deadline = time.monotonic() + 20
    while _postgres_processes(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _postgres_processes(data_dir), "PostgreSQL was left running"
