"""The database gauges: one aggregate query each over every tenant, at most once per
interval however often `/metrics` is scraped; a failing query costs only its own gauge.
And the resource gauges read something sensible."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from nexo.metrics_collector import (
    GAUGES,
    DatabaseCollector,
    DatabaseGauge,
    ResourceCollector,
    cpu_limit_cores,
    memory_limit_and_used,
)
from shared.metrics import Exposition, register_collector, unregister_collector
from tests.conftest import MigratedDatabase, TenantHandle


def _samples(collector: object) -> dict[str, float]:
    registry = Exposition()
    register_collector(collector)  # type: ignore[arg-type]
    try:
        text = generate_latest(registry).decode()
    finally:
        unregister_collector(collector)  # type: ignore[arg-type]
    return {
        s.name + str(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_scrapes_share_one_refresh_per_interval(
    test_db: MigratedDatabase, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    engine = create_async_engine(test_db.owner)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    collector = DatabaseCollector(engine, 3600.0, GAUGES, ledger=True)
    try:
        for _ in range(50):  # fifty scrapes in a row
            list(collector.collect())
            await asyncio.sleep(0)
        assert collector._task is not None
        await collector._task
        for _ in range(50):
            list(collector.collect())
        assert collector._refreshes == 1
        gauge_queries = [s for s in statements if s.startswith("SELECT") and "FROM" in s]
        # One query per gauge, plus the ledger check (one statement over every tenant).
        assert len([s for s in gauge_queries if "stock_level" not in s]) >= len(GAUGES) - 1
        assert len(statements) <= len(GAUGES) + 6
        samples = _samples(collector)
    finally:
        await collector.close()
    assert samples["nexo_identity_tenants[]"] >= 2  # every tenant, despite row-level security
    assert samples["nexo_identity_active_sessions[]"] >= 2
    assert samples["nexo_stock_ledger_differences[]"] == 0
    assert samples["nexo_outbox_oldest_unpublished_age_seconds[]"] >= 0
    assert "nexo_metrics_collector_refresh_seconds[]" in samples


async def test_a_failing_gauge_costs_only_itself(test_db: MigratedDatabase) -> None:
    engine = create_async_engine(test_db.owner)
    broken = DatabaseGauge("nexo_broken", "x", "shared", "SELECT count(*) FROM no_such_table")
    collector = DatabaseCollector(engine, 3600.0, [broken, GAUGES[1]], ledger=False)
    try:
        await collector.refresh()
        samples = _samples(collector)
    finally:
        await collector.close()
    assert samples["nexo_metrics_collector_errors_total[('gauge', 'nexo_broken')]"] == 1
    assert "nexo_identity_tenants[]" in samples
    assert not any(key.startswith("nexo_broken") for key in samples)


def test_resource_gauges(tmp_path: Path) -> None:
    samples = _samples(ResourceCollector(paths=[tmp_path]))
    assert samples["nexo_cpu_limit_cores[]"] == cpu_limit_cores() > 0
    assert samples["nexo_cpu_usage_seconds_total[]"] > 0
    limit, used = memory_limit_and_used()
    assert 0 < used < limit == samples["nexo_memory_limit_bytes[]"]
    path = str(tmp_path)
    size = samples[f"nexo_filesystem_size_bytes[('path', '{path}')]"]
    assert 0 < samples[f"nexo_filesystem_free_bytes[('path', '{path}')]"] <= size


def test_cgroup_v2_limits_are_read(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    (tmp_path / "memory.max").write_text("1073741824\n")
    (tmp_path / "memory.current").write_text("600000000\n")
    (tmp_path / "memory.stat").write_text("anon 1\ninactive_file 100000000\n")
    assert cpu_limit_cores(tmp_path) == 1.5
    assert memory_limit_and_used(tmp_path) == (1073741824.0, 500000000.0)
