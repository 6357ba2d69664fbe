"""Working calendar and deadline clocks: working hours, working days, holidays, swapped days."""

from __future__ import annotations

from datetime import date

import pytest

from backend.events.calendar import CalendarError, Clock, WorkingCalendar
from backend.events.config import CalendarConfig, Limit
from tests.events_support import CFG, at

CAL = WorkingCalendar(CFG.events.calendar, "Asia/Shanghai")


def test_working_hours_skip_lunch_nights_and_weekends():
    fri = at(2025, 6, 6, 16, 0)  # Friday 16:00, 1.5 h left that day
    assert CAL.advance("work_hours", fri, 4 * 3600) == at(2025, 6, 9, 11, 0)  # Monday 08:30 + 2.5 h
    assert CAL.elapsed("work_hours", fri, at(2025, 6, 9, 11, 0)) == 4 * 3600
    assert CAL.advance("work_hours", at(2025, 6, 2, 11, 0), 2 * 3600) == at(2025, 6, 2, 14, 30)


def test_a_report_at_night_starts_counting_next_morning():
    assert CAL.advance("work_hours", at(2025, 6, 2, 22, 0), 60) == at(2025, 6, 3, 8, 31)
    assert CAL.elapsed("work_hours", at(2025, 6, 2, 18, 0), at(2025, 6, 3, 8, 30)) == 0


def test_working_days_skip_holidays_and_count_swapped_weekends():
    # 2025-09-30 (Tue) + 1 working day: Oct 1-3 holidays, 4-5 weekend -> Monday Oct 6
    assert CAL.advance("work_days", at(2025, 9, 30, 10, 0), 86400) == at(2025, 10, 6, 10, 0)
    # Saturday 2025-10-11 is a working day (swapped)
    assert CAL.is_working_day(date(2025, 10, 11)) and not CAL.is_working_day(date(2025, 10, 12))
    assert CAL.advance("work_days", at(2025, 10, 10, 12, 0), 86400) == at(2025, 10, 11, 12, 0)


def test_natural_time_counts_everything():
    assert CAL.advance("minutes", at(2025, 6, 7, 23, 50), 1200) == at(2025, 6, 8, 0, 10)
    assert CAL.elapsed("hours", at(2025, 6, 7), at(2025, 6, 8)) == 86400


def test_elapsed_and_advance_agree():
    start = at(2025, 6, 5, 17, 0)
    for secs in (1, 1800, 3600 * 7.5, 3600 * 20, 86400 * 3):
        for unit in ("work_hours", "work_days", "minutes"):
            end = CAL.advance(unit, start, secs)
            assert abs(CAL.elapsed(unit, start, end) - secs) < 1e-6


def test_a_calendar_without_working_time_is_refused():
    cal = WorkingCalendar(CalendarConfig(weekdays=[1], holidays=[]), "Asia/Shanghai")
    assert cal.advance("work_days", at(2025, 6, 2), 86400) == at(2025, 6, 3)
    with pytest.raises(ValueError):
        CalendarConfig(weekdays=[])
    with pytest.raises(ValueError):
        CalendarConfig(hours=[("12:00", "09:00")])
    never = WorkingCalendar(CalendarConfig(), "Asia/Shanghai")
    never.weekdays = set()
    with pytest.raises(CalendarError):
        never.advance("work_hours", at(2025, 6, 2), 3600)


def test_clock_suspend_postpone_and_light():
    t = at(2025, 6, 2, 9)
    clock = Clock.start("handle", Limit(value=4, unit="work_hours"), t)
    assert clock.due_at(CAL) == at(2025, 6, 2, 14, 30)
    assert clock.warn_at(CAL, 0.8) == at(2025, 6, 2, 13, 42)  # 3.2 working hours
    stopped = clock.stop(CAL, t + 3600)
    assert stopped.due_at(CAL) is None and stopped.used(CAL, t + 99999) == 3600
    again = stopped.resume(at(2025, 6, 3, 8, 30))
    assert again.due_at(CAL) == at(2025, 6, 3, 11, 30)
    longer = again.extend(3600)
    assert longer.due_at(CAL) == at(2025, 6, 3, 13, 30) + 1800  # 12:00 plus lunch plus 30 min
    assert clock.light(CAL, t + 3600) == "green"
    assert clock.light(CAL, at(2025, 6, 2, 13, 42)) == "yellow"
    assert clock.light(CAL, at(2025, 6, 2, 14, 30)) == "yellow"
    assert clock.light(CAL, at(2025, 6, 2, 14, 31)) == "red"
    assert Clock.from_dict(clock.to_dict()) == clock
