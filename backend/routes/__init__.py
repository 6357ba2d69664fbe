"""REST routes, one module per noun; each registers its operations on the shared `Api`."""

from ..api import Api

api = Api("Command Hall", "0.1.0")

from . import (  # noqa: E402,F401  (registration side effects)
    auth,
    calls,
    cascade,
    connectors,
    dashboards,
    events,
    gis,
    hall,
    media,
    open311,
    pages,
    rooms,
    rules,
    system,
    wall,
    workers,
)
