"""The body of `cnncalc diff`: load two analyses (two files, or one file now and at a git revision) and report.

Exit codes: 0 no threshold exceeded, 1 a problem in a file or a `--fail-on` threshold exceeded,
2 command-line misuse (a malformed --fail-on, a missing git revision, a file not at that revision).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from cnncalc.cli.textout import write_output
from cnncalc.core.problems import EXIT_PROBLEMS, CommandLineError

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis

FORMATS = ("table", "markdown", "json")


def _load_file(spec: str) -> "Analysis":
    from cnncalc.catalog import bundled
    from cnncalc.core.analysis import analyze

    return analyze(bundled.read_spec(spec))  # a bundled variant (vgg19, efficientnet_b3) with its vars applied


def _git(argv: list[str], cwd: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *argv], cwd=cwd, capture_output=True, check=False, timeout=60)
    except FileNotFoundError:
        raise CommandLineError("--rev needs git, and no `git` command was found", "--rev") from None
    except subprocess.TimeoutExpired:
        raise CommandLineError("git did not answer within 60 seconds", "--rev") from None


def read_at_revision(path: str, rev: str) -> str:
    """The text of `path` at git revision `rev`, read with `git show REV:./NAME` in the file's directory."""
    from cnncalc.core import yamlsafe

    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n:"):
        raise CommandLineError(f"{rev!r} is not a revision; give e.g. HEAD~1, a branch, a tag or a commit", "--rev")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandLineError(f"{path}: no such directory {directory!r}", "--rev")
    inside = _git(["rev-parse", "--is-inside-work-tree"], directory)
    if inside.returncode != 0:
        raise CommandLineError(f"{path} is not in a git repository, so --rev cannot read an older version of it",
                               "--rev")
    if _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], directory).returncode != 0:
        raise CommandLineError(f"{rev}: no such revision in the repository of {path} "
                         "(see `git log --oneline`)", "--rev")
    name = os.path.basename(path)
    shown = _git(["show", f"{rev}:./{name}"], directory)
    if shown.returncode != 0:
        raise CommandLineError(f"{path} does not exist at revision {rev} (was it added or renamed later?)", "--rev")
    return yamlsafe.decode(shown.stdout, f"{rev}:{path}")


def _load_revision(path: str, rev: str) -> "Analysis":
    from cnncalc.core.analysis import analyze
    from cnncalc.core.spec import loads

    return analyze(loads(read_at_revision(path, rev), f"{rev}:{path}"))


def _analyses(a: str, b: str | None, rev: str | None) -> tuple["Analysis", "Analysis", str, str]:
    if rev is not None:
        if b is not None:
            raise CommandLineError("give either two files or one file with --rev, not both", None)
        return _load_revision(a, rev), _load_file(a), f"{a}@{rev}", a
    if b is None:
        raise CommandLineError("give two files to compare, or one file with --rev REV (e.g. --rev HEAD~1)", None)
    return _load_file(a), _load_file(b), a, b


def _print_table(text_parts: list[str], result: object) -> None:
    from rich.console import Console

    from cnncalc.cli.textout import is_terminal
    from cnncalc.diff import render as diff_render

    terminal = is_terminal()
    console = (Console(file=sys.stdout, highlight=False) if terminal else
               Console(file=sys.stdout, width=400, no_color=True, highlight=False, emoji=False, color_system=None))
    console.print(text_parts[0], markup=False, style="bold")
    console.print(text_parts[1], markup=False)
    for shown in diff_render.tables(result, terminal, console.width):  # type: ignore[arg-type]
        console.print(shown, markup=False) if isinstance(shown, str) else console.print(shown)


def run_diff(a: str, b: str | None, rev: str | None, fmt: str, fail_on: list[str],  # noqa: PLR0913 - options
             convention: str | None = None) -> int:
    """Compare A with B (or A at --rev with A now), print the report, return the exit code."""
    from cnncalc.diff import compare as diff_module
    from cnncalc.diff import render as diff_render
    from cnncalc.cli.options import choice, misuse

    choice(fmt, FORMATS, "--format")
    try:
        thresholds = [diff_module.parse_threshold(t) for t in fail_on]
    except ValueError as exc:
        misuse(str(exc), "--fail-on")
    old, new, old_label, new_label = _analyses(a, b, rev)
    from cnncalc.conventions import NAMES, NotModelled

    try:
        result = diff_module.diff(old, new, old_label, new_label, choice(convention or "cnncalc", NAMES,
                                                                         "--convention"))
    except NotModelled as exc:
        misuse(str(exc), "--convention")
    hits = diff_module.exceeded(result, thresholds)
    if result.disjoint:
        sys.stderr.write(f"cnncalc diff: warning: {diff_render.DISJOINT_NOTE}\n")
    if fmt == "json":
        write_output(None, diff_render.to_json(result, hits))
    elif fmt == "markdown":
        write_output(None, diff_render.to_markdown(result, hits))
    else:
        _print_table([diff_render.heading(result), f"Layers: {diff_render.summary(result)}"], result)
    for line in diff_render.failures(hits):
        sys.stderr.write(f"cnncalc diff: {line}\n")
    return EXIT_PROBLEMS if hits else 0
