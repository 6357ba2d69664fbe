"""The talkgroups (pure): the hall's own, one per grid, street and department, made from the district (the grids'
workers and streets, the departments' users), and ad hoc ones made by the centre; who is in each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..events.config import Department
from ..events.geo import GridIndex
from .config import GroupKind, IntercomConfig


@dataclass(frozen=True)
class Talkgroup:
    id: str  # "grid:<grid>", "street:<street>", "dept:<department>", "adhoc:<opaque>"
    kind: GroupKind
    name: str
    grids: tuple[str, ...] = ()  # grid and street groups: the grids whose workers on duty are in it
    users: tuple[str, ...] = ()  # department groups: the department's users; ad hoc groups: the members named
    created_by: str | None = None
    created_at: float | None = None
    _workers: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def candidates(self) -> frozenset[str]:
        """Everyone who is in the group when on duty (a worker) or always (a department's user)."""
        return self._workers | frozenset(self.users)

    def has(self, name: str, *, worker: bool, on_duty: bool) -> bool:
        """Whether `name` is in the group now: a grid worker while on duty (their grids' groups, their streets',
        the ad hoc groups naming them), anyone else named in it always."""
        if name not in self.candidates():
            return False
        return on_duty if worker else True

    def stored(self) -> dict[str, Any]:
        """An ad hoc group as kept in Redis."""
        return {"id": self.id, "kind": self.kind, "name": self.name, "users": list(self.users),
                "created_by": self.created_by, "created_at": self.created_at}


def grid_group(gid: str, name: str, grids: GridIndex) -> Talkgroup:
    return Talkgroup(f"grid:{gid}", "grid", name, grids=(gid,), _workers=frozenset(grids.workers_of(gid)))


def hall_groups(cfg: IntercomConfig, grids: GridIndex, departments: Iterable[Department]) -> dict[str, Talkgroup]:
    """The hall's own talkgroups, by id, in the order of the district (grids, streets, departments)."""
    out: list[Talkgroup] = []
    if "grid" in cfg.groups:
        out += [grid_group(g.id, g.name, grids) for g in grids.grids]
    if "street" in cfg.groups:
        streets: dict[str, list[str]] = {}
        for g in grids.grids:
            if g.street:
                streets.setdefault(g.street, []).append(g.id)
        for street, ids in streets.items():
            workers = frozenset(w for gid in ids for w in grids.workers_of(gid))
            out.append(Talkgroup(f"street:{street}", "street", cfg.street_names.get(street, f"Street {street}"),
                                 grids=tuple(ids), _workers=workers))
    if "department" in cfg.groups:
        out += [Talkgroup(f"dept:{d.id}", "department", d.name, users=tuple(d.users)) for d in departments]
    return {g.id: g for g in out}


def adhoc_group(doc: dict[str, Any], workers: Iterable[str]) -> Talkgroup:
    """An ad hoc group read back from Redis; `workers`: the worker accounts (they are members while on duty)."""
    users = tuple(doc.get("users") or ())
    return Talkgroup(doc["id"], "adhoc", doc["name"], users=users, created_by=doc.get("created_by"),
                     created_at=doc.get("created_at"), _workers=frozenset(users) & frozenset(workers))
