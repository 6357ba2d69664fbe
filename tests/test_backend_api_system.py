"""Health, metrics, JSON errors for unknown paths and methods, and locally served pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import login


async def test_healthz_reports_redis_and_uptime_without_a_token(api_client):
    resp = await api_client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok" and body["redis"] is True
    assert isinstance(body["uptime_s"], (int, float)) and body["uptime_s"] >= 0
    assert body["version"]


async def test_metrics_need_an_admin_or_integration_token(api_client):
    none = await api_client.get("/metrics")
    assert none.status == 401 and (await none.json())["error"] == "unauthorized"
    operator = await api_client.get("/metrics", headers=await login(api_client, "operator1"))
    assert operator.status == 403
    assert "admin, integration" in (await operator.json())["message"]
    for name in ("admin", "integration"):
        resp = await api_client.get("/metrics", headers=await login(api_client, name))
        assert resp.status == 200
        assert resp.content_type == "text/plain"


async def test_the_hall_route_serves_its_zone_and_vocabularies_to_every_user(api_client):
    assert (await api_client.get("/api/hall")).status == 401
    resp = await api_client.get("/api/hall", headers=await login(api_client, "worker1"))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["timezone"] == "Asia/Shanghai"
    assert body["window_fits"] == ["contain", "cover", "fill"] and "video" in body["window_kinds"]
    # the call buttons' words: who may call, how many ring at once (configured, not copied into the pages)
    assert sorted(body["calls"]["callers"]) == ["admin", "commander", "operator"]
    assert body["calls"]["ring_at_once"] == 3 and body["calls"]["reconnect_grace_s"] == 30


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_count_requests_by_route_and_status_and_show_the_layout_version(api_client):
    admin = await login(api_client, "admin")
    op = await login(api_client, "operator1")
    for _ in range(3):
        assert (await api_client.get("/api/wall", headers=op)).status == 200
    assert (await api_client.get("/api/wall")).status == 401
    assert (await api_client.patch("/api/wall/windows/w-1", headers=op, json={"version": 0, "z": 2})).status == 404
    resp = await api_client.put("/api/wall/layout", headers=op, json={"version": 0, "windows": []})
    assert resp.status == 200

    text = await (await api_client.get("/metrics", headers=admin)).text()
    samples = _samples(text)

    def requests(method: str, route: str, status: str) -> float:
        return samples.get(("hall_http_requests_total",
                            (("method", method), ("route", route), ("status", status))), 0)

    assert requests("GET", "/api/wall", "200") == 3
    assert requests("GET", "/api/wall", "401") == 1
    assert requests("PATCH", "/api/wall/windows/{id}", "404") == 1  # by route template, not by URL
    assert requests("POST", "/api/auth/login", "200") == 2
    assert samples[("hall_wall_layout_version", ())] == 1
    assert samples[("hall_redis_up", ())] == 1
    assert samples[("hall_uptime_seconds", ())] >= 0


async def test_unknown_api_path_is_404_json(api_client):
    resp = await api_client.get("/api/no-such-thing")
    assert resp.status == 404
    body = await resp.json()
    assert body["error"] == "not_found" and "/api/no-such-thing" in body["message"]


async def test_wrong_method_is_405_json_with_allow(api_client):
    resp = await api_client.delete("/api/wall")
    assert resp.status == 405
    body = await resp.json()
    assert body["error"] == "method_not_allowed" and "DELETE" in body["message"]
    assert "GET" in resp.headers.get("Allow", "")


async def test_error_responses_carry_security_headers(api_client):
    resp = await api_client.get("/api/wall")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "link" and a.get("href"):
            self.refs.append(a["href"])


IMPORT = re.compile(r"""(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]"""
                    r"""|(?:^|\n)\s*import\s*['"]([^'"]+)['"]""")


async def _check_page(client, page_path: str, html: str) -> list[str]:
    """Every script/link the page references (and every ES module they import) is ours and served."""
    parser = _Refs()
    parser.feed(html)
    assert parser.refs, f"{page_path} references no scripts or styles"
    problems: list[str] = []
    queue = [urljoin(page_path, r) for r in parser.refs if not r.startswith("data:")]
    seen: set[str] = set()
    while queue:
        ref = queue.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parsed = urlparse(ref)
        if parsed.scheme or parsed.netloc:
            problems.append(f"{ref}: points to another host")
            continue
        resp = await client.get(parsed.path)
        if resp.status != 200:
            problems.append(f"{ref}: {resp.status}")
            continue
        if parsed.path.endswith(".js"):
            text = await resp.text()
            for m in IMPORT.finditer(text):
                target = m.group(1) or m.group(2)
                if target.startswith((".", "/")) or "://" in target:
                    queue.append(urljoin(parsed.path, target))
                else:
                    problems.append(f"{ref}: bare import {target!r} a browser cannot load")
    return problems


async def test_console_page_and_everything_it_loads_is_served_from_our_server(api_client):
    resp = await api_client.get("/console/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert await _check_page(api_client, "/console/", await resp.text()) == []


async def test_root_redirects_to_the_console(api_client):
    resp = await api_client.get("/", allow_redirects=False)
    assert resp.status in (301, 302)
    assert resp.headers["Location"] == "/console/"


async def test_screen_page_and_everything_it_loads_is_served_from_our_server(api_client):
    admin = await login(api_client, "admin")
    token = (await (await api_client.post("/api/screens/lcd-1-1/token", headers=admin)).json())["token"]
    resp = await api_client.get("/wall/screens/lcd-1-1", params={"token": token})
    assert resp.status == 200
    assert await _check_page(api_client, "/wall/screens/lcd-1-1", await resp.text()) == []


async def test_pages_scripts_are_revalidated_and_plotly_is_served_locally(api_client):
    for path in ("/console/main.js", "/field/main.js", "/wall/assets/screen.js"):
        resp = await api_client.get(path)
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-cache", path
        again = await api_client.get(path, headers={"If-Modified-Since": resp.headers["Last-Modified"]})
        assert again.status == 304, path  # unchanged: nothing sent again
    resp = await api_client.get("/vendor/plotly.min.js")
    body = await resp.text()
    assert resp.status == 200 and "plotly.js v" in body[:200] and len(body) > 1_000_000
    assert resp.headers["Cache-Control"].startswith("public")
    resp = await api_client.get("/field")
    assert resp.status == 200 and str(resp.url).endswith("/field/")
