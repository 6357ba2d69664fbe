"""Auth over the REST API and Socket.IO: login, lockout, logout, roles of every operation, screen tokens."""

from __future__ import annotations

import re

import pytest
import socketio

from backend.routes import api
from tests.conftest import DEMO_PASSWORDS, connect_socket, login, token_of, wait_until

# Demo users by role; the screen role gets a kiosk token from the API instead of a login.
DEMO_USERS = {"worker": "worker1", "expert": "expert1", "operator": "operator1", "admin": "admin",
              "integration": "integration", "commander": "commander1"}
PATH_VALUES = {"id": "led-main", "name": "morning", "source": "cam-river-01", "session": "s-1"}
WINDOW_PATH_VALUES = {**PATH_VALUES, "id": "win-1"}


def _fill(path: str) -> str:
    values = WINDOW_PATH_VALUES if path.startswith("/api/wall/windows/") else PATH_VALUES
    if path.startswith("/api/screens/"):  # renewing a screen token revokes the old one: not the one we test with
        values = {**PATH_VALUES, "id": "lcd-2-3"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "x-1"), path)


def _guarded_operations():
    ops = [op for op in api.operations if op.roles is not None]
    assert len(ops) >= 15, "the registry should hold every guarded route"
    return ops


def _query(op) -> dict[str, str]:
    return {"version": "0"} if op.query is not None else {}


async def _screen_token(api_client, admin: dict[str, str], screen_id: str) -> str:
    resp = await api_client.post(f"/api/screens/{screen_id}/token", headers=admin)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["screen"] == screen_id and body["url"].endswith(body["token"])
    return body["token"]


async def _tokens_by_role(api_client) -> dict[str, dict[str, str]]:
    headers = {role: await login(api_client, name) for role, name in DEMO_USERS.items()}
    token = await _screen_token(api_client, headers["admin"], PATH_VALUES["id"])  # its own screen in paths
    headers["screen"] = {"Authorization": f"Bearer {token}"}
    return headers


# -- login, logout, me ------------------------------------------------------------------------
async def test_login_gives_a_token_that_identifies_the_user(api_client):
    resp = await api_client.post("/api/auth/login", json={"username": "operator1",
                                                          "password": DEMO_PASSWORDS["operator1"]})
    assert resp.status == 200
    body = await resp.json()
    assert body["user"] == {"name": "operator1", "role": "operator", "screen": None, "scope": None,
                            "display_name": None}
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    assert body["expires_at"] > 0
    me = await api_client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status == 200
    assert await me.json() == {"name": "operator1", "role": "operator", "screen": None, "scope": None,
                               "display_name": None}


async def test_wrong_password_gets_401_json_with_error_and_message(api_client):
    resp = await api_client.post("/api/auth/login", json={"username": "operator1", "password": "not-the-password"})
    assert resp.status == 401
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert body["error"] == "unauthorized"
    assert body["message"]
    assert "token" not in body


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(api_client):
    wrong = await api_client.post("/api/auth/login", json={"username": "operator1", "password": "not-the-password"})
    unknown = await api_client.post("/api/auth/login", json={"username": "nobody", "password": "not-the-password"})
    assert wrong.status == unknown.status == 401
    assert await wrong.json() == await unknown.json()


async def test_repeated_failures_lock_the_account_even_for_the_right_password(api_client, demo_config):
    limit = demo_config.auth.login_max_failures
    for _ in range(limit):
        resp = await api_client.post("/api/auth/login", json={"username": "operator2", "password": "guess-guess"})
        assert resp.status == 401
    locked = await api_client.post("/api/auth/login",
                               json={"username": "operator2", "password": DEMO_PASSWORDS["operator2"]})
    assert locked.status == 429
    body = await locked.json()
    assert body["error"] == "too_many_requests" and body["message"]
    # Another account is not affected.
    assert (await api_client.post("/api/auth/login",
                              json={"username": "operator1", "password": DEMO_PASSWORDS["operator1"]})).status == 200


