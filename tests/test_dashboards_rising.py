"""The early-warning rule: today's count against the mean and spread of the same part of earlier days."""

import pytest

from backend.dashboards.rising import judge, rising_classes, spread


def test_spread_is_the_mean_and_sample_standard_deviation():
    assert spread([]) == (0.0, 0.0)
    assert spread([4]) == (4.0, 0.0)
    mean, sd = spread([1, 2, 3, 4])
    assert mean == 2.5 and sd == pytest.approx(1.2910, abs=1e-4)


def test_a_class_rises_above_mean_plus_k_deviations_with_the_reason_spelled_out():
    j = judge("0402", "Night noise", 7, [1, 2, 1, 0, 2, 1, 1], deviations=2, min_count=3, by="by 14:20")
    assert j.rising
    assert j.threshold == pytest.approx(j.mean + 2 * j.sd)
    assert j.reason.startswith("7 by 14:20 today against 1.1 ± 0.7 by 14:20 on the last 7 days: above 2.5")
    assert "mean + 2 sd" in j.reason


def test_a_usual_day_or_too_few_reports_are_not_rising():
    usual = judge("0101", "Exposed garbage", 5, [4, 6, 5, 5, 4, 6], deviations=2, min_count=3, by="by 10:00")
    assert not usual.rising and ": not above" in usual.reason
    few = judge("0601", "Blocked fire escape", 2, [0] * 28, deviations=2, min_count=3, by="by 10:00")
    assert not few.rising and few.reason.endswith("but fewer than 3")


def test_rising_classes_come_first_most_above_their_line():
    out = rising_classes({"a": 9, "b": 4, "c": 1}, {"a": [1] * 28, "b": [0] * 28, "c": [1] * 28, "d": [0, 1]},
                         {"a": "A"}, deviations=2, min_count=3, by="by 12:00")
    assert [(j.code, j.rising) for j in out] == [("a", True), ("b", True), ("c", False), ("d", False)]
    assert out[0].name == "A" and out[1].name == "b"
