"""The `nexo` command starts light: `--help` and the administrative commands do not load
the GraphQL machinery, the web server or (for help) the database toolkit; each command
imports what it needs when it runs. Checked by the modules a fresh interpreter loaded,
not by the clock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MigratedDatabase

ROOT = Path(__file__).resolve().parents[2]

RUN = """
import sys
from nexo.cli import app
try:
    app({argv!r})
except SystemExit as exc:
    print("EXIT", exc.code)
print("MODULES", " ".join(sorted(sys.modules)))
"""

WEB = {"strawberry", "graphql", "uvicorn", "starlette", "router", "prometheus_client"}


def _loaded(argv: list[str], env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", RUN.format(argv=argv)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert "EXIT 0" in lines, done.stdout + done.stderr
    modules = next(line for line in lines if line.startswith("MODULES ")).split()[1:]
    return done.stdout, {m.split(".")[0] for m in modules}


@pytest.mark.parametrize("argv", [["--help"], ["serve", "--help"], ["keys", "list", "--help"]])
def test_help_and_light_commands_load_neither_graphql_nor_the_database_toolkit(
    argv: list[str],
) -> None:
    _, top = _loaded(argv)
    assert not top & (WEB | {"sqlalchemy", "asyncpg", "alembic", "subgraphs", "asyncio"})


def test_keys_list_loads_the_database_but_not_the_graph_or_the_web_server(
    test_db: MigratedDatabase,
) -> None:
    out, top = _loaded(
        ["keys", "list"],
        {"DATABASE_URL": test_db.owner.render_as_string(hide_password=False)},
    )
    assert "kid" in out  # the table of keys was printed
    assert "sqlalchemy" in top
    assert not top & {"strawberry", "graphql", "uvicorn", "router"}


def test_the_default_port_is_the_routers() -> None:
    from nexo import cli
    from subgraphs.registry import ROUTER_PORT

    assert cli.ROUTER_PORT == ROUTER_PORT
