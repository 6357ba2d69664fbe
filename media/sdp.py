"""What an SDP offer asks for (media sections, directions, codecs, ICE and DTLS), read before anything
is built for it: a plain line reader of RFC 8866 that never raises anything but ValueError."""

from __future__ import annotations

from dataclasses import dataclass

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


@dataclass(frozen=True)
class MediaSection:
    """One ``m=`` section as the offerer wrote it."""

    kind: str  # video, audio, application
    port: int  # 0: the section is switched off
    direction: str  # the offerer's own: recvonly means it wants to receive
    codecs: tuple[str, ...]  # encoding names of its payload types, upper case (H264, VP8, ...)


@dataclass(frozen=True)
class Offer:
    media: tuple[MediaSection, ...]
    ice_credentials: bool  # a=ice-ufrag and a=ice-pwd, for the session or a section (bundled ones share them)
    fingerprint: bool  # a=fingerprint (DTLS), likewise


def read_offer(sdp: str) -> Offer:
    """The offer's sections; ValueError when the text is not SDP at all."""
    lines = [line.strip() for line in sdp.splitlines() if line.strip()]
    if not lines or lines[0] != "v=0":
        raise ValueError("not an SDP offer (it must begin with v=0)")
    session: dict[str, str] = {}
    sections: list[dict[str, str]] = []
    formats: list[list[str]] = []
    rtpmaps: list[dict[str, str]] = []
    for line in lines[1:]:
        attrs = sections[-1] if sections else session
        if line.startswith("m="):
            fields = line[2:].split()
            if len(fields) < 4 or not fields[1].split("/")[0].isdigit():
                raise ValueError(f"a media line is malformed: {line[:80]!r}")
            sections.append({"kind": fields[0], "port": fields[1].split("/")[0]})
            formats.append(fields[3:])
            rtpmaps.append({})
        elif line[2:] in DIRECTIONS and line.startswith("a="):
            attrs["direction"] = line[2:]
        elif line.startswith("a=rtpmap:") and sections:
            pt, _, encoding = line[len("a=rtpmap:"):].partition(" ")
            rtpmaps[-1][pt] = encoding.split("/")[0].upper()
        elif line.startswith(("a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:")):
            attrs[line[2:line.index(":")]] = line[line.index(":") + 1:]

    def has(name: str) -> bool:
        return name in session or any(name in s for s in sections)

    media = tuple(
        MediaSection(s["kind"], int(s["port"]), s.get("direction", session.get("direction", "sendrecv")),
                     tuple(rtpmap[pt] for pt in fmts if pt in rtpmap))
        for s, fmts, rtpmap in zip(sections, formats, rtpmaps, strict=True))
    return Offer(media, has("ice-ufrag") and has("ice-pwd"), has("fingerprint"))