async def test_logout_revokes_the_token(api_client):
    headers = await login(api_client, "operator1")
    other = await login(api_client, "operator1")
    resp = await api_client.post("/api/auth/logout", headers=headers)
    assert resp.status == 204
    after = await api_client.get("/api/auth/me", headers=headers)
    assert after.status == 401
    assert (await after.json())["error"] == "unauthorized"
    # Only that token: the user's other session still works.
    assert (await api_client.get("/api/auth/me", headers=other)).status == 200


async def test_me_without_a_token_is_401(api_client):
    resp = await api_client.get("/api/auth/me")
    assert resp.status == 401
    body = await resp.json()
    assert body["error"] == "unauthorized" and body["message"]


async def test_screen_token_identifies_its_screen(api_client):
    admin = await login(api_client, "admin")
    token = await _screen_token(api_client, admin, "lcd-2-3")
    me = await api_client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert await me.json() == {"name": "screen:lcd-2-3", "role": "screen", "screen": "lcd-2-3", "scope": None,
                               "display_name": None}


async def test_a_new_screen_token_revokes_the_old_one(api_client):
    admin = await login(api_client, "admin")
    old = await _screen_token(api_client, admin, "lcd-1-2")
    new = await _screen_token(api_client, admin, "lcd-1-2")
    assert old != new
    assert (await api_client.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"})).status == 401
    assert (await api_client.get("/api/auth/me", headers={"Authorization": f"Bearer {new}"})).status == 200


# -- the role matrix, driven by the registry ------------------------------------------------------
async def test_every_guarded_operation_refuses_a_missing_token_with_401_json(api_client):
    failures = []
    for op in _guarded_operations():
        resp = await api_client.request(op.method, _fill(op.path), params=_query(op), json={})
        body = await resp.json() if resp.content_type == "application/json" else None
        if resp.status != 401 or not body or body.get("error") != "unauthorized" or not body.get("message"):
            failures.append((op.method, op.path, resp.status, body))
    assert failures == []


async def test_every_guarded_operation_refuses_a_garbage_token_with_401(api_client):
    failures = []
    for op in _guarded_operations():
        for header in ("Bearer not-a-real-token", "Bearer " + "x" * 500, "Basic YWRtaW46cGFzcw=="):
            resp = await api_client.request(op.method, _fill(op.path), params=_query(op), json={},
                                        headers={"Authorization": header})
            body = await resp.json() if resp.content_type == "application/json" else None
            if resp.status != 401 or not body or body.get("error") != "unauthorized":
                failures.append((op.method, op.path, header[:12], resp.status, body))
    assert failures == []


async def test_every_guarded_operation_refuses_roles_it_does_not_allow_with_403_naming_the_allowed(api_client):
    tokens = await _tokens_by_role(api_client)
    failures = []
    checked = 0
    for op in _guarded_operations():
        allowed = ", ".join(sorted(op.roles))
        for role, headers in tokens.items():
            if role in op.roles:
                continue
            checked += 1
            resp = await api_client.request(op.method, _fill(op.path), params=_query(op), json={}, headers=headers)
            body = await resp.json() if resp.content_type == "application/json" else None
            if (resp.status != 403 or not body or body.get("error") != "forbidden"
                    or f"allowed: {allowed}" not in body.get("message", "")):
                failures.append((op.method, op.path, role, resp.status, body))
    assert checked > 30
    assert failures == []


async def test_every_guarded_operation_lets_its_allowed_roles_past_the_role_check(api_client):
    tokens = await _tokens_by_role(api_client)
    failures = []
    for op in _guarded_operations():
        for role in sorted(op.roles & tokens.keys()):
            headers = tokens[role]
            if op.path == "/api/auth/logout":  # would end the session the other checks use
                headers = await login(api_client, DEMO_USERS[role]) if role in DEMO_USERS else headers
                if role == "screen":
                    continue
            resp = await api_client.request(op.method, _fill(op.path), params=_query(op), json={}, headers=headers)
            if resp.status in (401, 403):
                failures.append((op.method, op.path, role, resp.status, await resp.text()))
    assert failures == []


async def test_public_operations_need_no_token(api_client):
    public = {(op.method, op.path) for op in api.operations if op.roles is None}
    assert ("POST", "/api/auth/login") in public and ("GET", "/healthz") in public
    assert (await api_client.get("/healthz")).status == 200


# -- removing a user ---------------------------------------------------------------------------
async def test_removing_a_user_revokes_their_tokens(api_client):
    admin = await login(api_client, "admin")
    resp = await api_client.post("/api/users", headers=admin,
                             json={"name": "temp-op", "role": "operator", "password": "temp-op-password"})
    assert resp.status == 201, await resp.text()
    first = await api_client.post("/api/auth/login", json={"username": "temp-op", "password": "temp-op-password"})
    second = await api_client.post("/api/auth/login", json={"username": "temp-op", "password": "temp-op-password"})
    sessions = [{"Authorization": f"Bearer {(await r.json())['token']}"} for r in (first, second)]
    for headers in sessions:
        assert (await api_client.get("/api/wall", headers=headers)).status == 200

    assert (await api_client.delete("/api/users/temp-op", headers=admin)).status == 204
    for headers in sessions:
        resp = await api_client.get("/api/wall", headers=headers)
        assert resp.status == 401
        assert (await resp.json())["error"] == "unauthorized"
    users = await (await api_client.get("/api/users", headers=admin)).json()
    assert "temp-op" not in {u["name"] for u in users["users"]}
    again = await api_client.delete("/api/users/temp-op", headers=admin)
    assert again.status == 404
    assert (await again.json())["error"] == "not_found"


async def test_removed_user_live_console_session_is_dropped_at_once(api_client):
    admin = await login(api_client, "admin")
    operator = await login(api_client, "operator2")
    sio = await connect_socket(api_client, "/console", token_of(operator), events=("session:ended", "layout"))
    try:
        ok = await sio.call("wall:get", {}, namespace="/console", timeout=10)
        assert ok["ok"] is True
        assert (await api_client.delete("/api/users/operator2", headers=admin)).status == 204
        # without sending anything: the server ends it (it would otherwise keep receiving layouts)
        await wait_until(lambda: "/console" not in sio.namespaces, what="the server to end the session")
        assert sio.received["session:ended"]
    finally:
        await sio.disconnect()


@pytest.mark.parametrize("how", ["logout", "screen token renewed"])
async def test_revoked_token_drops_its_live_sockets(api_client, how):
    admin = await login(api_client, "admin")
    if how == "logout":
        headers = await login(api_client, "operator1")
        namespace, token = "/console", token_of(headers)
    else:
        namespace, token = "/wall", await _screen_token(api_client, admin, "lcd-1-1")
    other = await connect_socket(api_client, "/console", token_of(admin))  # another session stays
    sio = await connect_socket(api_client, namespace, token, events=("session:ended",))
    try:
        if how == "logout":
            assert (await api_client.post("/api/auth/logout", headers=headers)).status == 204
        else:
            await _screen_token(api_client, admin, "lcd-1-1")
        await wait_until(lambda: namespace not in sio.namespaces, what="the revoked socket to be dropped")
        assert sio.received["session:ended"]
        assert "/console" in other.namespaces
    finally:
        await sio.disconnect()
        await other.disconnect()


async def test_a_screen_cannot_log_its_kiosk_token_out(api_client):
    admin = await login(api_client, "admin")
    token = await _screen_token(api_client, admin, "lcd-1-1")
    resp = await api_client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 403
    assert (await api_client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).status == 200


async def test_the_default_namespace_takes_no_connection(api_client):
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(str(api_client.make_url("")), namespaces=["/"], transports=["websocket"], wait_timeout=5)
    await sio.disconnect()


# -- the screen page ----------------------------------------------------------------------------
async def test_screen_page_needs_its_own_screen_token(api_client):
    admin = await login(api_client, "admin")
    own = await _screen_token(api_client, admin, "lcd-1-1")
    other = await _screen_token(api_client, admin, "lcd-1-2")

    no_token = await api_client.get("/wall/screens/lcd-1-1")
    assert no_token.status == 401
    assert (await no_token.json())["error"] == "unauthorized"

    wrong = await api_client.get("/wall/screens/lcd-1-1", params={"token": other})
    assert wrong.status == 403
    assert (await wrong.json())["error"] == "forbidden"

    operator = await api_client.get("/wall/screens/lcd-1-1", params={"token": token_of(await login(api_client,
                                                                                                   "operator1"))})
    assert operator.status == 403

    garbage = await api_client.get("/wall/screens/lcd-1-1", params={"token": "garbage"})
    assert garbage.status == 401

    ok = await api_client.get("/wall/screens/lcd-1-1", params={"token": own})
    assert ok.status == 200
    assert "html" in ok.content_type
    assert "<html" in (await ok.text()).lower()


async def test_screen_page_of_an_unknown_screen_is_404(api_client):
    resp = await api_client.get("/wall/screens/no-such-screen", params={"token": "x"})
    assert resp.status == 404
    assert (await resp.json())["error"] == "not_found"


async def test_screen_token_for_an_unknown_screen_is_422(api_client):
    admin = await login(api_client, "admin")
    resp = await api_client.post("/api/screens/no-such-screen/token", headers=admin)
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["path"] == "id"


# -- Socket.IO connects --------------------------------------------------------------------------
async def test_console_socket_without_a_token_is_refused(api_client):
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect_socket(api_client, "/console", None)


async def test_console_socket_with_a_garbage_token_is_refused(api_client):
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect_socket(api_client, "/console", "garbage")


async def test_console_socket_with_a_worker_token_is_refused(api_client):
    worker = await login(api_client, "worker1")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect_socket(api_client, "/console", token_of(worker))


async def test_wall_socket_with_an_operator_token_is_refused(api_client):
    operator = await login(api_client, "operator1")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect_socket(api_client, "/wall", token_of(operator))


async def test_console_socket_with_an_operator_token_gets_the_layout(api_client):
    operator = await login(api_client, "operator1")
    sio = await connect_socket(api_client, "/console", token_of(operator), events=("layout", "presets", "scenes"))
    try:
        await wait_until(lambda: all(sio.received[e] for e in ("layout", "presets", "scenes")),
                         what="the connect-time layout, presets and scenes")
        assert sio.received["layout"][0]["version"] == 0
    finally:
        await sio.disconnect()


async def test_wall_socket_with_a_screen_token_gets_its_screen(api_client):
    admin = await login(api_client, "admin")
    token = await _screen_token(api_client, admin, "lcd-2-2")
    sio = await connect_socket(api_client, "/wall", token, events=("screen",))
    try:
        await wait_until(lambda: sio.received["screen"], what="the connect-time screen view")
        assert sio.received["screen"][0]["screen"]["id"] == "lcd-2-2"
    finally:
        await sio.disconnect()


async def test_expert_console_may_read_but_not_apply_a_layout(api_client):
    expert = await login(api_client, "expert1")
    sio = await connect_socket(api_client, "/console", token_of(expert))
    try:
        read = await sio.call("wall:get", {}, namespace="/console", timeout=10)
        assert read["ok"] is True and read["layout"]["version"] == 0
        write = await sio.call("layout:apply", {"version": 0, "windows": []}, namespace="/console", timeout=10)
        assert write["ok"] is False and write["status"] == 403 and write["error"] == "forbidden"
    finally:
        await sio.disconnect()
    operator = await login(api_client, "operator1")
    assert (await (await api_client.get("/api/wall", headers=operator)).json())["layout"]["version"] == 0
