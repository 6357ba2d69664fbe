"""The one Redis key scheme of the hall: every key the backend reads or writes is named here."""

PREFIX = "hall"

USERS = f"{PREFIX}:users"  # set of user names


def user(name: str) -> str:
    """Hash: name, role, password_hash, display_name, created_at."""
    return f"{PREFIX}:user:{name}"


def token(token_hash: str) -> str:
    """Hash: user, role, screen, expires_at (with a Redis TTL for session tokens)."""
    return f"{PREFIX}:token:{token_hash}"


def user_tokens(name: str) -> str:
    """Set of token hashes issued to a user, so removing the user revokes them."""
    return f"{PREFIX}:user-tokens:{name}"


def login_failures(name: str, address: str) -> str:
    """Counter of failed logins of one user from one client address, expiring after the lockout window."""
    return f"{PREFIX}:login-failures:{address}:{name}"


def login_failures_from(address: str) -> str:
    """Counter of failed logins from one client address (any user), expiring after the lockout window."""
    return f"{PREFIX}:login-failures-from:{address}"


AUTH_REVOKED = f"{PREFIX}:auth:revoked"  # pub/sub channel: JSON list of revoked token hashes (sockets drop)


def screen_token(screen_id: str) -> str:
    """String: the hash of the current kiosk token of one screen (the token itself is never stored)."""
    return f"{PREFIX}:screen-token:{screen_id}"


WALL_LAYOUT = f"{PREFIX}:wall:layout"  # string: JSON {version, windows, scene, updated_by, updated_at}
WALL_PRESETS = f"{PREFIX}:wall:presets"  # hash: name -> JSON preset
WALL_SCENES = f"{PREFIX}:wall:scenes"  # hash: name -> JSON scene
WALL_CHANGES = f"{PREFIX}:wall:changes"  # stream: audit of every wall write
# -- calls (backend/calls) --------------------------------------------------------------------------
CALLS = f"{PREFIX}:calls"  # sorted set: call id -> started at (epoch s)


def call(call_id: str) -> str:
    """String: one call's record (JSON: backend/calls/model.py CallRecord), kept for a year or so."""
    return f"{PREFIX}:call:{call_id}"


def calls_of_event(event_id: str) -> str:
    """Sorted set: the calls made about one event -> started at."""
    return f"{PREFIX}:calls:event:{event_id}"


# -- consultation rooms (backend/rooms.py) ----------------------------------------------------------
ROOMS = f"{PREFIX}:rooms"  # sorted set: room id -> opened at


def room(room_id: str) -> str:
    """String: one room's record (JSON: backend/rooms.py RoomRecord)."""
    return f"{PREFIX}:room:{room_id}"


def rooms_of_event(event_id: str) -> str:
    """Sorted set: the rooms opened about one event -> opened at."""
    return f"{PREFIX}:rooms:event:{event_id}"


RUNTIME_SOURCES = f"{PREFIX}:wall:runtime-sources"  # hash: id -> JSON {id, name, kind, group, owner, state}
WALL_CHANGED = f"{PREFIX}:wall:changed"  # pub/sub channel: a new layout version (media engines reload it)
SOCKETIO_CHANNEL = f"{PREFIX}:socketio"  # pub/sub channel of the Socket.IO Redis manager
CASCADE_TARGETS = f"{PREFIX}:cascade:targets"  # hash: target name -> JSON {enabled, by, at} (set from the console)

# -- events (backend/events): the closed loop -------------------------------------------------
EVENTS_INDEX = f"{PREFIX}:ev:index"  # sorted set: event id -> reported at (epoch s)
EVENTS_AUDIT = f"{PREFIX}:ev:audit"  # stream: every transition of every event (capped, for the archive)
EVENTS_STATES = f"{PREFIX}:ev:states"  # hash: state -> number of events in it now
EVENTS_DUE = f"{PREFIX}:ev:due"  # sorted set: event id -> when its current node goes overdue
EVENTS_WARN = f"{PREFIX}:ev:warn"  # sorted set: event id -> when its soon-due warning is due
EVENTS_ESCALATE = f"{PREFIX}:ev:escalate"  # sorted set: event id -> when the escalation rules look again


def event(event_id: str) -> str:
    """Hash: version, state, data (the event's JSON document)."""
    return f"{PREFIX}:ev:{event_id}"


def events_by(dimension: str, value: str) -> str:
    """Sorted set: ids of the events with one value of one dimension -> reported at. Dimensions:
    channel, cat (major and minor class), area (grid, community, street), dept (main or co-handling
    department now), handler (the main department alone), seen (any department it has been with), level,
    overdue, supervised, reporter, open (true/false), awaits (a role with a step of the loop to take)."""
    return f"{PREFIX}:ev:by:{dimension}:{value}"


