"""Who may do what: the hall's roles and every named set of them, spelled out once.

Every REST route, Socket.IO namespace and service check imports its set from here; the pages get
the role names from `GET /api/hall` instead of copying them.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role (one per account)."""

    ADMIN = "admin"              # the hall's administrator: everything, users and tokens included
    OPERATOR = "operator"        # drives the wall, registers and dispatches events
    COMMANDER = "commander"      # leads: approves, supervises, calls the field
    WORKER = "worker"            # a grid worker on the field page (their grids, their calls)
    DEPARTMENT = "department"    # a handling department's user on the field page
    SCREEN = "screen"            # one wall screen's kiosk page (a token bound to that screen)
    EXPERT = "expert"            # an invited expert: reads the console, joins the consultation room
    INTEGRATION = "integration"  # another system (Open311 app, upper-level centre, monitoring)


ROLES: tuple[str, ...] = tuple(r.value for r in Role)


def roles(*members: Role) -> frozenset[str]:
    return frozenset(r.value for r in members)


ADMIN = roles(Role.ADMIN)
ANY_USER = frozenset(ROLES)
SCREEN = roles(Role.SCREEN)
# The hall's own staff at the console, and those who may change the wall.
CENTRE = roles(Role.ADMIN, Role.OPERATOR, Role.COMMANDER)
WALL_WRITE = CENTRE
CONSOLE = CENTRE | roles(Role.EXPERT)
WALL_READ = CONSOLE | SCREEN
LEADERS = roles(Role.ADMIN, Role.COMMANDER)
# Steps of the closed loop taken on site, and by the handling departments.
FIELD_STEPS = roles(Role.ADMIN, Role.WORKER)
DEPARTMENT_STEPS = roles(Role.ADMIN, Role.DEPARTMENT)
REPORTERS = CENTRE | roles(Role.WORKER, Role.DEPARTMENT, Role.INTEGRATION)
EVENTS_READ = ANY_USER
ARCHIVE = CENTRE | roles(Role.INTEGRATION)  # whole exports, the audit log included
METRICS = roles(Role.ADMIN, Role.INTEGRATION)
WHIP_PUBLISH = roles(Role.ADMIN, Role.OPERATOR, Role.INTEGRATION)  # besides a source's own token
WHEP_WATCH = SCREEN | CONSOLE | roles(Role.INTEGRATION)  # a screen its own only (checked per route)
# Grid workers' last positions on the map: the centre, and the wall's screens (the GIS dashboard).
MAP_WORKERS = CENTRE | SCREEN
# Residents' names and contacts: those who call back or meet the reporter on site (privacy.py).
PERSONAL_DATA = CENTRE | roles(Role.WORKER, Role.DEPARTMENT)
# Grid workers live (backend/workers): the field page's Socket.IO users, who report duty and position,
# who sees every worker's position and track (personal data), who may ask for the nearest workers.
FIELD_PAGE = roles(Role.WORKER, Role.DEPARTMENT)
PATROL = roles(Role.WORKER)
WORKERS_SEE = CENTRE
TRACK_READ = WORKERS_SEE | PATROL  # a worker their own track only (checked per route)
NEAREST_WORKERS = WORKERS_SEE | roles(Role.INTEGRATION)  # integrations: names, distance, status only
# Who takes part in a consultation room: the hall's staff, experts (invited guests among them), grid workers.
ROOM_PEOPLE = CENTRE | roles(Role.EXPERT, Role.WORKER)
# The intercom (backend/intercom): who has talkgroups (a worker their grids', streets' and ad hoc groups while on
# duty; a department's users theirs), and who reaches every group, takes the floor and makes ad hoc groups.
INTERCOM = CENTRE | FIELD_PAGE
INTERCOM_COMMAND = CENTRE
