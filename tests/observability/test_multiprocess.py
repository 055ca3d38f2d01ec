"""With PROMETHEUS_MULTIPROC_DIR, `/metrics` answers for every worker process: what two
processes counted adds up in a third one's exposition, once per metric."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
from router.gateway import RouterResult
from router.metrics import RouterMetrics
from shared import metrics
metrics.LOGINS.labels("success").inc({n})
metrics.HTTP_REQUESTS.labels("crm", "/graphql", "POST", "200").inc({n})
router = RouterMetrics()
router.record(RouterResult({{"data": {{}}}}, "Dashboard"), 0.01)
"""

SCRAPE = """
from router.metrics import RouterMetrics
from shared.metrics import exposition
print(exposition(RouterMetrics().registry).decode())
"""


def _run(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_two_workers_add_up_in_a_third_process_exposition(tmp_path: Path) -> None:
    _run(WORKER.format(n=1), tmp_path)
    _run(WORKER.format(n=2), tmp_path)
    text = _run(SCRAPE, tmp_path)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("nexo_identity_logins_total", (("result", "success"),))] == 3
    assert (
        samples[
            (
                "nexo_http_requests_total",
                (("method", "POST"), ("route", "/graphql"), ("service", "crm"), ("status", "200")),
            )
        ]
        == 3
    )
    assert (
        samples[("nexo_router_requests_total", (("operation", "Dashboard"), ("outcome", "ok")))]
        == 2
    )
    assert "process_cpu_seconds_total" in {s for s, _ in samples}  # the serving process's
    declared = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(declared) == len(set(declared)), "a metric exposed twice"
