"""A screen's encoded track over real WebRTC (aiortc viewers): packets passed through, one encode for
all viewers, H.264 forced, keyframe requests reaching our encoder, loopback candidates offered."""

from __future__ import annotations

import asyncio

import aioice.ice
import pytest
import yaml
from aiortc import RTCPeerConnection
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket

from backend.config import DEFAULT_CONFIG, ConfigError, parse_config
from media.encoder import EncoderSettings, ScreenEncoder
from media.webrtc import EncodedScreenTrack, IceServer, new_peer_connection, offer_loopback_candidates, send_screen

from .delivery_helpers import RGB, SyntheticScreen, Viewer, close_to, mean_rgb

SETTINGS = EncoderSettings(bitrate_kbps=1500, gop_seconds=10)


@pytest.fixture
def screen():
    s = SyntheticScreen(320, 180, fps=25).start()
    yield s
    s.stop()


@pytest.fixture
def encoder(screen):
    enc = ScreenEncoder(screen.latest, SETTINGS, fps=25, name="test")
    enc.start()
    yield enc
    enc.stop()


async def connect(encoder: ScreenEncoder) -> tuple[Viewer, RTCPeerConnection, EncodedScreenTrack, str]:
    viewer = Viewer()
    server = RTCPeerConnection()
    answer_sdp, track = await send_screen(server, encoder, await viewer.offer())
    await viewer.accept(answer_sdp)
    return viewer, server, track, answer_sdp


def test_loopback_candidates_are_offered_once():
    offer_loopback_candidates()
    offer_loopback_candidates()
    addrs = aioice.ice.get_host_addresses(True, False)
    assert addrs.count("127.0.0.1") == 1 and addrs[-1] == "127.0.0.1"
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(False, True)


