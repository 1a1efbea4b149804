"""Rendering of problems: text, parsable, github and json. Machine formats bypass rich."""

from __future__ import annotations

from typing import Callable, Iterable

from cnncalc.core.problems import Problem
from cnncalc.cli.textout import neutral as neutral_text


def parsable(problem: Problem) -> str:
    """`path:line:col: [level] message (rule)`, one line, as yamllint's parsable format."""
    return (f"{neutral_text(problem.path)}:{problem.line}:{problem.column}: [{problem.level}] "
            f"{neutral_text(problem.message)} ({problem.rule})")


def _github_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github(problem: Problem) -> str:
    """A GitHub Actions workflow command that annotates the file at the line and column."""
    level = "error" if problem.level == "error" else "warning"
    return (f"::{level} file={_github_escape(problem.path, True)},line={problem.line},col={problem.column},"
            f"title={_github_escape(problem.rule, True)}::{_github_escape(problem.message)}")


def text(problem: Problem) -> str:
    """Plain text form, used on stderr for single-file commands; then one line per block use that led there."""
    line = (f"{neutral_text(problem.path)}:{problem.line}:{problem.column}: {problem.level}: "
            f"{neutral_text(problem.message)} [{problem.rule}]")
    return "".join([line] + [f"\n  {neutral_text(use.describe(problem.path))}" for use in problem.chain])


def rich_text(problem: Problem) -> str:
    """Rich markup form for a terminal, with the user's text escaped."""
    from rich.markup import escape

    colour = "red" if problem.level == "error" else "yellow"
    return (f"  [dim]{problem.line}:{problem.column}[/dim]  [{colour}]{problem.level:<7}[/{colour}] "
            f"{escape(neutral_text(problem.message))}  [dim]({escape(problem.rule)})[/dim]")


def to_json(problems: Iterable[Problem]) -> str:
    """A JSON list of problems."""
    import json

    return json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False)


LINE_FORMATS: dict[str, Callable[[Problem], str]] = {"parsable": parsable, "github": github}
