"""Integer arithmetic for `${...}` in blocks, evaluated without eval.

`+ - *`, `//` (floor division), `/` (exact division: an error unless it comes out whole),
parentheses, and `max(a, b, …)`, `min(a, b, …)`.
"""

from __future__ import annotations

import re
from typing import Mapping

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*/(),]))")
FUNCTIONS = {"max": max, "min": min}
MAX_LENGTH = 200


class ExprError(ValueError):
    """The expression is malformed or cannot be evaluated; the message says why."""


class UnknownName(ExprError):
    """The expression names something that is not an argument."""


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            bad = text[pos:].strip()[:1] or text[pos:pos + 1]
            raise ExprError(f"unexpected {bad!r}; only whole numbers, argument names, + - * / //, ( ) and "
                            "max(…), min(…) are allowed")
        tokens.append(match.group(match.lastindex or 0))
        pos = match.end()
    return tokens


def evaluate(text: str, names: Mapping[str, object]) -> int:
    """Evaluate `text` (e.g. ``filters * 4``) with argument values from `names`."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters")
    tokens = _tokens(text)
    if not tokens:
        raise ExprError("the expression is empty")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ExprError("the expression ends too early")
        pos += 1
        return tokens[pos - 1]

    def atom(depth: int) -> int:
        if depth > 50:
            raise ExprError("the expression nests too deeply")
        token = take()
        if token == "(":
            value = expression(depth + 1)
            if take() != ")":
                raise ExprError("a ( is not closed")
            return value
        if token == "-":
            return -atom(depth + 1)
        if token == "+":
            return atom(depth + 1)
        if token.isdigit():
            return int(token)
        if token in FUNCTIONS and peek() == "(":
            take()
            values = [expression(depth + 1)]
            while peek() == ",":
                take()
                values.append(expression(depth + 1))
            if take() != ")":
                raise ExprError(f"{token}( is not closed")
            return FUNCTIONS[token](values)
        if token[0].isalpha() or token[0] == "_":
            if token not in names:
                from cnncalc.problems import did_you_mean
                known = ", ".join(sorted(names)) or "none"
                raise UnknownName(f"unknown argument {token!r}{did_you_mean(token, names)}; known: {known}")
            named = names[token]
            if not isinstance(named, int) or isinstance(named, bool):
                raise ExprError(f"{token!r} is {named!r}, not a whole number")
            return named
        raise ExprError(f"unexpected {token!r}")

    def term(depth: int) -> int:
        value = atom(depth)
        while peek() in ("*", "//", "/"):
            op = take()
            right = atom(depth)
            if op == "*":
                value *= right
                if abs(value) > 10**15:
                    raise ExprError("the result is implausibly large")
                continue
            if right == 0:
                raise ExprError("division by zero")
            if op == "/" and value % right:
                raise ExprError(f"{value} / {right} = {value / right:g} is not a whole number; make it come out "
                                "even, or write // to round down")
            value //= right
        return value

    def expression(depth: int) -> int:
        value = term(depth)
        while peek() in ("+", "-"):
            op = take()
            right = term(depth)
            value = value + right if op == "+" else value - right
        return value

    result = expression(0)
    if pos != len(tokens):
        raise ExprError(f"unexpected {tokens[pos]!r}")
    return result
