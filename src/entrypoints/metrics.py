"""Prometheus metrics (own registry, so tests and apps stay apart).

One process: ``/metrics`` shows that process. Several workers (``WORKERS`` > 1): set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory writable by the service (before it
starts; ``athenaeum serve`` creates and empties it), and every worker writes its values
there (prometheus_client's multiprocess mode), so ``/metrics`` answers for all the workers
of the replica whichever one is asked: counters and histograms are summed, the connection
gauge counts live workers only, the outbox gauges are the latest scrape's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def reset_multiprocess_dir() -> None:
    """Called once by ``athenaeum serve`` before the workers start: a clean, existing directory."""
    folder = multiprocess_dir()
    if folder is None:
        return
    path = Path(folder)
    if path.is_dir():
        for child in path.iterdir():
            if child.is_file() and child.suffix == ".db":
                child.unlink(missing_ok=True)
            elif child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)


def forget_this_process() -> None:
    """A worker that stops drops its live gauges (its counters stay in the totals)."""
    if multiprocess_dir() is not None:
        with contextlib.suppress(Exception):
            multiprocess.mark_process_dead(os.getpid())


LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "athenaeum_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.http_latency = Histogram(
            "athenaeum_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.job_runs = Counter("athenaeum_job_runs", "Job runs", ["job", "outcome"], registry=self.registry)
        self.job_duration = Histogram(
            "athenaeum_job_duration_seconds", "Job run time", ["job"], buckets=LATENCY_BUCKETS, registry=self.registry
        )
        self.outbox_pending = Gauge(
            "athenaeum_outbox_pending",
            "Outbox messages waiting",
            ["kind"],
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.outbox_failed = Gauge(
            "athenaeum_outbox_failed",
            "Outbox messages given up on",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.outbox_oldest_age = Gauge(
            "athenaeum_outbox_oldest_pending_age_seconds",
            "Age of the oldest waiting message",
            registry=self.registry,
            multiprocess_mode="mostrecent",  # computed at scrape time by the worker asked
        )
        self.socket_connections = Gauge(
            "athenaeum_socketio_connections",
            "Open Socket.IO connections",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def job_finished(self, job: str, *, ok: bool, seconds: float) -> None:
        self.job_runs.labels(job=job, outcome="ok" if ok else "failed").inc()
        self.job_duration.labels(job=job).observe(seconds)

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        # ``labels()`` builds and looks up its key under a lock on every call (3 µs a request);
        # the children of a (method, route, status) never change, so they are looked up once.
        # Routes are templates and methods and statuses few, so the cache stays small.
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = self._request_children[key] = (
                self.http_requests.labels(method=method, route=route, status=str(status)),
                self.http_latency.labels(method=method, route=route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        if multiprocess_dir() is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
