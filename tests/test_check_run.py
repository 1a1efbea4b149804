"""One run of `check`: files found and excluded, settings applied, HTML reports written or a note why not."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from cnncalc.check import run as check_run

from cnncalc.check import reporters
from cnncalc.check.config import Config
from cnncalc.core.problems import CommandLineError

from conftest import SPECS

UNEVEN = """\
input: [9, 9, 3]
layers:
  - conv: {filters: 4, kernel: 2, stride: 2}
"""


def _tree(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(SPECS / "lenet5.yaml", tmp_path / "lenet5.yaml")
    (tmp_path / "uneven.yaml").write_text(UNEVEN, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("input: [8, 8, 3]\nlayers:\n  - nosuch\n", encoding="utf-8")
    return tmp_path


def _run(tmp_path: Path, settings: Config = Config(), **options: object) -> list[check_run.Checked]:
    found = check_run.files(settings, [str(tmp_path), str(tmp_path / "missing.yaml")])
    return list(check_run.results(check_run.CheckRun(settings, {}, **options), found))  # type: ignore[arg-type]


def test_every_file_in_order_with_its_problems(tmp_path: Path) -> None:
    checked = _run(_tree(tmp_path))
    assert [Path(c.result.path).name for c in checked] == ["broken.yaml", "lenet5.yaml", "uneven.yaml", "missing.yaml"]
    rules = [[p.rule for p in c.result.problems] for c in checked]
    assert rules == [["unknown-kind"], [], ["non-integer-output"], ["file-not-found"]]


def test_the_settings_are_applied(tmp_path: Path) -> None:
    settings = Config(ignore=frozenset({"non-integer-output"}), exclude=(("lenet*", str(tmp_path)),))
    checked = _run(_tree(tmp_path), settings)
    assert [Path(c.result.path).name for c in checked] == ["broken.yaml", "uneven.yaml", "missing.yaml"]
    assert checked[1].result.problems == []
    raised = _run(tmp_path, Config(extend_error=frozenset({"non-integer-output"})))
    assert [p.level for p in raised[2].result.problems] == ["error"]


def test_reports_are_written_for_files_that_analyse(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    checked = _run(_tree(tmp_path / "specs"), report_dir=str(out))
    assert all(c.note is None for c in checked)
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].endswith("lenet5.html") and names[1].endswith("uneven.html")


def test_a_report_that_cannot_be_written_stops_the_run(tmp_path: Path) -> None:
    """A report asked for and not written is a failure (exit 74 from the command line), not a note and exit 0."""
    from cnncalc.cli.textout import OutputError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(OutputError) as info:
        _run(_tree(tmp_path / "specs"), report_dir=str(blocker))
    assert info.value.target == str(blocker)


def test_an_undeclared_variable_is_misuse(tmp_path: Path) -> None:
    with pytest.raises(CommandLineError) as info:
        _run(_tree(tmp_path), overrides={"width": 2})
    assert info.value.option == "--set" and "`width` is not a variable" in str(info.value)


@pytest.mark.parametrize("strict, failed", [(False, True), (True, True)])
def test_reporters_run_fails_on_errors_and_under_strict_on_warnings(tmp_path: Path, strict: bool,
                                                                    failed: bool) -> None:
    out = io.StringIO()
    checked = _run(_tree(tmp_path))
    assert reporters.run(reporters.make("text", out=out), checked, strict) is failed
    assert out.getvalue().endswith("4 files checked: 2 errors, 1 warning\n")  # the summary comes last
    warnings_only = [c for c in checked if Path(c.result.path).name in ("lenet5.yaml", "uneven.yaml")]
    assert reporters.run(reporters.make("parsable", out=io.StringIO()), warnings_only, strict) is strict


def test_reporters_run_with_no_file_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert reporters.run(reporters.make("parsable", out=io.StringIO()), [], False) is True
    assert capsys.readouterr().err.endswith("no architecture files found (*.yaml, *.yml): nothing was checked\n")

