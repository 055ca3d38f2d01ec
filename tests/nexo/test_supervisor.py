"""The supervisor of `nexo serve --split`: a child that dies comes back, one that keeps
dying is given up on loudly; and a real split NEXO whose subgraph process is killed
serves again, with the write it acknowledged before."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from nexo.supervisor import GaveUp, RestartPolicy, Supervisor
from shared.auth import ALGORITHM
from subgraphs.registry import SUBGRAPHS
from tests.nexo.serving import free_port, nexo_serve

FAST = RestartPolicy(first_delay=0.01, max_delay=0.05, stable_after=60, max_quick_failures=3)


def python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):
        while not condition():
            await asyncio.sleep(0.02)


def test_backoff_doubles_up_to_its_ceiling() -> None:
    policy = RestartPolicy(first_delay=0.5, max_delay=4, max_quick_failures=9)
    assert [policy.delay(n) for n in range(7)] == [0.5, 0.5, 1, 2, 4, 4, 4]


async def test_a_child_that_keeps_failing_is_given_up_loudly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    given_up: list[GaveUp] = []
    async with Supervisor(
        {"flaky": python("raise SystemExit(3)")}, policy=FAST, on_give_up=given_up.append
    ) as supervisor:
        await until(lambda: supervisor.gave_up is not None)
    child = supervisor.children["flaky"]
    assert child.starts == 3
    assert child.exits == [3, 3, 3]
    assert given_up == [supervisor.gave_up]
    assert str(given_up[0]) == (
        "flaky exited 3 times in a row soon after starting (last exit code 3):"
        " not restarting it again"
    )
    logged = capsys.readouterr()
    assert "child.gave_up" in logged.out + logged.err


async def test_a_killed_child_comes_back_and_stop_ends_it() -> None:
    async with Supervisor(
        {"sleeper": python("import time; time.sleep(60)")}, policy=FAST
    ) as supervisor:
        child = supervisor.children["sleeper"]
        assert child.process is not None
        first = child.process.pid
        os.kill(first, signal.SIGKILL)
        await until(lambda: child.starts == 2)
        assert child.process.pid != first
        assert child.exits == [-signal.SIGKILL]
        process = child.process
    assert process.returncode == -signal.SIGTERM
    assert child.starts == 2  # not restarted after stop
    assert supervisor.gave_up is None


async def test_runs_longer_than_stable_after_reset_the_count() -> None:
    steady = RestartPolicy(first_delay=0.01, max_delay=0.01, stable_after=0, max_quick_failures=2)
    async with Supervisor({"short": python("pass")}, policy=steady) as supervisor:
        await until(lambda: supervisor.children["short"].starts >= 5)
    assert supervisor.gave_up is None
    assert supervisor.children["short"].quick_failures == 0


async def test_a_child_deaf_to_sigterm_is_killed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    deaf = python(
        "import signal, time, pathlib; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        f" pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    async with Supervisor({"deaf": deaf}, policy=FAST, stop_timeout=0.5) as supervisor:
        await until(ready.exists)
    process = supervisor.children["deaf"].process
    assert process is not None
    assert process.returncode == -signal.SIGKILL


# --- a real `nexo serve --split` --------------------------------------------


def _gql(base: str, query: str, variables: dict[str, object], token: str | None = None) -> dict:  # type: ignore[type-arg]
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )
    return response.json()  # type: ignore[no-any-return]


def _subgraph_process(parent: psutil.Process, name: str) -> psutil.Process:
    for child in parent.children(recursive=True):
        cmdline = child.cmdline()
        if "subgraph" in cmdline and name in cmdline:
            return child
    raise AssertionError(f"no {name} process")


@pytest.mark.slow
def test_split_serve_restarts_a_killed_subgraph_and_keeps_acknowledged_writes() -> None:
    busy = []
    for spec in SUBGRAPHS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", spec.port)) == 0:
                busy.append(spec.port)
    assert not busy, f"ports of the service map are taken: {busy}"
    with nexo_serve("--split") as served:
        base, proc = served.base, served.process
        # JWKS on the public port, as the identity process serves it.
        keys = httpx.get(f"{base}/.well-known/jwks.json", timeout=10)
        assert keys.status_code == 200
        identity = httpx.get("http://127.0.0.1:3001/.well-known/jwks.json", timeout=10)
        assert keys.json() == identity.json()
        assert keys.json()["keys"]
        assert all("d" not in key for key in keys.json()["keys"])

        email, password = f"{uuid.uuid4().hex[:8]}@split.example", "p" * 12
        signed_up = _gql(
            base,
            "mutation($i: SignUpInput!) { signUp(input: $i) { user { tenant { slug } } } }",
            {"i": {"tenantName": "Split Co", "email": email, "password": password, "name": "A"}},
        )
        slug = signed_up["data"]["signUp"]["user"]["tenant"]["slug"]
        login = _gql(
            base,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            {"i": {"tenant": slug, "email": email, "password": password}},
        )
        token = login["data"]["login"]["accessToken"]
        claims = jwt.decode(
            token, KeySet.import_key_set(keys.json()), algorithms=[ALGORITHM]
        ).claims
        assert claims["tid"]

        created = _gql(
            base,
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) {"
            " customer { id name } errors { code } } }",
            {"i": {"name": "Acknowledged Before The Kill"}},
            token,
        )
        assert created["data"]["createCustomer"]["errors"] == []
        customer = created["data"]["createCustomer"]["customer"]

        crm = _subgraph_process(psutil.Process(proc.pid), "crm")
        crm.kill()
        crm.wait(10)
        saw_unready = False
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, served.output()
            ready = httpx.get(f"{base}/ready", timeout=10)
            if ready.status_code == 503:
                assert ready.json()["subgraphs"]["crm"] is False
                saw_unready = True
            elif saw_unready:
                assert ready.json() == {
                    "ready": True,
                    "subgraphs": {s.name: True for s in SUBGRAPHS},
                }
                break
            assert time.monotonic() < deadline, f"crm did not come back:\n{served.output()}"
            time.sleep(0.5)
        assert _subgraph_process(psutil.Process(proc.pid), "crm").pid != crm.pid
        assert '"event": "child.restarted"' in served.log.read_text(errors="replace")
        read = _gql(
            base, "query($id: ID!) { customer(id: $id) { id name } }", {"id": customer["id"]}, token
        )
        assert read == {"data": {"customer": customer}}


@pytest.mark.slow
def test_split_serve_gives_up_loudly_on_a_subgraph_that_cannot_start() -> None:
    """crm's port is taken: crm exits at each start; after five quick failures `nexo
    serve --split` stops everything and exits 1, naming it."""
    data_dir = Path(tempfile.mkdtemp(prefix="nexo-give-up-")) / "data"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            squatter.bind(("127.0.0.1", 3002))
        except OSError:
            pytest.skip("port 3002 is in use by something else")
        squatter.listen()
        result = subprocess.run(
            [sys.executable, "-m", "nexo", "serve", "--split", "--port", str(free_port())],
            env={**env, "NEXO_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    shutil.rmtree(data_dir.parent, ignore_errors=True)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "nexo serve --split: subgraph crm exited 5 times in a row" in " ".join(output.split())
    assert output.count('"event": "child.exited"') == 4
    assert "Traceback" not in output
