"""Open311 GeoReport v2: services, filing with an api_key (bearer token), reading back, errors."""

from __future__ import annotations

import json

import pytest

from backend.events.config import Open311Config
from tests.events_support import CFG, make_client, report_body, tokens


@pytest.fixture
async def api(redis_url, tmp_path):
    client = await make_client(redis_url, tmp_path)
    yield client
    await client.close()


def key(headers: dict) -> str:
    return headers["Authorization"].split(" ", 1)[1]


async def test_services_are_the_minor_classes(api):
    resp = await api.get("/open311/v2/services.json")
    services = await resp.json()
    assert resp.status == 200
    codes = {s["service_code"] for s in services}
    assert {"0101", "0201", "0301"} <= codes
    s = next(s for s in services if s["service_code"] == "0201")
    assert s["type"] == "realtime" and s["metadata"] is False and s["group"].startswith("Public facilities")


async def test_file_a_request_form_encoded_and_read_it_back(api):
    who = await tokens(api)
    form = {"api_key": key(who["integration"]), "service_code": "0301", "lat": "36.662", "long": "117.115",
            "description": "car on the pavement", "email": "r@example.org", "first_name": "Wang",
            "media_url": "https://example.org/p.jpg"}
    resp = await api.post("/open311/v2/requests.json", data=form)
    body = await resp.json()
    assert resp.status == 201, body
    rid = body[0]["service_request_id"]
    one = await (await api.get(f"/open311/v2/requests/{rid}.json")).json()
    assert one[0]["status"] == "open" and one[0]["service_code"] == "0301" and one[0]["lat"] == 36.662
    assert one[0]["media_url"] == "https://example.org/p.jpg"
    ev = (await (await api.get(f"/api/events/{rid}", headers=who["operator1"])).json())["event"]
    assert ev["channel"] == "open311" and ev["reporter"] == "Wang" and ev["grid"] == "g06"
    listed = await (await api.get("/open311/v2/requests.json?status=open&service_code=0301")).json()
    assert [r["service_request_id"] for r in listed] == [rid]
    assert await (await api.get("/open311/v2/requests.json?status=closed")).json() == []
    # the same request retried with its Idempotency-Key makes no second event
    h = {"Idempotency-Key": "app-1"}
    a = await (await api.post("/open311/v2/requests.json", data=form, headers=h)).json()
    b = await (await api.post("/open311/v2/requests.json", data=form, headers=h)).json()
    assert a[0]["service_request_id"] == b[0]["service_request_id"]


@pytest.mark.parametrize("change, status, field", [
    ({"api_key": "nope"}, 401, "api_key"),
    ({"api_key": None}, 401, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "7777"}, 422, "service_code"),
    ({"lat": "north"}, 400, "lat"),
    ({"lat": "95"}, 400, "lat"),
    ({"long": None, "lat": None}, 400, "address_string"),
    ({"long": None}, 400, "long"),
])
async def test_errors_name_the_field(api, change, status, field):
    who = await tokens(api)
    form = {"api_key": key(who["integration"]), "service_code": "0101", "lat": "36.65", "long": "117.10",
            "description": "x"}
    for k, v in change.items():
        if v is None:
            form.pop(k)
        else:
            form[k] = v
    resp = await api.post("/open311/v2/requests.json", data=form)
    body = await resp.json()
    assert resp.status == status, body
    assert field in body[0]["description"] and body[0]["code"] == status


async def test_a_role_that_may_not_report_is_refused(api):
    who = await tokens(api)
    resp = await api.post("/open311/v2/requests.json", json={"api_key": key(who["expert1"]), "service_code": "0101",
                                                              "lat": 36.65, "long": 117.1})
    assert resp.status == 403
    assert (await api.get("/open311/v2/requests/EV-x.json")).status == 404


async def _file(api, who, **form) -> str:
    body = {"api_key": key(who["integration"]), "service_code": "0101", "lat": "36.645", "long": "117.100",
            "description": "bins full", **form}
    return (await (await api.post("/open311/v2/requests.json", data=body)).json())[0]["service_request_id"]


