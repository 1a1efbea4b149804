"""The command line in-process: inputs, `-` for stdin, check's file discovery, warnings, help and errors."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.check import files as checks

from cnncalc.core import memory

from cnncalc.shape import render
from cnncalc.core.analysis import analyze
from cnncalc.cli.app import DTYPES, OPTIMIZERS, app
from cnncalc.core.spec import load, loads

from conftest import SPECS, bundled_analysis

runner = CliRunner()
SMALL = "input: [32, 32, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3}\n  - flatten\n  - dense: 10\n"
UNEVEN = "input: [9, 9, 3]\nlayers:\n  - conv: {filters: 4, kernel: 2, stride: 2}\n"


def cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- --input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("override, expected", [("8x8", [8, 8, 3]), ("8x6", [8, 6, 3]), ("8x8x1", [8, 8, 1])])
def test_input_hxw_keeps_the_files_channels(tmp_path: Path, override: str, expected: list[int]) -> None:
    code, out, err = cli("shape", _write(tmp_path, "net.yaml", SMALL), "--input", override, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["input"] == expected


@pytest.mark.parametrize("spec, override", [("vgg16", "224"), ("{vector}", "8x8")])
def test_ambiguous_input_is_a_usage_error(tmp_path: Path, spec: str, override: str) -> None:
    vector = _write(tmp_path, "vector.yaml", "input: [16]\nlayers:\n  - dense: 4\n")
    code, _, err = cli("shape", vector if spec == "{vector}" else spec, "--input", override)
    assert code == 2
    assert "--input" in err


# -- - for standard input -------------------------------------------------------------------------

def test_shape_reads_standard_input() -> None:
    code, out, err = cli("shape", "-", "-f", "json", stdin=SMALL)
    assert code == 0, err
    assert json.loads(out)["output"] == [10]


@pytest.mark.parametrize("command", ["shape", "check"])
def test_problems_in_standard_input_are_placed_at_stdin(command: str) -> None:
    code, out, err = cli(command, "-", stdin="input: [32, 32, 3]\nlayers:\n  - rleu\n")
    assert code == 1
    assert re.search(r"<stdin>:3:5\b", out + err) or "<stdin>" in out and "3:5" in out


# -- check: what it finds ------------------------------------------------------------------------

def test_check_empty_directory_fails(tmp_path: Path) -> None:
    code, _, err = cli("check", str(tmp_path))
    assert code == 1
    assert "nothing was checked" in err


def test_check_same_file_twice_is_checked_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "net.yaml", SMALL)
    code, out, _ = cli("check", path, path, str(tmp_path))
    assert code == 0
    assert out.strip() == "1 file checked: 0 errors, 0 warnings"


def test_check_follows_symlinked_directories_without_looping(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    _write(real, "a.yaml", SMALL)
    top = tmp_path / "top"
    top.mkdir()
    (top / "linked").symlink_to(real, target_is_directory=True)
    (real / "loop").symlink_to(real, target_is_directory=True)
    found = [path for path, _ in checks.find_files([str(top)])]
    assert found == [str(top / "linked" / "a.yaml")]


def test_check_unreadable_directory_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot lock root out, so the refusal is simulated where os.walk lists a directory.
    locked = tmp_path / "locked"
    locked.mkdir()
    _write(tmp_path, "a.yaml", SMALL)
    real_scandir = os.scandir

    def scandir(path: str = ".") -> object:
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, _ = cli("check", str(tmp_path), "-f", "parsable")
    assert code == 1
    assert f"{locked}:1:1: [error] cannot read this directory (Permission denied)" in out


# -- output gaps ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_warnings_reach_stderr_in_every_text_format(tmp_path: Path, fmt: str) -> None:
    code, _, err = cli("shape", _write(tmp_path, "uneven.yaml", UNEVEN), "-f", fmt)
    assert code == 0
    assert "[non-integer-output]" in err


@pytest.mark.parametrize("args, output", [(["--input", "224"], [112, 112]), (["--input", "224x160"], [112, 80])])
def test_size_json_output_is_always_height_and_width(args: list[str], output: list[int]) -> None:
    code, out, _ = cli("size", *args, "--kernel", "3", "--stride", "2", "--padding", "1", "--json")
    assert code == 0
    assert json.loads(out)["output"] == output


NASTY = 'input: [8, 8, 3]\nname: "net\\e]0;owned\\a"\nlayers:\n  - conv: {filters: 4, kernel: 1, name: "evil\\e[31mred"}\n'


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_control_characters_are_neutralised(tmp_path: Path, fmt: str) -> None:
    code, out, _ = cli("shape", _write(tmp_path, "nasty.yaml", NASTY), "-f", fmt)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\x1b[31mred" in out


def test_control_characters_in_problems_are_neutralised(tmp_path: Path) -> None:
    layer = '  - conv: {filters: 4, kernel: 1, name: "a\\e[2J"}\n'
    path = _write(tmp_path, "nasty.yaml", "input: [8, 8, 3]\nlayers:\n" + layer + layer)
    for fmt in ("text", "parsable"):
        code, out, _ = cli("check", path, "-f", fmt)
        assert code == 1
        assert "the name `a\\x1b[2J` is already used" in out and "\x1b" not in out


# -- narrow terminals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_a_narrow_terminal_never_cuts_a_number(width: int, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    analysis = analyze(load(str(SPECS / "resnet50.yaml")))
    view = render.TableView(analysis, memory.estimate(analysis), render.COLUMNS, 1)
    render.show_table(view)
    out = capsys.readouterr().out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= width
    header, rows, _ = render.cells(view)
    kept = (header.index("Params"), header.index("MACs"))  # never dropped
    numbers = {row[i] for row in rows for i in kept}
    for number in numbers:
        assert number in out


# -- help and option errors read as cnncalc's --------------------------------------------------------

@pytest.mark.parametrize("command", ["shape", "params", "size", "sizes", "schema", "list", "kinds", "check"])
def test_help_has_no_framework_placeholders(command: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0
    for placeholder in ("{", "<str>", "<int", "list[", "<bool>"):
        assert placeholder not in out


@pytest.mark.parametrize("args, message", [
    (["params", "--filters", "x", "--kernel", "3", "--channels", "3"], "expected a whole number ≥ 1, got 'x'"),
    (["shape", "vgg16", "--format", "yaml"], "'yaml' is not one of table, json, csv, markdown"),
    (["shape", "vgg16", "--batch", "0"], "expected a whole number ≥ 1, got 0"),
    (["check", "specs", "--format", "xml"], "'xml' is not one of text, parsable, github, json"),
    (["check", "specs", "--jobs", "-1"], "expected a whole number ≥ 0, got -1"),
])
def test_option_errors_are_written_for_cnncalc(args: list[str], message: str) -> None:
    code, _, err = cli(*args)
    assert code == 2
    assert message in err
    assert "Input should be" not in err and "Value error" not in err


def test_help_choices_are_the_registries_keys() -> None:
    from cnncalc.cli.app import CONVENTIONS, MEMORY_FORMATS, PRECISIONS
    from cnncalc.conventions import NAMES
    from cnncalc.memory.plan import OPTIMIZERS as PLANNED, POLICIES
    from cnncalc.memory.render import FORMATS as MEMORY_RENDERERS

    assert DTYPES.split("|") == list(memory.DTYPE_BYTES)
    assert OPTIMIZERS.split("|") == list(memory.OPTIMIZER_STATES) == list(PLANNED)
    assert CONVENTIONS.split("|") == list(NAMES)
    assert MEMORY_FORMATS.split("|") == list(MEMORY_RENDERERS) and PRECISIONS.split("|") == list(POLICIES)


@pytest.mark.parametrize("command, option, registry", [
    ("shape", "--format", "cnncalc.shape.render:FORMATS"), ("shape", "--dtype", "cnncalc.core.memory:DTYPE_BYTES"),
    ("shape", "--optimizer", "cnncalc.core.memory:OPTIMIZER_STATES"), ("check", "--format", "cnncalc.check.reporters:REPORTER_BY_NAME"),
    ("explain", "--format", "cnncalc.explain.render:FORMATS"), ("explain", "--dtype", "cnncalc.core.memory:DTYPE_BYTES"),
])
def test_help_shows_each_registrys_keys(command: str, option: str, registry: str) -> None:
    import importlib

    module, name = registry.split(":")
    keys = "|".join(getattr(importlib.import_module(module), name))
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert any(line.split()[:2] == [option, keys] or line.split()[1:3] == [option, keys]
               for line in out.splitlines() if option in line), out


# -- Ctrl-C, in-process, for any command -----------------------------------------------------------

@pytest.mark.parametrize("args", [["shape", "vgg16"], ["list"], ["sizes", "vgg16", "--range", "32:40"]])
def test_interrupt_is_one_line_and_130(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    import cnncalc.sizes.scan  # noqa: F401 - imported before patching, so no module keeps a patched name after the test

    monkeypatch.setattr("cnncalc.core.analysis.analyze", interrupted)
    monkeypatch.setattr("cnncalc.sizes.scan.analyze", interrupted)
    monkeypatch.setattr("cnncalc.core.spec.load", interrupted)
    monkeypatch.setattr("cnncalc.catalog.bundled.entries", interrupted)
    code, _, err = cli(*args)
    assert code == 130
    assert err == "cnncalc: interrupted\n"


def test_render_does_not_estimate_memory() -> None:
    analysis = analyze(loads(SMALL))
    with pytest.raises(TypeError):
        render.footer(analysis)  # type: ignore[call-arg]


def test_list_figures_are_the_analysis_figures() -> None:
    from cnncalc.catalog import bundled

    for entry in bundled.entries():
        totals = bundled_analysis(entry.name).totals
        assert (entry.name, entry.params, entry.macs) == (entry.name, totals.params, totals.macs)


def test_the_catalog_list_reads_is_what_the_files_say(request: pytest.FixtureRequest) -> None:
    """specs/catalog.json (read by `list` instead of parsing every file) is current; --regen-golden rewrites it."""
    from cnncalc.catalog import bundled

    text = bundled.catalog_text(bundled.compute_entries())
    path = bundled.specs_dir() / bundled.CATALOG
    if request.config.getoption("--regen-golden"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, "specs/catalog.json is stale: run pytest --regen-golden"
