"""`nexo serve` as a subprocess on a fresh data dir, for tests of what it serves.

Its output (and its subgraph processes', which inherit it) goes to a file, not a pipe:
an undrained pipe fills after a few hundred log lines and then blocks every process
that writes to it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil


@dataclass(frozen=True)
class Served:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-20_000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def nexo_serve(*extra: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run `nexo serve` until /ready; SIGTERM it afterwards and check it exits cleanly,
    its subgraph processes with it."""
    # Not pytest's tmp_path: as root the embedded PostgreSQL runs as another user that
    # must traverse the path, and pytest keeps its base folder 0700.
    root = Path(tempfile.mkdtemp(prefix="nexo-serve-"))
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment = {**base_env, "NEXO_DATA_DIR": str(root / "data"), **(env or {})}
    port = free_port()
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nexo", "serve", "--port", str(port), *extra],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, served.output()
            try:
                if httpx.get(f"{served.base}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"not ready:\n{served.output()}"
            time.sleep(0.5)
        yield served
    finally:
        try:
            children = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        _, alive = psutil.wait_procs(children, timeout=20)
        for left in alive:
            left.kill()
    assert process.returncode == 0, served.output()
    assert not alive, f"left running: {alive}"
    shutil.rmtree(root, ignore_errors=True)
