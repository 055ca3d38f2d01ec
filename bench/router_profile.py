"""Where the router's CPU goes on the `guild` query, counted rather than timed.

    .venv/bin/python bench/router_profile.py [--share] [--requests 50] [--top 30]
    .venv/bin/python bench/router_profile.py --instructions [--share] [--requests 40]

The router app (`create_router_app`, as `nexo serve` builds it, JSON request lines
included) answers `--requests` guild requests, 16 at a time, called as an ASGI app
directly (no uvicorn) over the same memoising HTTP subgraphs as bench/router.py.

Default: Python function calls per request under cProfile (each resumption of a
coroutine counts as a call) and the functions with the most own time. A count does not
move with the machine's speed, which varies by tens of percent from minute to minute
here, so it shows a change of a few percent that timing cannot.

`--instructions`: the process runs again under valgrind's callgrind (`apt-get install
valgrind`), with instrumentation on only while the requests run, and prints machine
instructions per request: the same from run to run to a tenth of a percent.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "router")]

# bench/router.py (the shapes, the limits, the subgraph server) by path: as a module it
# would be named like the `router` package.
_spec = importlib.util.spec_from_file_location("bench_router", ROOT / "bench" / "router.py")
assert _spec is not None
assert _spec.loader is not None
bench_router = importlib.util.module_from_spec(_spec)
sys.modules["bench_router"] = bench_router
_spec.loader.exec_module(bench_router)

from router.app import create_router_app, http_transports, settle_heap  # noqa: E402
from router.compose import compose  # noqa: E402
from router.supergraph import load_supergraph  # noqa: E402
from shared.logging import configure_logging  # noqa: E402

CONCURRENCY = 16


async def call(app: Any, body: bytes) -> list[dict[str, Any]]:
    """One POST /graphql through the ASGI app; the messages it sent."""
    sent: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 3000),
    }
    await app(scope, receive, send)
    done.set()
    return sent


async def requests(app: Any, body: bytes, count: int) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with gate:
            await call(app, body)

    await asyncio.gather(*(one() for _ in range(count)))


async def callgrind(switch: str) -> None:
    toggle = await asyncio.create_subprocess_exec(
        "callgrind_control", f"--instr={switch}", str(os.getpid()), stdout=subprocess.DEVNULL
    )
    await toggle.wait()


async def profile(args: argparse.Namespace, urls: dict[str, str]) -> None:
    query, schemas = bench_router.SHAPES["guild"]
    services = [
        {"name": n, "url": urls[n], "sdl": bench_router.subgraph_sdl(s)} for n, s in schemas.items()
    ]
    sdl = compose(services).supergraph_sdl
    app = create_router_app(sdl, http_transports(load_supergraph(sdl)), limits=bench_router.LIMITS)
    app.state.router.executor.deduplicate = args.share
    body = orjson.dumps({"query": query})
    for _ in range(20):  # connections, caches, written-out plans
        sent = await call(app, body)
    assert sent[0]["status"] == 200, sent
    assert b'"errors"' not in sent[1]["body"], sent
    settle_heap()  # as the app's lifespan does
    if args.under_callgrind:
        await callgrind("on")
        await requests(app, body, args.requests)
        await callgrind("off")
        return
    profiler = cProfile.Profile()
    profiler.enable()
    await requests(app, body, args.requests)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    calls = sum(entry[1] for entry in stats.stats.values())  # type: ignore[attr-defined]
    mode = "on" if args.share else "off"
    print(f"guild, sharing {mode}: {calls / args.requests:,.0f} calls per request")
    stats.sort_stats("tottime").print_stats(args.top)


def serve_and_profile(args: argparse.Namespace) -> None:
    import uvloop

    with tempfile.TemporaryDirectory() as tmp:
        urls_file = Path(tmp) / "urls.json"
        script = str(ROOT / "bench" / "router.py")
        server = subprocess.Popen(
            [sys.executable, script, "--serve-subgraphs", str(urls_file)],
            stdout=subprocess.DEVNULL,
        )
        try:
            while not urls_file.exists():
                time.sleep(0.1)
            time.sleep(0.2)
            urls = json.loads(urls_file.read_text())["guild"]
            # The request lines are written (their cost counts), to nowhere.
            with open(os.devnull, "w") as nowhere:
                real, sys.stderr = sys.stderr, nowhere
                try:
                    uvloop.run(profile(args, urls))
                finally:
                    sys.stderr = real
        finally:
            server.terminate()


def instructions(args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp}/callgrind.out",
            sys.executable,
            __file__,
            "--under-callgrind",
            "--requests",
            str(args.requests),
            *(["--share"] if args.share else []),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if collected is None:
        sys.exit(done.stderr[-2000:])
    per_request = int(collected.group(1)) / args.requests
    mode = "on" if args.share else "off"
    print(f"guild, sharing {mode}: {per_request:,.0f} instructions per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", action="store_true", help="in-flight sharing on")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--under-callgrind", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure_logging("INFO")
    if args.instructions:
        instructions(args)
    else:
        serve_and_profile(args)


if __name__ == "__main__":
    main()
