"""Prometheus metrics an operator scrapes at ``/metrics``: plain Python, no Reflex.

The services record what happened (a sync run finished, claims reached a ledger, a
connection test took this long, this process leads the scheduler); ``render`` turns
the metrics into Prometheus' text format for the route in ``api/metrics.py``.

Several backend workers: each process counts in its own memory. When the operator
sets ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, wiped before the workers
start), prometheus-client keeps every process's values in files there and a scrape
answered by any worker sums the counters and histograms of all of them, so the load
balancer may send the scrape anywhere. Without it, a scrape sees only the worker that
answered it: fine for one worker (the demo), wrong for several. Workers on several
machines: each machine has its own directory and is scraped as its own target;
Prometheus sums them (``sum by (outcome) (rate(accountlink_sync_runs_total[5m]))``).

The queue of waiting claims is read from the database at scrape time (one count on
the partial index of waiting claims), so it is the same whichever worker answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

SYNC_RUNS = Counter(
    "accountlink_sync_runs",
    "Sync runs finished, by outcome (succeeded, partial, failed) and system.",
    ["outcome", "system"],
)
CLAIMS_EXPORTED = Counter(
    "accountlink_claims_exported",
    "Expense claims a target accepted (exported), by system.",
    ["system"],
)
CONNECTION_TEST_SECONDS = Histogram(
    "accountlink_connection_test_seconds",
    "Connection test duration in seconds, by system and result (ok, failed).",
    ["system", "result"],
    # A test has a 10 s deadline (connection_test_seconds): buckets up to and past it.
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0, 15.0),
)
SCHEDULER_LEADER = Gauge(
    "accountlink_scheduler_leader",
    "1 while this process leads the sync scheduler (holds a trusted lease), else 0.",
    # One series per live process (label pid) in multiprocess mode; a process that
    # ended drops out once the server calls mark_process_dead.
    multiprocess_mode="liveall",
)


def record_sync_run(outcome: str, system: str, claims_exported: int) -> None:
    SYNC_RUNS.labels(outcome=outcome, system=system).inc()
    if claims_exported > 0:
        CLAIMS_EXPORTED.labels(system=system).inc(claims_exported)


def record_connection_test(system: str, ok: bool, seconds: float) -> None:
    CONNECTION_TEST_SECONDS.labels(system=system, result="ok" if ok else "failed").observe(
        max(0.0, seconds)
    )


def record_scheduler_leadership(leading: bool) -> None:
    SCHEDULER_LEADER.set(1 if leading else 0)


class WaitingClaimsCollector(Collector):
    """Claims approved and not yet taken by any run, counted when scraped."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "accountlink_claims_waiting",
            "Approved expense claims waiting for their first sync, over all organizations.",
        )
        # Imported here: a process that only records metrics need not load the data layer.
        from accountlink_ui import claim_queue_repository
        from accountlink_ui.db import session_scope

        try:
            with session_scope(self._engine()) as session:
                family.add_metric([], claim_queue_repository.waiting_claims_total(session))
        except Exception:  # a scrape must still answer: the other metrics stay useful
            log.warning("metrics: could not count waiting claims", exc_info=True)
            return
        yield family


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


def forget_this_process() -> None:
    """On shutdown: drop this process's live gauges (its leadership) from the shared files."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())


def scrape_registry(engine: Callable[[], Engine]) -> CollectorRegistry:
    """What one scrape reads: every process's files in multiprocess mode, else this process."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (SYNC_RUNS, CLAIMS_EXPORTED, CONNECTION_TEST_SECONDS, SCHEDULER_LEADER):
            registry.register(collector)
    registry.register(WaitingClaimsCollector(engine))
    return registry


def render(engine: Callable[[], Engine]) -> bytes:
    """The Prometheus text exposition of every metric (reads the database once)."""
    return generate_latest(scrape_registry(engine))
