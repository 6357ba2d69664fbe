"""What the dashboards read, in one object: the events, the workers, the map, the patrol coverage, the connectors
and the media engine's health, with the district's clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..config import HallConfig
from ..events.service import EventService
from ..gis.service import MapService
from ..workers.registry import WorkerRegistry
from .config import DashboardsConfig
from .parts import Clock
from .patrol import PatrolCoverage

if TYPE_CHECKING:
    from ..connectors.service import Connectors

# The role the wall reads as (personal data redacted as for the screens' kiosks).
WALL_ROLE = "screen"


@dataclass
class Sources:
    cfg: HallConfig
    events: EventService
    workers: WorkerRegistry
    map: MapService
    patrol: PatrolCoverage
    connectors: Connectors | None = None
    media_health: Callable[[], dict[str, Any] | None] = lambda: None
    now: Callable[[], float] = time.time
    clock: Clock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = Clock(self.events.calendar.tz)

    @property
    def dcfg(self) -> DashboardsConfig:
        return self.cfg.dashboards

    def today(self) -> date:
        return self.events.calendar.local_date(self.now())

    def days_before(self, n: int, last: date | None = None) -> list[date]:
        """The `n` days up to and including `last` (default today), oldest first."""
        last = last or self.today()
        return [last - timedelta(days=k) for k in range(n - 1, -1, -1)]
