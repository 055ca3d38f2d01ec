"""GraphiQL's files: fetched only as pinned (sha512), unpacked only as named, served only
from this app; the page names no other server and says how to install what is missing."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import re
import tarfile
from pathlib import Path

import httpx
import pytest
import strawberry
from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphiql import assets, web
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import build_schema


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


FAKE_JS = tarball({"package/x.js": b"console.log(1)", "package/other.js": b"evil()"})
FAKE_CSS = tarball({"package/x.css": b"body{}"})
PACKAGES = (
    assets.Package("fake-js", "1.0.0", integrity(FAKE_JS), {"package/x.js": "x.js"}),
    assets.Package("fake-css", "2.0.0", integrity(FAKE_CSS), {"package/x.css": "x.css"}),
)
REGISTRY = {
    "https://registry.test/fake-js/-/fake-js-1.0.0.tgz": FAKE_JS,
    "https://registry.test/fake-css/-/fake-css-2.0.0.tgz": FAKE_CSS,
}


def serving(tarballs: dict[str, bytes], asked: list[str] | None = None) -> assets.Download:
    def download(url: str, timeout: float) -> bytes:
        if asked is not None:
            asked.append(url)
        try:
            return tarballs[url]
        except KeyError:
            raise OSError("unreachable") from None

    return download


def fetch(directory: Path, download: assets.Download) -> bool:
    return assets.fetch(
        directory, registry="https://registry.test/", packages=PACKAGES, download=download
    )


def test_fetch_verifies_unpacks_the_named_files_and_records_them(tmp_path: Path) -> None:
    target = tmp_path / "vendor"
    asked: list[str] = []
    assert fetch(target, serving(REGISTRY, asked)) is True
    assert asked == list(REGISTRY)
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "x.css", "x.js"]
    assert (target / "x.js").read_bytes() == b"console.log(1)"
    assert assets.installed(target, PACKAGES) == {
        "x.js": hashlib.sha256(b"console.log(1)").hexdigest(),
        "x.css": hashlib.sha256(b"body{}").hexdigest(),
    }
    # Installed already: nothing is downloaded again.
    assert fetch(target, serving({}, asked)) is False
    assert len(asked) == 2


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    target = tmp_path / "vendor"
    tampered = {**REGISTRY, "https://registry.test/fake-css/-/fake-css-2.0.0.tgz": FAKE_JS}
    with pytest.raises(assets.AssetError, match=r"fake-css@2\.0\.0: the tarball's sha512"):
        fetch(target, serving(tampered))
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no staging directory left behind

    assert fetch(target, serving(REGISTRY))
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    (target / "x.js").write_bytes(b"changed")
    assert assets.installed(target, PACKAGES) is None  # a changed file is not installed
    with pytest.raises(assets.AssetError, match="could not download"):
        fetch(target, serving({}))
    assert (target / "x.js").read_bytes() == b"changed"  # left as it was
    assert fetch(target, serving(REGISTRY))
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_only_sha512_integrity_and_named_regular_files(tmp_path: Path) -> None:
    weak = dataclasses.replace(PACKAGES[0], integrity="sha1-" + "A" * 28)
    with pytest.raises(assets.AssetError, match="only sha512"):
        assets.check_integrity(weak, FAKE_JS)
    missing = dataclasses.replace(PACKAGES[0], files={"package/absent.js": "absent.js"})
    with pytest.raises(assets.AssetError, match="not in the tarball"):
        assets.unpack(missing, FAKE_JS, tmp_path)
    linked = io.BytesIO()
    with tarfile.open(fileobj=linked, mode="w:gz") as tar:
        link = tarfile.TarInfo("package/x.js")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(assets.AssetError, match="not a regular file"):
        assets.unpack(PACKAGES[0], linked.getvalue(), tmp_path)


def test_other_pins_are_not_installed(tmp_path: Path) -> None:
    target = tmp_path / "vendor"
    fetch(target, serving(REGISTRY))
    bumped = (dataclasses.replace(PACKAGES[0], version="1.0.1"), PACKAGES[1])
    assert assets.installed(target, bumped) is None


def test_the_pins() -> None:
    """Exact versions, sha512 integrity, the UMD builds GraphiQL's page needs."""
    for package in assets.PACKAGES:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package.version), package
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package.integrity), package
    names = {name for p in assets.PACKAGES for name in p.files.values()}
    assert {*web.SCRIPTS, web.STYLESHEET} <= names
    assert assets.PACKAGES[0].tarball_url() == (
        "https://registry.npmjs.org/react/-/react-18.3.1.tgz"
    )


