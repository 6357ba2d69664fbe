"""The KPIs of DOMAIN.md, exactly as written there, and the per-post composites with A-E grades (pure).

Inputs are counters summed over a period (see store.py for how they are kept): `cohort`
counters of the events reported in the period, `post` counters of what each person or
department did in it. A rate whose denominator is zero is None ("nothing due"), not 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

GRADES: tuple[tuple[float, str], ...] = ((90, "A"), (75, "B"), (60, "C"), (40, "D"))

# Weights per post (DOMAIN.md); the department composite is the hall's own (DOMAIN.md names none).
GRID_WORKER_WEIGHTS = {"valid_report": 0.40, "missed_report": 0.20, "on_time_verification": 0.20,
                       "on_time_check": 0.20}
SHIFT_LEAD_WEIGHTS = {"on_time_registration": 0.25, "accurate_registration": 0.40, "on_time_closure": 0.35}
DISPATCHER_WEIGHTS = {"dispatch_count": 0.20, "on_time_dispatch": 0.40, "accurate_dispatch": 0.40}
DEPARTMENT_WEIGHTS = {"handling": 0.30, "on_time_handling": 0.40, "no_rework": 0.30}


def rate(num: float, den: float) -> float | None:
    """num / den x 100 (%), None when nothing was due."""
    if den <= 0:
        return None
    return round(100.0 * num / den, 2)


def grade(score: float | None) -> str | None:
    """A >= 90, B >= 75, C >= 60, D >= 40, E below; None without a score."""
    if score is None:
        return None
    for floor, letter in GRADES:
        if score >= floor:
            return letter
    return "E"


def kpis(c: Mapping[str, int], *, rework_denominator: str = "due_to_close") -> dict[str, float | None]:
    """The centre's KPIs (in %) from cohort counters."""
    g = lambda k: max(int(c.get(k, 0)), 0)  # noqa: E731
    rework_den = g("registered") if rework_denominator == "registered" else g("due_to_close")
    return {
        "closure_rate": rate(g("closed"), g("due_to_close")),
        "on_time_closure_rate": rate(g("closed_on_time"), g("due_to_close")),
        "handling_rate": rate(g("handled"), g("due_for_handling")),
        "on_time_handling_rate": rate(g("handled_on_time"), g("due_for_handling")),
        "rework_rate": rate(g("reworked"), rework_den),
        "postponement_rate": rate(g("postponed"), g("due_for_handling")),
        "overdue_pending_rate": rate(g("overdue_pending"), g("due_for_handling")),
        "registration_rate": rate(g("registered"), g("accepted")),
        "accurate_dispatch_rate": rate(g("due_for_handling") - g("redispatched"), g("due_for_handling")),
    }


def mean_handling_hours(c: Mapping[str, int]) -> float | None:
    closed = int(c.get("closed", 0))
    return round(int(c.get("handle_seconds", 0)) / closed / 3600, 2) if closed > 0 else None


@dataclass(frozen=True)
class PostScore:
    kind: str
    name: str
    components: dict[str, float | None]
    score: float | None
    grade: str | None
    counts: dict[str, int]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "score": self.score, "grade": self.grade,
                "components": self.components, "counts": self.counts}


def composite(components: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Weighted sum of the 0-100 components; a component with nothing due is left out and the rest
    re-weighted (so a quiet day is not a bad day); None if nothing at all was due."""
    have = {k: v for k, v in components.items() if v is not None}
    total_w = sum(weights[k] for k in have)
    if total_w <= 0:
        return None
    return round(sum(have[k] * weights[k] for k in have) / total_w, 2)


def grid_worker(name: str, c: Mapping[str, int]) -> PostScore:
    valid, invalid, missed = c.get("valid", 0), c.get("invalid", 0), c.get("missed", 0)
    comps = {
        "valid_report": rate(valid, valid + invalid),
        # missed = cases first reported by the public in the worker's grid; fewer is better
        "missed_report": (round(100.0 - rate(missed, missed + valid), 2)  # type: ignore[operator]
                          if missed + valid > 0 else None),
        "on_time_verification": rate(c.get("verified_on_time", 0), c.get("verifications", 0)),
        "on_time_check": rate(c.get("checked_on_time", 0), c.get("checks", 0)),
    }
    s = composite(comps, GRID_WORKER_WEIGHTS)
    return PostScore("grid_worker", name, comps, s, grade(s), dict(c))


def shift_lead(name: str, c: Mapping[str, int]) -> PostScore:
    reg = c.get("registered", 0)
    comps = {
        "on_time_registration": rate(c.get("registered_on_time", 0), reg),
        "accurate_registration": rate(reg - min(c.get("misregistered", 0), reg), reg),
        "on_time_closure": rate(c.get("closed_on_time", 0), c.get("closed", 0)),
    }
    s = composite(comps, SHIFT_LEAD_WEIGHTS)
    return PostScore("shift_lead", name, comps, s, grade(s), dict(c))


def dispatcher(name: str, c: Mapping[str, int], target: float) -> PostScore:
    n = c.get("dispatched", 0)
    comps = {
        "dispatch_count": round(min(100.0, 100.0 * n / target), 2) if target > 0 and n > 0 else None,
        "on_time_dispatch": rate(c.get("dispatched_on_time", 0), n),
        "accurate_dispatch": rate(n - min(c.get("redispatched", 0), n), n),
    }
    if n == 0:
        comps = {k: None for k in comps}
    s = composite(comps, DISPATCHER_WEIGHTS)
    return PostScore("dispatcher", name, comps, s, grade(s), dict(c))


def department(name: str, c: Mapping[str, int]) -> PostScore:
    due = c.get("received", 0)
    handled = c.get("handled", 0)
    rework = rate(c.get("reworked", 0), handled)
    comps = {
        "handling": rate(min(handled, due), due),
        "on_time_handling": rate(min(c.get("handled_on_time", 0), due), due),
        "no_rework": round(100.0 - rework, 2) if rework is not None else None,
    }
    s = composite(comps, DEPARTMENT_WEIGHTS)
    return PostScore("department", name, comps, s, grade(s), dict(c))


def posts(post_counts: Mapping[str, int], *, dispatch_target: float) -> dict[str, list[dict]]:
    """Every person's and department's composite from flat counters `kind:name:counter`."""
    grouped: dict[tuple[str, str], dict[str, int]] = {}
    for key, value in post_counts.items():
        kind, _, rest = key.partition(":")
        name, _, counter = rest.rpartition(":")
        if not name or not counter:
            continue
        grouped.setdefault((kind, name), {})[counter] = int(value)
    out: dict[str, list[dict]] = {"grid_workers": [], "shift_leads": [], "dispatchers": [], "departments": []}
    for (kind, name), c in sorted(grouped.items()):
        if kind == "worker":
            out["grid_workers"].append(grid_worker(name, c).to_dict())
        elif kind == "lead":
            out["shift_leads"].append(shift_lead(name, c).to_dict())
        elif kind == "dispatcher":
            out["dispatchers"].append(dispatcher(name, c, dispatch_target).to_dict())
        elif kind == "department":
            out["departments"].append(department(name, c).to_dict())
    return out