async def test_the_public_list_shows_only_what_the_district_publishes_in_public_words(api):
    who = await tokens(api)
    filed = await _file(api, who, first_name="Wang")
    resident = (await (await api.post("/api/events", json=report_body(), headers=who["integration"])).json())
    worker = (await (await api.post("/api/events", json=report_body(channel="worker", contact=None),
                                    headers=who["worker1"])).json())
    hidden = {resident["event"]["id"], worker["event"]["id"]}
    await api.post(f"/api/events/{filed}/accept", json={"note": "caller sounded drunk"}, headers=who["operator1"])
    listed = await (await api.get("/open311/v2/requests.json")).json()
    assert [r["service_request_id"] for r in listed] == [filed]
    assert listed[0]["status_notes"] == "received" and listed[0]["status"] == "open"
    for rid in hidden:  # what is not published does not exist here, asked for by id or not
        assert (await api.get(f"/open311/v2/requests/{rid}.json")).status == 404
        assert await (await api.get(f"/open311/v2/requests.json?service_request_id={rid}")).json() == []
    # the hall's own notes never become public text, whatever happens to the request
    await api.post(f"/api/events/{filed}/verify", json={"note": "seen"}, headers=who["worker1"])
    await api.post(f"/api/events/{filed}/register", json={}, headers=who["operator1"])
    await api.post(f"/api/events/{filed}/cancel", json={"note": "landlord's matter, told him off"},
                   headers=who["operator1"])
    one = (await (await api.get(f"/open311/v2/requests/{filed}.json")).json())[0]
    assert one["status"] == "closed" and one["status_notes"] == "cancelled"
    assert "landlord" not in json.dumps(one) and "Wang" not in json.dumps(one)


async def test_the_district_chooses_what_it_publishes(redis_url, tmp_path):
    events = CFG.events.model_copy(update={"open311": Open311Config(publish_channels=["open311", "resident"],
                                                                    status_notes="none")})
    client = await make_client(redis_url, tmp_path, CFG.model_copy(update={"events": events}))
    try:
        who = await tokens(client)
        filed = await _file(client, who)
        resident = (await (await client.post("/api/events", json=report_body(),
                                             headers=who["integration"])).json())["event"]["id"]
        listed = await (await client.get("/open311/v2/requests.json")).json()
        assert {r["service_request_id"] for r in listed} == {filed, resident}
        assert {r["status_notes"] for r in listed} == {None}
    finally:
        await client.close()


BOUNDARY = "hallboundary"


def _multipart(*parts: str) -> bytes:
    return ("".join(f"--{BOUNDARY}\r\n{p}\r\n" for p in parts) + f"--{BOUNDARY}--\r\n").encode()


@pytest.mark.parametrize("content_type, body, status, named", [
    ("application/json", b"[" * 100_000, 400, "JSON"),
    ("multipart/form-data", b"service_code=0101", 400, "boundary"),
    (f"multipart/form-data; boundary={BOUNDARY}", b"no parts here", 400, "multipart"),
    (f"multipart/form-data; boundary={BOUNDARY}",
     _multipart('Content-Disposition: form-data; name="description"; filename="x.html"\r\n'
                'Content-Type: text/html\r\n\r\n<html></html>'), 400, "description"),
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"service_code=0101", 400, "charset"),
    ("application/x-www-form-urlencoded", b"service_code=0101&service_code=0102&lat=36.6&long=117.1", 400,
     "service_code"),
    ("text/plain", b"service_code=0101", 415, "form-encoded"),
    ("application/json", b'["service_code", "0101"]', 400, "object"),
])
async def test_a_malformed_request_is_a_400_naming_the_problem(api, content_type, body, status, named):
    resp = await api.post("/open311/v2/requests.json", data=body, headers={"Content-Type": content_type})
    errors = await resp.json()
    assert resp.status == status, errors
    assert errors[0]["code"] == status and named in " ".join(e["description"] for e in errors), errors


@pytest.mark.parametrize("change, field", [
    ({"first_name": {}}, "first_name"),
    ({"last_name": ["Wang"]}, "last_name"),
    ({"lat": "36.645"}, "lat"),
    ({"lat": True}, "lat"),
    ({"lat": None, "long": None, "address_string": "   "}, "address_string"),
    ({"service_code": 101}, "service_code"),
    ({"colour": "red"}, "colour"),
    ({"description": "x" * 2001}, "description"),
])
async def test_strict_types_in_json_name_the_field(api, change, field):
    who = await tokens(api)
    body = {"api_key": key(who["integration"]), "service_code": "0101", "lat": 36.645, "long": 117.1,
            "description": "bins full", **change}
    body = {k: v for k, v in body.items() if v is not None}
    resp = await api.post("/open311/v2/requests.json", json=body)
    errors = await resp.json()
    assert resp.status == 400, errors
    assert any(e["description"].startswith(field) for e in errors), errors


@pytest.mark.parametrize("change, field", [
    ({"lat": "abc"}, "lat"),
    ({"lat": "", "long": "", "address_string": " \t "}, "address_string"),
])
async def test_a_form_is_text_parsed_into_its_types(api, change, field):
    who = await tokens(api)
    form = {"api_key": key(who["integration"]), "service_code": "0101", "lat": "36.645", "long": "117.1", **change}
    resp = await api.post("/open311/v2/requests.json", data=form)
    errors = await resp.json()
    assert resp.status == 400, errors
    assert errors[0]["description"].startswith(field), errors
    # an address alone is a location; numbers in a form are text
    ok = await api.post("/open311/v2/requests.json", data={**form, "lat": "", "long": "", "address_string":
                                                            "Harmony Rd 1"})
    assert ok.status == 201, await ok.text()
