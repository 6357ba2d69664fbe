"""The event workflow: intake, the closed loop (state machine), routing, deadlines, escalation, KPIs.

Pure modules (taxonomy, workflow, routing, calendar, geo, kpi) compute; store, service and the
routes do the I/O. Import the modules themselves: this package file stays empty of imports so
that `backend.config` can use `backend.events.config` without pulling in Redis.
"""
