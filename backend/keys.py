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


def login_failures(name: str) -> str:
    """Counter of failed logins, expiring after the lockout window."""
    return f"{PREFIX}:login-failures:{name}"


def screen_token(screen_id: str) -> str:
    """String: the current kiosk token of one screen (re-printed by `hall demo`)."""
    return f"{PREFIX}:screen-token:{screen_id}"


WALL_LAYOUT = f"{PREFIX}:wall:layout"  # string: JSON {version, windows, scene, updated_by, updated_at}
WALL_PRESETS = f"{PREFIX}:wall:presets"  # hash: name -> JSON preset
WALL_SCENES = f"{PREFIX}:wall:scenes"  # hash: name -> JSON scene
WALL_CHANGES = f"{PREFIX}:wall:changes"  # stream: audit of every wall write
SOCKETIO_CHANNEL = f"{PREFIX}:socketio"  # pub/sub channel of the Socket.IO Redis manager
