"""The `${...}` arithmetic: hand-computed values and refused expressions."""

from __future__ import annotations

import pytest

from cnncalc.expr import ExprError, evaluate

NAMES = {"filters": 64, "c": 30, "stride": 2, "expand": 6, "flag": True}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("filters * 4", 256),
        ("filters*4", 256),
        ("(filters + 32) // 3", 32),
        ("c // 4", 7),               # floor division rounds down, as in Python
        ("c / 3", 10),               # exact division
        ("-stride + 5", 3),
        ("2 * (3 + 4) * 2", 28),
        ("filters - 2 * stride", 60),
        ("max(1, c // 4)", 7),       # torchvision's squeeze channels
        ("max(1, 3 // 4)", 1),
        ("min(filters, c, 100)", 30),
        ("c * expand // stride", 90),
    ],
)
def test_values(text: str, expected: int) -> None:
    assert evaluate(text, NAMES) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("filters / 0", "division by zero"),
        ("filters // (stride - 2)", "division by zero"),
        ("c / 4", "30 / 4 = 7.5 is not a whole number"),
        ("filtres * 2", 'unknown name \'filtres\' (did you mean "filters"?)'),
        ("flag * 2", "the left of * is true, not a number"),
        ("filters ** 2", "unexpected '*'"),
        ("(filters", "ends too early"),
        ("filters 2", "unexpected '2'"),
        ("__import__('os')", "unexpected"),
        ("max(1, 2", "ends too early"),
        ("max(1 2)", "max( is not closed"),
        ("", "empty"),
        ("9" * 10 + " * " + "9" * 10, "implausibly large"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(text, NAMES)
    assert message in str(info.value)
