"""Floor control of a talkgroup (pure): one speaker at a time; a request is granted when the floor is free and
queued in order otherwise; the holder releases it (or runs out of time) and the first in the queue gets it; the
commander takes it at once, queueing nobody (the speaker cut off is not put back in line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Floor:
    holder: str | None = None
    since: float | None = None
    until: float | None = None  # when the holder's time runs out
    queue: list[str] = field(default_factory=list)

    def _give(self, who: str | None, now: float, talk_s: float) -> None:
        self.holder = who
        self.since, self.until = (now, now + talk_s) if who is not None else (None, None)

    def _next(self, now: float, talk_s: float) -> None:
        self._give(self.queue.pop(0) if self.queue else None, now, talk_s)

    def position(self, who: str) -> int | None:
        """0: `who` holds the floor; n: n-th in the queue; None: neither."""
        if who == self.holder:
            return 0
        return self.queue.index(who) + 1 if who in self.queue else None

    def request(self, who: str, now: float, talk_s: float) -> int:
        """Ask for the floor: granted when it is free; else a place at the end of the queue (kept if already
        there). Returns the position (0: holding)."""
        if self.holder is None and not self.queue:
            self._give(who, now, talk_s)
        elif who != self.holder and who not in self.queue:
            self.queue.append(who)
        return self.position(who) or 0

    def release(self, who: str, now: float, talk_s: float) -> bool:
        """The holder lets go (the next in line gets it), or a queued speaker gives up their place."""
        if who == self.holder:
            self._next(now, talk_s)
            return True
        if who in self.queue:
            self.queue.remove(who)
            return True
        return False

    def take(self, who: str, now: float, talk_s: float) -> str | None:
        """The commander takes the floor at once; returns whose transmission was cut off (not re-queued)."""
        cut = self.holder if self.holder != who else None
        if who in self.queue:
            self.queue.remove(who)
        if self.holder != who:
            self._give(who, now, talk_s)
        return cut

    def expire(self, now: float, talk_s: float) -> str | None:
        """The holder's time is up: released, the next in line gets it; returns whose time ran out."""
        if self.holder is None or self.until is None or now < self.until:
            return None
        gone = self.holder
        self._next(now, talk_s)
        return gone

    def drop(self, who: str, now: float, talk_s: float) -> bool:
        """`who` is no longer in the group (off duty, left, disconnected): out of the floor and the queue."""
        return self.release(who, now, talk_s)

    def view(self) -> dict[str, Any]:
        return {"holder": self.holder, "since": self.since, "until": self.until, "queue": list(self.queue)}
