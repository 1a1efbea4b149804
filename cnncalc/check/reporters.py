"""Reporters of `cnncalc check`, registered by name: each turns file results into one output format.

A reporter gets every file's result as it arrives (`file`) and the totals at the end (`finish`);
adding a format is one class here and one line in REPORTERS.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, TextIO

from cnncalc.check import diagnostics

if TYPE_CHECKING:
    from cnncalc.check.run import Checked
    from cnncalc.check.files import FileResult
    from cnncalc.core.problems import Problem


class Summary:
    """Counts over a whole run of `check`."""

    # Plain classes here, not dataclasses: every command's --help imports this registry, and a dataclass
    # compiles its generated methods at each start-up.
    __slots__ = ("files", "errors", "warnings")

    def __init__(self) -> None:
        self.files = self.errors = self.warnings = 0

    def add(self, result: "FileResult") -> None:
        """Count one file's problems."""
        self.files += 1
        for problem in result.problems:
            if problem.level == "error":
                self.errors += 1
            else:
                self.warnings += 1

    def line(self) -> str:
        """`3 files checked: 1 error, 0 warnings`."""
        def plural(n: int, what: str) -> str:
            return f"{n} {what}{'s' if n != 1 else ''}"

        return (f"{plural(self.files, 'file')} checked: {plural(self.errors, 'error')}, "
                f"{plural(self.warnings, 'warning')}")


class Reporter:
    """Base reporter: plain text to `out`, the summary line last unless quiet."""

    def __init__(self, out: TextIO | None = None, quiet: bool = False) -> None:
        self.out = out or sys.stdout
        self.quiet = quiet
        self.summary_stream: TextIO | None = None  # None: the summary goes to `out`

    def file(self, result: "FileResult") -> None:
        """Report one file's problems (nothing for a clean file)."""

    def stop(self) -> None:
        """Give the terminal back (the text reporter's progress bar); nothing for the others."""

    def finish(self, summary: Summary) -> None:
        """Report the totals."""
        if not self.quiet:
            (self.summary_stream or self.out).write(summary.line() + "\n")


class TextReporter(Reporter):
    """`path` then one indented line per problem, a blank line after each file with problems."""

    def file(self, result: "FileResult") -> None:
        """Report one file's problems (nothing for a clean file)."""
        if not result.problems:
            return
        lines = [diagnostics.neutral_text(result.path)]
        lines.extend(f"  {p.line}:{p.column}  {p.level:<7}  {diagnostics.neutral_text(p.message)}  ({p.rule})"
                     for p in result.problems)
        self.out.write("\n".join(lines) + "\n\n")


class RichReporter(Reporter):
    """The text format for a terminal: colour, and a progress bar when there are many files."""

    def __init__(self, total: int = 0, **options: Any) -> None:
        super().__init__(**options)
        from rich.console import Console

        self.total = total
        self.console = Console(file=self.out, highlight=False)
        self.progress: Any = None
        self.task: Any = None
        if self.total > 20:
            from rich.progress import Progress

            self.progress = Progress(console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task("checking", total=self.total)

    def file(self, result: "FileResult") -> None:
        """Report one file's problems and advance the progress bar."""
        if self.progress is not None:
            self.progress.advance(self.task)
        if not result.problems:
            return
        from rich.markup import escape

        self.console.print(f"[bold underline]{escape(diagnostics.neutral_text(result.path))}[/]")
        for problem in result.problems:
            self.console.print(diagnostics.rich_text(problem))
        self.console.print()

    def stop(self) -> None:
        """Take the progress bar off the screen."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def finish(self, summary: Summary) -> None:
        """Report the totals."""
        self.stop()
        super().finish(summary)


class LineReporter(Reporter):
    """One line per problem (parsable, github); the summary goes to stderr so the lines stay clean."""

    def __init__(self, name: str = "parsable", **options: Any) -> None:
        super().__init__(**options)
        self.name = name
        self.summary_stream = sys.stderr

    def file(self, result: "FileResult") -> None:
        """One line per problem."""
        line = diagnostics.LINE_FORMATS[self.name]
        self.out.write("".join(line(p) + "\n" for p in result.problems))


class JsonReporter(Reporter):
    """One JSON object at the end: counts and every problem."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.problems: list["Problem"] = []

    def file(self, result: "FileResult") -> None:
        """Keep the problems for the end."""
        self.problems.extend(result.problems)

    def finish(self, summary: Summary) -> None:
        """Write the whole report (the --quiet flag does not apply: the object is the output)."""
        import json

        from cnncalc.core.rules import RULES

        # What each rule that occurs means, from the one registry (as SARIF's driver.rules).
        used = {p.rule: {"level": RULES[p.rule].level, "summary": RULES[p.rule].summary}
                for p in self.problems if p.rule in RULES}
        from cnncalc.cli.textout import json_for

        self.out.write(json_for(self.out, json.dumps({
            "files": summary.files, "errors": summary.errors, "warnings": summary.warnings,
            "problems": [p.as_dict() for p in self.problems], "rules": dict(sorted(used.items()))},
            indent=2, ensure_ascii=False) + "\n"))


class SarifReporter(JsonReporter):
    """A SARIF 2.1.0 log at the end, for code scanning (GitHub's upload-sarif); the summary goes to stderr."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.summary_stream = sys.stderr

    def finish(self, summary: Summary) -> None:
        """Write the log, then the summary line (unless quiet) on stderr."""
        from cnncalc import __version__
        from cnncalc.check.sarif import to_sarif
        from cnncalc.cli.textout import json_for

        self.out.write(json_for(self.out, to_sarif(self.problems, __version__)))
        Reporter.finish(self, summary)


def _parsable(**options: Any) -> Reporter:
    return LineReporter(name="parsable", **options)


def _github(**options: Any) -> Reporter:
    return LineReporter(name="github", **options)


def _text(total: int = 0, fancy: bool = False, **options: Any) -> Reporter:
    return RichReporter(total=total, **options) if fancy else TextReporter(**options)


REPORTER_BY_NAME: dict[str, Callable[..., Reporter]] = {
    "text": _text,
    "parsable": _parsable,
    "github": _github,
    "json": JsonReporter,
    "sarif": SarifReporter,
}


def make(name: str, total: int = 0, fancy: bool = False, **options: Any) -> Reporter:
    """The reporter registered as `name`; `fancy` (a terminal) and `total` matter to the text one only."""
    if name == "text":
        return _text(total=total, fancy=fancy, **options)
    return REPORTER_BY_NAME[name](**options)


def run(reporter: Reporter, checked: Iterable["Checked"], strict: bool) -> bool:
    """Report every file as it is checked, then the totals; whether the run failed (an error, or a warning
    under `strict`, or no file at all)."""
    from cnncalc.check.files import is_error

    summary, failed = Summary(), False
    try:
        for item in checked:
            if item.note:
                sys.stderr.write(item.note + "\n")
            summary.add(item.result)
            failed = failed or any(is_error(p, strict) for p in item.result.problems)
            reporter.file(item.result)
    finally:
        reporter.stop()
    reporter.finish(summary)
    if not summary.files:
        sys.stderr.write("no architecture files found (*.yaml, *.yml): nothing was checked\n")
        return True
    return failed