async def test_viewer_receives_the_screen_as_h264_and_sees_its_colours(screen, encoder):
    viewer, server, track, answer_sdp = await connect(encoder)
    try:
        video = answer_sdp[answer_sdp.index("m=video"):]
        rtpmaps = [line for line in video.splitlines() if line.startswith("a=rtpmap:")]
        assert rtpmaps and all("H264" in x or "rtx" in x for x in rtpmaps), rtpmaps
        for _ in range(5):
            frame = await viewer.frame()
        rgb = frame.to_ndarray(format="rgb24")
        h, w = rgb.shape[:2]
        assert (w, h) == (320, 180)
        assert close_to(mean_rgb(rgb[h // 8:h // 2 - h // 8, w // 8:w // 2 - w // 8]), RGB["red"])
        assert close_to(mean_rgb(rgb[h // 2 + h // 8:-h // 8, w // 2 + w // 8:-w // 8]), RGB["white"])
        assert track.packets_sent >= 5
    finally:
        await viewer.pc.close()
        await server.close()


async def test_two_viewers_share_one_encode(screen, encoder):
    a = await connect(encoder)
    b = await connect(encoder)
    try:
        await a[0].frame()
        await b[0].frame()
        assert encoder.listeners == 2
        before_enc, before_put = encoder.frames_encoded, screen.frames_put
        for _ in range(25):
            await a[0].frame()
            await b[0].frame()
        encoded = encoder.frames_encoded - before_enc
        produced = screen.frames_put - before_put
        # one encode per composed frame, not one per viewer
        assert encoded <= produced + 2, (encoded, produced)
    finally:
        for viewer, server, _, _ in (a, b):
            await viewer.pc.close()
            await server.close()
    await asyncio.sleep(0.1)
    assert encoder.listeners == 0


async def test_a_joiner_asks_for_a_keyframe_and_starts_on_it(screen, encoder):
    await asyncio.sleep(0.5)
    keys = encoder.keyframes
    track = EncodedScreenTrack(encoder)
    try:
        first = await asyncio.wait_for(track.recv(), 5)
        assert first.is_keyframe
        assert encoder.keyframes == keys + 1  # GOP is 10 s: this one was made for the joiner
    finally:
        track.stop()


async def test_pli_from_a_viewer_reaches_our_encoder(screen, encoder):
    viewer, server, _track, _ = await connect(encoder)
    try:
        await viewer.frame()
        await asyncio.sleep(encoder.settings.min_pli_interval_s + 0.1)
        keys = encoder.keyframes
        sender = server.getTransceivers()[0].sender
        await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc))
        for _ in range(50):
            if encoder.keyframes > keys:
                break
            await asyncio.sleep(0.02)
        assert encoder.keyframes == keys + 1
    finally:
        await viewer.pc.close()
        await server.close()


async def test_a_viewer_that_falls_behind_skips_to_the_next_keyframe(screen, encoder):
    track = EncodedScreenTrack(encoder, max_queue=5)
    try:
        await asyncio.sleep(1.0)  # nobody reads: the queue overflows
        assert track.packets_dropped > 0
        p = await asyncio.wait_for(track.recv(), 5)
        assert p.is_keyframe
    finally:
        track.stop()


def without_h264(sdp: str) -> str:
    """The same offer with every H.264 (and RTX) payload type taken out of the video section."""
    lines = sdp.split("\r\n")
    drop = {line.split(":")[1].split()[0] for line in lines
            if line.startswith("a=rtpmap:") and ("H264" in line or "rtx" in line)}
    out = []
    for line in lines:
        if line.startswith("m=video"):
            head, fmts = line.split()[:3], line.split()[3:]
            line = " ".join(head + [f for f in fmts if f not in drop])
        elif line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:")) and line.split(":")[1].split()[0] in drop:
            continue
        out.append(line)
    return "\r\n".join(out)


async def test_an_offer_without_h264_is_refused(encoder):
    from aiortc.exceptions import OperationError

    viewer = Viewer()
    server = RTCPeerConnection()
    try:
        offer = without_h264(await viewer.offer())
        assert "VP8" in offer and "H264" not in offer
        with pytest.raises(OperationError):
            await send_screen(server, encoder, offer)
    finally:
        await viewer.pc.close()
        await server.close()


LOOPBACK_ONLY = """
import asyncio, sys
import media.webrtc as W
if sys.argv[1] == "without-fix":
    W._loopback_offered = True  # as if the fix had never been applied
from media.encoder import EncoderSettings, ScreenEncoder
from tests.delivery_helpers import SyntheticScreen, Viewer

async def main():
    s = SyntheticScreen(160, 90).start()
    enc = ScreenEncoder(s.latest, EncoderSettings(), 25)
    enc.start()
    viewer, server = Viewer(), W.new_peer_connection()
    answer, _ = await W.send_screen(server, enc, await viewer.offer())
    await viewer.accept(answer)
    try:
        await viewer.frame(timeout=6)
        print("frames")
    except asyncio.TimeoutError:
        print("no frames")
    await viewer.close(); await server.close(); enc.stop(); s.stop()

asyncio.run(main())
"""


@pytest.mark.slow
def test_a_loopback_only_host_connects_only_with_the_loopback_fix(tmp_path):
    """In a network namespace with nothing but `lo` (as a kiosk PC off the network would have)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if not shutil.which("unshare") or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        pytest.skip("no network namespaces here (needs root or user namespaces)")
    root = Path(__file__).resolve().parents[1]
    script = tmp_path / "loopback_only.py"
    script.write_text(LOOPBACK_ONLY)
    results = {}
    for mode in ("with-fix", "without-fix"):
        cmd = f"ip link set lo up && exec {sys.executable} {script} {mode}"
        out = subprocess.run(["unshare", "-n", "sh", "-c", cmd], capture_output=True, text=True, timeout=60,
                             cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        results[mode] = out.stdout.strip().splitlines()[-1:] or [out.stderr[-500:]]
    assert results == {"with-fix": ["frames"], "without-fix": ["no frames"]}


def test_peer_connections_use_only_the_configured_ice_servers():
    async def servers(ice: list[IceServer]) -> list:
        pc = new_peer_connection(ice)
        try:
            return [(s.urls, s.username) for s in pc._RTCPeerConnection__configuration.iceServers]
        finally:
            await pc.close()

    assert asyncio.run(servers([])) == []  # aiortc's own default would be Google's public STUN server
    turn = IceServer(("turn:turn.hall.local:3478?transport=udp",), "hall", "pw")
    assert asyncio.run(servers([turn])) == [(["turn:turn.hall.local:3478?transport=udp"], "hall")]


def test_aiortc_takes_one_stun_and_one_turn_server_so_the_configuration_says_so():
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["webrtc"] = {"ice_servers": [{"urls": ["stun:a:3478"]}, {"urls": ["stun:b:3478"]}]}
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "x.yaml")
    assert info.value.problems[0][0].startswith("webrtc.ice_servers")
