"""NEXO's supergraph for a deployment: the subgraphs composed with the URLs where that
deployment serves them, for our router (`nexo router --supergraph`), Hive Gateway or
Apollo Router.

    python -m nexo.supergraph --url 'http://{name}:{port}/graphql' --output supergraph.graphql

`{name}` and `{port}` are each subgraph's name and port from `subgraphs.registry`; the
image bakes this in with compose's service names (identity, crm, ...) as hosts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

DEFAULT_URL = "http://127.0.0.1:{port}/graphql"


def supergraph_sdl(url: str = DEFAULT_URL, *, urls: Mapping[str, str] | None = None) -> str:
    """The composed supergraph; each subgraph at `url` filled in, or at `urls[name]`."""
    from nexo.graph import subgraph_sdl
    from router.compose import compose
    from subgraphs.registry import SUBGRAPHS

    composition = compose(
        [
            {
                "name": spec.name,
                "url": (urls or {}).get(spec.name) or url.format(name=spec.name, port=spec.port),
                "sdl": subgraph_sdl(spec.build_schema()),
            }
            for spec in SUBGRAPHS
        ]
    )
    return composition.supergraph_sdl


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nexo.supergraph", description=__doc__)
    parser.add_argument("--url", default=DEFAULT_URL, help="template with {name} and {port}")
    parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    sdl = supergraph_sdl(args.url)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(sdl)
    else:
        sys.stdout.write(sdl)


if __name__ == "__main__":
    main()
