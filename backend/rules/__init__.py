"""Layouts that follow events and the clock: alarm rules switch a region of the wall to a focus scene (the map
round the place, the nearest cameras) and back; schedules apply presets or scenes at set times."""
