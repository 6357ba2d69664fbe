"""The route registry's generic support for non-JSON bodies (SDP) and per-module app hooks."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backend import appkeys
from backend.api import Api, errors_middleware


def text_api() -> Api:
    api = Api("t", "1")

    @api.route("POST", "/echo/{id}", summary="echo a text body", roles=None, content="text/x-thing",
               produces="text/x-thing", status=201, response_headers=("Location",), tag="t")
    async def echo(request: web.Request, ident, body: str) -> web.Response:
        return web.Response(status=201, text=body.upper(), content_type="text/x-thing",
                            headers={"Location": f"/echo/{request.match_info['id']}/1"})

    @api.on_setup
    def hook(app: web.Application) -> None:
        app[appkeys.HOOKED] = True

    return api


@pytest.fixture
async def client():
    api = text_api()
    app = web.Application(middlewares=[errors_middleware])
    api.setup(app)
    app[appkeys.API] = api
    async with TestClient(TestServer(app)) as c:
        yield c


async def test_a_text_body_of_the_declared_type_reaches_the_handler_as_str(client):
    resp = await client.post("/echo/a", data="héllo", headers={"Content-Type": "text/x-thing; charset=utf-8"})
    assert resp.status == 201 and await resp.text() == "HÉLLO"
    assert resp.headers["Location"] == "/echo/a/1"


async def test_another_content_type_is_415_with_a_json_error(client):
    resp = await client.post("/echo/a", json={"x": 1})
    assert resp.status == 415
    body = await resp.json()
    assert body["error"] == "unsupported_media_type" and "text/x-thing" in body["message"]


async def test_empty_oversized_and_undecodable_bodies_are_400(client):
    h = {"Content-Type": "text/x-thing"}
    assert (await client.post("/echo/a", data="  ", headers=h)).status == 400
    assert (await client.post("/echo/a", data="x" * (1024 * 1024 + 1), headers=h)).status == 400
    assert (await client.post("/echo/a", data=b"\xff\xfe\xfa", headers=h)).status == 400


async def test_openapi_describes_text_bodies_and_response_headers(client):
    op = client.app[appkeys.API].openapi()["paths"]["/echo/{id}"]["post"]
    assert op["requestBody"]["content"] == {"text/x-thing": {"schema": {"type": "string"}}}
    assert op["responses"]["201"]["content"] == {"text/x-thing": {"schema": {"type": "string"}}}
    assert op["responses"]["201"]["headers"] == {"Location": {"schema": {"type": "string"}}}
    assert {"400", "415"} <= set(op["responses"])


async def test_setup_hooks_run_with_the_application(client):
    assert client.app[appkeys.HOOKED] is True


def test_a_route_cannot_take_both_a_json_model_and_a_text_body():
    from pydantic import BaseModel

    class M(BaseModel):
        x: int

    with pytest.raises(ValueError):
        Api("t", "1").route("POST", "/x", summary="x", roles=None, body=M, content="application/sdp")
