"""`nexo serve --workers N`: N processes serve the whole graph on one port, the embedded
PostgreSQL started once by the parent, and `/metrics` adding up every worker's counters
whichever worker answers it."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from nexo import serve as serving
from shared.settings import load_settings
from tests.nexo.serving import Served, nexo_serve

PROBE = {"query": "query Probe { __typename }", "operationName": "Probe"}


def _samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{base}/metrics", timeout=30).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _probes(base: str) -> float:
    return _samples(base).get(
        ("nexo_router_requests_total", (("operation", "Probe"), ("outcome", "ok"))), 0.0
    )


def _per_worker(base: str) -> dict[int, float]:
    return {
        int(dict(labels)["pid"]): value
        for (name, labels), value in _samples(base).items()
        if name == "nexo_process_http_requests"
    }


def _workers(served: Served) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(served.process.pid).children():
        try:
            if "serve-worker" in child.cmdline():
                found.append(child)
        except psutil.Error:  # a killed worker not yet reaped
            continue
    return found


def _post_fresh_connection(base: str) -> None:
    # A new connection each time: the kernel hands each to whichever worker accepts it.
    response = httpx.post(f"{base}/graphql", json=PROBE, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


def _until(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_two_workers_share_the_port_the_database_and_their_metrics() -> None:
    with nexo_serve("--workers", "2") as served:
        workers = _workers(served)
        assert len(workers) == 2
        # One embedded PostgreSQL, started and held by the parent alone: the workers were
        # given its URL and never joined it themselves.
        data_dir = Path(workers[0].environ()["NEXO_DATA_DIR"])
        handles = json.loads((data_dir / "pg" / ".handle_pids.json").read_text())
        assert handles == [served.process.pid]
        metrics_dir = Path(workers[0].environ()["PROMETHEUS_MULTIPROC_DIR"])
        assert {w.environ()["PROMETHEUS_MULTIPROC_DIR"] for w in workers} == {str(metrics_dir)}

        n = 40
        for _ in range(n):
            _post_fresh_connection(served.base)
        # Exactly n, however the requests spread and whichever worker answers /metrics.
        for _ in range(6):
            assert _probes(served.base) == n
        served_by = _per_worker(served.base)
        assert set(served_by) == {w.pid for w in workers}
        assert all(count > 0 for count in served_by.values()), served_by

        # A worker that dies is started again; what it counted stays counted, and the
        # dead process's per-process series is gone.
        killed = workers[0]
        killed.send_signal(signal.SIGKILL)
        _until(
            lambda: (
                len(_workers(served)) == 2 and killed.pid not in {w.pid for w in _workers(served)}
            )
        )
        _until(lambda: httpx.get(f"{served.base}/ready", timeout=30).status_code == 200)
        for _ in range(5):
            _post_fresh_connection(served.base)
        assert _probes(served.base) == n + 5
        assert killed.pid not in _per_worker(served.base)
    assert not metrics_dir.exists()


def test_default_workers_are_the_cores_in_production_and_one_in_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nexo import metrics_collector

    settings = load_settings({})
    assert serving.default_workers(dataclasses.replace(settings, env="development")) == 1
    production = dataclasses.replace(settings, env="production")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1, 2, 3})
    monkeypatch.setattr(metrics_collector, "cpu_limit_cores", lambda: 4.0)
    assert serving.default_workers(production) == 4
    # A container's CPU quota bounds it (2.5 cores: two workers; never none).
    monkeypatch.setattr(metrics_collector, "cpu_limit_cores", lambda: 2.5)
    assert serving.default_workers(production) == 2
    monkeypatch.setattr(metrics_collector, "cpu_limit_cores", lambda: 0.5)
    assert serving.default_workers(production) == 1


def test_workers_and_split_together_are_refused() -> None:
    with pytest.raises(SystemExit, match="--workers and --split"):
        serving.run(load_settings({}), host="127.0.0.1", port=1, demo=False, split=True, workers=2)
