from tests.conftest import login


async def test_operator_reads_the_wall_after_login(client):
    headers = await login(client, "operator1")
    resp = await client.get("/api/wall", headers=headers)
    assert resp.status == 200
    body = await resp.json()
    assert {s["id"] for s in body["wall"]["screens"]} >= {"led-main", "lcd-1-1"}
    assert body["layout"]["version"] == 0
