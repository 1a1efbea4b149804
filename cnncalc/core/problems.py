"""Problems are values: every diagnostic the tool reports is a ``Problem``.

They are named tuples rather than dataclasses: equal, hashable and ordered field by field all the
same, and far cheaper to define, which every command pays at start-up.
"""

from __future__ import annotations

from typing import Any, NamedTuple

ERROR = "error"
WARNING = "warning"
INFO = "info"  # what `sizes` reports about a size; never fails a run
LEVELS = (ERROR, WARNING, INFO)

# Exit codes, documented in the README and in --help.
EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class BlockUse(NamedTuple):
    """One use of a block on the way to a problem, like a frame of a traceback of the file."""

    line: int
    column: int
    block: str
    name: str  # the layer name the use got (layer1.2)

    def describe(self, path: str) -> str:
        """`path:line:col: in block `res` used as layer1.2`."""
        return f"{path}:{self.line}:{self.column}: in block `{self.block}` used as {self.name}"


class _Fields(NamedTuple):
    """One diagnostic: 1-based line and column, a level, a kebab-case rule id and a message."""

    path: str
    line: int
    column: int
    level: str
    rule: str
    message: str
    chain: tuple[BlockUse, ...] = ()  # the block uses that led here, outermost first

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as a JSON-ready mapping (with `chain` only when there is one)."""
        result: dict[str, Any] = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "level": self.level,
            "rule": self.rule,
            "message": self.message,
        }
        if self.chain:
            result["chain"] = [{"line": u.line, "column": u.column, "block": u.block, "name": u.name}
                               for u in self.chain]
        return result

    def used_from(self, use: BlockUse) -> "Problem":
        """The same problem, reached through one more (outer) block use."""
        return self._replace(chain=(use,) + self.chain)  # type: ignore[return-value]


_REGISTERED: frozenset[str] = frozenset()


class Problem(_Fields):
    """One diagnostic: 1-based line and column, a level, a rule id from the registry and a message.

    Building one checks its rule against the registry (`cnncalc.core.rules.RULES`, read on the first problem):
    a rule that is not registered cannot be reported, documented or disabled, so it is a bug here.
    """

    __slots__ = ()

    def __new__(cls, *fields: Any, **named: Any) -> "Problem":  # _Fields' own: path, line, ..., chain
        global _REGISTERED
        rule = fields[4] if len(fields) > 4 else named.get("rule")
        if rule not in _REGISTERED:
            from cnncalc.core.rules import RULES

            _REGISTERED = frozenset(RULES)
            if rule not in _REGISTERED:
                raise ValueError(f"the rule {rule!r} is not in cnncalc.core.rules.RULES; register it there")
        return super().__new__(cls, *fields, **named)


class SpecError(Exception):
    """A fatal problem in an architecture file; carries the ``Problem`` to report (`problem`), and with it
    every other independent error found in the same file (`problems`, the first of which is `problem`)."""

    def __init__(self, problem: Problem, others: "tuple[Problem, ...] | list[Problem]" = ()) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.problems: tuple[Problem, ...] = (problem, *others)


class CommandLineError(ValueError):
    """A request the command line cannot meet: the CLI reports it as misuse (exit 2), naming `option`."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option  # None: about the command line as a whole


class Located:
    """Where a value came from in a file; builds problems at that position."""

    __slots__ = ("path", "_line", "_column", "_mark")

    def __init__(self, path: str, line: int, column: int) -> None:
        self.path = path
        self._line = line
        self._column = column
        self._mark: Any = None

    @classmethod
    def at_mark(cls, path: str, mark: Any) -> "Located":
        """From a YAML mark (0-based line and column), read only if a problem is reported."""
        where = cls.__new__(cls)
        where.path = path
        where._mark = mark
        return where

    @property
    def line(self) -> int:
        """1-based line."""
        return self._mark.line + 1 if self._mark is not None else self._line

    @property
    def column(self) -> int:
        """1-based column."""
        return self._mark.column + 1 if self._mark is not None else self._column

    def problem(self, rule: str, message: str, level: str = ERROR) -> Problem:
        """Return a problem at this position."""
        return Problem(self.path, self.line, self.column, level, rule, message)

    def error(self, rule: str, message: str) -> SpecError:
        """Return (for raising) a fatal error at this position."""
        return SpecError(self.problem(rule, message))


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | Any) -> str:
    """Return ' (did you mean "x"?)' for the closest choice, or '' if none is close."""
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
