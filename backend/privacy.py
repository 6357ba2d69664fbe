"""Personal data, named in one place: which fields are personal (residents' names and contacts, their app
identifiers, who reports often), who may read them, and each payload redacted for its reader's role before it
leaves the hall (REST views, lists, exports, statistics, Open311 output, Socket.IO notices)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis

from . import keys, roles
from .events.vocab import RESIDENT_CHANNELS

# Who reads a resident's name and contact on the events they may see: those who call back or meet the
# reporter on site (the centre, the grid worker, the handling department).
PERSONAL_DATA = roles.PERSONAL_DATA
# Who learns who the district's high-frequency reporters are: the centre alone (a grid worker or a department
# sees residents of their own events, not the district's list); everyone else gets stable pseudonyms.
REPORTER_IDENTITIES = roles.CENTRE

# The personal fields of an event (its JSON view):
CONTACT_FIELDS = ("contact",)          # a resident's phone or e-mail, whoever filed the report
RESIDENT_FIELDS = ("reporter",)        # the resident's name, on reports from the resident channels
EXTERNAL_FIELDS = frozenset({          # what an integration passed along that identifies a person
    "account_id", "device_id", "email", "phone", "first_name", "last_name", "name",
})
RESIDENT = "Resident"                  # the reporter shown instead of a resident's name
# (Workers' tracks, their positions over time, are personal too: named and redacted here once the hall keeps them.)


def sees_personal_data(role: str | None) -> bool:
    return role in PERSONAL_DATA


def is_resident_report(channel: str | None) -> bool:
    return channel in RESIDENT_CHANNELS


def event(view: dict[str, Any], role: str | None) -> dict[str, Any]:
    """An event's JSON view (or a notice about it) as `role` may read it; the view is changed in place."""
    if sees_personal_data(role):
        return view
    for name in CONTACT_FIELDS:
        if name in view:
            view[name] = None
    if is_resident_report(view.get("channel")):
        for name in RESIDENT_FIELDS:
            if name in view:
                view[name] = view.get("reporter_alias") or RESIDENT
    external = view.get("external")
    if isinstance(external, dict) and EXTERNAL_FIELDS & external.keys():
        view["external"] = {k: v for k, v in external.items() if k not in EXTERNAL_FIELDS}
    return view


def for_readers(payload: dict[str, Any], readers: Iterable[str]) -> dict[str, Any]:
    """A payload broadcast to a room of several roles: redacted unless every one of them may read it all."""
    readers = frozenset(readers)
    return event(payload, None if readers - PERSONAL_DATA else next(iter(readers), None))


# -- who reports, and how they are named ---------------------------------------------------------------
_SEP = "\x1f"  # inside the members of the reporters' sorted sets: kind, name, contact


def reporter_member(channel: str, reporter: str, contact: str | None) -> str:
    """The member of the high-frequency reporters' sorted set for one report: a resident is their name and
    contact together; hall staff (grid workers, departments, cameras' systems) are their user name."""
    if is_resident_report(channel):
        return _SEP.join(("resident", reporter, contact or ""))
    return _SEP.join(("staff", reporter))


def _split_member(member: str) -> tuple[bool, str, str | None]:
    """(resident?, name, contact). Members written before the kinds (`name` or `name/contact`) count as
    residents: unknown people are kept private."""
    parts = member.split(_SEP)
    if parts[0] == "staff" and len(parts) == 2:
        return False, parts[1], None
    if parts[0] == "resident" and len(parts) == 3:
        return True, parts[1], parts[2] or None
    name, _, contact = member.rpartition("/") if "/" in member else (member, "", "")
    return True, name, contact or None


class Pseudonyms:
    """Stable pseudonyms ("Resident #3f9a2c") of residents: a keyed hash, so the same resident keeps their
    pseudonym across periods and processes while nobody can hash a phone number to find them. The key is
    made once per hall (Redis) and read once per process."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._key: bytes | None = None

    async def key(self) -> bytes:
        if self._key is None:
            await self.redis.set(keys.PSEUDONYM_KEY, secrets.token_hex(32), nx=True)
            key = await self.redis.get(keys.PSEUDONYM_KEY)
            self._key = key if isinstance(key, bytes) else str(key).encode()
        return self._key

    async def of(self, name: str, contact: str | None) -> str:
        digest = hmac.new(await self.key(), f"{name}{_SEP}{contact or ''}".encode(), hashlib.sha256).hexdigest()
        return f"{RESIDENT} #{digest[:6]}"

    async def reporters(self, rows: list[tuple[str, float]], role: str | None) -> list[dict[str, Any]]:
        """The high-frequency reporters (member, reports) as `role` may read them: who they are for the
        centre; pseudonyms with their counts for everyone else."""
        out = []
        for member, score in rows:
            resident, name, contact = _split_member(member)
            if resident and role not in REPORTER_IDENTITIES:
                name, contact = await self.of(name, contact), None
            out.append({"reporter": name, "contact": contact, "resident": resident, "reports": int(score)})
        return out
