"""A real RTSP server for tests: GStreamer's gst-rtsp-server serving synthetic H.264 cameras.

Run with the system interpreter (python3-gi is not in the virtual environment):
    /usr/bin/python3 tests/rtsp_server.py --port 8554 --mount /cam1=1280x720 --mount /cam1-sub=640x360:ball
Each mount is ``videotestsrc ! x264enc tune=zerolatency key-int-max=25 ! rtph264pay`` at 25 fps
(shared media). ``--auth USER:PASSWORD`` makes every mount ask for HTTP Basic credentials, as
cameras do. Prints ``READY <port>`` once listening; SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PATTERNS = ["smpte", "ball", "snow", "circular", "pinwheel", "spokes", "gradient", "checkers-8"]


def launch_line(width: int, height: int, fps: int, pattern: str) -> str:
    return (
        f"( videotestsrc is-live=true pattern={pattern} ! "
        f"video/x-raw,width={width},height={height},framerate={fps}/1,format=I420 ! "
        f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bitrate=2000 ! "
        f"video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mount", action="append", required=True,
                    help="/path=WIDTHxHEIGHT[:PATTERN] (repeatable; PATTERN is a videotestsrc pattern, e.g. red)")
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--auth", help="USER:PASSWORD every client must give (HTTP Basic)")
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for i, spec in enumerate(args.mount):
        path, _, size = spec.partition("=")
        size, _, pattern = (size or "640x360").partition(":")
        w, _, h = size.partition("x")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(int(w), int(h), args.fps, pattern or PATTERNS[i % len(PATTERNS)]))
        factory.set_shared(True)
        if args.auth:
            permissions = GstRtspServer.RTSPPermissions()
            for what in ("media.factory.access", "media.factory.construct"):
                permissions.add_permission_for_role("camera-user", what, True)
            factory.set_permissions(permissions)
        mounts.add_factory(path if path.startswith("/") else "/" + path, factory)
    if args.auth:
        user, _, password = args.auth.partition(":")
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "camera-user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", file=sys.stderr, flush=True)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {args.port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
