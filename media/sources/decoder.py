"""The PyAV video decoder the file and RTSP sources share: slice threads, optional loop-filter skip.

Frame threading adds about two frames of latency (slice threading adds none), so decoding uses
slice threads. Skipping the loop filter (for sources shown at half size or less) is a decoder option
fixed when the decoder opens, so a change takes effect with a fresh decoder at the next keyframe.
"""

from __future__ import annotations

from typing import Any, cast

import av
from av.video.codeccontext import VideoCodecContext

from media.frames import Frame


class VideoDecoder:
    """Decodes one stream's packets; starts (and restarts) only on a keyframe."""

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        self._stream = stream
        self._ctx: VideoCodecContext | None = None
        self._skip: bool | None = None
        self.skipping_loop_filter = False

    def _open(self, skip_loop_filter: bool) -> VideoCodecContext:
        src = self._stream.codec_context
        ctx = cast(VideoCodecContext, av.CodecContext.create(src.codec.name, "r"))  # a video stream's codec
        if src.extradata:
            ctx.extradata = src.extradata
        ctx.thread_type = "SLICE"
        ctx.thread_count = 0
        if skip_loop_filter:
            ctx.options = {"skip_loop_filter": "all"}
        self._skip = skip_loop_filter
        self.skipping_loop_filter = skip_loop_filter
        return ctx

    def reset(self) -> None:
        """Forget the decoder state (after packets were dropped): wait for the next keyframe."""
        self._ctx = None

    def decode(self, packet: av.Packet[Any], skip_loop_filter: bool = False) -> list[Frame]:
        """Frames for this packet (none until the first keyframe)."""
        if packet.size == 0:
            return []
        if self._ctx is None or (skip_loop_filter != self._skip and packet.is_keyframe):
            if not packet.is_keyframe:
                return []
            self._ctx = self._open(skip_loop_filter)
        try:
            frames = self._ctx.decode(packet)
        except av.error.InvalidDataError:
            return []  # a damaged packet; the next ones recover (or the next keyframe does)
        return [Frame.from_av(f) for f in frames]
