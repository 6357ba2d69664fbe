"""Anonymous requests never get a 500: malformed bodies are 400s naming the problem, types are strict,
JSON routes want JSON; pages carry a Content-Security-Policy and do not name the server's version."""

from __future__ import annotations

import pytest

from tests.conftest import login

DEEP = "[" * 100_000


@pytest.mark.parametrize("path,method", [("/api/auth/login", "POST"), ("/api/wall/layout", "PUT"),
                                         ("/api/wall/windows", "POST"), ("/api/wall/split", "POST")])
async def test_a_hundred_thousand_nested_brackets_is_a_400_not_a_crash(api_client, path, method):
    headers = {"Content-Type": "application/json"}
    if path != "/api/auth/login":
        headers |= await login(api_client, "admin")
    resp = await api_client.request(method, path, data=DEEP, headers=headers)
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == "bad_request" and "JSON" in body["message"]


async def test_a_json_route_wants_a_json_content_type(api_client):
    resp = await api_client.post("/api/auth/login", data='{"username": "a", "password": "b"}',
                                 headers={"Content-Type": "text/plain"})
    assert resp.status == 415
    assert (await resp.json())["error"] == "unsupported_media_type"


@pytest.mark.parametrize("body,path", [
    ({"username": 7, "password": "x"}, "username"),
    ({"username": "admin", "password": ["x"]}, "password"),
    ({"username": {"a": 1}, "password": "x"}, "username"),
])
async def test_login_fields_have_strict_types(api_client, body, path):
    resp = await api_client.post("/api/auth/login", json=body)
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == [path]


@pytest.mark.parametrize("window,path", [
    ({"kind": "video", "source": "cam-river-01", "rect": {"x": "10", "y": 0, "w": 100, "h": 100}}, "window.rect.x"),
    ({"kind": "video", "source": "cam-river-01", "rect": {"x": 0, "y": 0, "w": 100, "h": 100}, "z": True},
     "window.z"),
    ({"kind": "video", "source": "cam-river-01", "rect": {"x": 0, "y": 0, "w": 100, "h": 100}, "label": 0},
     "window.label"),
    ({"kind": "video", "source": "cam-river-01", "rect": {"x": 0, "y": 0, "w": 100, "h": 100}, "z": 2**53},
     "window.z"),
    ({"kind": "video", "source": "cam-river-01", "rect": {"x": 0, "y": 0, "w": 2**80, "h": 100}}, "window.rect.w"),
])
async def test_wall_numbers_and_booleans_are_strict(api_client, window, path):
    admin = await login(api_client, "admin")
    resp = await api_client.post("/api/wall/windows", headers=admin, json={"version": 0, "window": window})
    assert resp.status == 422, await resp.text()
    assert path in [e["path"] for e in (await resp.json())["errors"]]


async def test_a_split_count_of_true_is_not_one(api_client):
    admin = await login(api_client, "admin")
    resp = await api_client.post("/api/wall/split", headers=admin, json={"version": 0, "n": True,
                                                                         "screens": ["lcd-1-1"]})
    assert resp.status == 422
    assert [e["path"] for e in (await resp.json())["errors"]] == ["n"]


@pytest.mark.parametrize("path", ["/console/", "/field/", "/api/hall", "/healthz", "/no/such/page"])
async def test_every_answer_has_a_content_security_policy_and_no_server_version(api_client, path):
    resp = await api_client.get(path)
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert resp.headers.get("Server") == "CommandHall"
    assert "aiohttp" not in resp.headers.get("Server", "").lower()


async def test_the_pages_learn_the_vocabularies_and_the_district_time_from_the_hall(api_client):
    worker = await login(api_client, "worker1")
    body = await (await api_client.get("/api/hall", headers=worker)).json()
    assert body["timezone"] == "Asia/Shanghai" and "worker" in body["roles"]
    assert body["window_fits"] == ["contain", "cover", "fill"] and "rtsp" in body["source_kinds"]
    assert (await api_client.get("/api/hall")).status == 401
