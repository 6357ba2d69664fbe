"""Calls over the real app (real Redis, real Socket.IO clients, the real media server, aiortc peers standing in for
the console and the phone): ringing the nearest, the next after a decline or a timeout, several at once with the
first answer winning, busy workers skipped, nobody near explained, the media both ways, instructions, a snapshot
on the event, the call on the wall, the record on the event, and who may do what."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest

from backend import appkeys, keys
from tests.conftest import connect_socket, wait_until
from tests.events_support import CFG, make_client, report_body, tokens
from tests.test_media_calls import Side

pytestmark = pytest.mark.slow
SPOT = (36.6475, 117.1021)  # Harmony grid 1 (worker1's)


@pytest.fixture
async def hall(redis_url, tmp_path):
    cfg = CFG.model_copy(update={"sources": [], "calls": CFG.calls.model_copy(update={"ring_timeout_s": 2.0})})
    api = await make_client(redis_url, tmp_path, cfg)
    await asyncio.to_thread(api.app[appkeys.MEDIA].start)
    api.who = await tokens(api, cfg)
    try:
        yield api
    finally:
        await api.app[appkeys.CALLS].close()
        await api.close()


async def on_duty(hall, name: str, metres_north: float, status: str = "on_duty") -> None:
    reg = hall.app[appkeys.WORKERS]
    await reg.set_status(name, "on_duty")
    await reg.report_position(name, SPOT[0] + metres_north / 111_000, SPOT[1], accuracy=5)
    if status != "on_duty":
        await reg.set_status(name, status)


async def an_event(hall) -> str:
    body = report_body(lat=SPOT[0], lon=SPOT[1])
    resp = await hall.post("/api/events", json=body, headers=hall.who["integration"])
    assert resp.status == 201, await resp.text()
    return (await resp.json())["event"]["id"]


async def post(hall, path: str, who: str, body: dict | None = None, status: int = 200) -> dict:
    resp = await hall.post(path, json=body if body is not None else {}, headers=hall.who[who])
    assert resp.status == status, (path, who, await resp.text())
    return await resp.json()


async def phone(hall, name: str):
    return await connect_socket(hall, "/field", hall.who[name]["Authorization"].split()[1],
                                events=("call:ring", "call:cancel", "call:state", "call:text"))


async def test_call_nearest_rings_one_at_a_time_the_next_after_a_decline_then_connects(hall):
    eid = await an_event(hall)
    await on_duty(hall, "worker2", 100)
    await on_duty(hall, "worker3", 300)
    await on_duty(hall, "worker4", 50, status="busy")  # nearest, but busy: never rung
    p2, p3 = await phone(hall, "worker2"), await phone(hall, "worker3")
    try:
        call = (await post(hall, "/api/calls", "commander1", {"mode": "nearest", "event": eid}, 201))["call"]
        cid = call["id"]
        assert call["state"] == "ringing" and call["event"]["id"] == eid
        assert any(s["name"] == "worker4" and s["reason"] == "busy" for s in call["skipped"])
        await wait_until(lambda: p2.received["call:ring"], what="worker2's phone to ring")
        ring = p2.received["call:ring"][0]
        assert ring["caller"]["name"] == "commander1" and ring["event"]["id"] == eid and not p3.received["call:ring"]
        assert "contact" not in str(ring)  # the resident's contact is not for the phone's ringing screen
        await post(hall, f"/api/calls/{cid}/decline", "worker2")
        await wait_until(lambda: p3.received["call:ring"], what="the next worker's phone to ring")
        answered = (await post(hall, f"/api/calls/{cid}/answer", "worker3"))["call"]
        assert answered["state"] == "connected" and answered["callee"]["name"] == "worker3"
        assert [(r["name"], r["outcome"]) for r in answered["rung"]] == [("worker2", "declined"),
                                                                        ("worker3", "answered")]
        assert (await hall.app[appkeys.WORKERS].get("worker3")).call == cid  # busy for any other call
        # a worker in a call is never proposed again
        nearest = await (await hall.get(f"/api/events/{eid}/nearest-workers", headers=hall.who["operator1"])).json()
        assert "worker3" not in [c["name"] for c in nearest["candidates"]]
        await post(hall, f"/api/calls/{cid}/hangup", "worker3")
    finally:
        await p2.disconnect()
        await p3.disconnect()
    record = (await (await hall.get(f"/api/calls/{cid}", headers=hall.who["commander1"])).json())["call"]
    assert record["state"] == "ended" and record["outcome"] == "answered" and record["duration_s"] is not None
    assert (await hall.app[appkeys.WORKERS].get("worker3")).call is None
    audit = (await (await hall.get(f"/api/events/{eid}/audit", headers=hall.who["operator1"])).json())["audit"]
    [entry] = [a for a in audit if a["action"] == "call"]
    assert entry["by"] == "commander1" and entry["callee"] == "worker3" and entry["outcome"] == "answered"
    assert [r["outcome"] for r in entry["rung"]] == ["declined", "answered"]


async def test_an_unanswered_phone_stops_ringing_and_the_next_rings(hall):
    eid = await an_event(hall)
    await on_duty(hall, "worker2", 100)
    await on_duty(hall, "worker5", 200)
    p2 = await phone(hall, "worker2")
    try:
        cid = (await post(hall, "/api/calls", "operator1", {"mode": "nearest", "event": eid}, 201))["call"]["id"]
        await wait_until(lambda: p2.received["call:cancel"], timeout=8, what="the ring to time out")
        assert p2.received["call:cancel"][0]["reason"] == "not answered in time"
        await wait_until(lambda: len((hall.app[appkeys.CALLS]._live[cid]).record.rung) == 2, timeout=3,
                         what="the next worker to ring")
        await asyncio.sleep(2.5)  # and that one too: nobody answers
        record = await hall.app[appkeys.CALLS].get(cid)
        assert record.state == "ended" and record.outcome == "missed"
        assert [r.outcome for r in record.rung] == ["missed", "missed"]
    finally:
        await p2.disconnect()


async def test_ring_nearest_three_the_first_answer_wins_and_the_others_stop(hall):
    eid = await an_event(hall)
    for i, name in enumerate(("worker2", "worker5", "worker6", "worker7")):
        await on_duty(hall, name, 100 + 100 * i)
    phones = {n: await phone(hall, n) for n in ("worker2", "worker5", "worker6", "worker7")}
    try:
        cid = (await post(hall, "/api/calls", "commander1", {"mode": "ring", "event": eid}, 201))["call"]["id"]
        await wait_until(lambda: all(phones[n].received["call:ring"] for n in ("worker2", "worker5", "worker6")),
                         what="three phones to ring")
        assert not phones["worker7"].received["call:ring"]
        await post(hall, f"/api/calls/{cid}/answer", "worker6")
        await wait_until(lambda: phones["worker2"].received["call:cancel"] and phones["worker5"].received[
            "call:cancel"], what="the others to stop ringing")
        late = await hall.post(f"/api/calls/{cid}/answer", headers=hall.who["worker2"], json={})
        assert late.status == 409
        await post(hall, f"/api/calls/{cid}/hangup", "commander1")
    finally:
        for p in phones.values():
            await p.disconnect()


async def test_an_answer_that_comes_while_the_ringing_waits_for_its_turn_connects_the_call(hall):
    """The answer takes the call's lock first and the ringing's next round waits behind it: that round finds the
    call answered and stops, it does not take 'nobody ringing any more' for a call nobody answered."""
    eid = await an_event(hall)
    for i, name in enumerate(("worker2", "worker5", "worker6")):
        await on_duty(hall, name, 100 + 100 * i)
    calls = hall.app[appkeys.CALLS]
    cid = (await post(hall, "/api/calls", "commander1", {"mode": "ring", "event": eid}, 201))["call"]["id"]
    live = calls._live[cid]
    await wait_until(lambda: len(live.record.ringing()) == 3, what="three phones to ring")
    ident = await calls_identity(hall, "worker5")
    async with live.lock:  # the ringing is between rounds; the answer, then the next round, queue for the lock
        answering = asyncio.ensure_future(calls.answer(ident, cid))
        await asyncio.sleep(0.05)
        live.wake.set()
        await asyncio.sleep(0.05)
    record = await answering
    await asyncio.sleep(0.5)  # the ringing's round runs after it
    record = await calls.get(cid)
    assert (record.state, record.callee.name) == ("connected", "worker5"), (record.state, record.outcome)
    await post(hall, f"/api/calls/{cid}/hangup", "commander1")


async def calls_identity(hall, name: str):
    from backend.auth import Identity
    token = hall.who[name]["Authorization"].split()[1]
    ident = await hall.app[appkeys.USERS].resolve(token)
    assert isinstance(ident, Identity)
    return ident


async def test_nobody_near_is_explained(hall):
    eid = await an_event(hall)
    await on_duty(hall, "worker2", 100, status="off_duty")
    resp = await hall.post("/api/calls", json={"mode": "nearest", "event": eid}, headers=hall.who["commander1"])
    assert resp.status == 409
    body = await resp.json()
    assert body["message"] and any(s["name"] == "worker2" and s["reason"] == "off_duty" for s in body["skipped"])


async def test_the_call_carries_pictures_and_voices_instructions_a_snapshot_and_goes_on_the_wall(hall):
    eid = await an_event(hall)
    await on_duty(hall, "worker2", 80)
    p2 = await phone(hall, "worker2")
    console, field = Side("red", 700.0), Side("blue", 1300.0)
    try:
        cid = (await post(hall, "/api/calls", "commander1", {"mode": "worker", "worker": "worker2", "event": eid},
                          201))["call"]["id"]
        await wait_until(lambda: p2.received["call:ring"], what="the ring")
        await post(hall, f"/api/calls/{cid}/answer", "worker2")

        async def join(side: Side, who: str) -> None:
            await side.pc.setLocalDescription(await side.pc.createOffer())
            resp = await hall.post(f"/api/calls/{cid}/join", data=side.pc.localDescription.sdp,
                                   headers={**hall.who[who], "Content-Type": "application/sdp"})
            assert resp.status == 201, await resp.text()
            from aiortc import RTCSessionDescription
            await side.pc.setRemoteDescription(RTCSessionDescription(await resp.text(), "answer"))
            await asyncio.wait_for(side.got.wait(), 15)

        await join(console, "commander1")
        await join(field, "worker2")
        await console.colour("blue")
        await field.colour("red")
        # an outsider cannot take a side
        outsider = Side("green", 900.0)
        await outsider.pc.setLocalDescription(await outsider.pc.createOffer())
        resp = await hall.post(f"/api/calls/{cid}/join", data=outsider.pc.localDescription.sdp,
                               headers={**hall.who["operator1"], "Content-Type": "application/sdp"})
        assert resp.status == 403
        await outsider.close()

        await post(hall, f"/api/calls/{cid}/text", "commander1", {"text": "Go to the north gate"})
        await wait_until(lambda: p2.received["call:text"], what="the instruction on the phone")
        assert p2.received["call:text"][0]["text"] == "Go to the north gate"

        shot = await post(hall, f"/api/calls/{cid}/snapshot", "commander1", status=201)
        ev = (await (await hall.get(f"/api/events/{eid}", headers=hall.who["operator1"])).json())["event"]
        assert shot["sha256"] in ev["photos"]

        placed = await post(hall, f"/api/calls/{cid}/wall", "commander1", {"screen": "lcd-1-1"})
        assert placed["window"]["source"] == f"call:{cid}"
        wall = await (await hall.get("/api/wall", headers=hall.who["operator1"])).json()
        assert {"id": f"call:{cid}", "state": "live"} in [{k: s.get(k) for k in ("id", "state")}
                                                           for s in wall["sources"]]
        await post(hall, f"/api/calls/{cid}/hangup", "commander1")
        wall = await (await hall.get("/api/wall", headers=hall.who["operator1"])).json()
        assert next(s for s in wall["sources"] if s["id"] == f"call:{cid}")["state"] == "ended"
        assert hall.app[appkeys.MEDIA].source(f"call:{cid}").state() == "ended"  # the window shows ENDED
    finally:
        await console.close()
        await field.close()
        await p2.disconnect()


async def test_who_may_start_answer_see_and_join_calls(hall):
    eid = await an_event(hall)
    await on_duty(hall, "worker2", 100)
    for who in ("worker1", "expert1", "integration", "dept1"):
        resp = await hall.post("/api/calls", json={"mode": "nearest", "event": eid}, headers=hall.who[who])
        assert resp.status == 403, who
    cid = (await post(hall, "/api/calls", "commander1", {"mode": "nearest", "event": eid}, 201))["call"]["id"]
    # a worker the call did not ring neither sees nor answers it
    assert (await hall.get(f"/api/calls/{cid}", headers=hall.who["worker1"])).status == 404
    assert (await hall.post(f"/api/calls/{cid}/answer", headers=hall.who["worker1"], json={})).status == 404
    assert (await hall.get(f"/api/calls/{cid}", headers=hall.who["worker2"])).status == 200
    assert (await hall.get("/api/calls", headers=hall.who["worker1"])).status == 200
    assert (await (await hall.get("/api/calls", headers=hall.who["worker1"])).json())["calls"] == []
    # the caller's instructions are theirs; screens and experts have no business here
    assert (await hall.post(f"/api/calls/{cid}/text", json={"text": "x"}, headers=hall.who["operator1"])).status == 403
    assert (await hall.get(f"/api/calls/{cid}", headers=hall.who["expert1"])).status == 403
    bad = await hall.post("/api/calls", json={"mode": "worker", "event": eid}, headers=hall.who["commander1"])
    assert bad.status == 422 and (await bad.json())["errors"][0]["path"] == "worker"
    await post(hall, f"/api/calls/{cid}/hangup", "commander1")
    record = await hall.app[appkeys.CALLS].get(cid)
    assert record.outcome == "cancelled"
    assert await hall.app[appkeys.REDIS].zscore(keys.calls_of_event(eid), cid) is not None


async def test_a_recorded_call_is_an_mp4_of_the_picture_and_both_voices_for_those_who_see_the_event(hall):
    import av

    eid = await an_event(hall)
    await on_duty(hall, "worker2", 80)
    console, field = Side("red", 700.0), Side("blue", 1300.0)
    try:
        cid = (await post(hall, "/api/calls", "commander1", {"mode": "worker", "worker": "worker2", "event": eid},
                          201))["call"]["id"]
        refused = await hall.post(f"/api/calls/{cid}/recording", json={"on": True}, headers=hall.who["commander1"])
        assert refused.status == 409  # nothing to record before an answer
        await post(hall, f"/api/calls/{cid}/answer", "worker2")
        for side, who in ((console, "commander1"), (field, "worker2")):
            await side.pc.setLocalDescription(await side.pc.createOffer())
            resp = await hall.post(f"/api/calls/{cid}/join", data=side.pc.localDescription.sdp,
                                   headers={**hall.who[who], "Content-Type": "application/sdp"})
            from aiortc import RTCSessionDescription
            await side.pc.setRemoteDescription(RTCSessionDescription(await resp.text(), "answer"))
        await console.colour("blue")
        started = (await post(hall, f"/api/calls/{cid}/recording", "commander1", {"on": True}))["call"]
        assert started["recording"]["state"] == "recording" and "file" not in started["recording"]
        await asyncio.sleep(3)
        await post(hall, f"/api/calls/{cid}/hangup", "commander1")
    finally:
        await console.close()
        await field.close()
    call = (await (await hall.get(f"/api/calls?event={eid}", headers=hall.who["operator1"])).json())["calls"][0]
    assert call["recording"]["state"] == "done" and call["recording"]["seconds"] >= 2.5, call["recording"]
    resp = await hall.get(call["recording"]["url"], headers=hall.who["operator1"])
    assert resp.status == 200 and resp.content_type == "video/mp4"
    with av.open(io.BytesIO(await resp.read())) as mp4:
        kinds = {s.type for s in mp4.streams}
        assert kinds == {"video", "audio"}
        assert float(mp4.duration / av.time_base) >= 2.0
        audio = np.concatenate([f.to_ndarray().reshape(-1) for f in mp4.decode(audio=0)])
    assert np.sqrt(np.mean(audio ** 2)) > 0.01  # the voices are in it, not silence
    # a worker of another grid does not see the event, nor its recording
    assert (await hall.get(call["recording"]["url"], headers=hall.who["worker1"])).status == 404
    assert (await hall.get(call["recording"]["url"], headers=hall.who["expert1"])).status == 403



async def test_a_calls_end_is_pushed_once_its_record_is_on_the_events_audit_log(hall):
    """The console reads the event again when its call ends: the record must be there by then."""
    eid = await an_event(hall)
    await on_duty(hall, "worker2", 100)
    audits_at_end: list[list[str]] = []

    async def at_the_end(what: str, data: dict, to: tuple[str, str]) -> None:
        if what == "call:state" and data["state"] == "ended":
            audits_at_end.append([a["action"] for a in await hall.app[appkeys.EVENTS].store.audit(eid)])

    hall.app[appkeys.CALLS].hooks.append(at_the_end)
    cid = (await post(hall, "/api/calls", "commander1", {"mode": "nearest", "event": eid}, 201))["call"]["id"]
    await post(hall, f"/api/calls/{cid}/hangup", "commander1")
    assert audits_at_end and all("call" in actions for actions in audits_at_end)
