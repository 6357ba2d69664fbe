"""Prometheus metrics of one hall process (served as text at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("hall_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("hall_http_request_seconds", "HTTP request time", ["route"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.sockets = Gauge("hall_socketio_connections", "Socket.IO connections", ["namespace"],
                             registry=self.registry)
        self.layout_version = Gauge("hall_wall_layout_version", "current wall layout version", registry=self.registry)
        self.layout_writes = Counter("hall_wall_writes_total", "wall writes", ["action", "result"],
                                     registry=self.registry)
        self.redis_up = Gauge("hall_redis_up", "1 when Redis answered the last health check", registry=self.registry)
        self.uptime = Gauge("hall_uptime_seconds", "seconds since this process started", registry=self.registry)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
