"""Arithmetic and conditions for `${...}`, evaluated without eval.

Numbers (whole or decimal), names (block arguments and `vars`), `+ - *`, `**` (power), `//` (floor division),
`/` (exact division of whole numbers: an error unless it comes out whole; true division once a
decimal is involved), parentheses, comparisons (`== != < <= > >=`), `and`, `or`, `not`, `true`,
`false`, and the functions in FUNCTIONS.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|//|==|!=|<=|>=|[-+*/(),<>]))")
MAX_LENGTH = 200
Number = int | float
_WORDS = {"true": True, "false": False}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class ExprError(ValueError):
    """The expression is malformed or cannot be evaluated; the message says why."""


class UnknownName(ExprError):
    """The expression names something that is not an argument."""


def make_divisible(value: Number, divisor: Number, min_value: Number | None = None) -> int:
    """torchvision's `_make_divisible`: the nearest multiple of divisor, at least min_value (default divisor),
    one divisor up if rounding down lost more than 10 %."""
    if divisor <= 0:
        raise ExprError("make_divisible: the divisor must be positive")
    lowest = divisor if min_value is None else min_value
    result = max(lowest, int(value + divisor / 2) // divisor * divisor)
    if result < 0.9 * value:
        result += divisor
    return int(result)


def power(base: Number, exponent: Number) -> Number:
    """base ** exponent, as Python computes it: whole when both are whole and the exponent is not negative,
    else a decimal; an error where it is undefined (0 ** -1, (-8) ** 0.5) or implausibly large."""
    shown = f"({base}) ** {exponent}" if base < 0 else f"{base} ** {exponent}"
    result: Number
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        # bound the exponent before computing: 10 ** 10 ** 10 must not hang
        if abs(base) > 1 and exponent * math.log2(abs(base)) > 64:
            raise ExprError(f"{shown} is implausibly large")
        result = base**exponent
    else:
        try:
            result = math.pow(base, exponent)
        except OverflowError:
            raise ExprError(f"{shown} is implausibly large") from None
        except ValueError:
            raise ExprError(f"{shown} is not a real number (zero to a negative power, or a negative number to a "
                            "fractional one)") from None
    if abs(result) > 10**15:
        raise ExprError(f"{shown} is implausibly large")
    return result


def log(value: Number, base: Number = math.e) -> float:
    """The logarithm of value (natural, or to base): log(x, b) = ln x / ln b, for x > 0, b > 0, b != 1."""
    if value <= 0:
        raise ExprError(f"log({value}) is undefined: the logarithm needs a positive number")
    if base <= 0 or base == 1:
        raise ExprError(f"log(x, {base}) is undefined: the base must be positive and not 1")
    return math.log(value, base)


def _round(value: Number) -> int:
    """Python's round: halves go to the even neighbour (round(2.5) = 2), as torchvision's code gets."""
    return round(value)


# name -> (function, fewest arguments, most arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "max": (lambda *v: max(v), 1, 64), "min": (lambda *v: min(v), 1, 64), "make_divisible": (make_divisible, 2, 3),
    "round": (_round, 1, 1), "ceil": (math.ceil, 1, 1), "floor": (math.floor, 1, 1), "int": (int, 1, 1),
    "log": (log, 1, 2),
}
ALLOWED = ("whole or decimal numbers, names, + - * ** / //, comparisons, and/or/not, ( ) and "
           + ", ".join(f"{f}(…)" for f in FUNCTIONS))


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            bad = text[pos:].strip()[:1] or text[pos:pos + 1]
            raise ExprError(f"unexpected {bad!r}; only {ALLOWED} are allowed")
        tokens.append(match.group(match.lastindex or 0))
        pos = match.end()
    return tokens


def evaluate(text: str, names: Mapping[str, object]) -> Any:
    """Evaluate `text` (e.g. ``filters * 4``) with argument values from `names`: a number or a truth value."""
    program = _program(text)
    if program is not None:
        run, used = program
        for name in used:
            if name not in names:
                break
        else:
            return run(names)
    return one_pass(text, names)


def evaluate_first(text: str, pairs: Mapping[str, tuple[object, Any]]) -> Any:
    """evaluate() with each name's value the first of its pair (value, where), as expansion holds arguments."""
    program = _program(text)
    if program is not None:
        run, used = program
        try:
            # only the names the expression reads: an expansion's mapping holds every variable of the file
            values = {name: pairs[name][0] for name in used}
        except KeyError:
            pass
        else:
            return run(values)
    return one_pass(text, {name: pair[0] for name, pair in pairs.items()})


def one_pass(text: str, names: Mapping[str, object]) -> Any:
    """evaluate() of any text, and what reports a problem: the text is compiled (the one grammar; a text that
    does not parse says where it goes wrong), then run with every name it reads checked."""
    run, _ = _compile(text)
    return run(_Checked(names))


