"""Small shared pieces of composition."""

from __future__ import annotations

import re
from collections.abc import Iterable

from router.subgraph_sdl import Subgraph

BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def join_version(subgraphs: Iterable[Subgraph]) -> str:
    """The join spec the subgraphs' federation versions call for, as composers emit it."""
    highest = max((s.federation_version for s in subgraphs), default=(2, 0))
    if highest >= (2, 8):
        return "0.5"
    return "0.4" if highest >= (2, 7) else "0.3"


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def enum_name(name: str) -> str:
    return re.sub(r"\W", "_", name).upper()
