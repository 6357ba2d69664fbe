"""Consultation rooms over the real app (real Redis, real Socket.IO clients, the real media server, aiortc peers as
participants): opened about an event by the hall's staff, an expert invited by a link that opens this room only,
everyone told of joins, drops and the host's actions, the host's controls (mute, remove, spotlight, share a
source, lock) and who may do what."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from aiortc import RTCSessionDescription

from backend import appkeys
from tests.conftest import connect_socket, wait_until
from tests.events_support import CFG, make_client, report_body, tokens
from tests.test_media_rooms import Participant

pytestmark = pytest.mark.slow
EVENTS = ("room:state", "room:host", "room:joined", "room:left", "room:rejoined", "room:muted", "room:removed",
          "room:closed")


@pytest.fixture
async def hall(redis_url, tmp_path):
    cfg = CFG.model_copy(update={"rooms": CFG.rooms.model_copy(update={"reconnect_grace_s": 5.0})})
    api = await make_client(redis_url, tmp_path, cfg)
    await asyncio.to_thread(api.app[appkeys.MEDIA].start)
    api.who = await tokens(api, cfg)
    try:
        yield api
    finally:
        await api.app[appkeys.ROOMS].close_all()
        await api.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(hall, method: str, path: str, who: dict[str, str], body: dict | None = None, status: int = 200):
    resp = await hall.request(method, path, json=body if body is not None else {}, headers=who)
    assert resp.status == status, (method, path, await resp.text())
    return await resp.json() if resp.content_type == "application/json" else None


async def an_event(hall) -> str:
    resp = await hall.post("/api/events", json=report_body(), headers=hall.who["integration"])
    assert resp.status == 201, await resp.text()
    return (await resp.json())["event"]["id"]


async def join(hall, room_id: str, p: Participant, who: dict[str, str], status: int = 201) -> str:
    await p.pc.setLocalDescription(await p.pc.createOffer())
    resp = await hall.post(f"/api/rooms/{room_id}/join", data=p.pc.localDescription.sdp,
                           headers={**who, "Content-Type": "application/sdp"})
    text = await resp.text()
    assert resp.status == status, text
    if status == 201:
        await p.pc.setRemoteDescription(RTCSessionDescription(text, "answer"))
        await asyncio.wait_for(p.got.wait(), 15)
    return text


async def listen(hall, token: str, room_id: str):
    return await connect_socket(hall, "/room", token, events=EVENTS, extra={"room": room_id})


def token_of(who: dict[str, str]) -> str:
    return who["Authorization"].split()[1]


async def test_a_room_about_an_event_with_an_invited_expert_who_gets_into_this_room_only(hall):
    eid = await an_event(hall)
    room = (await call(hall, "POST", "/api/rooms", hall.who["commander1"],
                       {"title": "Flooded underpass", "event": eid}, 201))["room"]
    rid = room["id"]
    assert room["host"] == "commander1" and room["event"]["id"] == eid and room["you"]["host"]
    assert "contact" not in str(room["event"])  # the resident's contact stays with the event
    other = (await call(hall, "POST", "/api/rooms", hall.who["operator1"], {"title": "Another"}, 201))["room"]["id"]
    # the hall's expert and a grid worker see it; a department and an integration are not room people
    listed = (await call(hall, "GET", "/api/rooms", hall.who["expert1"]))["rooms"]
    assert {r["id"] for r in listed} >= {rid, other}
    await call(hall, "GET", f"/api/rooms/{rid}", hall.who["dept1"], status=403)
    await call(hall, "POST", "/api/rooms", hall.who["expert1"], {"title": "x"}, status=403)
    # the host invites an expert from outside: the link's token opens this room and nothing else
    await call(hall, "POST", f"/api/rooms/{rid}/invite", hall.who["operator1"], {"name": "Dr Wang"}, status=403)
    inv = await call(hall, "POST", f"/api/rooms/{rid}/invite", hall.who["commander1"], {"name": "Dr Wang"}, 201)
    assert inv["url"].startswith(f"/room/{rid}?invite=")
    guest = bearer(inv["url"].split("invite=")[1])
    got = (await call(hall, "GET", f"/api/rooms/{rid}", guest))["room"]
    assert got["id"] == rid and not got["you"]["host"]
    assert [r["id"] for r in (await call(hall, "GET", "/api/rooms", guest))["rooms"]] == [rid]
    await call(hall, "GET", f"/api/rooms/{other}", guest, status=404)
    await call(hall, "GET", "/api/events", guest, status=403)
    await call(hall, "GET", "/api/wall", guest, status=403)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await listen(hall, token_of(guest), other)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect_socket(hall, "/console", token_of(guest))
    # in the room: everyone hears who comes; the guest's name is the invitation's
    host_ear = await listen(hall, token_of(hall.who["commander1"]), rid)
    host, expert, operator = Participant("a"), Participant("b", camera=False), Participant("c")
    try:
        await join(hall, rid, host, hall.who["commander1"])
        await join(hall, rid, expert, guest)
        await wait_until(lambda: len(host_ear.received["room:joined"]) == 2, what="two joins told")
        assert host_ear.received["room:joined"][1]["name"] == "Dr Wang"
        await wait_until(lambda: any(len(s["members"]) == 2 and all(m["state"] == "connected"
                                                                     for m in s["members"].values())
                                     for s in host_ear.received["room:state"]), timeout=15,
                         what="both connected")
        state = host_ear.received["room:state"][-1]
        gid = inv["guest"]
        assert state["members"][gid]["name"] == "Dr Wang" and state["members"][gid]["role"] == "expert"
        assert state["members"][gid]["camera"] is False and state["members"]["commander1"]["camera"] is True
        # the event lists the room; the guest cannot reach the event itself
        assert rid in [r["id"] for r in (await call(hall, "GET", f"/api/rooms?event={eid}&open=false",
                                                    hall.who["operator1"]))["rooms"]]
        await call(hall, "GET", f"/api/events/{eid}", guest, status=403)
        # the host leaves: the controls pass to the hall's staff member in the room, not to the guest
        await join(hall, rid, operator, hall.who["operator1"])
        await call(hall, "POST", f"/api/rooms/{rid}/leave", hall.who["commander1"], status=204)
        await wait_until(lambda: host_ear.received["room:host"], what="the new host told")
        assert host_ear.received["room:host"][0]["id"] == "operator1"
        await call(hall, "POST", f"/api/rooms/{rid}/lock", hall.who["operator1"], {"locked": True})
        await call(hall, "POST", f"/api/rooms/{rid}/lock", hall.who["commander1"], {"locked": False}, status=403)
    finally:
        await host_ear.disconnect()
        for p in (host, expert, operator):
            await p.close()


async def test_the_host_mutes_spotlights_shares_locks_removes_and_closes(hall):
    rid = (await call(hall, "POST", "/api/rooms", hall.who["commander1"], {"title": "Levee"}, 201))["room"]["id"]
    inv = await call(hall, "POST", f"/api/rooms/{rid}/invite", hall.who["commander1"], {"name": "Dr Li"}, 201)
    guest, gid = bearer(inv["url"].split("invite=")[1]), inv["guest"]
    ear = await listen(hall, token_of(hall.who["worker1"]), rid)
    people = [Participant("a"), Participant("b"), Participant("c")]
    try:
        await join(hall, rid, people[0], hall.who["commander1"])
        await join(hall, rid, people[1], hall.who["worker1"])
        await join(hall, rid, people[2], guest)
        base = f"/api/rooms/{rid}"
        # anyone mutes themselves; only the host mutes others
        await call(hall, "POST", f"{base}/participants/commander1/mute", hall.who["worker1"], {"muted": True}, 403)
        await call(hall, "POST", f"{base}/participants/worker1/mute", hall.who["worker1"], {"muted": True})
        room = (await call(hall, "POST", f"{base}/participants/{gid}/mute", hall.who["commander1"],
                           {"muted": True}))["room"]
        assert room["members"][gid]["muted"] and room["members"]["worker1"]["muted"]
        await wait_until(lambda: {m["id"] for m in ear.received["room:muted"]} == {"worker1", gid},
                         what="mutes told")
        # spotlight, a shared camera of the wall, an unknown source refused
        await call(hall, "POST", f"{base}/spotlight", hall.who["worker1"], {"participant": gid}, 403)
        room = (await call(hall, "POST", f"{base}/spotlight", hall.who["commander1"], {"participant": gid}))["room"]
        assert room["spotlight"] == gid
        await call(hall, "POST", f"{base}/share-source", hall.who["commander1"], {"source": "no-such"}, 404)
        source = hall.app[appkeys.WALL_CONTROL].sources()[0]["id"]
        room = (await call(hall, "POST", f"{base}/share-source", hall.who["commander1"], {"source": source}))["room"]
        assert room["shared"]["source"] == source
        await call(hall, "POST", f"{base}/share-source", hall.who["commander1"], {"source": None})
        # locked: nobody new; the host's own people still rejoin
        await call(hall, "POST", f"{base}/lock", hall.who["commander1"], {"locked": True})
        late = Participant("d")
        try:
            text = await join(hall, rid, late, hall.who["operator1"], status=403)
            assert "locked" in text
        finally:
            await late.close()
        # removed: the guest is out, their link no longer opens anything
        await call(hall, "DELETE", f"{base}/participants/{gid}", hall.who["worker1"], status=403)
        room = (await call(hall, "DELETE", f"{base}/participants/{gid}", hall.who["commander1"]))["room"]
        assert gid not in room["members"]
        await wait_until(lambda: ear.received["room:removed"], what="the removal told")
        resp = await hall.get(f"/api/rooms/{rid}", headers=guest)
        assert resp.status == 401
        # closed: everyone told, the room gone from the open list, its record kept
        await call(hall, "POST", f"{base}/close", hall.who["worker1"], status=403)
        room = (await call(hall, "POST", f"{base}/close", hall.who["commander1"]))["room"]
        assert room["closed_at"] and not room["members"]
        await wait_until(lambda: ear.received["room:closed"], what="the close told")
        assert rid not in [r["id"] for r in (await call(hall, "GET", "/api/rooms", hall.who["worker1"]))["rooms"]]
        assert hall.app[appkeys.MEDIA].encoders.stats() == []
    finally:
        await ear.disconnect()
        for p in people:
            await p.close()


async def test_a_dropped_participant_is_reconnecting_then_back_or_gone(hall):
    rid = (await call(hall, "POST", "/api/rooms", hall.who["commander1"], {"title": "Storm"}, 201))["room"]["id"]
    ear = await listen(hall, token_of(hall.who["commander1"]), rid)
    host, worker, again = Participant("a"), Participant("b"), Participant("b")
    rooms = hall.app[appkeys.ROOMS]
    try:
        await join(hall, rid, host, hall.who["commander1"])
        await join(hall, rid, worker, hall.who["worker2"])
        await wait_until(lambda: rooms._live[rid].record.members["worker2"].state == "connected",
                         timeout=15, what="worker2 connected")
        await worker.close()  # the phone's network is gone
        await wait_until(lambda: rooms._live[rid].record.members["worker2"].state == "reconnecting", timeout=15,
                         what="worker2 reconnecting")
        await join(hall, rid, again, hall.who["worker2"])  # a new peer connection, the same member
        await wait_until(lambda: ear.received["room:rejoined"], what="the rejoin told")
        await wait_until(lambda: rooms._live[rid].record.members["worker2"].state == "connected", timeout=15,
                         what="worker2 back")
        await asyncio.sleep(6)  # longer than the grace: still in, since they came back
        assert "worker2" in rooms._live[rid].record.members
        await again.close()
        await wait_until(lambda: "worker2" not in rooms._live[rid].record.members, timeout=25,
                         what="worker2 gone after the grace")
        await wait_until(lambda: ear.received["room:left"], what="the leave told")  # the push follows the change
        left = ear.received["room:left"][-1]
        assert left["id"] == "worker2" and "did not come back" in left["why"]
    finally:
        await ear.disconnect()
        for p in (host, worker, again):
            await p.close()


async def test_a_participant_dropped_while_its_answer_is_made_is_told_to_join_again_and_can(hall):
    rid = (await call(hall, "POST", "/api/rooms", hall.who["commander1"], {"title": "Busy"}, 201))["room"]["id"]
    rooms = hall.app[appkeys.ROOMS]
    media = rooms._live[rid].media
    real = media.join

    async def answer_then_dropped(pid, *args):  # a leave (or the end of the grace) lands while the answer is made
        answer = await real(pid, *args)
        await media.leave(pid)
        return answer

    first, again = Participant("b"), Participant("b")
    try:
        media.join = answer_then_dropped
        said = await join(hall, rid, first, hall.who["worker2"], status=503)
        assert "join again" in said  # not a server error: the page's rejoin tries again
        assert "worker2" not in rooms._live[rid].record.members
        media.join = real
        await join(hall, rid, again, hall.who["worker2"])
        await wait_until(lambda: rooms._live[rid].record.members["worker2"].state == "connected", timeout=15,
                         what="worker2 in")
    finally:
        for p in (first, again):
            await p.close()


async def test_bad_requests_name_their_field(hall):
    resp = await hall.post("/api/rooms", json={"title": ""}, headers=hall.who["commander1"])
    assert resp.status == 422 and "title" in await resp.text()
    resp = await hall.post("/api/rooms", json={"title": "x", "event": "nope"}, headers=hall.who["commander1"])
    assert resp.status == 404
    rid = (await call(hall, "POST", "/api/rooms", hall.who["commander1"], {"title": "x"}, 201))["room"]["id"]
    resp = await hall.post(f"/api/rooms/{rid}/join", data="not sdp",
                           headers={**hall.who["commander1"], "Content-Type": "application/sdp"})
    assert resp.status == 400 and "v=" in await resp.text()
    resp = await hall.post(f"/api/rooms/{rid}/join?size=huge", data="v=0",
                           headers={**hall.who["commander1"], "Content-Type": "application/sdp"})
    assert resp.status == 422 and "size" in await resp.text()
    assert hall.app[appkeys.ROOMS]._live[rid].record.members == {}  # nothing half-made


async def test_the_halls_own_audio_joins_as_hall_and_every_console_hears_of_the_room(hall):
    console = await connect_socket(hall, "/console", token_of(hall.who["operator1"]), events=("room",))
    rid = (await call(hall, "POST", "/api/rooms", hall.who["commander1"], {"title": "Bridge"}, 201))["room"]["id"]
    inv = await call(hall, "POST", f"/api/rooms/{rid}/invite", hall.who["commander1"], {"name": "Dr Gao"}, 201)
    guest = bearer(inv["url"].split("invite=")[1])
    # what the room's page needs comes with the room, to a guest too (GET /api/hall is not theirs)
    for who in (hall.who["worker1"], guest):
        got = await call(hall, "GET", f"/api/rooms/{rid}", who)
        assert got["reconnect_grace_s"] == 5.0 and got["ice_servers"] == []
    hall_audio, worker = Participant("a", camera=False), Participant("b", camera=False)
    try:
        # the operator joins with the hall's microphone and speakers: their own member, named "Hall", no camera
        resp = await hall.post(f"/api/rooms/{rid}/join?hall=true", data="v=0",
                               headers={**hall.who["worker1"], "Content-Type": "application/sdp"})
        assert resp.status == 403 and "staff" in await resp.text()
        await p_offer(hall_audio)
        resp = await hall.post(f"/api/rooms/{rid}/join?hall=true", data=hall_audio.pc.localDescription.sdp,
                               headers={**hall.who["operator1"], "Content-Type": "application/sdp"})
        assert resp.status == 201, await resp.text()
        member = hall.app[appkeys.ROOMS]._live[rid].record.members["operator1"]
        assert (member.name, member.camera) == ("Hall", False)
        await join(hall, rid, worker, hall.who["worker1"])
        # every console hears who is in which room, without asking
        await wait_until(lambda: any(r["id"] == rid and set(r["members"]) == {"operator1", "worker1"}
                                     for r in console.received["room"]), what="the room pushed to consoles")
    finally:
        await console.disconnect()
        for p in (hall_audio, worker):
            await p.close()


async def p_offer(p: Participant) -> None:
    await p.pc.setLocalDescription(await p.pc.createOffer())