class _Checked(Mapping[str, object]):
    """The names an expression may read; reading another is UnknownName, with the known ones listed."""

    def __init__(self, names: Mapping[str, object]) -> None:
        self.names = names

    def __getitem__(self, token: str) -> object:
        if token not in self.names:
            from cnncalc.core.problems import did_you_mean
            known = ", ".join(sorted(self.names)) or "none"
            if token == "repeat_index":
                raise UnknownName("`repeat_index` (0, 1, … for each repetition) exists only in the arguments of an "
                                  "item with `repeat:`; add `repeat: N` to this item")
            raise UnknownName(f"unknown name {token!r}{did_you_mean(token, self.names)}; known: {known}")
        return self.names[token]

    def __iter__(self) -> Any:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _times(left: Number, right: Number) -> Number:
    value = left * right
    if abs(value) > 10**15:
        raise ExprError("the result is implausibly large")
    return value


def _floor_divide(left: Number, right: Number) -> Number:
    if right == 0:
        raise ExprError("division by zero")
    return left // right


def _divide(left: Number, right: Number) -> Number:
    """Exact division of whole numbers (an error unless it comes out whole), true division with a decimal."""
    if right == 0:
        raise ExprError("division by zero")
    if isinstance(left, float) or isinstance(right, float):
        return left / right
    if left % right:
        raise ExprError(f"{left} / {right} = {left / right:g} is not a whole number; make it come out "
                        "even, or write // to round down")
    return left // right


