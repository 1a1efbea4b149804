"""One run of `cnncalc check`: the files found, each one's result as the settings see it, and its HTML report.

`results` yields in the order the files were found, as they are checked (in worker processes when
there are many), so that a reporter can show each one at once. Nothing here prints: `reporters.run`
shows the results and the notes.
"""

from __future__ import annotations


from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from cnncalc.check import files as checks
from cnncalc.check import config as cfg
from cnncalc.core.problems import CommandLineError, Problem, SpecError
from cnncalc.core.spec import UnknownVariable

if TYPE_CHECKING:
    from cnncalc.check.config import Config


@dataclass(frozen=True)
class CheckRun:
    """What a run checks against: the settings, the budgets, how many workers, `--set` and `--report-dir`."""

    settings: Config
    budgets: dict[str, Any]
    workers: int = 1
    overrides: dict[str, Any] | None = None
    report_dir: str | None = None


@dataclass(frozen=True)
class Checked:
    """One file's result, and a note for the user when its HTML report could not be written."""

    result: checks.FileResult
    note: str | None = None


def files(settings: Config, paths: list[str]) -> list[tuple[str, Problem | None]]:
    """The files to check (with the problem of a path that is missing), less those the settings exclude."""
    return [(p, m) for p, m in checks.find_files(paths) if m is not None or not cfg.excluded(settings, p)]


def write_report(result: checks.FileResult, directory: str) -> str | None:
    """`check --report-dir`: write the HTML report of a file whose analysis succeeded; why not, if it failed."""
    from cnncalc.catalog import bundled
    from cnncalc.core.analysis import analyze
    from cnncalc.core.memory import estimate
    from cnncalc.draw.report import write_report as write_html
    from cnncalc.core.rules import RULES

    if any(p.rule in RULES and RULES[p.rule].fatal for p in result.problems) or result.path == "-":
        return None
    try:
        analysis = analyze(bundled.read_spec(result.path))
    except SpecError as exc:
        return f"cnncalc: no report for {result.path}: {exc}"
    write_html(analysis, estimate(analysis), directory)  # OutputError: the run stops, exit 74
    return None


def _next(reports: Iterator[checks.FileResult]) -> checks.FileResult:
    """The next file's report; a --set variable the file does not declare is misuse of the command line."""
    try:
        return next(reports)
    except UnknownVariable as exc:
        raise CommandLineError(str(exc), "--set") from None


def results(run: CheckRun, found: list[tuple[str, Problem | None]]) -> Iterator[Checked]:
    """Each file's result in order, with the settings applied and its report written."""
    if run.report_dir is not None:  # before any file is checked: a folder that cannot be made stops the run
        from cnncalc.cli.textout import make_folder

        make_folder(run.report_dir)
    paths = [path for path, missing in found if missing is None]
    reports = checks.check_many(paths, run.budgets, run.workers, run.overrides)
    for path, missing in found:
        # Reports carry only problems: holding every file's nodes and rows would make the
        # garbage collector re-scan a growing heap (it doubled the time for 1,000 files).
        result = checks.FileResult(path, [missing]) if missing else _next(reports)
        result.problems = cfg.apply(run.settings, result.problems)
        note = write_report(result, run.report_dir) if run.report_dir is not None else None
        yield Checked(result, note)
