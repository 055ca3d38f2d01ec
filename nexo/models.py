"""Imports every domain's tables so the metadata is complete (alembic, tests)."""

from __future__ import annotations

import importlib


def load_models() -> None:
    from subgraphs.registry import SUBGRAPHS

    importlib.import_module("shared.outbox")
    importlib.import_module("shared.idempotency")
    importlib.import_module("shared.audit")
    importlib.import_module("shared.search")
    for spec in SUBGRAPHS:
        importlib.import_module(f"{spec.module}.models")