_APPLY: dict[str, Callable[[Number, Number], Number]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": _times, "//": _floor_divide, "/": _divide}


def _number(value: Any, what: str) -> Number:
    """value, if it is a number (truth values and text are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        raise ExprError(f"{what} is {shown}, not a number")
    if isinstance(value, float) and not math.isfinite(value):  # round(nan), int(inf) have no answer
        raise ExprError(f"{what} is {value}, not a finite number; check the values it is given")
    return value


def _compare(value: Any, op: str, other: Any) -> bool:
    """value op other: truth values compare only with truth values, by == and !=; an error where Python
    cannot order the two (a word and a number, a list)."""
    if isinstance(value, bool) != isinstance(other, bool) or (isinstance(value, bool) and op not in ("==", "!=")):
        raise ExprError(f"cannot compare {value!r} {op} {other!r}")
    try:
        return _COMPARE[op](value, other)
    except TypeError:
        raise ExprError(f"cannot compare {value!r} {op} {other!r}") from None


def _truth(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ExprError(f"{what} is {value!r}, not true or false; compare it (e.g. `{what} == 1`)")
    return value


class _Cursor:
    """A position in an expression's tokens."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise ExprError("the expression ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expression(self, depth: int) -> Any:
        raise NotImplementedError  # the grammar: _Compiler

    def arguments(self, function: str, depth: int) -> list[Any]:
        """The arguments of `function(...)`, each an expression(), with their count checked."""
        self.take()
        values = [self.expression(depth + 1)]
        while self.peek() == ",":
            self.take()
            values.append(self.expression(depth + 1))
        if self.take() != ")":
            raise ExprError(f"{function}( is not closed")
        _, fewest, most = FUNCTIONS[function]
        if not fewest <= len(values) <= most:
            count = str(fewest) if fewest == most else f"{fewest} to {most}"
            usage = f"; write {function}({', '.join('x' * most)})" if most <= 3 else ""
            raise ExprError(f"{function}() takes {count} argument{'' if most == 1 else 's'}, got {len(values)}{usage}")
        return values


# -- compiled programs ---------------------------------------------------------------------------
# A file evaluates the same few texts many times (a block's `${filters * 4}` once per use, RegNet's width rule
# 84 times per analysis): each text is compiled once into closures (the one grammar), remembered, and run for
# every use. A text that does not parse is compiled again by one_pass, which raises where it goes wrong.

Run = Callable[[Mapping[str, object]], Any]
Program = tuple[Run, tuple[str, ...]]  # the closure, and the names it reads (in first-read order)
_PROGRAMS: dict[str, Program | None] = {}
_MAX_PROGRAMS = 10_000  # texts are short, but a generated file could write any number of them
_UNSEEN: Any = object()


def _program(text: str) -> Program | None:
    """The compiled form of `text`, made on first use; None when the text does not parse."""
    program = _PROGRAMS.get(text, _UNSEEN)
    if program is _UNSEEN:
        program = compile_text(text)
        if len(_PROGRAMS) < _MAX_PROGRAMS:
            _PROGRAMS[text] = program
    return program


def compile_text(text: str) -> Program | None:
    """`text` compiled into a closure over a names mapping holding every name it reads; None if it does not
    parse (too long, empty, a bad token, a wrong argument count, chained comparisons…)."""
    try:
        return _compile(text)
    except ExprError:
        return None


def _compile(text: str) -> Program:
    """`text` compiled, or ExprError saying where it does not parse."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters")
    tokens = _tokens(text)
    if not tokens:
        raise ExprError("the expression is empty")
    compiler = _Compiler(tokens)
    try:
        run = compiler.expression(0)
    except RecursionError:
        raise ExprError("the expression nests too deeply") from None
    if compiler.pos != len(tokens):
        raise ExprError(f"unexpected {tokens[compiler.pos]!r}")
    return run, tuple(compiler.names)


def _constant(value: Any) -> Run:
    return lambda names: value


def _name(token: str) -> Run:
    return lambda names: names[token]  # the caller has checked that every name read is there


def _either(left: Run, right: Run, word: str) -> Run:
    """`or` / `and`: both sides evaluated, then checked, left first (the right's check skipped when decided)."""
    left_what, right_what = f"the left of `{word}`", f"the right of `{word}`"
    if word == "or":
        def run(names: Mapping[str, object]) -> Any:
            value, other = left(names), right(names)
            return _truth(value, left_what) or _truth(other, right_what)
    else:
        def run(names: Mapping[str, object]) -> Any:
            value, other = left(names), right(names)
            return _truth(value, left_what) and _truth(other, right_what)
    return run


def _negation(operand: Run) -> Run:
    return lambda names: not _truth(operand(names), "the operand of `not`")


def _comparison(left: Run, right: Run, op: str) -> Run:
    def run(names: Mapping[str, object]) -> Any:
        value = left(names)
        return _compare(value, op, right(names))
    return run


def _arithmetic(left: Run, right: Run, op: str) -> Run:
    """`+ - * // /`: the left checked before the right is evaluated."""
    left_what, right_what = "the left of " + op, "the right of " + op
    apply = _APPLY[op]

    def run(names: Mapping[str, object]) -> Any:
        value = left(names)
        if type(value) is not int and type(value) is not float:  # the common case without a call
            value = _number(value, left_what)
        other = right(names)
        if type(other) is not int and type(other) is not float:
            other = _number(other, right_what)
        return apply(value, other)
    return run


def _sign(operand: Run, op: str) -> Run:
    what = "the operand of " + op
    if op == "-":
        return lambda names: -_number(operand(names), what)
    return lambda names: _number(operand(names), what)


def _power(base: Run, exponent: Run) -> Run:
    def run(names: Mapping[str, object]) -> Any:
        value = base(names)
        raised = _number(exponent(names), "the right of **")  # checked before the base, as the one pass does
        return power(_number(value, "the left of **"), raised)
    return run


def _call(function: str, arguments: list[Run]) -> Run:
    call = FUNCTIONS[function][0]
    whats = [f"argument {i + 1} of {function}()" for i in range(len(arguments))]

    def run(names: Mapping[str, object]) -> Any:
        values = [argument(names) for argument in arguments]  # every argument evaluated, then each checked
        return call(*[_number(value, what) for value, what in zip(values, whats)])
    return run


class _Compiler(_Cursor):
    """Recursive descent (or > and > not > comparison > sum > term > unary > power > atom) building closures;
    raises ExprError where the text does not parse. The one grammar of `${…}`."""

    def __init__(self, tokens: list[str]) -> None:
        super().__init__(tokens)
        self.names: dict[str, None] = {}  # the names read, in order (a dict: ordered and without repeats)

    def expression(self, depth: int) -> Run:
        if depth > 50:
            raise ExprError("the expression nests too deeply")
        run = self.conjunction(depth)
        while self.peek() == "or":
            self.take()
            run = _either(run, self.conjunction(depth), "or")
        return run

    def conjunction(self, depth: int) -> Run:
        run = self.negation(depth)
        while self.peek() == "and":
            self.take()
            run = _either(run, self.negation(depth), "and")
        return run

    def negation(self, depth: int) -> Run:
        if self.peek() == "not":
            self.take()
            return _negation(self.negation(depth + 1))
        return self.comparison(depth)

    def comparison(self, depth: int) -> Run:
        run = self.sum(depth)
        if self.peek() in _COMPARE:
            op = self.take()
            run = _comparison(run, self.sum(depth), op)
            if self.peek() in _COMPARE:
                raise ExprError("comparisons do not chain")
        return run

    def sum(self, depth: int) -> Run:
        run = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.take()
            run = _arithmetic(run, self.term(depth), op)
        return run

    def term(self, depth: int) -> Run:
        run = self.unary(depth)
        while self.peek() in ("*", "//", "/"):
            op = self.take()
            run = _arithmetic(run, self.unary(depth), op)
        return run

    def unary(self, depth: int) -> Run:
        if self.peek() in ("-", "+"):
            op = self.take()
            return _sign(self.unary(depth + 1), op)
        return self.power(depth)

    def power(self, depth: int) -> Run:
        run = self.atom(depth)
        if self.peek() != "**":
            return run
        self.take()
        return _power(run, self.unary(depth + 1))

    def atom(self, depth: int) -> Run:
        token = self.take()
        if token == "(":
            run = self.expression(depth + 1)
            if self.take() != ")":
                raise ExprError("a ( is not closed")
            return run
        if token[0].isdigit() or token[0] == ".":
            return _constant(float(token) if "." in token else int(token))
        if token in FUNCTIONS and self.peek() == "(":
            return self.call(token, depth)
        if token in _WORDS:
            return _constant(_WORDS[token])
        if token[0].isalpha() or token[0] == "_":
            self.names[token] = None
            return _name(token)
        raise ExprError(f"unexpected {token!r}")

    def call(self, function: str, depth: int) -> Run:
        return _call(function, self.arguments(function, depth))
