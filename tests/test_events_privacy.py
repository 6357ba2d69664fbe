"""Residents' names and contacts reach only those who call back: markers seeded through the real intake (the
event API and Open311) are looked for in every GET route of the OpenAPI document and in every Socket.IO message
each role receives while the events change."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
import socketio

from backend import appkeys
from backend.events.figures import FIGURES
from tests.events_support import JPEG, make_client, report_body, tokens

# Unique markers, one per personal field, per resident.
A = {"name": "Zqa1Name", "contact": "zqa1-contact@example.org"}           # resident app, grid g01 (worker1's)
B = {"first": "Zqb1First", "last": "Zqb2Last", "email": "zqb3-mail@example.org",  # Open311 form, grid g06,
     "device": "zqb4-device", "account": "zqb5-account"}                  # dispatched to dept1's water company
C = {"first": "Zqc1First", "phone": "+86-139-7777-2468"}                  # Open311 JSON, grid g02 (nobody's here)
D = {"name": "Zqd1Name", "contact": "+86-138-0013-9999"}                  # a resident reporting while sockets listen


def markers(*residents: dict[str, str]) -> set[str]:
    return {v for r in residents for v in r.values()}


ALL = markers(A, B, C, D)
# What each role may read: the centre everything, the grid worker the residents of their grids, the department
# those of the events it handles; experts, screens and other systems nothing.
MAY_SEE = {"operator1": ALL, "worker1": markers(A, D), "dept1": markers(B), "expert1": set(), "integration": set(),
           "screen": set()}


@pytest.fixture
async def hall(redis_url, tmp_path):
    client = await make_client(redis_url, tmp_path)
    yield client
    await client.close()


async def ok(resp, status: int = 200) -> dict | list:
    body = await resp.json()
    assert resp.status == status, body
    return body


async def seed(api, who) -> dict[str, str]:
    """The residents' reports through the real intake, moved round the loop; their ids."""
    photo = await ok(await api.post("/api/events/photos", data=JPEG,
                                    headers={**who["integration"], "Content-Type": "image/jpeg"}), 201)
    a = (await ok(await api.post("/api/events", json=report_body(reporter_name=A["name"], contact=A["contact"],
                                                                 photos=[photo["sha256"]]),
                                 headers=who["integration"]), 201))["event"]["id"]
    key = who["integration"]["Authorization"].split()[1]
    b = (await ok(await api.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "0201", "lat": "36.662", "long": "117.115", "description": "pipe burst",
        "first_name": B["first"], "last_name": B["last"], "email": B["email"], "device_id": B["device"],
        "account_id": B["account"]}), 201))[0]["service_request_id"]
    c = (await ok(await api.post("/open311/v2/requests.json", json={
        "api_key": key, "service_code": "0101", "lat": 36.645, "long": 117.115, "description": "bins full",
        "first_name": C["first"], "phone": C["phone"]}), 201))[0]["service_request_id"]

    async def act(eid: str, action: str, user: str, body: dict | None = None) -> None:
        await ok(await api.post(f"/api/events/{eid}/{action}", json=body or {}, headers=who[user]))

    for eid in (a, b, c):
        await act(eid, "accept", "operator1")
    await act(a, "verify", "worker1", {"note": "seen"})
    await act(b, "verify", "admin", {"note": "seen"})
    await act(b, "register", "operator1", {"category": "0201"})
    await act(b, "dispatch", "commander1", {"department": "water"})
    await act(b, "receive", "dept1")
    await act(c, "supervise", "commander1", {"note": "call them back today"})
    return {"a": a, "b": b, "c": c, "photo": photo["sha256"]}


async def listen(api, token: str) -> tuple[list[tuple[str, str, object]], list[socketio.AsyncClient]]:
    """Every message a socket of this user receives on each namespace it is let into; and the sockets."""
    heard: list[tuple[str, str, object]] = []
    clients = []
    for ns in ("/console", "/wall"):
        sio = socketio.AsyncClient(reconnection=False)

        def hear(event: str, data: object = None, ns: str = ns) -> None:
            heard.append((ns, event, data))

        sio.on("*", hear, namespace=ns)
        try:
            await sio.connect(str(api.make_url("/")), namespaces=[ns], auth={"token": token},
                              transports=["websocket"], wait_timeout=10)
        except socketio.exceptions.ConnectionError:
            await sio.disconnect()
            continue
        clients.append(sio)
        if ns == "/wall":  # a kiosk drawing every live panel and a map: the dashboards are pushed to it too
            answer = await sio.call("panels:watch", {"panels": list(api.app[appkeys.DASHBOARDS].panels), "map": True},
                                    namespace=ns, timeout=30)
            assert answer["ok"], answer
            heard.append((ns, "panels:watch", answer))  # the documents as they were at once: scanned too
    return heard, clients


