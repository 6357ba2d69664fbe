"""``whip://id``: video published to us over WebRTC (WHIP, RFC 9725) at ``/whip/{id}``.

Remote-collaboration clients and other command centres push their picture; it is a received track like any
other (media/sources/track.py), configured so the wall may place it before anyone publishes.
A per-source publishing token may be given in the URL: ``whip://feed?token_env=FEED_TOKEN``
(the environment variable holding it; preferred) or ``whip://feed?token=...`` (demo only).
"""

from __future__ import annotations

import hmac
import os
from urllib.parse import parse_qs, urlparse

from media.sources.base import SourceSpec, register
from media.sources.track import TrackSource


def publishing_token(url: str) -> str | None:
    """The token a whip:// URL gives its publishers: from the variable named by ``token_env``, or ``token``."""
    q = parse_qs(urlparse(url).query)
    env = q.get("token_env", [None])[0]
    return os.environ.get(env) if env else q.get("token", [None])[0]


@register("whip")
class WhipSource(TrackSource):
    """Frames of the current WHIP publisher; none until someone publishes, "lost" after they leave."""

    kind = "whip"
    left_reason = "publisher left"

    def __init__(self, cfg: SourceSpec) -> None:
        super().__init__(cfg)
        self._token = publishing_token(self.url)

    @property
    def publishers(self) -> int:
        """Publishes so far (a republish after a drop counts as a reconnect)."""
        return self.attached

    def accepts_token(self, token: str | None) -> bool:
        """Whether `token` is this source's own publishing token (constant-time comparison)."""
        return bool(self._token and token and hmac.compare_digest(self._token.encode(), token.encode()))
