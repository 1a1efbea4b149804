"""Every file in tests/invalid/ shows one mistake; cnncalc must report it where the user needs the caret.

Each file starts with a header line ``# expect: RULE LINE:COLUMN``: the rule and 1-based position of
the first problem ``check_file`` reports (for warning-only files, the first warning). Optional
``# message: TEXT`` lines give text the message must contain (a "did you mean", both shapes of a
mismatch, ...). The header is part of the file, so positions count it.

Known cnncalc bugs are marked xfail(strict=True) per file and per aspect (position, message, cli), so
a fix makes the suite fail until the mark is removed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from cnncalc.checks import check_file
from cnncalc.problems import ERROR, WARNING

INVALID = Path(__file__).resolve().parent / "invalid"
FILES = sorted(INVALID.glob("*.yaml"))
HEADER = re.compile(rb"^# expect: ([a-z][a-z-]*) (\d+):(\d+)\r?$")
WARNING_RULES = {"non-integer-output", "rf-misaligned"}
# `expect:` is asserted by `cnncalc check` only; `shape` prints such files without complaint.
CHECK_ONLY_RULES = {"expect-mismatch", "budget-exceeded"}

_INPUT_CARET = ("cnncalc bug: invalid-input is reported at the start of the whole `input` value; the caret "
                "should be on the offending element or key (parse_input works on plain values, without positions)")
_SHAPE_CARET = ("cnncalc bug: shape-mismatch is reported at the layer's kind, not at its `from` list: "
                "kinds._mismatch calls call.fail(..., 'from') but `from` is never in Call.arg_where, so it "
                "falls back to the layer")
_TAG_IGNORED = ("cnncalc bug: a tag on a collection outside plain() (layer arguments, a layer body, `layers`, "
                "the document) is silently ignored instead of refused with yaml-tag")
_UNHASHABLE = ("cnncalc bug: TypeError 'unhashable type' escapes check_file (exit 3 from the CLI): "
               "yamlsafe.scalar_value's memo hashes node.value, which is a list for a tagged collection; "
               "plain() builds dicts with list/dict keys")
_YAML_MESSAGE = ("poor message: libyaml's text is passed through with no hint of how to fix the file")

ALL = {"position", "message", "cli"}
# file stem -> (reason, aspects that fail)
BUGS: dict[str, tuple[str, set[str]]] = {}


@dataclass(frozen=True)
class Case:
    """What a file's header promises."""

    path: Path
    rule: str
    line: int
    column: int
    messages: tuple[str, ...]

    @property
    def warning_only(self) -> bool:
        return self.rule in WARNING_RULES


def read_case(path: Path) -> Case:
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    match = HEADER.match(lines[0])
    assert match, f"{path.name}: the first line must be `# expect: RULE LINE:COLUMN`"
    messages = tuple(line[len(b"# message: "):].rstrip(b"\r").decode("utf-8")
                     for line in lines[1:] if line.startswith(b"# message: "))
    return Case(path, match.group(1).decode(), int(match.group(2)), int(match.group(3)), messages)


def params(aspect: str) -> list:
    result = []
    for path in FILES:
        reason, aspects = BUGS.get(path.stem, ("", set()))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if aspect in aspects else []
        result.append(pytest.param(path, id=path.stem, marks=marks))
    return result


# -- the corpus itself ----------------------------------------------------------------------

def test_corpus_size_and_headers() -> None:
    assert len(FILES) >= 70
    for path in FILES:
        read_case(path)
    assert set(BUGS) <= {p.stem for p in FILES}, "BUGS names a file that does not exist"


def test_every_rule_that_can_come_from_a_file_is_shown() -> None:
    rules = {read_case(p).rule for p in FILES}
    expected = {
        "binary-file", "invalid-encoding", "yaml-syntax", "yaml-tag", "too-deep", "too-large", "empty-file",
        "invalid-document", "unknown-key", "duplicate-key", "missing-input", "missing-layers", "invalid-input",
        "invalid-layers", "invalid-layer", "invalid-value", "unknown-kind", "unknown-argument",
        "missing-argument", "invalid-groups", "kernel-too-large", "empty-output", "shape-mismatch",
        "needs-flatten", "non-integer-output", "unknown-reference", "forward-reference", "invalid-reference",
        "duplicate-name", "invalid-name", "recursive-block", "invalid-block", "unknown-variable",
        "invalid-expression", "too-many-layers", "expect-mismatch", "budget-exceeded", "rf-misaligned",
    }
    # file-too-large needs a file over 2 MiB; tests/test_robustness.py generates one instead.
    assert expected - rules == set()


