"""GraphiQL in a real headless Chromium that can reach nothing but loopback: the router's
page (NEXO's whole graph in-process) and a subgraph's page load, take a query typed
into the editor, run it and show the data; no request leaves 127.0.0.1.

Chromium is driven over the DevTools protocol (a websocket). Every host name resolves
to nothing but 127.0.0.1 (`--host-resolver-rules`), and every non-loopback request goes
to a proxy of this test that records it and refuses it, so the test sees any attempt.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
import websockets

from nexo.graph import build_graph, in_process_transports
from router.app import create_router_app
from router.settings import RouterSettings
from shared.context import Runtime
from shared.graphiql import web
from tests.conftest import TenantHandle

# Debian's /usr/bin/chromium is a wrapper that adds Google API keys and remote extensions,
# which make the browser call Google services by itself: the binary behind it does not.
CHROMIUM = next(
    (
        p
        for p in ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")
        if shutil.which(p)
    ),
    None,
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs a Chromium (Debian: apt-get install -y chromium); CI installs it",
    ),
]
SCREENSHOTS = Path(os.environ.get("TMPDIR", "/tmp")) / "nexo-graphiql-screenshots"


class RefusingProxy:
    """An HTTP proxy that forwards nothing: it notes each request's target and says 403."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> RefusingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            line = await asyncio.wait_for(reader.readline(), 5)
            self.requests.append(line.decode(errors="replace").strip())
            writer.write(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
        writer.close()


class Page:
    """One browser tab over the DevTools protocol: commands, and the events it sent."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                self._waiting.pop(message["id"]).set_result(message)
            else:
                self.events.append(message)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        await self.ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, 30)
        assert "error" not in answer, (method, answer["error"])
        return answer.get("result", {})  # type: ignore[no-any-return]

    async def js(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def until(self, expression: str) -> Any:
        """The expression's value once it is truthy (30 s at most)."""
        async with asyncio.timeout(30):
            while True:
                value = await self.js(expression)
                if value:
                    return value
                await asyncio.sleep(0.1)

    async def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = await self.send("Page.captureScreenshot", format="png")
        (SCREENSHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (CSP violations...)."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"]))
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(str(params["args"]))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry']['source']}: {params['entry']['text']}")
        return found

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


@contextlib.contextmanager
def chromium(proxy_port: int) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    assert CHROMIUM is not None
    profile = Path(tempfile.mkdtemp(prefix="nexo-chromium-"))
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # as root (CI) Chromium refuses to start sandboxed
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-client-side-phishing-detection",
            "--disable-domain-reliability",
            "--disable-breakpad",
            "--disable-field-trial-config",
            "--no-pings",
            "--allow-browser-signin=false",
            "--disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying,"
            "OptimizationHints,MediaRouter,Translate,CertificateTransparencyComponentUpdater",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--proxy-server=http://127.0.0.1:{proxy_port}",
            "--window-size=1280,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        active = profile / "DevToolsActivePort"
        for _ in range(300):
            if active.exists() and active.read_text().count("\n") >= 1:
                break
            assert process.poll() is None, "chromium exited"
            subprocess.run(["sleep", "0.1"], check=True)
        yield process, int(active.read_text().splitlines()[0])
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.asynccontextmanager
async def open_page(devtools_port: int) -> AsyncIterator[Page]:
    import httpx

    async with httpx.AsyncClient() as client:
        created = await client.put(f"http://127.0.0.1:{devtools_port}/json/new?about:blank")
    ws = await websockets.connect(created.json()["webSocketDebuggerUrl"], max_size=None)
    page = Page(ws)
    try:
        for domain in ("Page", "Runtime", "Network", "Log"):
            await page.send(f"{domain}.enable")
        yield page
    finally:
        await page.close()


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture(scope="module")
def vendor_installed() -> None:
    assert web.vendor_files() is not None, (
        "GraphiQL's files are not installed: `pip install -e .` fetches them, or"
        " `python -m shared.graphiql.assets`"
    )


