"""The fast paths of `check` and the diagram give what the full paths give.

Each shortcut taken for speed (the nesting pre-check's prefix search, the tag memo keyed by a
plain scalar's text, reading a file at its stat'd size, a kind's arguments from converted
defaults, rows made on first use, the diagram's width of ASCII text, `${…}` texts compiled once) is compared here
with the slow answer it stands for.
"""

from __future__ import annotations

import math
import os
import re

import pytest
import yaml

from cnncalc.draw import layout as diagram

from cnncalc.core import expr

from cnncalc.core import yamlsafe
from cnncalc.core.analysis import analyze
from cnncalc.check.files import check_file
from cnncalc.core.problems import SpecError
from cnncalc.core.spec import loads

LIMIT = yamlsafe.MAX_DEPTH


def _longest_prefix(text: str) -> int:
    """The slow measure the pre-check stands for: the longest line prefix of spaces, tabs and `?:-`."""
    return max(len(m) for m in re.findall(r"^[ \t?:-]*", text, re.MULTILINE))


@pytest.mark.parametrize("text, limit", [
    ("a: 1\n", 0),
    (" a: 1\n", 0),  # the first line has no newline before it
    ("a: 1\n" + " " * 5 + "b: 2\n", 4),
    ("a: 1\n" + " " * 5 + "b: 2\n", 5),  # exactly at the limit is not longer
    ("- - - - x\n", 7),
    ("- - - - x\n", 8),
    ("x:\n\t? - y\n", 3),
    ("x\r\n    y\n", 3),  # a carriage return is not part of a prefix
    ("", 0),
])
def test_prefix_search_agrees_with_measuring_every_line(text: str, limit: int) -> None:
    assert yamlsafe._has_prefix_longer(text, limit) == (_longest_prefix(text) > limit)


@pytest.mark.parametrize("depth, brackets", [(10, 0), (LIMIT - 3, 3), (LIMIT - 3, 4), (LIMIT, 0), (LIMIT + 1, 0),
                                             (0, LIMIT), (0, LIMIT + 1), (2, LIMIT - 1)])
def test_nesting_pre_check_is_an_upper_bound(depth: int, brackets: int) -> None:
    # An indented line `depth` deep and `brackets` nested flow lists: deep only when the sum is over the limit.
    text = "a:\n" + " " * depth + "b: " + "[" * brackets + "1" + "]" * brackets + "\n"
    assert yamlsafe._may_be_deep(text) == (depth + brackets > LIMIT)


SCALARS = ["1", "'1'", '"2"', "1.5", ".inf", "~", "null", "''", "yes", "true", "'true'", "0x1F", "1_000",
           "!!str 5", "! 7", "2001-12-14", "=", "same", "$filters", "'${a * 2}'", "-3", "0o17", "+.5"]


@pytest.mark.parametrize("scalar", SCALARS)
def test_tag_memo_gives_pyyaml_s_tags(scalar: str) -> None:
    text = f"a: {scalar}\nb: [{scalar}, x]\n"
    for _ in range(2):  # the second time from the memo
        mine = yamlsafe.compose(text, "<t>")
        theirs = yaml.compose(text, Loader=yaml.CSafeLoader)
        assert [(k.tag, v.tag) for k, v in mine.value] == [(k.tag, v.tag) for k, v in theirs.value]
        assert mine.value[1][1].value[0].tag == theirs.value[1][1].value[0].tag


def test_a_file_that_grows_after_its_stat_is_read_whole(tmp_path, monkeypatch) -> None:
    path = tmp_path / "net.yaml"
    text = "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n"
    path.write_text(text, encoding="utf-8")
    real_stat = os.stat

    def stale_stat(name, *args, **kwargs):  # the size the file had before its last lines were written
        status = real_stat(name, *args, **kwargs)
        return os.stat_result((status.st_mode,) + tuple(status)[1:6] + (10,) + tuple(status)[7:])

    monkeypatch.setattr(yamlsafe.os, "stat", stale_stat)
    assert yamlsafe.read_text(str(path)) == text


DEFAULTS = "input: [8, 8, 3]\ndefaults:\n  conv: {kernel: 3, padding: same}\nlayers:\n"


