"""Build hook: GraphiQL's pinned npm files, fetched and verified while NEXO is installed
(`pip install -e .` or a wheel build), so GraphiQL works without internet later.

The work is `shared/graphiql/assets.py`'s (loaded by path: pip's isolated build
environment has only hatchling). An install without network still succeeds; the
GraphiQL page then says how to fetch the files (`python -m shared.graphiql.assets`).
`npm_config_registry` (npm's own variable) points at a mirror, integrity checked all the
same; `PIP_CERT` (pip's) names the CA bundle of a proxy that inspects TLS.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ASSETS_MODULE = "shared/graphiql/assets.py"


def _load_assets(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("_nexo_graphiql_assets", root / ASSETS_MODULE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


class GraphiQLAssetsHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return  # an sdist carries the pins, not the files
        root = Path(self.root)
        assets = _load_assets(root)
        directory: Path = assets.VENDOR_DIR
        # npm reads its variables in either case.
        registry = (
            os.environ.get("npm_config_registry")  # noqa: SIM112
            or os.environ.get("NPM_CONFIG_REGISTRY")
            or assets.REGISTRY
        )
        try:
            download = assets.downloader(os.environ.get("PIP_CERT") or None)
            if assets.fetch(directory, registry=registry, download=download):
                self.app.display_info(f"GraphiQL: fetched and verified into {directory}")
        except (assets.AssetError, OSError) as exc:
            self.app.display_warning(
                f"GraphiQL's files were not fetched ({exc}); NEXO works without them, and"
                f" `{assets.FETCH_COMMAND}` fetches them later"
            )
            return
        if version == "standard":
            # The vendor directory is git-ignored, which hatchling's file selection honours.
            relative = directory.relative_to(root).as_posix()
            for path in sorted(directory.iterdir()):
                build_data["force_include"][str(path)] = f"{relative}/{path.name}"
