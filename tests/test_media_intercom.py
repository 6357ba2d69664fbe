"""A talkgroup's media through the media server, with aiortc peers as members singing one tone each: only the floor
holder is heard (an open microphone never leaks), the floor's sound is encoded once for everyone, and every floor
hold is one clip that decodes back to the speaker's voice."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from layouts import SpliceBlock, WallSpec, build_wall
from media.audio import SAMPLE_RATE, frame_to_mono
from media.intercom import TalkgroupMedia, check_talk_offer
from media.server import MediaServer, MediaSettings
from media.webrtc import OfferRejected
from tests.test_media_calls import ToneTrack, loud_at

pytestmark = pytest.mark.slow
# apart by no multiple of 50 Hz: on a loaded machine the received sound picks up a 20 ms periodic artefact (its
# harmonics fall on every 50 Hz), which must not be read as another member's voice
TONES = {"a": 500.0, "b": 825.0, "c": 1160.0}


class Member:
    """A field page's talkgroup connection: its microphone (a tone) sent, the group's sound received."""

    def __init__(self, name: str, hz: float | None = None) -> None:
        self.name = name
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver(ToneTrack(hz or TONES[name]), direction="sendrecv")
        self.track: MediaStreamTrack | None = None
        self.got = asyncio.Event()
        self.frames: list[np.ndarray] = []  # what arrived, read all along (an unread receiver would pile it up)
        self.reader: asyncio.Task[None] | None = None

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            self.track = track
            self.reader = asyncio.ensure_future(self._read(track))
            self.got.set()

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                self.frames.append(frame_to_mono(await track.recv()))
        except Exception:  # the connection closed
            pass

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait_for(self.got.wait(), 15)

    async def join(self, group: TalkgroupMedia) -> None:
        _, answer = await group.join(self.name, await self.offer(), self.name)
        await self.accept(answer)

    async def heard(self, seconds: float = 1.0, skip: float = 0.4) -> np.ndarray:
        """What arrives over `seconds`, after `skip` seconds of what was already on its way (20 ms frames)."""
        await asyncio.sleep(skip)
        self.frames = []
        for _ in range(int(seconds * 100)):
            if len(self.frames) >= seconds * 50:
                break
            await asyncio.sleep(0.02)
        assert self.frames, f"{self.name} received nothing"
        return np.concatenate(self.frames)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        await self.pc.close()


def levels(pcm: np.ndarray) -> dict[str, float]:
    return {n: round(loud_at(pcm, hz), 2) for n, hz in TONES.items()}


@pytest.fixture
async def server():
    wall = build_wall(WallSpec(px_per_mm=1, blocks=[SpliceBlock(id="b", kind="lcd", rows=1, cols=1,
                                                                origin_mm=(0, 0), panel_size_mm=(640, 360),
                                                                resolution=(640, 360))]))
    media = MediaServer(wall, [], MediaSettings(labels=False))
    await asyncio.to_thread(media.start)
    yield media
    await media.stop()


def test_a_talkgroup_offer_must_carry_voice_both_ways():
    with pytest.raises(OfferRejected) as exc:
        check_talk_offer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                         "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=recvonly\r\n")
    assert exc.value.field == "m=audio"
    with pytest.raises(OfferRejected) as exc:
        check_talk_offer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:x\r\na=ice-pwd:y\r\n"
                         "a=fingerprint:sha-256 00\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                         "a=rtpmap:111 opus/48000/2\r\na=recvonly\r\n")
    assert exc.value.field == "a=sendrecv"
    with pytest.raises(OfferRejected):
        check_talk_offer("not sdp")


async def test_only_the_floor_holder_is_heard_and_the_floor_is_encoded_once(server):
    group = TalkgroupMedia(server, "grid:g01")
    group.start()
    members = {n: Member(n) for n in TONES}
    try:
        for m in members.values():
            await m.join(group)
        # nobody holds the floor: three open microphones, and nobody hears a thing
        quiet = await members["b"].heard()
        assert float(np.abs(quiet).max()) < 0.01, levels(quiet)
        # a has the floor: b and c hear a, and neither their own tone nor each other's
        await group.give_floor("a")
        heard_b, heard_c = await asyncio.gather(members["b"].heard(), members["c"].heard())
        for pcm in (heard_b, heard_c):
            got = levels(pcm)
            assert got["a"] > 0.5 and got["b"] < 0.1 and got["c"] < 0.1, got
        members["a"].frames = []
        await asyncio.sleep(0.6)
        # the holder gets nothing back, not even their own voice (on a loaded machine, at most the silence that was
        # already on its way before the floor was given)
        back = members["a"].frames
        assert not back or float(np.abs(np.concatenate(back)).max()) < 0.01, levels(np.concatenate(back))
        # the queued c gets the floor: now c is heard and a is not
        await group.give_floor("c")
        heard_a, heard_b = await asyncio.gather(members["a"].heard(), members["b"].heard())
        for pcm in (heard_a, heard_b):
            got = levels(pcm)
            assert got["c"] > 0.5 and got["a"] < 0.1 and got["b"] < 0.1, got
        # one encode per tick for the whole group, not one per member
        figures = group.figures()
        assert figures["members"] == 3 and figures["holder"] == "c"
        assert figures["encodes"] <= group.mixer.ticks + 1
        assert all(m.track.packets_sent > 0 for m in group.members.values())
    finally:
        for m in members.values():
            await m.close()
        await group.close()


async def test_each_floor_hold_is_one_clip_with_the_speakers_voice(server, tmp_path):
    group = TalkgroupMedia(server, "street:s-west")
    group.start()
    a, b = Member("a"), Member("b")
    try:
        await a.join(group)
        await b.join(group)
        for name in ("a", "b"):  # both voices arriving (connected) before the floor is given
            voice = group.mixer.voices[name]
            for _ in range(500):
                if voice.frames_in > 10:
                    break
                await asyncio.sleep(0.02)
        await group.give_floor("a", tmp_path / "one.ogg")
        await asyncio.sleep(1.5)
        first = await group.give_floor("b", tmp_path / "two.ogg")
        await asyncio.sleep(1.5)
        second = await group.give_floor(None)
    finally:
        await a.close()
        await b.close()
        await group.close()
    assert first is not None and first.speaker == "a" and first.path == str(tmp_path / "one.ogg")
    assert second is not None and second.speaker == "b"
    assert 1.0 < first.seconds < 2.5 and first.bytes > 1000
    for clip, speaker, other in ((first, "a", "b"), (second, "b", "a")):
        pcm = await asyncio.to_thread(decode_clip, clip.path)
        assert pcm.size > SAMPLE_RATE * 0.5
        got = levels(pcm[SAMPLE_RATE // 5:])
        assert got[speaker] > 0.5 and got[other] < 0.1, (speaker, got)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.ogg", "two.ogg"]  # no partial files left


async def test_a_hold_in_which_nobody_spoke_leaves_no_clip(server, tmp_path):
    group = TalkgroupMedia(server, "adhoc:x")
    group.start()
    try:
        await group.give_floor("nobody-connected", tmp_path / "silent.ogg")
        await asyncio.sleep(0.5)
        clip = await group.give_floor(None)
    finally:
        await group.close()
    assert clip is not None and clip.path is None and clip.seconds > 0.2
    assert list(tmp_path.iterdir()) == []


def decode_clip(path: str) -> np.ndarray:
    with av.open(path) as container:
        return np.concatenate([frame_to_mono(f) for f in container.decode(audio=0)])
