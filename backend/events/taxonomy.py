"""The two-level event/component taxonomy (major 2 digits + minor 2 digits), from configuration."""

from __future__ import annotations

from dataclasses import dataclass

from .config import EventsConfig, Limit


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    major_code: str
    major_name: str
    kind: str  # event | component
    department: str  # default responsible department: the routing key
    deadlines: dict[str, Limit]

    def limit(self, conditions: str | None) -> Limit:
        return self.deadlines.get(conditions or "default", self.deadlines["default"])


class Taxonomy:
    def __init__(self, cfg: EventsConfig) -> None:
        self.majors = {m.code: m.name for m in cfg.taxonomy}
        self.categories: dict[str, Category] = {}
        for major in cfg.taxonomy:
            for minor in major.minors:
                dept = minor.department or major.department or ""
                self.categories[minor.code] = Category(minor.code, minor.name, major.code, major.name, minor.kind,
                                                       dept, dict(minor.deadlines))

    def get(self, code: str) -> Category | None:
        return self.categories.get(code)

    def __contains__(self, code: str) -> bool:
        return code in self.categories

    def matches(self, pattern: str, code: str) -> bool:
        """A rule's class pattern (2-digit major or 4-digit minor) against a minor code."""
        return code == pattern or (len(pattern) == 2 and code.startswith(pattern))

    def tree(self) -> list[dict]:
        out: dict[str, dict] = {}
        for c in self.categories.values():
            major = out.setdefault(c.major_code, {"code": c.major_code, "name": c.major_name, "minors": []})
            major["minors"].append({"code": c.code, "name": c.name, "kind": c.kind, "department": c.department,
                                    "deadlines": {k: v.model_dump() for k, v in c.deadlines.items()}})
        for code, name in self.majors.items():
            out.setdefault(code, {"code": code, "name": name, "minors": []})
        return [out[k] for k in sorted(out)]