def photo_refs(sha: str) -> str:
    """Set: who may see one stored photo: `user:{name}` (who uploaded it) and `event:{id}` (events showing it)."""
    return f"{PREFIX}:ev:photo:{sha}"


EVENTS_INDEX_VERSION = f"{PREFIX}:ev:by-version"  # string: version of the index scheme last built


def event_audit(event_id: str) -> str:
    """Stream: the append-only audit log of one event (who, when, what, note)."""
    return f"{PREFIX}:ev:audit:{event_id}"


def events_in_state(state: str) -> str:
    """Sorted set: ids of the events in one state -> reported at."""
    return f"{PREFIX}:ev:in:{state}"


def event_idempotency(digest: str) -> str:
    """String: the event id made by one report (reporter + idempotency key, hashed), with a TTL."""
    return f"{PREFIX}:ev:idem:{digest}"


def event_duplicates(event_id: str) -> str:
    """Set: ids of the events linked to this one as its duplicates."""
    return f"{PREFIX}:ev:dups:{event_id}"


def event_stats(day: str) -> str:
    """Hash: counters of the events reported on one local day (YYYY-MM-DD): totals, per state,
    channel, class, grid, hour, and the KPI numerators and denominators."""
    return f"{PREFIX}:ev:stats:{day}"


def event_posts(day: str) -> str:
    """Hash: per-person and per-department counters of one local day, `kind:name:counter`."""
    return f"{PREFIX}:ev:posts:{day}"


def event_reporters(day: str) -> str:
    """Sorted set: reporter -> reports made on one local day (high-frequency reporters; members are made by
    backend/privacy.py: a resident's name and contact, or a staff user's name)."""
    return f"{PREFIX}:ev:reporters:{day}"


PSEUDONYM_KEY = f"{PREFIX}:privacy:pseudonym-key"  # string: the key of residents' pseudonyms (privacy.py)
# -- the map (backend/gis) ----------------------------------------------------------------------


def gis_geo(layer: str) -> str:
    """GEO set: the positions of one map layer's features (cameras, components, buildings, places; events by id)."""
    return f"{PREFIX}:gis:geo:{layer}"


GIS_INDEXED = f"{PREFIX}:gis:indexed"  # hash: layer -> digest of what its GEO set holds (re-indexed when it changes)
GIS_EVENTS_THROUGH = f"{PREFIX}:gis:events-through"  # string: reported-at up to which events are in their GEO set


# -- grid workers (backend/workers): live positions and patrol tracks --------------------------
WORKERS_GEO = f"{PREFIX}:workers:geo"  # GEO set: worker name -> last reported position
WORKERS_SEEN = f"{PREFIX}:workers:seen"  # sorted set: worker name -> when their position was last reported (epoch s)


def worker(name: str) -> str:
    """Hash of one worker's live state: status, status_at, lat, lon, at, accuracy, grid, call."""
    return f"{PREFIX}:worker:{name}"


def worker_track(name: str) -> str:
    """Stream: one worker's patrol track (lat, lon, at, status per entry), trimmed to the retention."""
    return f"{PREFIX}:worker-track:{name}"


# -- the wall dashboards (backend/dashboards) -------------------------------------------------------
def patrol_squares(day: str, grid: str) -> str:
    """Set: the squares of one grid a worker's track passed through on one local day (patrol coverage)."""
    return f"{PREFIX}:dash:patrol:{day}:{grid}"


PATROL_BACKFILLED = f"{PREFIX}:dash:patrol-backfilled"  # hash: local day -> when the tracks were read into it


# -- connectors to other systems (backend/connectors) ----------------------------------------------
def connector(connector_id: str) -> str:
    """Hash: the latest values of one connector (JSON), when they came, how (poll or webhook), the last error."""
    return f"{PREFIX}:conn:{connector_id}"


def connector_lease(connector_id: str) -> str:
    """String with a TTL: the hall process that polls this connector now (one poll per interval in all)."""
    return f"{PREFIX}:conn:lease:{connector_id}"


# -- layout rules (backend/rules): alarms and schedules ----------------------------------------------
def alarm(rule: str) -> str:
    """String: JSON of an alarm rule's switch while it lasts (region, what it showed before, why, until when)."""
    return f"{PREFIX}:rules:alarm:{rule}"


ALARM_REVERTS = f"{PREFIX}:rules:reverts"  # sorted set: alarm rule -> when its region goes back (epoch s)


def alarm_fired(rule: str) -> str:
    """Set: the events and warnings that have set one alarm rule off (each does so once), with a TTL."""
    return f"{PREFIX}:rules:fired:{rule}"


def schedule_done(rule: str, occurrence: str) -> str:
    """String with a TTL: one occurrence of a schedule (its local date and time) was applied, by whom."""
    return f"{PREFIX}:rules:schedule:{rule}:{occurrence}"
