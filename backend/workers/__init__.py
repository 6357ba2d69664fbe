"""Grid workers live: duty status, positions (Redis GEO), patrol tracks (a Redis Stream each), the
nearest available workers of a place, and the demo district's simulated patrols.

Import the modules themselves: this package file stays empty of imports so that `backend.config` can
use `backend.workers.config` without pulling in Redis.
"""