async def test_personal_data_reaches_only_the_roles_that_call_back(hall):
    api = hall
    who = await tokens(api)
    screen_token, _, _ = await api.app[appkeys.USERS].issue("screen:lcd-1-1", "screen", ttl_seconds=600,
                                                            screen="lcd-1-1")
    who["screen"] = {"Authorization": f"Bearer {screen_token}"}
    readers = list(MAY_SEE)
    heard, sockets = {}, []
    for r in readers:
        heard[r], clients = await listen(api, who[r]["Authorization"].split()[1])
        sockets += clients
    ids = await seed(api, who)
    # a resident reports and the deadlines run out while everyone listens
    d = (await ok(await api.post("/api/events", json=report_body(reporter_name=D["name"], contact=D["contact"]),
                                 headers=who["integration"]), 201))["event"]["id"]
    await api.app[appkeys.EVENTS].tick(now=time.time() + 30 * 86400)
    ids["d"] = d

    doc = await ok(await api.get("/api/openapi.json"))
    wall = await ok(await api.get("/api/wall", headers=who["operator1"]))
    fill = {"id": [ids["a"], ids["b"], ids["c"], d], "sha": [ids["photo"]], "name": list(FIGURES),
            "panel": list(api.app[appkeys.DASHBOARDS].panels)}
    per_path = {"/api/sources/{id}/snapshot.jpg": [s["id"] for s in wall["sources"][:1]],
                "/api/screens/{id}/snapshot.jpg": [s["id"] for s in wall["wall"]["screens"][:1]],
                "/wall/screens/{id}": [s["id"] for s in wall["wall"]["screens"][:1]]}
    queries = {"/api/events/export": ["", "?format=csv"], "/api/events/audit": ["", "?format=csv"],
               "/api/events": ["", "?needs_me=true", "?channel=open311"],
               "/api/events/stats": ["", "?period=month"]}
    urls: list[str] = []
    for path, item in doc["paths"].items():
        if "get" not in item:
            continue
        names = re.findall(r"{(\w+)}", path)
        choices = [per_path.get(path) or fill[n] for n in names]
        filled = [path]
        for name, values in zip(names, choices, strict=True):
            filled = [f.replace("{" + name + "}", v, 1) for f in filled for v in values]
        urls += [f + q for f in filled for q in queries.get(path, [""])]
    assert len(urls) > 30 and any(u.endswith(f"{ids['b']}.json") for u in urls)

    seen: dict[str, set[str]] = {r: set() for r in readers}
    for role in readers:
        for url in urls:
            resp = await api.get(url, headers=who[role])
            text = (await resp.read()).decode("utf-8", "replace")
            found = {m for m in ALL if m in text}
            assert found <= MAY_SEE[role], f"{role} reads {sorted(found - MAY_SEE[role])} at GET {url}"
            seen[role] |= found
    # the centre reads every resident, a grid worker and a department those they call back: the scan can fail
    assert seen["operator1"] == ALL and seen["worker1"] == MAY_SEE["worker1"] and seen["dept1"] == MAY_SEE["dept1"]

    await asyncio.sleep(0.5)  # the last notices on their way
    for sio in sockets:
        await sio.disconnect()
    for role in readers:
        text = json.dumps([m for m in heard[role]])
        found = {m for m in ALL if m in text}
        assert found <= MAY_SEE[role], f"{role} heard {sorted(found - MAY_SEE[role])} over Socket.IO"
    # the notices of every marked event did reach the consoles (so the socket scan looked at them)
    for role in ("operator1", "expert1"):
        noticed = {m[2]["id"] for m in heard[role] if m[1] in ("event", "event:warning")}
        assert {ids["a"], ids["b"], ids["c"], d} <= noticed, role
    assert any(m[1] == "event:warning" for m in heard["expert1"])
    assert any(m[0] == "/wall" for m in heard["screen"])
    assert {m[2]["panel"] for m in heard["screen"] if m[1] == "panel"} >= {"event-management", "info-aggregation"}


async def test_high_frequency_reporters_are_pseudonyms_but_for_the_centre(hall):
    api = hall
    who = await tokens(api)
    for _ in range(3):
        await ok(await api.post("/api/events", json=report_body(reporter_name=A["name"], contact=A["contact"]),
                                headers=who["integration"]), 201)
    await ok(await api.post("/api/events", json=report_body(reporter_name=D["name"], contact=D["contact"]),
                            headers=who["integration"]), 201)
    await ok(await api.post("/api/events", json=report_body(channel="worker", contact=None),
                            headers=who["worker1"]), 201)
    centre = (await ok(await api.get("/api/events/stats", headers=who["operator1"])))["top_reporters"]
    assert centre[0] == {"reporter": A["name"], "contact": A["contact"], "resident": True, "reports": 3}
    assert {"reporter": "worker1", "contact": None, "resident": False, "reports": 1} in centre
    first = None
    for role in ("expert1", "integration", "worker1", "dept1"):
        rows = (await ok(await api.get("/api/events/stats", headers=who[role])))["top_reporters"]
        assert [r["reports"] for r in rows] == [r["reports"] for r in centre]
        top = rows[0]
        assert re.fullmatch(r"Resident #[0-9a-f]{6}", top["reporter"]) and top["contact"] is None, role
        assert first in (None, top["reporter"])  # the same resident, the same pseudonym for everyone
        first = top["reporter"]
        assert {"reporter": "worker1", "contact": None, "resident": False, "reports": 1} in rows
        assert rows[1]["reporter"] != top["reporter"]  # two residents, two pseudonyms
    # ... and it is the pseudonym the resident's events show to those readers
    listed = (await ok(await api.get("/api/events?channel=resident&limit=10", headers=who["expert1"])))["events"]
    assert first in {e["reporter"] for e in listed}
