"""Every file in tests/invalid/ shows one mistake; cnncalc must report it where the user needs the caret.

Each file starts with a header line ``# expect: RULE LINE:COLUMN``: the rule and 1-based position of
the first problem ``check_file`` reports (for warning-only files, the first warning). Optional
``# message: TEXT`` lines give text the message must contain (a "did you mean", both shapes of a
mismatch, ...). The header is part of the file, so positions count it.

Every file also goes through the command line in-process (typer's CliRunner); a few go through a fresh
interpreter, as the user runs it. Messages known to lack a fix are marked xfail(strict=True) (NO_FIX), so
a better message makes the suite fail until the mark is removed.
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
from typer.testing import CliRunner

from cnncalc.check.files import check_file
from cnncalc.cli.app import app
from cnncalc.core.problems import ERROR, WARNING

INVALID = Path(__file__).resolve().parent / "invalid"
FILES = sorted(INVALID.glob("*.yaml"))
HEADER = re.compile(rb"^# expect: ([a-z][a-z-]*) (\d+):(\d+)\r?$")
WARNING_RULES = {"non-integer-output", "rf-misaligned", "block-shadows-kind"}
# `expect:` is asserted by `cnncalc check` only; `shape` prints such files without complaint.
CHECK_ONLY_RULES = {"expect-mismatch", "budget-exceeded"}

# Messages that say what is wrong but not how to fix it (no "did you mean", no remedy): each is a defect
# of the message, marked xfail(strict=True) so that improving one makes the suite fail until its stem
# is removed here.
NO_FIX = {
    "binary-file", "duplicate-name", "empty-file", "empty-file-document-marker", "forward-reference",
    "forward-reference-auto-name", "invalid-block-no-layers", "invalid-layer-list", "invalid-layer-number",
    "invalid-layers-empty", "invalid-layers-mapping", "invalid-layers-scalar", "invalid-name-bool",
    "invalid-name-dot", "invalid-name-input", "invalid-reference-bool", "invalid-reference-positive",
    "invalid-value-alias-bomb-description", "invalid-value-block-main-argument", "invalid-value-complex-key",
    "invalid-value-default-option", "invalid-value-expect-output", 
    "invalid-value-name-list", "invalid-value-output-padding",
    "invalid-value-pool-padding", "too-deep", "too-deep-block-style", "too-many-layers-repeat",
    "unknown-argument-activation-layer", "unknown-reference-too-far-back",
}


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


def cases(xfail: frozenset[str] | set[str] = frozenset()) -> list:
    """Every file as a test parameter; stems in `xfail` are marked xfail(strict=True)."""
    marks = [pytest.mark.xfail(strict=True, reason="the message says what is wrong but not how to fix it")]
    return [pytest.param(path, id=path.stem, marks=marks if path.stem in xfail else []) for path in FILES]


# -- the corpus itself ----------------------------------------------------------------------

def test_corpus_size_and_headers() -> None:
    assert len(FILES) >= 70
    for path in FILES:
        read_case(path)
    assert NO_FIX <= {p.stem for p in FILES}, "NO_FIX names a file that does not exist"


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
    # file-too-large needs a file over the size limit; tests/test_robustness.py generates one instead.
    assert expected - rules == set()


# -- check_file -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", cases())
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
# How to fix it, one of: a "did you mean" suggestion; a remedy in the imperative, opening the message or
# following ; : . , ( or "or"/"then"/"and" ("...; keep one", "a block cannot contain itself: use `repeat`");
# or what to write set against what was found ("expected true or false, got ...", "takes pixel counts,
# not `same`"). A bare statement of a rule ("names must be unique", "needs `layers`") is not advice.
_REMEDY_VERBS = ("use|write|give|add|remove|keep|choose|make|merge|fix|save|put|crop|shrink|quote|rename|update|"
                 "check|define|move|close|replace|change|align|flatten|inline|raise|split|drop|delete|pick|"
                 "indent|declare|see|run|convert|insert|omit|set|name")
_ADVICE = re.compile(rf"did you mean|(?:^|[;:.,(]\s*|\b(?:or|then|and)\s+)(?:{_REMEDY_VERBS})\b"
                     r"|\b(?:expected|takes)\b[^;]+[,;] (?:got|not)\b", re.IGNORECASE)


@pytest.mark.parametrize("message, helps", [
    ("unknown layer kind `convv` (did you mean \"conv\"?)", True),
    ("`kernel` is given twice; keep one", True),
    ("a block cannot contain itself: use `repeat` for repetition", True),
    ("expected true or false, got the text \"no\"", True),
    ("zeropad takes pixel counts, not `same`", True),
    ("the name `act` is already used at line 8; names must be unique", False),
    ("block `b` needs `layers`", False),
    ("`description` must be text", False),
    ("a name is a word such as `conv1_2`", False),
    ("`input` cannot be a layer name (it means the input)", False),
    ("this is a binary file, not a YAML architecture file", False),
    ("the file uses something unusual", False),
])
def test_advice_pattern_tells_a_fix_from_a_statement(message: str, helps: bool) -> None:
    assert bool(_ADVICE.search(message)) == helps


@pytest.mark.parametrize("path", cases(NO_FIX))
def test_message_is_a_sentence_that_helps(path: Path) -> None:
    case = read_case(path)
    first = check_file(str(path)).problems[0]
    message = first.message
    assert isinstance(message, str) and len(message) >= 12, message
    assert "\n" not in message
    assert not _REPR.search(message), f"looks like an exception repr: {message}"
    assert message[0].isalnum() or message[0] in "`$'\"", message
    for text in case.messages:
        assert text in message
    assert _ADVICE.search(message), f"says what is wrong but not how to fix it: {message}"


# -- the command line -----------------------------------------------------------------------

def _cli_args(case: Case) -> list[str]:
    if case.rule in CHECK_ONLY_RULES:
        return ["check", "--format", "parsable", str(case.path)]
    return ["shape", str(case.path)]


def _assert_reported(case: Case, code: int, out: str, err: str) -> None:
    """The exit code, position and rule id where the user looks for them, and no traceback."""
    assert "Traceback" not in err + out
    assert "internal error" not in err
    location = f"{case.path}:{case.line}:{case.column}"
    if case.rule in CHECK_ONLY_RULES:
        assert code == 1, out + err
        assert location + ":" in out
        assert f"({case.rule})" in out
    else:
        assert code == (0 if case.warning_only else 1), err
        assert location + ":" in err
        assert f"[{case.rule}]" in err


@pytest.mark.parametrize("path", cases())
def test_cli_reports_it_without_a_traceback(path: Path) -> None:
    """Every file through the command line, in-process (an escaping exception is a failure here)."""
    case = read_case(path)
    result = CliRunner().invoke(app, _cli_args(case), env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    _assert_reported(case, result.exit_code, result.stdout, result.stderr)


# One file per exit path, run as the user runs it: a fresh interpreter, real streams.
END_TO_END = ["unknown-kind", "expect-mismatch-params", "non-integer-output", "binary-file"]


@pytest.fixture(scope="module")
def end_to_end_runs() -> dict[str, subprocess.CompletedProcess]:
    """Run `python -m cnncalc` once per END_TO_END file, in parallel."""
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")

    def run(stem: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "cnncalc", *_cli_args(read_case(INVALID / f"{stem}.yaml"))]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120,
                              encoding="utf-8", errors="replace")

    with ThreadPoolExecutor(max_workers=len(END_TO_END)) as pool:
        return dict(zip(END_TO_END, pool.map(run, END_TO_END)))


@pytest.mark.parametrize("stem", END_TO_END)
def test_installed_command_reports_it(stem: str, end_to_end_runs: dict) -> None:
    done = end_to_end_runs[stem]
    _assert_reported(read_case(INVALID / f"{stem}.yaml"), done.returncode, done.stdout, done.stderr)
