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

        self.loop_lag = Histogram("hall_event_loop_lag_seconds", "how late the event loop runs a 50 ms timer",
                                  registry=self.registry,
                                  buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        # media: refreshed from the engine's health at each scrape
        self.source_up = Gauge("hall_source_up", "1 when the source delivers frames (state live)", ["source"],
                               registry=self.registry)
        self.source_state = Gauge("hall_source_state", "source state (1 for the current one)", ["source", "state"],
                                  registry=self.registry)
        self.source_fps = Gauge("hall_source_fps", "frames per second received", ["source"], registry=self.registry)
        self.source_age = Gauge("hall_source_last_frame_age_seconds", "age of the newest frame", ["source"],
                                registry=self.registry)
        self.source_bitrate = Gauge("hall_source_bitrate_kbps", "received bitrate", ["source"], registry=self.registry)
        self.source_reconnects = Gauge("hall_source_reconnects", "reconnects since start", ["source"],
                                       registry=self.registry)
        self.source_viewers = Gauge("hall_source_viewers", "screens showing the source", ["source"],
                                    registry=self.registry)
        self.screen_fps = Gauge("hall_screen_fps", "composed frames per second", ["screen"], registry=self.registry)
        self.screen_viewers = Gauge("hall_screen_viewers", "viewers of the screen", ["screen"], registry=self.registry)
        self.screen_compose_ms = Gauge("hall_screen_compose_ms", "time to compose one frame", ["screen"],
                                       registry=self.registry)
        # the cascade: what this process publishes to other centres (pulled feeds are sources above)
        self.cascade_up = Gauge("hall_cascade_target_up", "1 when the target is live (publishing)", ["target"],
                                registry=self.registry)
        self.cascade_state = Gauge("hall_cascade_target_state", "target state (1 for the current one)",
                                   ["target", "state"], registry=self.registry)
        self.cascade_bitrate = Gauge("hall_cascade_target_bitrate_kbps", "bitrate sent to the target", ["target"],
                                     registry=self.registry)
        self.cascade_reconnects = Gauge("hall_cascade_target_reconnects", "attempts after a failure since started",
                                        ["target"], registry=self.registry)

    def observe_media(self, health: dict) -> None:
        for sid, h in health.get("sources", {}).items():
            state = h.get("state")
            self.source_up.labels(sid).set(1 if state == "live" else 0)
            for st in ("connecting", "live", "stalled", "lost"):
                self.source_state.labels(sid, st).set(1 if st == state else 0)
            self.source_fps.labels(sid).set(h.get("fps") or 0)
            self.source_age.labels(sid).set(h.get("last_frame_age_s") or 0)
            self.source_bitrate.labels(sid).set(h.get("bitrate_kbps") or 0)
            self.source_reconnects.labels(sid).set(h.get("reconnects") or 0)
            self.source_viewers.labels(sid).set(h.get("viewers") or 0)
        for sid, h in health.get("screens", {}).items():
            self.screen_fps.labels(sid).set(h.get("fps") or 0)
            self.screen_viewers.labels(sid).set(h.get("viewers") or 0)
            self.screen_compose_ms.labels(sid).set(h.get("compose_ms") or 0)
        for name, h in health.get("cascade", {}).items():
            state = h.get("state")
            self.cascade_up.labels(name).set(1 if state == "live" else 0)
            for st in ("stopped", "connecting", "live", "failed"):
                self.cascade_state.labels(name, st).set(1 if st == state else 0)
            self.cascade_bitrate.labels(name).set(h.get("bitrate_kbps") or 0)
            self.cascade_reconnects.labels(name).set(h.get("reconnects") or 0)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
