"""The intercom over the real app (real Redis, real Socket.IO clients for the phones, the real media server, aiortc
peers singing one tone each for the field pages and the commander): only the floor holder is heard, the queue in
order, the commander's take, the floor released after max_talk_s, each transmission a clip to replay, who is in
which group (404 for anyone else), ad hoc groups."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from backend import appkeys
from tests.conftest import connect_socket, wait_until
from tests.events_support import CFG, make_client, tokens
from tests.test_media_calls import loud_at
from tests.test_media_intercom import Member, decode_clip

pytestmark = pytest.mark.slow
SDP = {"Content-Type": "application/sdp"}
STREET = "street:s-west"  # worker1, worker2, worker3 (and more) while on duty
# apart by no multiple of 50 Hz: a voice starved now and then on a busy machine (20 ms gaps) splatters onto
# the 50 Hz sidebands of its tone, which must not be mistaken for another member's voice
TONES = {"worker1": 500.0, "worker2": 825.0, "worker3": 1160.0, "commander1": 1390.0}


def levels(pcm: np.ndarray) -> dict[str, float]:
    return {n: round(loud_at(pcm, hz), 2) for n, hz in TONES.items()}


@pytest.fixture
async def hall(redis_url, tmp_path, request):
    talk = getattr(request, "param", 60.0)
    cfg = CFG.model_copy(update={"sources": [], "intercom": CFG.intercom.model_copy(update={"max_talk_s": talk})})
    api = await make_client(redis_url, tmp_path, cfg)
    await asyncio.to_thread(api.app[appkeys.MEDIA].start)
    api.who = await tokens(api, cfg)
    api.data_dir = tmp_path
    try:
        yield api
    finally:
        await api.close()


async def on_duty(hall, *names: str) -> None:
    for name in names:
        await hall.app[appkeys.WORKERS].set_status(name, "on_duty")


async def call(hall, method: str, path: str, who: str, status: int = 200, **kw) -> dict:
    resp = await hall.request(method, path, headers=hall.who[who], **kw)
    assert resp.status == status, (method, path, who, await resp.text())
    return await resp.json() if resp.content_type == "application/json" else {}


async def join(hall, gid: str, who: str, hz: float | None = None) -> Member:
    member = Member(who, hz or TONES[who])
    resp = await hall.post(f"/api/intercom/groups/{gid}/join", data=await member.offer(),
                           headers={**SDP, **hall.who[who]})
    assert resp.status == 201, await resp.text()
    assert resp.headers["Location"].startswith(f"/api/intercom/groups/{gid}/sessions/")
    member.location = resp.headers["Location"]
    await member.accept(await resp.text())
    return member


async def phone(hall, name: str):
    return await connect_socket(hall, "/field", hall.who[name]["Authorization"].split()[1],
                                events=("intercom:floor", "intercom:clip", "intercom:groups"))


async def test_only_the_floor_holder_is_heard_the_queue_follows_in_order_and_the_commander_takes_it(hall):
    await on_duty(hall, "worker1", "worker2", "worker3")
    phones = {n: await phone(hall, n) for n in ("worker1", "worker2", "worker3")}
    members = {n: await join(hall, STREET, n) for n in TONES}
    try:
        # nobody holds the floor: four open microphones, and nobody hears a thing
        quiet = await members["worker3"].heard()
        assert float(np.abs(quiet).max()) < 0.01, levels(quiet)

        got = await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/request", "worker1", json={})
        assert got["position"] == 0 and got["floor"]["holder"] == "worker1"
        assert got["floor"]["names"]["worker1"] == "Grid worker Chen" and got["floor"]["until"] is not None
        got = await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/request", "worker2", json={})
        assert got["position"] == 1 and got["floor"]["queue"] == ["worker2"]  # queued: its voice is not mixed
        for pcm in await asyncio.gather(members["worker3"].heard(), members["commander1"].heard()):
            heard = levels(pcm)
            assert heard["worker1"] > 0.5 and max(heard["worker2"], heard["worker3"], heard["commander1"]) < 0.1, heard
        await wait_until(lambda: any(f["queue"] == ["worker2"] for f in phones["worker2"].received["intercom:floor"]),
                         what="the queued worker's phone to know its place")

        # the holder lets go: the first in the queue gets the floor and is heard, the one before is not
        got = await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/release", "worker1", json={})
        assert got["floor"]["holder"] == "worker2" and got["floor"]["queue"] == [] and got["position"] is None
        for pcm in await asyncio.gather(members["worker1"].heard(), members["worker3"].heard()):
            heard = levels(pcm)
            assert heard["worker2"] > 0.5 and max(heard["worker1"], heard["worker3"], heard["commander1"]) < 0.1, heard

        # worker3 waits; the commander takes the floor at once: worker2 is cut off and told, nobody is queued
        await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/request", "worker3", json={})
        got = await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/take", "commander1", json={})
        assert got["floor"]["holder"] == "commander1" and got["floor"]["queue"] == ["worker3"]
        for pcm in await asyncio.gather(members["worker1"].heard(), members["worker2"].heard()):
            heard = levels(pcm)
            assert heard["commander1"] > 0.5 and max(heard["worker1"], heard["worker2"], heard["worker3"]) < 0.1, heard
        await wait_until(lambda: any(f.get("reason") == "take" for f in phones["worker2"].received["intercom:floor"]),
                         what="the cut-off worker's phone to be told")
        take = next(f for f in phones["worker2"].received["intercom:floor"] if f.get("reason") == "take")
        assert take["cut_off"] == "worker2" and take["by"] == "commander1" and take["group"] == STREET
        forbidden = await hall.post(f"/api/intercom/groups/{STREET}/floor/take", headers=hall.who["worker1"], json={})
        assert forbidden.status == 403  # a worker asks, and waits in line
        await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/release", "commander1", json={})
        await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/release", "worker3", json={})  # as granted
    finally:
        for m in members.values():
            await m.close()
        for p in phones.values():
            await p.disconnect()


async def test_each_transmission_is_a_clip_the_group_replays_with_the_speakers_voice(hall):
    await on_duty(hall, "worker1", "worker21")
    gid = "grid:g01"
    a, b = await join(hall, gid, "worker1"), await join(hall, gid, "worker21", 1720.0)
    p21 = await phone(hall, "worker21")
    try:
        await call(hall, "POST", f"/api/intercom/groups/{gid}/floor/request", "worker1", json={})
        await asyncio.sleep(1.5)
        await call(hall, "POST", f"/api/intercom/groups/{gid}/floor/release", "worker1", json={})
        await wait_until(lambda: p21.received["intercom:clip"], what="the clip to be announced")
    finally:
        await a.close()
        await b.close()
    clip = p21.received["intercom:clip"][0]
    await p21.disconnect()
    assert clip["group"] == gid and clip["speaker"] == "worker1" and 1.0 < clip["seconds"] < 3.0
    listed = (await call(hall, "GET", f"/api/intercom/groups/{gid}/clips", "worker21"))["clips"]
    assert [c["id"] for c in listed] == [clip["id"]] and "file" not in listed[0]
    resp = await hall.get(clip["url"], headers=hall.who["worker21"])
    assert resp.status == 200 and resp.content_type == "audio/ogg"
    path = hall.data_dir / "clip.ogg"
    path.write_bytes(await resp.read())
    pcm = await asyncio.to_thread(decode_clip, str(path))
    heard = {n: round(loud_at(pcm[9600:], hz), 2) for n, hz in (("worker1", 500.0), ("worker21", 1720.0))}
    assert heard["worker1"] > 0.5 and heard["worker21"] < 0.1, heard
    # not a member of the group (another grid's worker): the clip does not exist for them
    await on_duty(hall, "worker5")
    assert (await hall.get(clip["url"], headers=hall.who["worker5"])).status == 404
    # past the replay window the sweeper deletes it, file and record
    intercom = hall.app[appkeys.INTERCOM]
    intercom.cfg = intercom.cfg.model_copy(update={"replay_minutes": 0.0001})
    assert await intercom.sweep() == 1
    assert not list((hall.data_dir / "intercom").iterdir())
    assert (await hall.get(clip["url"], headers=hall.who["worker21"])).status == 404


@pytest.mark.parametrize("hall", [1.5], indirect=True)
async def test_the_floor_is_released_after_max_talk_s_to_the_next_in_line(hall):
    await on_duty(hall, "worker1", "worker2")
    p1 = await phone(hall, "worker1")
    try:
        await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/request", "worker1", json={})
        got = await call(hall, "POST", f"/api/intercom/groups/{STREET}/floor/request", "worker2", json={})
        assert got["position"] == 1
        await wait_until(lambda: any(f.get("reason") == "expired" for f in p1.received["intercom:floor"]),
                         timeout=10, what="the holder's time to run out")
        expired = next(f for f in p1.received["intercom:floor"] if f.get("reason") == "expired")
        assert expired["cut_off"] == "worker1" and expired["holder"] == "worker2"
        got = await call(hall, "GET", f"/api/intercom/groups/{STREET}", "worker2")
        assert got["group"]["floor"]["holder"] == "worker2" and got["group"]["you"]["position"] == 0
    finally:
        await p1.disconnect()


async def test_a_worker_has_their_groups_while_on_duty_and_nobody_else_finds_them(hall):
    assert (await call(hall, "GET", "/api/intercom/groups", "worker1"))["groups"] == []  # off duty
    r = await hall.get("/api/intercom/groups/grid:g01", headers=hall.who["worker1"])
    assert r.status == 404
    member = Member("worker1", 500.0)
    r = await hall.post("/api/intercom/groups/grid:g01/join", data=await member.offer(),
                        headers={**SDP, **hall.who["worker1"]})
    await member.close()
    assert r.status == 404
    await on_duty(hall, "worker1", "worker5")
    mine = {g["id"] for g in (await call(hall, "GET", "/api/intercom/groups", "worker1"))["groups"]}
    assert mine == {"grid:g01", "grid:g03", "street:s-west", "street:s-east"}
    for path in ("/api/intercom/groups/grid:g01", "/api/intercom/groups/grid:g01/clips"):
        assert (await hall.get(path, headers=hall.who["worker5"])).status == 404  # another grid's worker
    r = await hall.post("/api/intercom/groups/grid:g01/floor/request", headers=hall.who["worker5"], json={})
    assert r.status == 404
    r = await hall.post("/api/intercom/groups/grid:g01/floor/request", headers=hall.who["dept1"], json={})
    assert r.status == 404  # a department's user is in their departments' groups only
    dept = {g["id"] for g in (await call(hall, "GET", "/api/intercom/groups", "dept1"))["groups"]}
    assert "dept:sanitation" in dept and not any(g.startswith(("grid:", "street:")) for g in dept)
    everything = (await call(hall, "GET", "/api/intercom/groups", "operator1"))["groups"]
    assert len(everything) == len(hall.app[appkeys.INTERCOM].hall)
    g01 = next(g for g in everything if g["id"] == "grid:g01")
    assert g01["members"] == ["worker1"]  # worker21 is off duty
    for who, status in (("expert1", 403), ("integration", 403)):
        assert (await hall.get("/api/intercom/groups", headers=hall.who[who])).status == status
    assert (await hall.get("/api/intercom/groups")).status == 401


async def test_the_centre_makes_and_deletes_ad_hoc_groups(hall):
    await on_duty(hall, "worker7")
    p7 = await phone(hall, "worker7")
    try:
        bad = await hall.post("/api/intercom/groups", headers=hall.who["commander1"],
                              json={"name": "Flood watch", "members": ["worker7", "operator2"]})
        assert bad.status == 422 and (await bad.json())["errors"][0]["path"] == "members[1]"
        made = (await call(hall, "POST", "/api/intercom/groups", "commander1", 201,
                           json={"name": "Flood watch", "members": ["worker7", "dept1"]}))["group"]
        gid = made["id"]
        assert gid.startswith("adhoc:") and made["kind"] == "adhoc" and made["members"] == ["dept1", "worker7"]
        await wait_until(lambda: p7.received["intercom:groups"], what="the member's phone to hear of it")
        assert gid in {g["id"] for g in (await call(hall, "GET", "/api/intercom/groups", "worker7"))["groups"]}
        assert gid in {g["id"] for g in (await call(hall, "GET", "/api/intercom/groups", "dept1"))["groups"]}
        assert (await hall.get(f"/api/intercom/groups/{gid}", headers=hall.who["worker1"])).status == 404
        denied = await hall.post("/api/intercom/groups", headers=hall.who["worker7"],
                                 json={"name": "Mine", "members": ["worker7"]})
        assert denied.status == 403
        assert (await hall.delete("/api/intercom/groups/grid:g01", headers=hall.who["commander1"])).status == 409
        await call(hall, "DELETE", f"/api/intercom/groups/{gid}", "commander1", 204)
        assert (await hall.get(f"/api/intercom/groups/{gid}", headers=hall.who["worker7"])).status == 404
    finally:
        await p7.disconnect()
