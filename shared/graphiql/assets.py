"""GraphiQL's browser files, pinned: fetched from the npm registry, verified, kept locally.

Each package is pinned by version and by the `integrity` (sha512) the registry publishes
for its tarball; a tarball whose digest differs is refused before anything is unpacked.
Only the files named below are taken out of it, into `VENDOR_DIR` (git-ignored: no
third-party code is committed). `manifest.json`, written last, records the versions and
each file's sha256, so a half-written or stale directory never counts as installed.

The build hook (`hatch_build.py`) calls `fetch` during `pip install`; without network
the install goes on and the GraphiQL page says how to fetch them later:
`python -m shared.graphiql.assets`. Standard library only: the build hook loads this file
by path in pip's isolated build environment.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import io
import json
import shutil
import ssl
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(__file__).with_name("vendor")
MANIFEST = "manifest.json"
MAX_TARBALL_BYTES = 32 * 1024 * 1024
FETCH_COMMAND = "python -m shared.graphiql.assets"


@dataclass(frozen=True, slots=True)
class Package:
    name: str
    version: str
    integrity: str
    """The registry's `dist.integrity` of the tarball: `sha512-<base64 digest>`."""
    files: Mapping[str, str]
    """Path inside the tarball -> file name in the vendor directory."""

    def tarball_url(self, registry: str = REGISTRY) -> str:
        return f"{registry.rstrip('/')}/{self.name}/-/{self.name}-{self.version}.tgz"


# graphiql 3.x is the last line that ships a UMD bundle (graphiql.min.js, with React and
# ReactDOM as globals); react 18 is the last that ships UMD builds.
PACKAGES: tuple[Package, ...] = (
    Package(
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        {
            "package/umd/react.production.min.js": "react.production.min.js",
            "package/LICENSE": "react.LICENSE.txt",
        },
    ),
    Package(
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        {
            "package/umd/react-dom.production.min.js": "react-dom.production.min.js",
            "package/LICENSE": "react-dom.LICENSE.txt",
        },
    ),
    Package(
        "graphiql",
        "3.9.0",
        "sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA==",
        {
            "package/graphiql.min.js": "graphiql.min.js",
            "package/graphiql.min.css": "graphiql.min.css",
            "package/LICENSE": "graphiql.LICENSE.txt",
        },
    ),
)

Download = Callable[[str, float], bytes]


class AssetError(Exception):
    """The files could not be fetched, or what was fetched is not what is pinned."""


def pinned_versions(packages: tuple[Package, ...] = PACKAGES) -> dict[str, str]:
    return {p.name: p.version for p in packages}


def check_integrity(package: Package, data: bytes) -> None:
    algorithm, _, expected = package.integrity.partition("-")
    if algorithm != "sha512":
        raise AssetError(f"{package.name}: only sha512 integrity is accepted, not {algorithm}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if not hmac.compare_digest(actual, expected):
        raise AssetError(
            f"{package.name}@{package.version}: the tarball's sha512 is {actual},"
            f" not the pinned {expected}: refused"
        )


def unpack(package: Package, data: bytes, into: Path) -> dict[str, str]:
    """Write the package's pinned files from its (verified) tarball; name -> sha256."""
    written: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member_name, local_name in package.files.items():
            try:
                member = tar.getmember(member_name)
            except KeyError:
                raise AssetError(f"{package.name}: {member_name} is not in the tarball") from None
            source = tar.extractfile(member) if member.isfile() else None
            if source is None:
                raise AssetError(f"{package.name}: {member_name} is not a regular file")
            content = source.read()
            (into / local_name).write_bytes(content)
            written[local_name] = hashlib.sha256(content).hexdigest()
    return written


def downloader(cafile: str | None = None) -> Download:
    """Downloads over HTTPS, trusting `cafile` (e.g. pip's `PIP_CERT`, for a proxy that
    inspects TLS) or else the system's certificates."""
    context = ssl.create_default_context(cafile=cafile)

    def download(url: str, timeout: float) -> bytes:
        request = urllib.request.Request(url, headers={"accept": "application/octet-stream"})  # noqa: S310 (a registry URL)
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            data: bytes = response.read(MAX_TARBALL_BYTES + 1)
        if len(data) > MAX_TARBALL_BYTES:
            raise AssetError(f"{url} is larger than {MAX_TARBALL_BYTES} bytes")
        return data

    return download


def installed(
    directory: Path = VENDOR_DIR, packages: tuple[Package, ...] = PACKAGES
) -> dict[str, str] | None:
    """The vendor files (name -> sha256) if `directory` holds exactly the pinned versions,
    every file intact; None otherwise."""
    try:
        manifest: Any = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("packages") != pinned_versions(packages):
        return None
    files = manifest.get("files")
    expected = {name for p in packages for name in p.files.values()}
    if not isinstance(files, dict) or set(files) != expected:
        return None
    for name, digest in files.items():
        try:
            content = (directory / name).read_bytes()
        except OSError:
            return None
        if not hmac.compare_digest(hashlib.sha256(content).hexdigest(), str(digest)):
            return None
    return {str(k): str(v) for k, v in files.items()}


def fetch(
    directory: Path = VENDOR_DIR,
    *,
    registry: str = REGISTRY,
    timeout: float = 30.0,
    packages: tuple[Package, ...] = PACKAGES,
    download: Download | None = None,
) -> bool:
    """Make `directory` hold the pinned files; False if it did already. The directory is
    replaced whole once every tarball has been fetched and verified; on any failure it is
    left as it was and AssetError (or OSError) says why."""
    if installed(directory, packages) is not None:
        return False
    download = download or downloader()
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".graphiql-", dir=directory.parent))
    try:
        files: dict[str, str] = {}
        for package in packages:
            url = package.tarball_url(registry)
            try:
                data = download(url, timeout)
            except OSError as exc:
                raise AssetError(f"could not download {url}: {exc}") from exc
            check_integrity(package, data)
            files |= unpack(package, data, staging)
        manifest = {"packages": pinned_versions(packages), "files": files}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp's 0700 would hide it from a server run as another user
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        staging.rename(directory)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=FETCH_COMMAND, description="Fetch GraphiQL's pinned, verified browser files."
    )
    parser.add_argument("--registry", default=REGISTRY, help="an npm registry (or mirror)")
    parser.add_argument("--directory", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    pins = ", ".join(f"{p.name}@{p.version}" for p in PACKAGES)
    try:
        fetched = fetch(args.directory, registry=args.registry)
    except (AssetError, OSError) as exc:
        print(f"GraphiQL's files were not fetched: {exc}", file=sys.stderr)
        return 1
    done = "fetched and verified" if fetched else "already installed"
    print(f"{done}: {pins} in {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
