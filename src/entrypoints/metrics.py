"""Prometheus metrics of one process (own registry, so tests and apps stay apart)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
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
            "athenaeum_outbox_pending", "Outbox messages waiting", ["kind"], registry=self.registry
        )
        self.outbox_failed = Gauge("athenaeum_outbox_failed", "Outbox messages given up on", registry=self.registry)
        self.outbox_oldest_age = Gauge(
            "athenaeum_outbox_oldest_pending_age_seconds", "Age of the oldest waiting message", registry=self.registry
        )
        self.socket_connections = Gauge(
            "athenaeum_socketio_connections", "Open Socket.IO connections", registry=self.registry
        )

    def job_finished(self, job: str, *, ok: bool, seconds: float) -> None:
        self.job_runs.labels(job=job, outcome="ok" if ok else "failed").inc()
        self.job_duration.labels(job=job).observe(seconds)

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method=method, route=route, status=str(status)).inc()
        self.http_latency.labels(method=method, route=route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