# -- check_file -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", params("position"))
def test_first_problem_is_where_the_header_says(path: Path) -> None:
    case = read_case(path)
    result = check_file(str(path))
    assert result.problems, "no problem reported"
    first = result.problems[0]
    assert (first.rule, first.line, first.column) == (case.rule, case.line, case.column), first.message
    assert first.path == str(path)
    assert first.level == (WARNING if case.warning_only else ERROR)
    # One mistake per file: everything reported is that same mistake.
    assert {p.rule for p in result.problems} == {case.rule}
    if case.warning_only:
        assert result.analysis is not None


_REPR = re.compile(r"Traceback|\w+(Error|Exception)\(|object at 0x|<class |^\W*\{'|\\n")
# How to fix it: a suggestion, a remedy after ';' (the tool's convention), an imperative, or a statement of
# what is required ("expected a whole number ...", "a name is a word such as ...", "`name` must be text",
# a parenthesised example "(`- relu`)", "(-1 is the previous layer)").
_ADVICE = re.compile(r"did you mean|; \S|\b(use|write|give|add|remove|keep|choose|make|merge|fix|save|put|"
                     r"crop|shrink|quote|rename|update)\b|\b(expected (a|an|the|true)|must|needs?|takes?|"
                     r"such as|like|cannot|limit)\b|, not (a|an|the|`)|\((`|-?\d+ is )", re.IGNORECASE)


@pytest.mark.parametrize("path", params("message"))
def test_message_is_a_sentence_that_helps(path: Path) -> None:
    case = read_case(path)
    first = check_file(str(path)).problems[0]
    message = first.message
    assert isinstance(message, str) and len(message) >= 12, message
    assert "\n" not in message
    assert not _REPR.search(message), f"looks like an exception repr: {message}"
    assert message[0].isalnum() or message[0] in "`$'\"", message
    assert _ADVICE.search(message), f"says what is wrong but not how to fix it: {message}"
    for text in case.messages:
        assert text in message


# -- the installed command line -------------------------------------------------------------

def _cli_command(case: Case) -> list[str]:
    if case.rule in CHECK_ONLY_RULES:
        return [sys.executable, "-m", "cnncalc", "check", "--format", "parsable", str(case.path)]
    return [sys.executable, "-m", "cnncalc", "shape", str(case.path)]


def _cli_files() -> list[Path]:
    """Interpreter start-up dominates a CLI run, so by default run one file per rule (a bug-free one where
    there is one) plus the files that crash or pass check_file; CNNCALC_TEST_ALL_CLI=1 runs every file."""
    if os.environ.get("CNNCALC_TEST_ALL_CLI") == "1":
        return FILES
    by_rule: dict[str, list[Path]] = {}
    for path in FILES:
        by_rule.setdefault(read_case(path).rule, []).append(path)
    chosen = {next((p for p in paths if p.stem not in BUGS), paths[0]) for paths in by_rule.values()}
    chosen |= {p for p in FILES if BUGS.get(p.stem, ("", set()))[1] == ALL}  # crashes and silent acceptance
    return sorted(chosen)


CLI_FILES = _cli_files()


@pytest.fixture(scope="module")
def cli_runs() -> dict[Path, subprocess.CompletedProcess]:
    """Run the CLI once per chosen file, in parallel."""
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")

    def run(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run(_cli_command(read_case(path)), capture_output=True, text=True, env=env,
                              timeout=120, encoding="utf-8", errors="replace")

    with ThreadPoolExecutor(max_workers=max(4, os.cpu_count() or 1)) as pool:
        return dict(zip(CLI_FILES, pool.map(run, CLI_FILES)))


@pytest.mark.parametrize("path", [p for p in params("cli") if p.values[0] in CLI_FILES])
def test_cli_reports_it_without_a_traceback(path: Path, cli_runs: dict) -> None:
    case = read_case(path)
    done = cli_runs[path]
    assert "Traceback" not in done.stderr + done.stdout
    assert "internal error" not in done.stderr
    location = f"{path}:{case.line}:{case.column}"
    if case.rule in CHECK_ONLY_RULES:
        assert done.returncode == 1, done.stdout + done.stderr
        assert location + ":" in done.stdout
        assert f"({case.rule})" in done.stdout
    else:
        assert done.returncode == (0 if case.warning_only else 1), done.stderr
        assert location + ":" in done.stderr
        assert f"[{case.rule}]" in done.stderr