async def run_in_graphiql(page: Page, url: str, query: str, headers: str) -> Any:
    """Open GraphiQL at `url`, type `query` and `headers` into its editors, press run and
    return the response pane's JSON."""
    await page.send("Page.navigate", url=url)
    await page.until("!!document.querySelector('.graphiql-execute-button')")
    editor = ".graphiql-query-editor .CodeMirror"
    await page.js(f"document.querySelector('{editor}').CodeMirror.execCommand('selectAll')")
    await page.js(f"document.querySelector('{editor}').CodeMirror.focus()")
    await page.send("Input.insertText", text=query)
    assert await page.js(f"document.querySelector('{editor}').CodeMirror.getValue()") == query
    # The Headers tab, then its editor.
    await page.js(
        "[...document.querySelectorAll('.graphiql-editor-tools button')]"
        ".find(b => b.textContent.trim() === 'Headers').click()"
    )
    headers_editor = await page.until(
        "(() => { const e = [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')]"
        ".find(e => !e.classList.contains('hidden') && e.querySelector('.CodeMirror'));"
        " if (!e) return null; e.querySelector('.CodeMirror').CodeMirror.setValue("
        f"{json.dumps(headers)}); return true; }})()"
    )
    assert headers_editor
    await page.js("document.querySelector('.graphiql-execute-button').click()")
    text = await page.until(
        "(() => { const r = document.querySelector('.graphiql-response .CodeMirror');"
        " const v = r && r.CodeMirror.getValue(); return v && v.trim() ? v : null; })()"
    )
    return json.loads(text)


def page_requests(proxy: RefusingProxy) -> list[str]:
    """What reached the proxy, less Chromium's own calls home (component updates,
    accounts), which no flag stops in every version and which no page makes."""
    return [r for r in proxy.requests if not CHROMIUM_SERVICES.search(r.split(" ")[1])]


CHROMIUM_SERVICES = re.compile(r"^(?:https?://)?[\w.-]*\b(?:google\.com|googleapis\.com)[:/]")


def assert_stayed_on(page: Page, base: str, proxy: RefusingProxy) -> None:
    """Every request of the page went to `base` (or was a data: URL), none reached the
    proxy, and the page logged no error (a CSP violation would be one)."""
    origin = urlsplit(base).netloc
    for url in page.requested_urls():
        assert urlsplit(url).scheme == "data" or urlsplit(url).netloc == origin, url
    assert page_requests(proxy) == []
    assert page.problems() == []


async def test_router_graphiql_works_offline(
    vendor_installed: None, runtime: Runtime, tenant: TenantHandle
) -> None:
    graph = build_graph()
    app = create_router_app(
        graph.composition.supergraph_sdl,
        in_process_transports(graph, runtime),
        settings=RouterSettings.for_mode(production=False),
    )
    async with RefusingProxy() as proxy, served(app) as base:
        with chromium(proxy.port) as (_, devtools):
            async with open_page(devtools) as page:
                answer = await run_in_graphiql(
                    page,
                    f"{base}/graphql",
                    "{ me { email tenant { slug } } }",
                    json.dumps({"Authorization": f"Bearer {tenant.token}"}),
                )
                await page.screenshot("router")
                assert answer == {
                    "data": {"me": {"email": tenant.admin_email, "tenant": {"slug": tenant.slug}}}
                }
                assert_stayed_on(page, base, proxy)
                assert f"{base}/graphiql/assets/graphiql.min.js" in {
                    u.split("?")[0] for u in page.requested_urls()
                }
                # The page's Content Security Policy stops a script calling elsewhere...
                blocked = await page.js(
                    "fetch('https://unpkg.com/graphiql@3/graphiql.min.js')"
                    ".then(() => 'loaded', () => 'failed')"
                )
                assert blocked == "failed"
                assert page_requests(proxy) == []
                assert any("Content Security Policy" in p for p in page.problems())
                # ...and the proxy sees what does leave: the test would see a CDN call.
                await page.send("Page.navigate", url="https://unpkg.com/graphiql@3/")
                await page.until("document.readyState === 'complete'")
                assert set(page_requests(proxy)) == {"CONNECT unpkg.com:443 HTTP/1.1"}


async def test_subgraph_graphiql_works_offline(
    vendor_installed: None, runtime: Runtime, tenant: TenantHandle
) -> None:
    from subgraphs.identity.app import create_app

    async with RefusingProxy() as proxy, served(create_app(runtime)) as base:
        with chromium(proxy.port) as (_, devtools):
            async with open_page(devtools) as page:
                answer = await run_in_graphiql(
                    page,
                    f"{base}/graphql",
                    "{ me { email } }",
                    json.dumps({"Authorization": f"Bearer {tenant.token}"}),
                )
                await page.screenshot("identity-subgraph")
                assert answer == {"data": {"me": {"email": tenant.admin_email}}}
                assert_stayed_on(page, base, proxy)
