"""The Python API: cnncalc.analyze on paths, text and dicts, CnncalcError's problems, Jupyter reprs, import cost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.check import files as checks
from cnncalc.cli.app import app

from conftest import ROOT, SPECS

TINY = "input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n  - relu\n"
TINY_DICT = {"input": [8, 8, 3], "layers": [{"conv": {"filters": 4, "kernel": 3}}, "relu"]}

# Hand-computed: params F·(k·k·C + 1), MACs H'·W'·F·k·k·C.
TEACHING = [
    # 1×1 conv, 64 filters on 256 channels: 64·(1·1·256 + 1) = 16,448; 8·8·64·256 MACs
    ({"input": [8, 8, 256], "layers": [{"conv": {"filters": 64, "kernel": 1}}]}, (8, 8, 64), 16_448, 8 * 8 * 64 * 256),
    # 3×3 conv, 32 filters on 3 channels: 32·(3·3·3 + 1) = 896; 224 stays 224 with padding 1
    ({"input": [224, 224, 3], "layers": [{"conv": {"filters": 32, "kernel": 3, "padding": 1}}]}, (224, 224, 32),
     896, 224 * 224 * 32 * 27),
    # the tiny network: 4·(27 + 1) = 112; 6·6·4·27 = 3,888
    (TINY_DICT, (6, 6, 4), 112, 3_888),
]


@pytest.mark.parametrize("source, output, params, macs", TEACHING)
def test_analyze_dict_hand_computed(source: dict, output: tuple, params: int, macs: int) -> None:
    result = cnncalc.analyze(source)
    assert (result.output, result.totals.params, result.totals.macs) == (output, params, macs)


@pytest.mark.parametrize("make", [
    lambda tmp: TINY,  # YAML text
    lambda tmp: TINY_DICT,  # a dict
    lambda tmp: str(tmp),  # a path as str
    lambda tmp: tmp,  # a pathlib.Path
    lambda tmp: "{input: [8, 8, 3], layers: [{conv: {filters: 4, kernel: 3}}, relu]}",  # one-line text
])
def test_every_kind_of_source_gives_the_same_figures(tmp_path: Path, make) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = cnncalc.analyze(make(path))
    assert [(r.name, r.output, r.params, r.macs) for r in result.rows] == [("conv1", (6, 6, 4), 112, 3_888),
                                                                          ("relu1", (6, 6, 4), 0, 0)]


def test_bundled_name_and_input_override() -> None:
    result = cnncalc.analyze("vgg16")
    assert (result.name, result.totals.params, result.totals.macs) == ("VGG-16", 138_357_544, 15_470_264_320)
    small = cnncalc.analyze("vgg16", input=(32, 32, 3))  # expect: is for 224×224 and is not checked
    assert small.rows[17].output == (1, 1, 512)
    assert cnncalc.analyze("vgg16", input="32x32x3").rows[17].output == (1, 1, 512)


def test_to_dict_is_the_shape_json_contract() -> None:
    out = CliRunner().invoke(app, ["shape", str(SPECS / "resnet18.yaml"), "--format", "json"]).stdout
    assert cnncalc.analyze(SPECS / "resnet18.yaml").to_dict() == json.loads(out)


def test_dict_problems_have_positions() -> None:
    bad = {"input": [8, 8, 3], "layers": [{"conv": {"filters": 4, "kernel": 3}}, {"conv": {"filters": 4, "kernl": 3}}]}
    with pytest.raises(cnncalc.CnncalcError) as info:
        cnncalc.analyze(bad)
    (problem,) = info.value.problems
    assert (problem.path, problem.rule) == ("<dict>", "unknown-argument")
    assert problem.line > 1 and 'did you mean "kernel"' in problem.message
    assert str(info.value).startswith(f"<dict>:{problem.line}:{problem.column}: ")


INVALID = sorted((ROOT / "tests" / "invalid").glob("*.yaml"))


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_errors_carry_the_problems_check_reports(path: Path) -> None:
    reported = checks.check_file(str(path)).problems
    if any(p.level == "error" for p in reported):
        with pytest.raises(cnncalc.CnncalcError) as info:
            cnncalc.analyze(str(path))
        assert info.value.problems == reported
    else:  # warnings only: a result, with the same warnings
        assert cnncalc.analyze(str(path)).warnings == reported


def test_missing_file_and_bad_arguments() -> None:
    with pytest.raises(cnncalc.CnncalcError) as info:
        cnncalc.analyze("no/such/net.yaml")
    assert info.value.problems[0].rule == "file-not-found"
    for bad in ((0, 8, 3), "8xq", (8, 8, 8, 8), [True, 8, 3]):
        with pytest.raises(cnncalc.CnncalcError) as info:
            cnncalc.analyze(TINY, input=bad)
        assert info.value.problems[0].rule == "invalid-input"
    with pytest.raises(cnncalc.CnncalcError):
        cnncalc.analyze(42)  # type: ignore[arg-type]


WIDE = ("input: [8, 8, 3]\nvars: {width: 1.0}\nlayers:\n  - conv: {filters: '${make_divisible(8 * width, 8)}', "
        "kernel: 3}\nexpect: {params: 224}\n")


def test_vars_set_the_files_variables() -> None:
    assert cnncalc.analyze(TINY, vars={}).totals.params == 112  # empty is fine
    assert cnncalc.analyze(WIDE).totals.params == 8 * 27 + 8
    # width 2: 16 filters, 16·27 + 16 = 448; the file's exact expect (224) no longer applies
    assert cnncalc.analyze(WIDE, vars={"width": 2}).totals.params == 448
    with pytest.raises(cnncalc.CnncalcError, match='did you mean "width"') as info:
        cnncalc.analyze(WIDE, vars={"widht": 2})
    assert info.value.problems[0].rule == "unknown-variable"
    with pytest.raises(cnncalc.CnncalcError, match="a variable is a number"):
        cnncalc.analyze(WIDE, vars={"width": [1, 2]})


def test_a_bundled_variant_by_name() -> None:
    result = cnncalc.analyze("efficientnet_b3")
    assert (result.name, result.totals.trainable, result.totals.macs) == ("efficientnet_b3", 12_233_232, 962_708_240)


def test_repr_html_is_a_table_with_escaped_text() -> None:
    result = cnncalc.analyze({"name": "<b>net</b>", **TINY_DICT})
    html = result._repr_html_()
    assert html.startswith('<div class="cnncalc">') and "<table>" in html and "</table>" in html
    assert "&lt;b&gt;net&lt;/b&gt;" in html and "<b>net</b>" not in html
    assert html.count("<tr>") == 1 + 2  # header + two layers
    assert ">conv1<" in html and ">6×6×4<" in html and ">112<" in html and ">3,888<" in html
    assert "Total params: 112" in html


def test_repr_markdown() -> None:
    from cnncalc.core.memory import estimate
    from cnncalc.shape.render import TableView, to_markdown

    result = cnncalc.analyze(TINY)
    assert result._repr_markdown_() == to_markdown(TableView(result.analysis, estimate(result.analysis)))
    assert "| 1 | conv1 | conv | 6×6×4 | 112 | 3,888 |" in result._repr_markdown_()
    assert repr(result) == "<cnncalc.Result '<string>': 2 layers, 112 params, 3,888 MACs>"


def test_import_is_cheap_and_silent() -> None:
    code = ("import sys; before = set(sys.modules); import cnncalc; "
            "print(sorted(set(sys.modules) - before))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['cnncalc']" and done.stderr == ""
    silent = subprocess.run([sys.executable, "-c", "import cnncalc"], capture_output=True, text=True, check=True)
    assert silent.stdout == silent.stderr == ""


def test_lazy_attributes() -> None:
    assert {"analyze", "Result", "CnncalcError"} <= set(dir(cnncalc))
    with pytest.raises(AttributeError):
        cnncalc.no_such_thing  # noqa: B018


def test_readme_python_api_example(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    assert scope["result"].totals.params == 896 == 32 * (3 * 3 * 3 + 1)
    assert scope["result"].output == (224, 224, 32)
    assert "broken.yaml 1 1 error file-not-found" in capsys.readouterr().out
