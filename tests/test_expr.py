"""The `${...}` arithmetic: hand-computed values and refused expressions."""

from __future__ import annotations

import pytest

from cnncalc.core.expr import ExprError, evaluate

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
        ("filters *** 2", "unexpected '*'"),
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


# -- decimals, functions, conditions (variables and width multipliers) ------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("7 / 2.0", 3.5),                         # a decimal makes / a true division
        ("c * 0.5", 15.0),
        ("make_divisible(32 * 1.1, 8)", 32),      # 35.2 → 32: within 10 %, rounded to the nearest multiple
        ("make_divisible(16 * 0.5, 8)", 8),
        ("make_divisible(3, 8)", 8),              # at least the divisor
        ("make_divisible(11, 8)", 16),            # 8 would lose over 10 % of 11: one divisor up
        ("make_divisible(100 * 0.75, 8)", 72),    # 75 → int(79) // 8 * 8 = 72 ≥ 67.5
        ("make_divisible(4, 8, 4)", 8),           # min_value 4: int(8) // 8 * 8 = 8
        ("make_divisible(2, 8, 1)", 9),           # max(1, int(6) // 8 * 8) = 1, below 90 % of 2: one divisor up
        ("round(2.5)", 2),                        # Python's round: halves to even, as torchvision's code runs
        ("round(3.5)", 4),
        ("round(2.6)", 3),
        ("ceil(3 * 1.1)", 4),                     # EfficientNet-B1's depth: ceil(3.3000000000000003)
        ("floor(3.9)", 3),
        ("int(-2.5)", -2),                        # int truncates toward zero
        ("min(c, 2.5)", 2.5),
        ("max(7)", 7),
        ("stride == 2", True),
        ("stride != 2", False),
        ("c > 10 and not flag", False),
        ("flag or c < 0", True),
        ("not (stride == 1)", True),
        ("true", True),
        ("filters >= 64 and expand <= 6", True),
        ("flag == true", True),
    ],
)
def test_decimals_functions_and_conditions(text: str, expected: object) -> None:
    result = evaluate(text, NAMES)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    "text, message",
    [
        ("round(1, 2)", "round() takes 1 argument, got 2; write round(x)"),
        ("make_divisible(c)", "make_divisible() takes 2 to 3 arguments, got 1"),
        ("make_divisible(c, 0)", "the divisor must be positive"),
        ("flag + 1", "the left of + is true, not a number"),
        ("c < 3 < 4", "comparisons do not chain"),
        ("c and flag", "the left of `and` is 30, not true or false"),
        ("not c", "the operand of `not` is 30"),
        ("flag < true", "cannot compare True < True"),
        ("c == flag", "cannot compare 30 == True"),
        ("ceil(flag)", "argument 1 of ceil() is true, not a number"),
        ("c ! 2", "unexpected '!'"),
    ],
)
def test_refused_decimals_functions_and_conditions(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(text, NAMES)
    assert message in str(info.value)


WORDS = {"word": "same", "kernel": [3, 3], "c": 30}


@pytest.mark.parametrize(
    "text, outcome",
    [
        ("word < 1", "cannot compare 'same' < 1"),   # Python cannot order them: was an internal error (a TypeError)
        ("1 >= kernel", "cannot compare 1 >= [3, 3]"),
        ("kernel > c", "cannot compare [3, 3] > 30"),
        ("word == 1", False),                       # equality of a word and a number is merely false
        ("word != c", True),
        ("word == word", True),
        ("kernel == kernel", True),
    ],
)
def test_words_and_lists_are_not_ordered_with_numbers(text: str, outcome: object) -> None:
    if isinstance(outcome, bool):
        assert evaluate(text, WORDS) is outcome
        return
    with pytest.raises(ExprError) as info:
        evaluate(text, WORDS)
    assert str(info.value) == outcome


@pytest.mark.parametrize("width", [0.25, 0.35, 0.5, 0.75, 1.0, 1.1, 1.3, 1.4, 1.6, 1.8, 2.0])
@pytest.mark.parametrize("channels", [16, 24, 32, 40, 80, 96, 112, 192, 320, 1280])
def test_make_divisible_is_torchvisions_rule(width: float, channels: int) -> None:
    """torchvision/models/_utils.py `_make_divisible`, restated from its documented rule, over the papers' widths."""
    v = channels * width
    expected = max(8, int(v + 4) // 8 * 8)
    if expected < 0.9 * v:
        expected += 8
    assert evaluate(f"make_divisible({channels} * {width}, 8)", {}) == expected


# -- powers and logarithms (RegNet's width rule: w_0 · w_m ** k, log(w / w_0, w_m)) --------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("2 ** 10", 1024),                        # whole ** whole (not negative) stays whole
        ("stride ** 3 * 2", 16),                  # ** binds tighter than *
        ("-2 ** 2", -4),                          # and than a minus on its left, as in Python
        ("(-2) ** 2", 4),
        ("2 ** 3 ** 2", 512),                     # groups from the right: 2 ** 9
        ("2 ** -1", 0.5),                         # a negative exponent gives a decimal
        ("4 ** 0.5", 2.0),
        ("2.25 ** 1", 2.25),
        ("round(80 * 2.25 / 8) * 8", 176),        # RegNetX-1.6GF's second level: 22.5 rounds to even, 22
        ("round(56 * 2.4 ** 3 / 8) * 8", 776),    # RegNetY-800MF's fourth level: 774.144 / 8 = 96.77 → 97
        ("ceil(48 * (2.09 ** 0.5 - 1) / 27.89)", 1),   # RegNetY-400MF: one block below w_0 · w_m ** 0.5
        ("log(8, 2)", 3.0),
        ("log(1)", 0.0),
        ("round(log(24 + 24.48 * 21, 2.54) - log(24, 2.54))", 3),   # RegNetX-400MF's last block: level 3
        ("log(100, 10) == 2", True),
    ],
)
def test_powers_and_logarithms(text: str, expected: object) -> None:
    result = evaluate(text, NAMES)
    assert result == pytest.approx(expected) and type(result) is type(expected)


@pytest.mark.parametrize(
    "text, message",
    [
        ("10 ** 10 ** 10", "10 ** 10000000000 is implausibly large"),   # refused before it is computed
        ("2 ** 60", "implausibly large"),
        ("1.5 ** 100", "implausibly large"),
        ("0 ** -1", "0 ** -1 is not a real number"),
        ("(-8) ** 0.5", "(-8) ** 0.5 is not a real number"),
        ("flag ** 2", "the left of ** is true, not a number"),
        ("2 ** flag", "the right of ** is true, not a number"),
        ("2 **", "ends too early"),
        ("log(0)", "log(0) is undefined"),
        ("log(-c)", "log(-30) is undefined"),
        ("log(8, 1)", "the base must be positive and not 1"),
        ("log(8, 0)", "the base must be positive and not 1"),
        ("log(1, 2, 3)", "log() takes 1 to 2 arguments, got 3"),
    ],
)
def test_refused_powers_and_logarithms(text: str, message: str) -> None:
    with pytest.raises(ExprError) as info:
        evaluate(text, NAMES)
    assert message in str(info.value)