def test_the_fetch_command_reports_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = assets.main(["--registry", "http://127.0.0.1:9", "--directory", str(tmp_path / "v")])
    assert code == 1
    assert "GraphiQL's files were not fetched: could not download" in capsys.readouterr().err


# --- the page and its routes ------------------------------------------------


@pytest.fixture
def no_vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path / "vendor")
    return tmp_path / "vendor"


@pytest.fixture
def vendor(no_vendor: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand-in vendor files, fetched and verified as the real ones are (those are the
    browser test's)."""
    files = {f"package/{n}": f"/* {n} */".encode() for n in (*web.SCRIPTS, web.STYLESHEET)}
    data = tarball(files)
    fake = assets.Package("fake", "1.0.0", integrity(data), {f: f[8:] for f in files})
    monkeypatch.setattr(assets, "PACKAGES", (fake,))
    assert assets.fetch(no_vendor, packages=(fake,), download=lambda *_: data)
    return no_vendor


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://nexo")


def local_urls(page: str) -> list[str]:
    urls = [u for u in re.findall(r'(?:src|href)="([^"]+)"', page) if u != "data:,"]
    assert urls  # "data:," is the empty favicon (no request for /favicon.ico)
    for url in urls:
        assert not re.match(r"^(?:[a-z]+:)?//", url), url  # neither absolute nor host-relative
        assert url.startswith(f"{web.ASSETS_PATH.lstrip('/')}/"), url
    return urls


def test_missing_files_give_a_page_that_says_how_to_fetch_them(no_vendor: Path) -> None:
    response = web.graphiql_response()
    assert response.status_code == 503
    page = bytes(response.body).decode()
    assert "GraphiQL is not installed on this server" in page
    assert "python -m shared.graphiql.assets" in page
    assert "<script" not in page
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


@pytest.fixture
def demo_app(runtime: Runtime) -> Starlette:
    @strawberry.type
    class Query:
        hello: str = "world"

    return create_subgraph_app(name="demo", schema=build_schema(query=Query), runtime=runtime)


async def test_a_subgraph_serves_our_graphiql_and_its_files(
    vendor: Path, demo_app: Starlette
) -> None:
    async with client(demo_app) as c:
        page = await c.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == web.CONTENT_SECURITY_POLICY
        urls = local_urls(page.text)
        assert "unpkg" not in page.text and "jsdelivr" not in page.text
        for url in urls:
            asset = await c.get(f"/{url}")
            assert asset.status_code == 200, url
            assert asset.headers["x-content-type-options"] == "nosniff"
        js = await c.get("/graphiql/assets/graphiql.min.js")
        assert js.headers["content-type"] == "text/javascript; charset=utf-8"
        assert js.content == b"/* graphiql.min.js */"
        start = await c.get("/graphiql/assets/nexo-graphiql.js")
        assert b"GraphiQL.createFetcher" in start.content
        for name in ("manifest.json", "..%2Fweb.py", "nope.js"):
            assert (await c.get(f"/graphiql/assets/{name}")).status_code == 404, name
        assert (await c.get("/graphiql/assets/../web.py")).status_code == 404


async def test_a_production_subgraph_has_no_graphiql(vendor: Path, runtime: Runtime) -> None:
    @strawberry.type
    class Query:
        hello: str = "world"

    production = dataclasses.replace(
        runtime, settings=dataclasses.replace(runtime.settings, env="production")
    )
    app = create_subgraph_app(name="demo", schema=build_schema(query=Query), runtime=production)
    async with client(app) as c:
        page = await c.get("/graphql", headers={"accept": "text/html"})
        assert "GraphiQL" not in page.text
        assert (await c.get("/graphiql/assets/graphiql.min.js")).status_code == 404


def test_page_config_cannot_close_its_script_tag() -> None:
    assert "</script>" not in web._json_for_script({"x": "</script><script>alert(1)"})
