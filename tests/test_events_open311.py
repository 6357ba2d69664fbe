"""Open311 GeoReport v2: services, filing with an api_key (bearer token), reading back, errors."""

from __future__ import annotations

import pytest

from tests.events_support import make_client, tokens


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
