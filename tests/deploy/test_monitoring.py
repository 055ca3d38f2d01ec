"""Prometheus, Alertmanager, Grafana, Loki and Alloy configuration: valid where the real
tools are installed (promtool, amtool: .ci/deploy installs them), and consistent with
NEXO's metrics and compose.yml everywhere."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
METRIC = re.compile(r"\bnexo_[a-z_]+")
DECLARED = re.compile(
    r"(?:Counter|Histogram|Gauge|Summary)(?:MetricFamily)?\(\s*\"(nexo_[a-z_]+)\""
)


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def declared_metrics() -> set[str]:
    """Every series name NEXO's code exports (counters get `_total`, histograms their
    `_bucket`, `_count` and `_sum`)."""
    names: set[str] = set()
    for package in ("shared", "router", "subgraphs", "nexo"):
        for path in (ROOT / package).rglob("*.py"):
            for name in DECLARED.findall(path.read_text(encoding="utf-8")):
                base = name.removesuffix("_total")
                names |= {base, f"{base}_total", f"{base}_bucket", f"{base}_count", f"{base}_sum"}
    return names


def test_alerts_and_dashboards_use_metrics_nexo_exports() -> None:
    known = declared_metrics()
    assert "nexo_router_requests_total" in known and "nexo_http_requests_total" in known
    used = set(METRIC.findall((DEPLOY / "prometheus" / "rules" / "nexo.yml").read_text()))
    for dashboard in (DEPLOY / "grafana" / "dashboards").glob("*.json"):
        used |= set(METRIC.findall(dashboard.read_text()))
    assert used and used <= known, used - known


def test_every_alert_has_severity_and_text() -> None:
    groups = _yaml(DEPLOY / "prometheus" / "rules" / "nexo.yml")["groups"]
    alerts = [rule for group in groups for rule in group["rules"]]
    assert len(alerts) >= 5
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]


def test_prometheus_scrapes_every_nexo_http_service() -> None:
    config = _yaml(DEPLOY / "prometheus" / "prometheus.yml")
    targets = {
        (name, sd["port"])
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
        for name in sd["names"]
    }
    compose = _yaml(ROOT / "compose.yml")["services"]
    expected = {
        (name, int(service["environment"]["NEXO_HEALTH_PORT"]))
        for name, service in compose.items()
        if "NEXO_HEALTH_PORT" in (service.get("environment") or {})
    }
    assert targets == expected
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager:9093"
    ]


def test_grafana_provisioning_matches_compose() -> None:
    sources = _yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "nexo.yml")
    urls = {d["uid"]: d["url"] for d in sources["datasources"]}
    assert urls == {
        "prometheus": "http://prometheus:9090",
        "loki": "http://loki:3100",
        "alertmanager": "http://alertmanager:9093",
    }
    provider = _yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "nexo.yml")
    path = provider["providers"][0]["options"]["path"]
    volumes = _yaml(ROOT / "compose.yml")["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in volumes
    for dashboard in (DEPLOY / "grafana" / "dashboards").glob("*.json"):
        board = json.loads(dashboard.read_text())
        assert board["uid"] and board["panels"]
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] in urls, panel["title"]
            assert panel["targets"], panel["title"]


def test_logs_reach_loki() -> None:
    loki = _yaml(DEPLOY / "loki" / "loki.yml")
    assert loki["server"]["http_listen_port"] == 3100
    alloy = (DEPLOY / "alloy" / "config.alloy").read_text()
    assert 'url = "http://loki:3100/loki/api/v1/push"' in alloy
    assert "loki.source.docker" in alloy
    volumes = _yaml(ROOT / "compose.yml")["services"]["alloy"]["volumes"]
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in volumes
    # Braces balance: a cheap syntax check where Alloy itself is not installed.
    assert alloy.count("{") == alloy.count("}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (.ci/deploy installs it)")
    return found


def _ok(*command: str) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_config_and_the_rules_pass_their_tests() -> None:
    promtool = _tool("promtool")
    _ok(promtool, "check", "config", "deploy/prometheus/prometheus.yml")
    _ok(promtool, "test", "rules", "deploy/prometheus/tests/nexo.test.yml")


def test_amtool_accepts_the_alertmanager_config() -> None:
    _ok(_tool("amtool"), "check-config", "deploy/alertmanager/alertmanager.yml")


# --- alerts, runbooks, dashboards as code (docs/metrics.md, docs/runbooks/) -------------

RUNBOOKS = ROOT / "docs" / "runbooks"
LOKI_RULES = DEPLOY / "loki" / "rules" / "fake" / "nexo.yml"


def _rules(path: Path) -> list[dict[str, Any]]:
    return [rule for group in _yaml(path)["groups"] for rule in group["rules"]]


def test_the_issue_s_alerts_exist() -> None:
    names = {rule["alert"] for rule in _rules(DEPLOY / "prometheus" / "rules" / "nexo.yml")}
    assert {
        "NexoTargetDown",
        "NexoHttpServerErrors",
        "NexoRouterSlow",
        "NexoHighCpu",
        "NexoHighMemory",
        "NexoDiskFull",
        "NexoSubgraphFetchErrors",
        "NexoOutboxBacklog",
        "NexoDeadLetters",
        "NexoStockLedgerMismatch",
        "NexoLoginFailureSpike",
    } <= names


def test_every_alert_links_an_existing_runbook_and_every_runbook_is_linked() -> None:
    rules = _rules(DEPLOY / "prometheus" / "rules" / "nexo.yml") + _rules(LOKI_RULES)
    linked = set()
    for rule in rules:
        url = rule["annotations"]["runbook_url"]
        assert url.startswith("docs/runbooks/") and (ROOT / url).is_file(), rule["alert"]
        linked.add(Path(url).name)
        index = (RUNBOOKS / "README.md").read_text()
        assert rule["alert"] in index, f"{rule['alert']} is missing from the runbook index"
    pages = {p.name for p in RUNBOOKS.glob("*.md")} - {"README.md"}
    assert pages == linked


def test_every_prometheus_alert_is_tested_firing_and_not_firing() -> None:
    names = {rule["alert"] for rule in _rules(DEPLOY / "prometheus" / "rules" / "nexo.yml")}
    tests = _yaml(DEPLOY / "prometheus" / "tests" / "nexo.test.yml")["tests"]
    fired: set[str] = set()
    silent: set[str] = set()
    for case in tests:
        for check in case.get("alert_rule_test", []):
            (fired if check["exp_alerts"] else silent).add(check["alertname"])
    assert fired == names, names - fired
    # Silent: in a check of its own, or beside the alerts that fired (a healthy series
    # in the same input that is absent from exp_alerts).
    assert names - silent <= {"NexoSubgraphFetchErrors", "NexoHttpServerErrors"} | silent


def test_loki_rules_are_in_the_ruler_format() -> None:
    rules = _rules(LOKI_RULES)
    assert len(rules) >= 3
    for rule in rules:
        assert rule["alert"].startswith("Nexo") and "{" in rule["expr"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
    loki = _yaml(DEPLOY / "loki" / "loki.yml")
    assert loki["ruler"]["storage"]["local"]["directory"] == "/etc/loki/rules"
    assert loki["ruler"]["alertmanager_url"] == "http://alertmanager:9093"
    volumes = _yaml(ROOT / "compose.yml")["services"]["loki"]["volumes"]
    assert "./deploy/loki/rules:/etc/loki/rules:ro" in volumes


def test_alertmanager_routes_by_severity_and_reads_its_secrets_from_files() -> None:
    config = _yaml(DEPLOY / "alertmanager" / "alertmanager.yml")
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["pagerduty"]["pagerduty_configs"][0]["routing_key_file"]
    assert "slack_api_url_file" in config["global"]
    assert "smtp_auth_password_file" in config["global"]
    text = (DEPLOY / "alertmanager" / "alertmanager.yml").read_text()
    for inline in ("routing_key:", "api_url:", "smtp_auth_password:", "service_key:"):
        assert inline not in text
    for key in ("routing_key_file", "slack_api_url_file", "smtp_auth_password_file"):
        assert "/etc/alertmanager/secrets/" in text.split(key, 1)[1].split("\n", 1)[0]
    volumes = _yaml(ROOT / "compose.yml")["services"]["alertmanager"]["volumes"]
    assert "./deploy/secrets/alertmanager:/etc/alertmanager/secrets:ro" in volumes


def test_amtool_routes_each_severity_to_its_receivers() -> None:
    amtool = _tool("amtool")
    for severity, receivers in (
        ("critical", "pagerduty,slack"),
        ("warning", "slack"),
        ("info", "email"),
    ):
        _ok(
            amtool,
            "config",
            "routes",
            "test",
            "--config.file=deploy/alertmanager/alertmanager.yml",
            f"--verify.receivers={receivers}",
            f"severity={severity}",
        )


def test_the_dashboards_are_generated_from_dashboards_py() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "dashboards", DEPLOY / "grafana" / "dashboards.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["dashboards"] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["dashboards"]
    rendered = module.render()
    on_disk = {p.name: p.read_text() for p in (DEPLOY / "grafana" / "dashboards").glob("*.json")}
    assert rendered == on_disk, "stale: python deploy/grafana/dashboards.py"
    titles = {json.loads(text)["title"] for text in rendered.values()}
    assert titles == {
        "NEXO — System overview",
        "NEXO — Router",
        "NEXO — Subgraph services",
        "NEXO — Business",
        "NEXO — Resource usage",
    }


def test_docs_metrics_names_every_declared_metric() -> None:
    page = (ROOT / "docs" / "metrics.md").read_text()
    bases = {
        name.removesuffix("_total")
        for package in ("shared", "router", "subgraphs", "nexo")
        for path in (ROOT / package).rglob("*.py")
        for name in DECLARED.findall(path.read_text(encoding="utf-8"))
    }
    missing = sorted(base for base in bases if base not in page)
    assert missing == [], f"document these in docs/metrics.md: {missing}"
