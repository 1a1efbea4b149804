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
    parser = _Parser(tokens, names)
    result = parser.expression(0)
    if parser.pos != len(tokens):
        raise ExprError(f"unexpected {tokens[parser.pos]!r}")
    return result


class _Parser:
    """Recursive descent over the tokens: expression = term (± term)*, term = atom (*|/|// atom)*."""

    def __init__(self, tokens: list[str], names: Mapping[str, object]) -> None:
        self.tokens = tokens
        self.names = names
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise ExprError("the expression ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def atom(self, depth: int) -> int:
        if depth > 50:
            raise ExprError("the expression nests too deeply")
        token = self.take()
        if token == "(":
            value = self.expression(depth + 1)
            if self.take() != ")":
                raise ExprError("a ( is not closed")
            return value
        if token == "-":
            return -self.atom(depth + 1)
        if token == "+":
            return self.atom(depth + 1)
        if token.isdigit():
            return int(token)
        if token in FUNCTIONS and self.peek() == "(":
            return self.call(token, depth)
        if token[0].isalpha() or token[0] == "_":
            return self.name(token)
        raise ExprError(f"unexpected {token!r}")

    def call(self, function: str, depth: int) -> int:
        self.take()
        values = [self.expression(depth + 1)]
        while self.peek() == ",":
            self.take()
            values.append(self.expression(depth + 1))
        if self.take() != ")":
            raise ExprError(f"{function}( is not closed")
        return FUNCTIONS[function](values)

    def name(self, token: str) -> int:
        if token not in self.names:
            from cnncalc.problems import did_you_mean
            known = ", ".join(sorted(self.names)) or "none"
            raise UnknownName(f"unknown argument {token!r}{did_you_mean(token, self.names)}; known: {known}")
        named = self.names[token]
        if not isinstance(named, int) or isinstance(named, bool):
            raise ExprError(f"{token!r} is {named!r}, not a whole number")
        return named

    def term(self, depth: int) -> int:
        value = self.atom(depth)
        while self.peek() in ("*", "//", "/"):
            op = self.take()
            right = self.atom(depth)
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

    def expression(self, depth: int) -> int:
        value = self.term(depth)
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.term(depth)
            value = value + right if op == "+" else value - right
        return value
