"""Camera credentials: joined into a camera's URL only where its source opens it, and redacted from
every URL and error text that leaves the media layer (health, Socket.IO, logs, exceptions)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

MASK = "***"

# scheme://USERINFO@host...: the user information runs to the authority's last '@' (as FFmpeg reads it).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s'\"<>]*)@")
# ?token=... and the like in a query (a WHIP feed's token, a camera's signed URL).
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&;](?:password|passwd|pwd|pass|token|secret|access_token|api_key|apikey|auth|sig|signature)=)"
    r"(?P<value>[^&#\s'\"<>]+)", re.IGNORECASE)


def _mask_userinfo(m: re.Match[str]) -> str:
    user, colon, _ = m["userinfo"].partition(":")
    return f"{m['scheme']}{user}:{MASK}@" if colon else m[0]  # a user name alone is no secret


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the password of every URL in it, secret query values, and each of ``secrets``
    (as written and percent-encoded) replaced by ``***``."""
    text = _USERINFO.sub(_mask_userinfo, text)
    text = _QUERY_SECRET.sub(lambda m: m["key"] + MASK, text)
    for secret in secrets:
        if len(secret) >= 3:  # a one- or two-letter "secret" would blot out ordinary text
            text = text.replace(secret, MASK).replace(quote(secret, safe=""), MASK)
    return text


def url_password(url: str | None) -> str | None:
    """The password written in a URL (None if there is none)."""
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    """The URL with this user (and password) in it, percent-encoded; unchanged without a user name."""
    if not username:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    userinfo = quote(username, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def password_from_env(name: str | None) -> str | None:
    """The password held by this environment variable (None if unnamed or unset), read when it is needed,
    so a changed password takes effect at the next connection."""
    return os.environ.get(name) if name else None
