"""The schema contract: `schema.graphql` is the composed API, and `nexo schema check`
names breaking changes against an earlier schema."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from nexo.cli import app
from nexo.contract import api_schema_sdl, check_against

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_current() -> None:
    assert (ROOT / "schema.graphql").read_text() == api_schema_sdl(), (
        "schema.graphql is stale: run `nexo schema export`"
    )


def test_check_names_breaking_and_dangerous_changes(tmp_path: Path) -> None:
    current = api_schema_sdl()
    older = tmp_path / "older.graphql"
    # The older API had a field clients may use, and a smaller enum.
    older.write_text(current.replace("type Query {", "type Query {\n  legacyReport: String", 1))
    breaking, _ = check_against(str(older))
    assert any("Query.legacyReport was removed" in b for b in breaking), breaking

    same = tmp_path / "same.graphql"
    same.write_text(current)
    assert check_against(str(same)) == ([], [])

    result = CliRunner().invoke(app, ["schema", "check", "--against", str(older)])
    assert result.exit_code == 1
    assert "legacyReport" in result.output
    ok = CliRunner().invoke(app, ["schema", "check", "--against", str(same)])
    assert ok.exit_code == 0, ok.output
