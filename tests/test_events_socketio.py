"""Every accepted change is pushed to the consoles over Socket.IO (`/console`, room "consoles")."""

from __future__ import annotations

import asyncio

import socketio

from tests.events_support import make_client, report_body, tokens


async def test_a_console_hears_reports_and_transitions(redis_url, tmp_path):
    api = await make_client(redis_url, tmp_path)
    try:
        who = await tokens(api)
        heard: asyncio.Queue = asyncio.Queue()
        sio = socketio.AsyncClient(reconnection=False)

        @sio.on("event", namespace="/console")
        async def on_event(data):
            await heard.put(data)

        await sio.connect(str(api.make_url("/")), namespaces=["/console"],
                          auth={"token": who["operator1"]["Authorization"].split()[1]}, transports=["websocket"])
        resp = await api.post("/api/events", json=report_body(), headers=who["integration"])
        eid = (await resp.json())["event"]["id"]
        msg = await asyncio.wait_for(heard.get(), 10)
        assert msg["id"] == eid and msg["action"] == "report" and msg["state"] == "reported" and msg["grid"] == "g01"
        await api.post(f"/api/events/{eid}/accept", json={}, headers=who["operator1"])
        msg = await asyncio.wait_for(heard.get(), 10)
        assert (msg["action"], msg["state"], msg["by"]) == ("accept", "verifying", "operator1")
        await sio.disconnect()
    finally:
        await api.close()