@pytest.mark.parametrize("layer, rule, message", [
    ("- conv: {filters: 4, size: 3}", "unknown-argument", "conv has no argument `size`"),
    ("- conv: {kernel: 3}", "missing-argument", "conv needs `filters`"),
    ("- conv: {filters: 0}", "invalid-value", "expected a whole number of at least 1"),
    ("- conv: {filters: 4.0}", "invalid-value", "write it without the decimal point"),
    ("- relu: 3", "invalid-value", "`relu` takes no main argument"),
    ("- conv: {filters: 4, activation: prelu}", "invalid-value", "prelu has parameters"),
])
def test_arguments_off_the_fast_path_are_reported_as_before(layer: str, rule: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        analyze(loads(DEFAULTS + f"  {layer}\n"))
    problem = caught.value.problem
    assert (problem.rule, problem.line) == (rule, 5) and message in problem.message


def test_converted_defaults_and_written_arguments_fill_every_argument() -> None:
    layer = analyze(loads(DEFAULTS + "  - conv: {filters: 4, stride: 2}\n  - conv: 6\n")).network.layers
    assert (layer[0].args["kernel"], layer[0].args["stride"], layer[0].args["padding"]) == ((3, 3), (2, 2), "same")
    assert (layer[1].args["filters"], layer[1].args["stride"]) == (6, (1, 1))
    assert list(layer[0].args) == list(layer[1].args)  # the kind's order, whatever the use wrote
    assert set(layer[0].arg_where) == {"filters", "stride"}  # positions of what the use wrote only


def test_rows_are_made_on_first_use_and_check_never_makes_them(tmp_path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(DEFAULTS + "  - conv: 4\n  - maxpool: 2\n  - flatten\n  - dense: 10\n", encoding="utf-8")
    result = check_file(str(path))
    assert result.analysis is not None and result.analysis._rows is None
    rows = result.analysis.rows
    assert [r.name for r in rows] == ["conv1", "maxpool1", "flatten1", "dense1"]
    assert sum(r.trainable for r in rows) == result.analysis.totals.trainable == 3 * 3 * 3 * 4 + 4 + 64 * 10 + 10
    assert sum(r.elements for r in rows) == result.analysis.totals.elements == 256 + 64 + 64 + 10
    assert result.analysis.rows is rows


@pytest.mark.parametrize("size", [diagram.FONT_SIZE, diagram.SMALL_SIZE, 10.0, 9.5, 13.3])
def test_ascii_text_width_is_the_per_character_sum(size: float) -> None:
    """The diagram's ASCII shortcut: every ASCII character is narrow, and n of them sum as they did one by one."""
    assert {diagram.char_width(chr(c), size) for c in range(128)} == {diagram.CHAR_WIDTH * size}
    for length in range(300):
        text = "".join(chr(32 + (i * 7) % 95) for i in range(length))
        assert diagram.text_width(text, size) == math.ceil(sum(diagram.char_width(ch, size) for ch in text))


# -- `${…}` texts remembered once compiled (expr.evaluate) against compiling afresh with every name checked ----
# (expr.one_pass): the memo and the unchecked names mapping change no value and no first error.

EXPR_NAMES: dict[str, object] = {"a": 6, "b": 4, "x": 2.5, "z": 0, "t": True, "f": False, "w": "same", "k": [3, 3]}


def _outcome(evaluate, text: str, names: dict[str, object]) -> tuple[str, object]:
    """The value with its type (1 and 1.0 and True differ), or the error's class and message."""
    try:
        value = evaluate(text, names)
    except expr.ExprError as exc:
        return type(exc).__name__, str(exc)
    return type(value).__name__, value


@pytest.mark.parametrize("text", [
    # values
    "a * 4", "a*4", "(a + b) // 3", "a / 2", "a / 4.0", "-a + 5", "+x", "- -a", "2 ** 3 ** 2", "-2 ** 2", "2 ** -1",
    "a - b - 1", "a // b * b", "max(1, a // 4)", "min(a, b, x)", "make_divisible(a * x, 8)", "round(2.5)",
    "round(x * 3)", "ceil(3 * 1.1)", "floor(x)", "int(-x)", "log(8, 2)", "log(a)", "a == 6", "a != 6.0",
    "x <= 2.5", "w == w", "w != a", "k == k", "t == f", "not t", "not not f", "t and a > b", "f or z == 0",
    "t or 5", "f and 5", "(a)", "((((a))))", "a", "true", "false", "0", ".5", "3.", "007",
    # the first error, where evaluation order decides which one
    "t + a", "a + t", "t + f", "t + a / z", "w * (t + 1)", "a - t * 2", "t ** f", "2 ** t", "t ** 2", "5 or t", "f or 5", "t and 5", "5 and 5",
    "f or q", "q or f", "t or a / z", "f and a / z", "t or t + 1", "t + q", "q + t", "max(t, q)", "max(q, t)", "max(t, 1 < 2)", "max(t, a / z)", "t < a / z", "not a / z", "round(t, 2)",
    "round(q, 2)", "make_divisible(1, 2, 3, 4)", "not 1", "not q", "- t", "-w", "w + 1", "w < 1", "k < 1",
    "k * 2", "t < f", "t == 1", "1 == t", "a < t", "1 < 2 < 3", "t < 1 < 2", "q < 1 < 2",
    "a / z", "a // z", "x / z", "a / b", "a % b", "9999999 * 9999999", "2 ** 100", "z ** -1", "(-8) ** 0.5",
    "10 ** 10 ** 10", "log(z)", "log(8, 1)", "make_divisible(10, 0)", "ceil(t)", "min(w, 1)", "int(k)",
    # texts that do not parse (the one-pass parser reports them)
    "", "   ", "a *** 2", "(a", "a 2", "a)", "()", "max()", "max(1 2)", "max(1, 2", "max(1,)", "__import__('os')",
    "a ^ 2", "$a", "a +", "q +", "t + (1", "q + (1", "a" * 201, "1 + " * 50 + "1", "(" * 51 + "1" + ")" * 51,
    "(" * 50 + "1" + ")" * 50, "not " * 40 + "t", "- " * 90 + "1", "max", "max + 1", "true(1)", "1 2 3", "a, b",
    "a == b == 1", "t or (1 < 2 < 3)", "round(1, 2) + q", "q(1)", "max(q, 2", "1e5", "a.b", "a..b",
])
def test_compiled_expressions_give_the_one_pass_outcome(text: str) -> None:
    expected = _outcome(expr.one_pass, text, EXPR_NAMES)
    for _ in range(2):  # compiled on first use, then from the memo
        assert _outcome(expr.evaluate, text, EXPR_NAMES) == expected
    pairs = {name: (value, None) for name, value in EXPR_NAMES.items()}
    assert _outcome(expr.evaluate_first, text, pairs) == expected  # type: ignore[arg-type]
    if expr.compile_text(text) is None:  # a text that does not parse is an error
        assert expected[0] in ("ExprError", "UnknownName")


_VOCABULARY = ["a", "b", "x", "z", "t", "f", "w", "q", "0", "1", "2", "2.5", ".5", "true", "false",
               "+", "-", "*", "/", "//", "**", "(", ")", ",", "<", "<=", "==", "!=", "and", "or", "not",
               "max", "min", "round", "ceil", "log", "make_divisible"]
_OPERATORS = ["+", "-", "*", "/", "//", "**", "<", ">=", "==", "!=", "and", "or"]


def _random_expression(rng, depth: int) -> str:
    """A seeded random expression: mostly well-formed, over names of every type and the unknown `q`."""
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(["a", "b", "x", "z", "t", "f", "w", "q", "0", "1", "2", "2.5", "true"])
    if roll < 0.45:
        return rng.choice(["-", "not ", "+"]) + _random_expression(rng, depth + 1)
    if roll < 0.6:
        function = rng.choice(["max", "min", "round", "ceil", "log", "make_divisible", "int"])
        arguments = [_random_expression(rng, depth + 1) for _ in range(rng.randint(1, 3))]
        return f"{function}({', '.join(arguments)})"
    if roll < 0.7:
        return "(" + _random_expression(rng, depth + 1) + ")"
    left, right = _random_expression(rng, depth + 1), _random_expression(rng, depth + 1)
    return f"{left} {rng.choice(_OPERATORS)} {right}"


def test_compiled_expressions_agree_on_random_texts() -> None:
    """2,000 seeded texts (a third with a token inserted or dropped, so that many do not parse)."""
    import random

    rng = random.Random(2024)
    for _ in range(2000):
        text = _random_expression(rng, 0)
        if rng.random() < 0.33:
            tokens = text.split(" ")
            spot = rng.randrange(len(tokens) + 1)
            if rng.random() < 0.5 and len(tokens) > 1:
                del tokens[min(spot, len(tokens) - 1)]
            else:
                tokens.insert(spot, rng.choice(_VOCABULARY))
            text = " ".join(tokens)
        expected = _outcome(expr.one_pass, text, EXPR_NAMES)
        assert _outcome(expr.evaluate, text, EXPR_NAMES) == expected, text
        assert _outcome(expr.evaluate, text, {"a": 1}) == _outcome(expr.one_pass, text, {"a": 1}), text


def test_compiled_expressions_are_kept_up_to_a_bound(monkeypatch) -> None:
    monkeypatch.setattr(expr, "_PROGRAMS", {})
    monkeypatch.setattr(expr, "_MAX_PROGRAMS", 3)
    for n in range(10):
        assert expr.evaluate(f"a + {n}", {"a": 1}) == 1 + n
    assert list(expr._PROGRAMS) == ["a + 0", "a + 1", "a + 2"]
    assert expr.evaluate("a + 1", {"a": 5}) == 6  # a kept text is evaluated with the names it is given


@pytest.mark.parametrize("written, outcome", [
    ("conv_a", "conv_a"), ("12", "12"), ("'7'", "7"), ("$v", "3"),  # a word, or a whole number taken as one
    ("''", "invalid-name"), ("true", "invalid-name"), ("1.5", "invalid-name"), ("[a]", "invalid-name"),
    ("~", "invalid-name"), ("$w", "invalid-name"),
])
def test_layer_names_other_than_words_are_checked_as_before(written: str, outcome: str) -> None:
    """Expansion takes a written word as the name directly; anything else goes through the full check."""
    text = f"input: [8, 8, 3]\nvars: {{v: 3, w: false}}\nlayers:\n  - relu: {{name: {written}}}\n  - relu\n"
    if outcome != "invalid-name":
        assert [layer.name for layer in analyze(loads(text)).network.layers] == [outcome, "relu2"]
        return
    with pytest.raises(SpecError) as caught:
        analyze(loads(text))
    problem = caught.value.problem
    assert (problem.line, problem.column, problem.rule, problem.message) == (
        4, 18, "invalid-name", "a name is a word such as `conv1_2`")


def test_a_block_s_literal_layers_are_converted_once_and_equal_per_use() -> None:
    """Layers written with literals only convert their arguments once per expansion (kind and defaults
    mapping): every use of the block gets the same arguments, and a block's own defaults still apply."""
    text = ("input: [8, 8, 3]\ndefaults:\n  conv: {padding: 1}\nblocks:\n  b:\n    layers:\n"
            "      - conv: {filters: 4, kernel: 3}\n      - relu\n"
            "  c:\n    defaults: {conv: {padding: 0}}\n    layers: [b]\n"
            "layers:\n  - b\n  - b\n  - c\n  - c\n")
    convs = [layer for layer in analyze(loads(text)).network.layers if layer.kind == "conv"]
    assert [layer.args["padding"] for layer in convs] == [(1, 1, 1, 1)] * 2 + [(0, 0, 0, 0)] * 2
    assert [layer.output for layer in convs] == [(8, 8, 4), (8, 8, 4), (6, 6, 4), (4, 4, 4)]
    assert convs[0].args is convs[1].args  # one conversion for both uses under the file's defaults
    assert convs[2].args == convs[3].args != convs[0].args  # each use of c makes its own defaults mapping


def _widest_by_max(fields: list) -> tuple:
    """The slow answer _merge_rf's loop stands for: per axis, max() over the fields by size."""
    from cnncalc.core.network import RF

    axes = range(len(fields[0].size))
    widest = [max(fields, key=lambda rf: rf.size[a]) for a in axes]
    return RF(tuple(max(rf.size[a] for rf in fields) for a in axes), tuple(widest[a].jump[a] for a in axes),
              tuple(widest[a].padding[a] for a in axes))


@pytest.mark.parametrize("fields, shapes", [
    ([((3, 3), (1, 1), (1, 1)), ((7, 7), (2, 2), (3, 3))], [(8, 8, 4), (8, 8, 4)]),
    ([((7, 3), (2, 1), (3, 1)), ((3, 7), (1, 2), (1, 3))], [(8, 8, 4), (8, 8, 4)]),  # a different widest per axis
    ([((5, 5), (1, 1), (2, 2)), ((5, 5), (2, 2), (0, 0)), ((5, 5), (4, 4), (1, 1))], [(4, 4, 2)] * 3),  # ties: first
    ([((9,), (2,), (4,)), ((11,), (1,), (5,)), ((3,), (1,), (1,))], [(16, 8)] * 3),  # 1-d
    ([((3, 3, 3), (1, 1, 1), (1, 1, 1)), ((1, 5, 1), (1, 1, 1), (0, 2, 0))], [(4, 4, 4, 2)] * 2),  # 3-d
    ([((3, 3), (1, 1), (1, 1)), ((99, 99), (8, 8), (0, 0))], [(8, 8, 4), (1, 1, 4)]),  # the 1×1 gate is left out
    ([((3, 3), (1, 1), (1, 1)), ((99, 99), (8, 8), (0, 0))], [(1, 1, 4), (1, 1, 4)]),  # all gates: all count
    ([((3,), (1,), (1,)), ((9,), (1,), (4,))], [(5,), (5,)]),  # rank 1: no spatial axis to be a gate on
])
def test_merged_receptive_field_is_the_per_axis_widest(fields: list, shapes: list) -> None:
    from cnncalc.core.expand import Expander, _Value
    from cnncalc.core.network import RF

    rfs = [RF(*field) for field in fields]
    sources = [_Value(shape, f"p{i}", rf, i) for i, (shape, rf) in enumerate(zip(shapes, rfs))]
    spatial = [rf for rf, shape in zip(rfs, shapes) if len(shape) < 2 or any(d != 1 for d in shape[:-1])] or rfs
    expander = Expander(loads("input: [8, 8, 4]\nlayers: [relu]\n"))
    assert expander._merge_rf(sources, expander.top_item) == _widest_by_max(spatial)
