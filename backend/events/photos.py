"""Report photos: checked by their magic bytes, size-limited, stored under the data directory by
content hash (written in a thread, fsynced, renamed into place)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

KINDS: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
)


class PhotoError(ValueError):
    pass


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
