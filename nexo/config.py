"""The configuration as an operator sees it: `nexo config show` and the generated reference.

`python -m nexo.config > docs/configuration.md` regenerates the reference from
`shared.settings.VARIABLES`; a test fails when the page is stale.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Mapping

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from shared.settings import (
    ALL_VARIABLES,
    NOTIFICATIONS,
    ROUTER_FLAGS,
    ROUTER_LIMITS,
    ROUTER_SUPERGRAPH,
    VARIABLES,
    ConfigurationError,
    Variable,
    development_defaults,
    load_settings,
    raw_value,
    source_of,
)

MASK = "****"

GROUPS: tuple[tuple[str, tuple[Variable, ...]], ...] = (
    ("Process", VARIABLES),
    ("Router", ROUTER_FLAGS + ROUTER_SUPERGRAPH + ROUTER_LIMITS),
    ("Notifications", NOTIFICATIONS),
)


def reader_defaults() -> dict[str, str]:
    """The defaults of variables another module parses, as that module declares them."""
    found: dict[str, str] = {}
    try:
        limits = importlib.import_module("router.limits")
    except ImportError:
        pass
    else:
        for field in dataclasses.fields(limits.OperationLimits):
            value = "off" if field.default is None else str(field.default)
            found[f"NEXO_LIMIT_{field.name.upper()}"] = value
    try:
        notifications = importlib.import_module("subgraphs.notifications.config")
    except ImportError:
        pass
    else:
        for name, (default, _) in notifications.VARIABLES.items():
            found[name] = default
    return found


def _default_doc(variable: Variable, defaults: Mapping[str, str]) -> str:
    if variable.default_doc:
        return variable.default_doc
    value = defaults.get(variable.name)
    return f"`{value}`" if value else "unset"


def mask(variable: Variable, value: str | None) -> str:
    """A secret's value as shown: a URL keeps everything but its password."""
    if value is None:
        return ""
    if not variable.secret:
        return value
    if "://" in value:
        try:
            url = make_url(value)
        except ArgumentError:
            return MASK
        if any("password" in key.lower() for key in url.query):
            return MASK
        return url.render_as_string(hide_password=True).replace("***", MASK)
    return MASK


def show(environ: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """The effective configuration as `NAME=value  # source` lines (secrets masked), then
    the development defaults in force; and whether production would refuse to start."""
    env = os.environ if environ is None else environ
    lines: list[str] = []
    width = max(len(v.name) for v in ALL_VARIABLES)
    defaults = reader_defaults()
    for variable in ALL_VARIABLES:
        try:
            value = raw_value(variable.name, env)
            if value is None:
                value = defaults.get(variable.name)
            shown = mask(variable, value) or "(unset)"
        except ConfigurationError as exc:
            shown = f"<{exc.problems[0]}>"
        source = source_of(variable.name, env)
        lines.append(f"{variable.name:<{width}} = {shown}  # {source}")
    try:
        settings = load_settings(env)
    except ConfigurationError as exc:
        lines += ["", str(exc)]
        return "\n".join(lines) + "\n", True
    found = development_defaults(settings, env)
    refused = settings.production and bool(found)
    if found:
        head = (
            "NEXO_ENV=production refuses to start with these development defaults:"
            if settings.production
            else "development defaults in use (NEXO_ENV=production would refuse them):"
        )
        lines += ["", head, *(f"  - {p}" for p in found)]
    return "\n".join(lines) + "\n", refused


def reference_markdown() -> str:
    """docs/configuration.md: every variable, its default and meaning."""
    rows = [
        "# Configuration",
        "",
        "Generated from `shared/settings.py` (`python -m nexo.config > docs/configuration.md`);",
        "a test fails when this page is stale. `nexo config show` prints the effective",
        "values, secrets masked. A secret of the process settings (marked below) may instead",
        "be read from the file named by `<NAME>_FILE`, e.g.",
        "`NEXO_APP_PASSWORD_FILE=/run/secrets/nexo_app_password` (a Docker secret).",
        "",
    ]
    defaults = reader_defaults()
    for title, variables in GROUPS:
        readers = sorted({v.reader for v in variables})
        rows += [
            f"## {title}",
            "",
            f"Read by {', '.join(f'`{r}`' for r in readers)}.",
            "",
            "| variable | default | meaning |",
            "|---|---|---|",
        ]
        for v in variables:
            name = f"`{v.name}`" + (" (secret)" if v.secret else "")
            rows.append(f"| {name} | {_default_doc(v, defaults)} | {v.meaning} |")
        rows.append("")
    rows += [
        "## Production mode",
        "",
        "With `NEXO_ENV=production` every command that reads the process settings",
        "(`serve`, `subgraph`, `migrate`, `seed`, `keys`, `stock verify`) refuses to start,",
        "exit status 2, while a development default is in force, and names each one:",
        "",
        "- `DATABASE_URL` unset (the embedded PostgreSQL);",
        "- the default `NEXO_APP_PASSWORD`;",
        "- `NEXO_SIGNING_KEYS=generate`, the development signing-key source;",
        "- open sign-up by default (`NEXO_SIGNUP` unset; `NEXO_SIGNUP=open` keeps it open);",
        "- `NEXO_DEV` on.",
        "",
        "`nexo config show` lists them too, and exits 1 when production would refuse.",
        "",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(reference_markdown(), end="")
