"""The OpenAPI document at /api/openapi.json: valid in shape, and true to what the server routes and answers."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import login

DOCUMENTED_PREFIXES = ("/api", "/healthz", "/metrics", "/wall/screens")
FOUNDATION_TAGS = {"auth", "system", "users", "wall", "presets", "scenes", "pages"}


async def _doc(client) -> dict:
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    return await resp.json()


def _refs(node, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.add(v)
            else:
                _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)
    return out


def _validator(doc: dict, ref: str) -> Draft202012Validator:
    # The component schemas refer to each other as #/components/schemas/X: root them in the document.
    return Draft202012Validator({"$ref": ref, "components": doc["components"]})


async def test_openapi_document_is_3_1_in_shape(api_client):
    doc = await _doc(api_client)
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["paths"]
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    operation_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        for method, op in item.items():
            assert method in {"get", "put", "post", "patch", "delete"}
            assert op["responses"], (method, path)
            for status in op["responses"]:
                assert re.fullmatch(r"[1-5]\d\d", status), (method, path, status)
                assert op["responses"][status]["description"]
            declared = set(re.findall(r"{(\w+)}", path))
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == declared, (method, path)
            for sec in op.get("security", []):
                assert set(sec) <= set(doc["components"]["securitySchemes"])
            operation_ids.append(op["operationId"])
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"


async def test_every_component_schema_is_valid_json_schema_2020_12(api_client):
    doc = await _doc(api_client)
    schemas = doc["components"]["schemas"]
    assert {"ErrorBody", "WallOut", "LayoutIn", "LayoutState", "Window", "Rect"} <= set(schemas)
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    for ref in _refs(doc, set()):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, f"dangling $ref {ref}"


async def test_every_routed_path_is_documented_and_every_documented_path_is_routed(api_client):
    doc = await _doc(api_client)
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    routed = set()
    for route in api_client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method not in ("HEAD", "OPTIONS", "*"):
            routed.add((route.method, path))
    api_routes = {(m, p) for m, p in routed if p.startswith(DOCUMENTED_PREFIXES)}
    assert ("GET", "/api/wall") in api_routes and ("GET", "/healthz") in api_routes
    assert api_routes - documented == set(), "routed but not documented"
    assert documented - routed == set(), "documented but not routed"


class Tour:
    """Real calls, each response checked against the schema the document gives for its status."""

    def __init__(self, client, doc: dict) -> None:
        self.client = client
        self.doc = doc
        self.seen: set[tuple[str, str, int]] = set()

    async def call(self, method: str, template: str, *, expect: int, path: str | None = None, headers=None,
                   json=None, params=None, data: bytes | None = None) -> dict | None:
        op = self.doc["paths"][template][method.lower()]
        if json is not None and expect < 400 and "requestBody" in op:
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            errors = [e.message for e in _validator(self.doc, ref).iter_errors(json)]
            assert errors == [], f"request to {method} {template} does not match its schema: {errors}"
        if data is not None:
            headers = {**(headers or {}), "Content-Type": "application/json"}
        resp = await self.client.request(method, path or template, headers=headers, json=json, params=params, data=data)
        assert resp.status == expect, f"{method} {template}: {resp.status} {await resp.text()}"
        documented = op["responses"].get(str(resp.status))
        assert documented is not None, f"{method} {template} answered {resp.status}, which is not documented"
        self.seen.add((method, template, resp.status))
        content = documented.get("content", {}).get("application/json")
        if resp.status == 204:
            assert await resp.read() == b""
            return None
        if content is None:
            return None
        body = await resp.json()
        schema = content["schema"]
        validator = _validator(self.doc, schema["$ref"]) if "$ref" in schema else Draft202012Validator(schema)
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(body)]
        assert errors == [], f"{method} {template} {resp.status} body does not match its schema: {errors}"
        return body


async def test_a_tour_of_real_calls_matches_the_documented_schemas(api_client):
    doc = await _doc(api_client)
    t = Tour(api_client, doc)
    creds = {"username": "operator1", "password": "operator1-demo"}
    login_body = await t.call("POST", "/api/auth/login", json=creds, expect=200)
    op = {"Authorization": f"Bearer {login_body['token']}"}
    admin = await login(api_client, "admin")
    worker = await login(api_client, "worker1")

    await t.call("POST", "/api/auth/login", json={"username": "operator1", "password": "wrong-password"}, expect=401)
    await t.call("POST", "/api/auth/login", json={"username": "operator1"}, expect=422)
    await t.call("GET", "/api/auth/me", headers=op, expect=200)
    await t.call("GET", "/api/auth/me", expect=401)
    await t.call("GET", "/healthz", expect=200)
    await t.call("GET", "/api/openapi.json", expect=200)

    wall = await t.call("GET", "/api/wall", headers=op, expect=200)
    await t.call("GET", "/api/wall", headers=worker, expect=403)
    await t.call("GET", "/api/wall", expect=401)
    v = wall["layout"]["version"]

    added = await t.call("POST", "/api/wall/windows", headers=op, expect=201, json={
        "version": v, "window": {"kind": "video", "source": "cam-river-01", "rect": {"x": 0, "y": 0, "w": 640,
                                                                                     "h": 360}}})
    wid = added["window"]["id"]
    v = added["layout"]["version"]
    await t.call("POST", "/api/wall/windows", headers=op, expect=409, json={
        "version": v - 1, "window": {"kind": "clock", "rect": {"x": 0, "y": 0, "w": 10, "h": 10}}})
    await t.call("POST", "/api/wall/windows", headers=op, expect=422, json={
        "version": v, "window": {"kind": "video", "source": "nope", "rect": {"x": 0, "y": 0, "w": 10, "h": 10}}})
    patched = await t.call("PATCH", "/api/wall/windows/{id}", path=f"/api/wall/windows/{wid}", headers=op, expect=200,
                           json={"version": v, "rect": {"x": 40, "y": 40, "w": 640, "h": 360}})
    v = patched["layout"]["version"]
    await t.call("PATCH", "/api/wall/windows/{id}", path="/api/wall/windows/nope", headers=op, expect=404,
                 json={"version": v, "z": 1})
    await t.call("PATCH", "/api/wall/windows/{id}", path=f"/api/wall/windows/{wid}", headers=op, expect=400,
                 data=b'{"version": ')
    deleted = await t.call("DELETE", "/api/wall/windows/{id}", path=f"/api/wall/windows/{wid}", headers=op, expect=200,
                           params={"version": str(v)})
    v = deleted["layout"]["version"]
    await t.call("DELETE", "/api/wall/windows/{id}", path=f"/api/wall/windows/{wid}", headers=op, expect=404,
                 params={"version": str(v)})
    await t.call("PUT", "/api/wall/layout", headers=op, expect=422, json={
        "version": v, "windows": [{"id": "x", "kind": "video", "rect": {"x": 0, "y": 0, "w": 0, "h": 1}}]})
    await t.call("PUT", "/api/wall/layout", headers=op, expect=409, json={"version": v + 5, "windows": []})

    split = await t.call("POST", "/api/wall/split", headers=op, expect=200, json={
        "version": v, "screens": ["lcd-1-1"], "n": 4, "sources": ["cam-river-01", "cam-river-02"]})
    v = split["layout"]["version"]
    await t.call("POST", "/api/wall/split", headers=op, expect=422, json={"version": v, "screens": ["lcd-1-1"], "n": 5})
    shown = await t.call("POST", "/api/wall/show", headers=op, expect=200, json={"source": "cam-park-01"})
    v = shown["layout"]["version"]
    await t.call("POST", "/api/wall/show", headers=op, expect=409, json={"source": "cam-park-01", "version": v - 1})
    await t.call("GET", "/api/hall", headers=op, expect=200)

    await t.call("PUT", "/api/presets/{name}", path="/api/presets/p1", headers=op, expect=200, json={})
    await t.call("GET", "/api/presets", headers=op, expect=200)
    applied = await t.call("POST", "/api/presets/{name}/apply", path="/api/presets/p1/apply", headers=op, expect=200,
                           json={"version": v})
    v = applied["layout"]["version"]
    await t.call("POST", "/api/presets/{name}/apply", path="/api/presets/p1/apply", headers=op, expect=409,
                 json={"version": v - 1})
    await t.call("POST", "/api/presets/{name}/apply", path="/api/presets/nope/apply", headers=op, expect=404,
                 json={"version": v})
    await t.call("PUT", "/api/scenes/{name}", path="/api/scenes/s1", headers=op, expect=200, json={"presets": ["p1"]})
    await t.call("GET", "/api/scenes", headers=op, expect=200)
    await t.call("POST", "/api/scenes/{name}/apply", path="/api/scenes/s1/apply", headers=op, expect=200,
                 json={"version": v})
    await t.call("DELETE", "/api/scenes/{name}", path="/api/scenes/s1", headers=op, expect=204)
    await t.call("DELETE", "/api/scenes/{name}", path="/api/scenes/s1", headers=op, expect=404)
    await t.call("DELETE", "/api/presets/{name}", path="/api/presets/p1", headers=op, expect=204)

    await t.call("GET", "/api/users", headers=admin, expect=200)
    await t.call("GET", "/api/users", headers=op, expect=403)
    await t.call("POST", "/api/users", headers=admin, expect=201,
                 json={"name": "tourist", "role": "expert", "password": "tourist-password"})
    await t.call("POST", "/api/users", headers=admin, expect=409,
                 json={"name": "tourist", "role": "expert", "password": "tourist-password"})
    await t.call("POST", "/api/users", headers=admin, expect=422,
                 json={"name": "tourist2", "role": "boss", "password": "tourist-password"})
    await t.call("DELETE", "/api/users/{name}", path="/api/users/tourist", headers=admin, expect=204)
    await t.call("DELETE", "/api/users/{name}", path="/api/users/tourist", headers=admin, expect=404)
    token = await t.call("POST", "/api/screens/{id}/token", path="/api/screens/lcd-1-1/token", headers=admin,
                         expect=200)
    await t.call("POST", "/api/screens/{id}/token", path="/api/screens/nope/token", headers=admin, expect=422)
    await t.call("GET", "/wall/screens/{id}", path="/wall/screens/lcd-1-1", params={"token": token["token"]},
                 expect=200)
    await t.call("GET", "/wall/screens/{id}", path="/wall/screens/lcd-1-1", expect=401)
    await t.call("GET", "/wall/screens/{id}", path="/wall/screens/lcd-1-2", params={"token": token["token"]},
                 expect=403)
    await t.call("GET", "/wall/screens/{id}", path="/wall/screens/nope", expect=404)
    await t.call("GET", "/metrics", headers=admin, expect=200)
    await t.call("GET", "/metrics", headers=op, expect=403)
    await t.call("POST", "/api/auth/logout", headers=op, expect=204)
    await t.call("GET", "/api/wall", headers=op, expect=401)

    statuses = {s for _, _, s in t.seen}
    assert {200, 201, 204, 400, 401, 403, 404, 409, 422} <= statuses
    touched = {(m, p) for m, p, _ in t.seen}
    # The foundation's operations; media delivery (WHIP/WHEP) has its own tests.
    every = {(m.upper(), p) for p, item in doc["paths"].items() for m, op in item.items()
             if op["tags"][0] in FOUNDATION_TAGS}
    assert every - touched == set(), f"the tour skipped {every - touched}"


@pytest.mark.parametrize("status", ["401", "403"])
async def test_every_guarded_operation_documents_401_and_403_with_the_error_body(api_client, status):
    doc = await _doc(api_client)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "security" not in op:
                continue
            assert op["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"}, (method, path)
            assert op["x-roles"], (method, path)
