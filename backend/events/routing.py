"""Routing an event to its responsible department, and escalation levels (pure).

Each class names its default department; rules over class and area refine it. Modes:
automatic (the best candidate is taken), recommended (the console gets the top candidates,
each with its reason), manual (the dispatcher chooses; candidates are still shown).
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import LEVELS, EscalationRule, RoutingConfig
from .taxonomy import Taxonomy


@dataclass(frozen=True)
class Area:
    grid: str | None = None
    community: str | None = None
    street: str | None = None


@dataclass(frozen=True)
class Candidate:
    department: str
    score: int
    reason: str

    def to_dict(self) -> dict:
        return {"department": self.department, "score": self.score, "reason": self.reason}


@dataclass(frozen=True)
class Routing:
    mode: str
    department: str | None  # chosen automatically (mode automatic), else None
    candidates: tuple[Candidate, ...]

    def to_dict(self) -> dict:
        return {"mode": self.mode, "department": self.department, "candidates": [c.to_dict() for c in self.candidates]}


class RoutingError(ValueError):
    pass


def _area_score(areas: list[str], area: Area) -> tuple[int, str] | None:
    """How specifically a rule's areas match: grid 3, community 2, street 1, anywhere 0; None: no match."""
    if not areas:
        return 0, "anywhere"
    for score, value, what in ((3, area.grid, "grid"), (2, area.community, "community"), (1, area.street, "street")):
        if value is not None and value in areas:
            return score, f"{what} {value}"
    return None


def route(cfg: RoutingConfig, taxonomy: Taxonomy, category: str, area: Area, names: dict[str, str] | None = None,
          mode: str | None = None) -> Routing:
    """Candidates for an event of `category` in `area`, best first, and the automatic choice."""
    cat = taxonomy.get(category)
    if cat is None:
        raise RoutingError(f"unknown class {category!r}")
    names = names or {}
    best: dict[str, Candidate] = {}
    for i, rule in enumerate(cfg.rules):
        if rule.categories and not any(taxonomy.matches(p, category) for p in rule.categories):
            continue
        matched = _area_score(rule.areas, area)
        if matched is None:
            continue
        area_score, area_why = matched
        cat_score = 2 if category in rule.categories else (1 if rule.categories else 0)
        score = 10 + area_score * 3 + cat_score
        matched = category if cat_score == 2 else cat.major_code if cat_score else "any"
        why = rule.reason or f"rule {i + 1}: class {matched}, {area_why}"
        cand = Candidate(rule.department, score, why)
        if rule.department not in best or best[rule.department].score < score:
            best[rule.department] = cand
    default = Candidate(cat.department, 5, f"default department of class {cat.code} {cat.name}")
    if cat.department not in best:
        best[cat.department] = default
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.department))[: cfg.top]
    chosen_mode = mode or cfg.mode
    chosen = ranked[0].department if chosen_mode == "automatic" and ranked else None
    return Routing(chosen_mode, chosen, tuple(ranked))


# -- escalation ------------------------------------------------------------------
def next_level(level: str) -> str:
    """grid -> community -> street -> district; there is nothing above the district."""
    i = LEVELS.index(level)
    if i + 1 >= len(LEVELS):
        raise RoutingError("already at the district level: nothing to escalate to")
    return LEVELS[i + 1]


def level_above(a: str, b: str) -> bool:
    return LEVELS.index(a) > LEVELS.index(b)


def due_escalation(rules: list[EscalationRule], taxonomy: Taxonomy, category: str | None, level: str,
                   overdue_for_s: float) -> str | None:
    """The level the rules ask for after being overdue this long, if higher than the current one."""
    if overdue_for_s < 0:
        return None
    target = level
    for rule in rules:
        if rule.categories and not (category and any(taxonomy.matches(p, category) for p in rule.categories)):
            continue
        if overdue_for_s >= rule.overdue_minutes * 60 and level_above(rule.level, target):
            target = rule.level
    return target if target != level else None


def next_escalation_after(rules: list[EscalationRule], taxonomy: Taxonomy, category: str | None, level: str,
                          overdue_for_s: float) -> float | None:
    """Seconds of overdue time at which the next rule would raise the level further; None if none will."""
    times = [rule.overdue_minutes * 60 for rule in rules
             if (not rule.categories or (category and any(taxonomy.matches(p, category) for p in rule.categories)))
             and level_above(rule.level, level) and rule.overdue_minutes * 60 > overdue_for_s]
    return min(times) if times else None
