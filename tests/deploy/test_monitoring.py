"""Prometheus, Alertmanager, Grafana, Loki and Alloy configuration: valid where the real
tools are installed (promtool, amtool: .ci/deploy installs them), and consistent with
NEXO's metrics and compose.yml everywhere."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
METRIC = re.compile(r"\bnexo_[a-z_]+")
DECLARED = re.compile(r"(?:Counter|Histogram|Gauge|Summary)\(\s*\"(nexo_[a-z_]+)\"")


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
