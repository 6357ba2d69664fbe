"""Report photos: checked by their magic bytes and by decoding them whole (Pillow, in a thread), size-limited,
stored under the data directory by content hash (written in a thread, fsynced, renamed into place)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from pathlib import Path

from PIL import Image

KINDS: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
)


MAX_PIXELS = 64_000_000  # a bigger picture is no phone photo (and would take seconds and gigabytes to decode)
PIL_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


class PhotoError(ValueError):
    pass


def decode(data: bytes, ext: str) -> tuple[int, int]:
    """Decode the whole image (blocking: call it in a thread); its size, or PhotoError if it is not one
    whole picture of the kind its first bytes say (a JPEG header followed by a web page is not a photo)."""
    try:
        with Image.open(io.BytesIO(data), formats=[PIL_FORMATS[ext]]) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise PhotoError(f"the photo has {w}x{h} pixels: at most {MAX_PIXELS // 1_000_000} megapixels")
            img.load()
    except PhotoError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise PhotoError(f"not a whole {PIL_FORMATS[ext]} image: it does not decode") from None
    return w, h


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the first bytes, or None if not a JPEG, PNG or WebP image."""
    for magic, offset, ctype, ext in KINDS:
        if head[offset:offset + len(magic)] == magic and (ext != "webp" or head[:4] == b"RIFF"):
            return ctype, ext
    return None


class PhotoStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, sha: str, ext: str) -> Path:
        return self.root / sha[:2] / f"{sha}.{ext}"

    async def save(self, data: bytes) -> dict:
        if not data:
            raise PhotoError("the photo is empty")
        if len(data) > self.max_bytes:
            raise PhotoError(f"the photo is larger than {self.max_bytes} bytes")
        kind = sniff(data[:16])
        if kind is None:
            raise PhotoError("not an image: send a JPEG, PNG or WebP photo")
        ctype, ext = kind
        await asyncio.to_thread(decode, data, ext)
        sha = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, self.path(sha, ext), data)
        return {"sha256": sha, "content_type": ctype, "size": len(data)}

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _find(self, sha: str) -> Path | None:
        for _, _, _, ext in KINDS:
            p = self.path(sha, ext)
            if p.exists():
                return p
        return None

    async def find(self, sha: str) -> Path | None:
        return await asyncio.to_thread(self._find, sha)

    async def missing(self, shas: list[str]) -> list[int]:
        """Indexes of the hashes that are not stored."""
        found = await asyncio.gather(*(self.find(s) for s in shas))
        return [i for i, p in enumerate(found) if p is None]
