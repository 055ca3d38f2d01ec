"""The GraphiQL page and its files, served by the app itself: the page names only URLs of
this server (relative ones, so a reverse proxy's path prefix is kept), and its Content
Security Policy lets the browser load nothing from anywhere else.

Used by the router's app and by every subgraph's app. Without the vendor files (an
install that could not reach the npm registry) the page says how to fetch them.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from shared.graphiql import assets

ASSETS_PATH = "/graphiql/assets"
START_SCRIPT = Path(__file__).with_name("start.js")
START_NAME = "nexo-graphiql.js"
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
STYLESHEET = "graphiql.min.css"
DEFAULT_HEADERS = '{"Authorization": "Bearer "}'

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        # React and CodeMirror set style attributes; GraphiQL's fonts are data: URLs.
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
_PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}

_verified: dict[Path, dict[str, str]] = {}


def vendor_files() -> dict[str, str] | None:
    """The verified vendor files (name -> sha256), or None while they are missing.
    Checked again on each call until found, so fetching them needs no restart."""
    directory = assets.VENDOR_DIR
    found = _verified.get(directory)
    if found is None:
        found = assets.installed(directory, assets.PACKAGES)
        if found is not None:
            _verified[directory] = found
    return found


@cache
def _start_script_digest() -> str:
    return hashlib.sha256(START_SCRIPT.read_bytes()).hexdigest()


def _asset_url(name: str, digest: str) -> str:
    # Relative to the GraphQL endpoint's URL (`/graphql`): `/graphiql/assets/<name>`.
    return f"{ASSETS_PATH.lstrip('/')}/{name}?v={digest[:12]}"


def _json_for_script(value: object) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def graphiql_page(files: dict[str, str], *, headers_editor: bool = True) -> str:
    config = {"isHeadersEditorEnabled": headers_editor, "defaultHeaders": DEFAULT_HEADERS}
    scripts = "\n".join(
        f'<script src="{_asset_url(name, files[name])}"></script>' for name in SCRIPTS
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NEXO GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{_asset_url(STYLESHEET, files[STYLESHEET])}">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head><body>
<div id="graphiql">Loading GraphiQL&hellip;</div>
<script type="application/json" id="nexo-graphiql-config">{_json_for_script(config)}</script>
{scripts}
<script src="{_asset_url(START_NAME, _start_script_digest())}"></script>
</body></html>
"""


def missing_page() -> str:
    pins = ", ".join(f"{p.name} {p.version}" for p in assets.PACKAGES)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NEXO GraphiQL: not installed</title>
<link rel="icon" href="data:,">
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 44em; margin: 3em auto; }}
code, pre {{ background: #f3f3f3; padding: 0.1em 0.3em; }}</style></head><body>
<h1>GraphiQL is not installed on this server</h1>
<p>NEXO serves GraphiQL's files itself ({pins}), so that this page works without
internet access. They are fetched from the npm registry, pinned and checked against their
published sha512, when NEXO is installed; this installation could not fetch them.</p>
<p>On the server, with access to the npm registry, run (with NEXO's Python, e.g.
<code>.venv/bin/python</code>):</p>
<pre>{assets.FETCH_COMMAND}</pre>
<p>or install NEXO again (<code>pip install -e .</code>), then reload this page.</p>
<p>The GraphQL endpoint works meanwhile: POST queries as JSON to this URL.</p>
</body></html>
"""


def graphiql_response(*, headers_editor: bool = True) -> Response:
    """GraphiQL, or (503) the page that says how to install its files."""
    files = vendor_files()
    if files is None:
        return HTMLResponse(missing_page(), 503, headers=_PAGE_HEADERS)
    return HTMLResponse(graphiql_page(files, headers_editor=headers_editor), headers=_PAGE_HEADERS)


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name == START_NAME:
        path = START_SCRIPT
    else:
        files = vendor_files()
        if files is None or name not in files:
            return PlainTextResponse("Not Found", 404)
        path = assets.VENDOR_DIR / name
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        headers={"cache-control": "public, max-age=86400", "x-content-type-options": "nosniff"},
    )


def assets_route() -> Route:
    """`/graphiql/assets/<name>`: only the verified vendor files and NEXO's start script."""
    return Route(f"{ASSETS_PATH}/{{name}}", _asset, methods=["GET", "HEAD"])
