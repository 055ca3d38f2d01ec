"""The hosted CI workflow and .ci/run call the same scripts, so they cannot drift; each
script does the step it is named for; the README's test command is the one CI runs."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = re.compile(r"(?<![\w/.])\.ci/([\w-]+)")
STEPS = {
    "setup": ["python3 -m venv .venv", "pip install --quiet -e '.[test]'"],
    "lint": ["ruff check .", "ruff format --check ."],
    "types": ["mypy"],
    "contracts": ["lint-imports"],
    "migrations": ["nexo migrate", "alembic check"],
    "deploy": ["config --quiet", "promtool", "amtool check-config"],
    "schema-check": ["nexo schema check --against"],
    "tests": ["npm ci", ".venv/bin/pytest", "coverage report --fail-under"],
    "image": ["docker build", '"$tag" --help', "hadolint Dockerfile"],
}
"""Each CI step, the script that does it, and what the script must run."""


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    return loaded


def run_scripts() -> list[str]:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return [
        m for line in text.splitlines() if not line.startswith("#") for m in SCRIPT.findall(line)
    ]


def workflow_steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def workflow_scripts(workflow: dict[Any, Any]) -> list[str]:
    return [m for step in workflow_steps(workflow) for m in SCRIPT.findall(step.get("run", ""))]


def test_workflow_is_valid_yaml_with_triggers_and_jobs(workflow: dict[Any, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert set(workflow["jobs"]) == {"checks", "schema", "image"}
    for job in workflow["jobs"].values():
        assert job["runs-on"].startswith("ubuntu")
        assert job["steps"][0]["uses"].startswith("actions/checkout@")


def test_run_and_workflow_call_the_same_scripts(workflow: dict[Any, Any]) -> None:
    assert set(run_scripts()) == set(workflow_scripts(workflow)) == set(STEPS)


def test_run_is_only_the_scripts_in_order() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    body = [line for line in lines if line not in {"set -euo pipefail", 'cd "$(dirname "$0")/.."'}]
    assert all(line.startswith(".ci/") for line in body), body
    assert run_scripts() == [
        "setup",
        "lint",
        "types",
        "contracts",
        "migrations",
        "deploy",
        "schema-check",
        "tests",
        "image",
    ]


def test_workflow_runs_the_steps_in_the_same_order_within_a_job(workflow: dict[Any, Any]) -> None:
    order = run_scripts()
    for job in workflow["jobs"].values():
        called = [m for step in job["steps"] for m in SCRIPT.findall(step.get("run", ""))]
        assert called == sorted(called, key=order.index)
        assert called[0] == "setup"


@pytest.mark.parametrize("name", sorted(STEPS))
def test_each_script_does_its_step(name: str) -> None:
    path = ROOT / ".ci" / name
    assert os.access(path, os.X_OK), f"{path} is not executable"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    for needle in STEPS[name]:
        assert needle in text, f".ci/{name} does not run {needle!r}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    command = block.split("# 2. run the tests\n", 1)[1].splitlines()[0].strip()
    assert (
        command == "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    )
    assert command in (ROOT / ".ci" / "tests").read_text(encoding="utf-8")


def test_readme_quotes_the_coverage_floor() -> None:
    tests = (ROOT / ".ci" / "tests").read_text(encoding="utf-8")
    floor = re.search(r"(?m)^COVERAGE_FLOOR=(\d+)$", tests)
    assert floor
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"floor {floor.group(1)}%" in readme


def test_pull_requests_get_the_schema_check_against_the_base_branch(
    workflow: dict[Any, Any],
) -> None:
    job = workflow["jobs"]["schema"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["permissions"]["pull-requests"] == "write"
    check = next(s for s in job["steps"] if s.get("id") == "check")
    assert check["run"] == '.ci/schema-check "origin/${{ github.base_ref }}"'
    assert check["env"]["NEXO_SCHEMA_REPORT"] == "schema-check.md"
    comment = next(s for s in job["steps"] if "github-script" in s.get("uses", ""))
    assert "steps.check.outputs.breaking" in comment["if"]
    assert "createComment" in comment["with"]["script"]
    assert job["steps"][0]["with"]["fetch-depth"] == 0


def test_the_coverage_report_is_kept(workflow: dict[Any, Any]) -> None:
    upload = next(
        s for s in workflow["jobs"]["checks"]["steps"] if "upload-artifact" in s.get("uses", "")
    )
    assert upload["with"]["path"] == "htmlcov"


@pytest.mark.slow
def test_schema_check_reports_breaking_changes_for_the_comment(tmp_path: Path) -> None:
    """.ci/schema-check against a schema with one more field: exit 1, the Markdown report
    the pull-request comment posts, and the step output the workflow reads."""
    schema = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert "type Query {" in schema
    base = tmp_path / "base.graphql"
    base.write_text(schema.replace("type Query {", "type Query {\n  retiredField: String", 1))
    report, output = tmp_path / "report.md", tmp_path / "github-output"
    env = {**os.environ, "NEXO_SCHEMA_REPORT": str(report), "GITHUB_OUTPUT": str(output)}
    result = subprocess.run(
        [str(ROOT / ".ci" / "schema-check"), str(base)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    text = report.read_text()
    assert "**Breaking changes**" in text
    assert "- FIELD_REMOVED: Field Query.retiredField was removed." in text
    assert output.read_text() == "breaking=true\n"
    allowed = subprocess.run(
        [str(ROOT / ".ci" / "schema-check"), str(base)],
        env={**env, "NEXO_ALLOW_BREAKING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert allowed.returncode == 0
