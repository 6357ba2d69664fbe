"""The early-warning rule, explained: a class rises unusually when today's count so far stands above the mean of
the same part of each earlier day by more than a configured number of standard deviations (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Judgement:
    """One class judged: its count today, the earlier days' mean and spread, the line it had to cross."""

    code: str
    name: str
    today: int
    mean: float
    sd: float
    threshold: float
    rising: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "today": self.today, "mean": round(self.mean, 2),
                "sd": round(self.sd, 2), "threshold": round(self.threshold, 2), "rising": self.rising,
                "reason": self.reason}


def spread(history: Sequence[int]) -> tuple[float, float]:
    """Mean and (sample) standard deviation; one day has no spread."""
    n = len(history)
    if n == 0:
        return 0.0, 0.0
    mean = sum(history) / n
    if n == 1:
        return mean, 0.0
    return mean, math.sqrt(sum((x - mean) ** 2 for x in history) / (n - 1))


def judge(code: str, name: str, today: int, history: Sequence[int], *, deviations: float, min_count: int,
          by: str) -> Judgement:
    """Rising when today > mean + deviations x sd and today >= min_count; `by` says until when both were counted
    (e.g. "by 14:20")."""
    mean, sd = spread(history)
    threshold = mean + deviations * sd
    rising = today > threshold and today >= min_count
    days = len(history)
    verdict = "above" if today > threshold else "not above"
    reason = (f"{today} {by} today against {mean:.1f} ± {sd:.1f} {by} on the last {days} days: {verdict} "
              f"{threshold:.1f} (mean + {deviations:g} sd)")
    if today > threshold and today < min_count:
        reason += f", but fewer than {min_count}"
    return Judgement(code, name, today, mean, sd, threshold, rising, reason)


def rising_classes(today: Mapping[str, int], history: Mapping[str, Sequence[int]], names: Mapping[str, str], *,
                   deviations: float, min_count: int, by: str) -> list[Judgement]:
    """Every class with a report today or before, judged; the rising ones first (most above their line)."""
    codes = sorted(set(today) | {c for c, h in history.items() if any(h)})
    out = [judge(c, names.get(c, c), today.get(c, 0), history.get(c, ()), deviations=deviations,
                 min_count=min_count, by=by) for c in codes]
    return sorted(out, key=lambda j: (not j.rising, -(j.today - j.threshold), j.code))
