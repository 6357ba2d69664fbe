"""The events' vocabularies are spelled out once (backend/events/vocab.py) and served to the pages in
GET /api/hall with their labels; no page copies them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.events import workflow as wf
from backend.events.vocab import OPEN, Action, Channel, CloseType, EventState, Level, Urgency
from tests.events_support import make_client, tokens

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def api(redis_url, tmp_path):
    client = await make_client(redis_url, tmp_path)
    yield client
    await client.close()


async def test_the_hall_serves_the_events_words_with_their_labels(api):
    who = await tokens(api)
    for user in ("operator1", "worker1", "dept1", "expert1"):
        resp = await api.get("/api/hall", headers=who[user])
        assert resp.status == 200, await resp.text()
        events = (await resp.json())["events"]
        assert [s["value"] for s in events["states"]] == [s.value for s in EventState]
        assert [a["value"] for a in events["actions"]] == [a.value for a in Action] == list(wf.STEPS)
        for name, vocabulary in (("channels", Channel), ("levels", Level), ("urgencies", Urgency),
                                 ("close_types", CloseType)):
            assert events[name] == [{"value": t.value, "label": t.label} for t in vocabulary]
    states = {s["value"]: s for s in events["states"]}
    assert states["to_dispatch"]["label"] == "To dispatch" and states["to_dispatch"]["open"]
    assert {v for v, s in states.items() if s["open"]} == set(OPEN)
    assert not states["closed"]["open"] and not states["evaluated"]["open"]
    assert [a["value"] for a in events["actions"] if a["overlay"]] == ["supervise", "set_urgency", "escalate", "attach"]
    assert all(t["label"] and "_" not in t["label"] for kind in events.values() for t in kind)
    assert (await api.get("/api/hall")).status == 401


def test_no_page_copies_the_events_vocabularies():
    pages = [*ROOT.glob("console/events*.js"), *ROOT.glob("console/field/*.js")]
    assert len(pages) >= 5
    # the states' own words ("self_handled" is also a report's field, which the report form must name)
    words = [s.value for s in EventState if "_" in s.value and s != EventState.SELF_HANDLED] + ["open311"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        copied = [w for w in words if re.search(rf"""["'`]{w}["'`]""", text)]
        assert not copied, f"{page.relative_to(ROOT)} spells out {copied}: read them from GET /api/hall"
