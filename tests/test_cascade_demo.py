"""`hall demo`'s two command-centre feeds are alive: the centres it simulates publish into them over WHIP."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

from backend.config import DEFAULT_CONFIG, load_config
from tests.conftest import HallProcess

from .test_cascade_halls import bars, pattern_bars

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FEEDS = ("feed-city-centre", "feed-street-east")
NAMES = {s.id: s.name for s in load_config(DEFAULT_CONFIG).sources}


def test_the_demos_command_centre_feeds_come_alive(tmp_path: Path):
    hall = HallProcess(None, tmp_path, cmd="demo")
    try:
        token = hall.token("operator1")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, health = hall.request("GET", "/api/media/health", token=token)
            states = {f: health.get("sources", {}).get(f, {}).get("state") for f in FEEDS}
            if all(s == "live" for s in states.values()):
                break
            time.sleep(0.5)
        assert all(s == "live" for s in states.values()), states
        for feed in FEEDS:
            req = urllib.request.Request(f"{hall.url}/api/sources/{feed}/snapshot.jpg?width=640",
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=15) as resp:
                picture = cv2.imdecode(np.frombuffer(resp.read(), np.uint8), cv2.IMREAD_COLOR)
            assert picture.shape == (360, 640, 3)
            # the centre's own picture: the colour bars of a pattern drawn with its name
            error = np.abs(bars(cv2.cvtColor(picture, cv2.COLOR_BGR2YUV_I420)) - pattern_bars(NAMES[feed])).mean()
            assert error < 8, (feed, error)
        # the example target stays off until someone gives it an address and starts it
        status, body = hall.request("GET", "/api/cascade/targets", token=token)
        assert status == 200 and [(t["name"], t["state"]) for t in body["targets"]] == [("city-centre", "stopped")]
    finally:
        hall.stop()
