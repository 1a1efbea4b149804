"""`cnncalc explain` and the learners' questions: hand-computed worked figures, goldens, JSON, CLI errors."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.explain import steps as E
from cnncalc.explain import render as explain_render
from cnncalc.core import formulas
from cnncalc.cli.app import EXPLAIN_FORMATS, app
from cnncalc.core.kinds import KINDS, REQUIRED
from cnncalc.core.problems import Located, SpecError
from cnncalc.calc.solve import keep_size, solve_padding

from conftest import ROOT, main, run

SMALL = ROOT / "tests" / "explain" / "small.yaml"
runner = CliRunner()


def explained(text: str, layers: list[str] | None = None) -> E.Explanation:
    analysis = run(text)
    return E.explain(analysis.network, analysis.name, layers)


def step(layer: E.LayerExplanation, label: str) -> E.Step:
    found = [s for s in layer.steps if s.label == label]
    assert found, f"no step {label!r} in {[s.label for s in layer.steps]}"
    return found[0]


# --- hand-computed worked figures (the teaching articles' examples) ---------------------------

@pytest.mark.parametrize("text, label, worked, result", [
    # 1×1 conv, 64 filters on 256 channels: 64 × (1·1·256 + 1) = 16,448
    ("input: [14, 14, 256]\nlayers:\n  - conv: {filters: 64, kernel: 1}\n",
     "parameters", "64 × (1·1·256 + 1)", "16,448"),
    # 3×3, 32 filters on 3 channels: 32 × (3·3·3 + 1) = 896
    ("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 32, kernel: 3}\n",
     "parameters", "32 × (3·3·3 + 1)", "896"),
    # 224 stays 224 with a 3×3 kernel and padding 1
    ("input: [224, 224, 3]\nlayers:\n  - conv: {filters: 64, kernel: 3, padding: 1}\n",
     "height and width", "⌊(224 − 3 + 2·1)/1⌋ + 1", "224"),
    # 224·224·64 × 3·3·3 = 86,704,128
    ("input: [224, 224, 3]\nlayers:\n  - conv: {filters: 64, kernel: 3, padding: 1}\n",
     "multiply-adds", "224·224·64 × 3·3·3", "86,704,128"),
    # a dense layer between the same shapes: 150,528 × 802,816 + 802,816 = 120,847,089,664
    ("input: [224, 224, 3]\nlayers:\n  - conv: {filters: 16, kernel: 3, padding: 1}\n",
     "as a dense layer", "150,528 × 802,816 + 802,816", "120,847,089,664"),
    # memory: 224·224·64 values × 4 bytes = 12,845,056 B
    ("input: [224, 224, 3]\nlayers:\n  - conv: {filters: 64, kernel: 3, padding: 1}\n",
     "output memory", "224·224·64 × 4", "12,845,056 B"),
    # no bias: 8 × 3·5·2 = 240
    ("input: [16, 16, 2]\nlayers:\n  - conv: {filters: 8, kernel: [3, 5], bias: false}\n",
     "parameters", "8 × 3·5·2", "240"),
    # groups: 64 × (3·3·256/4 + 1) = 36,928
    ("input: [14, 14, 256]\nlayers:\n  - conv: {filters: 64, kernel: 3, groups: 4}\n",
     "parameters", "64 × (3·3·256/4 + 1)", "36,928"),
    # stride 2, floor: ⌊(8 − 3)/2⌋ + 1 = ⌊2.5⌋ + 1 = 3
    ("input: [8, 8, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 2}\n",
     "height and width", "⌊(8 − 3)/2⌋ + 1 = ⌊2.5⌋ + 1", "3"),
    # dilation 2: ⌊(32 + 2·2 − 2·(3 − 1) − 1)/1⌋ + 1 = 32
    ("input: [32, 32, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3, dilation: 2, padding: 2}\n",
     "height and width", "⌊(32 + 2·2 − 2·(3 − 1) − 1)/1⌋ + 1", "32"),
    # transposed: (7 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 14
    ("input: [7, 7, 4]\nlayers:\n  - deconv: {filters: 2, kernel: 3, stride: 2, padding: 1, output_padding: 1}\n",
     "height and width", "(7 − 1)·2 − 2·1 + (3 − 1) + 1 + 1", "14"),
    # depthwise: 32·1 × (3·3 + 1) = 320
    ("input: [16, 16, 32]\nlayers:\n  - depthwise: {kernel: 3, padding: 1}\n",
     "depthwise parameters", "32·1 × (3·3 + 1)", "320"),
    # separable: 3·3·32 + 64 × (32 + 1) = 288 + 2,112 = 2,400
    ("input: [16, 16, 32]\nlayers:\n  - separable: {filters: 64, kernel: 3, padding: 1}\n",
     "parameters", "288 + 2,112", "2,400"),
    # dense: 4,096 × (25,088 + 1) = 102,764,544
    ("input: [25088]\nlayers:\n  - dense: 4096\n", "parameters", "4,096 × (25,088 + 1)", "102,764,544"),
    ("input: [7, 7, 512]\nlayers:\n  - flatten\n", "output", "7·7·512", "25088"),
    # batchnorm: 2·64 trainable + 2·64 running statistics = 256
    ("input: [8, 8, 64]\nlayers:\n  - batchnorm\n", "parameters", "128 + 128", "256"),
    ("input: [8, 8, 4]\nlayers:\n  - zeropad: [1, 2, 0, 3]\n", "height", "8 + 1 + 2", "11"),
    ("input: [8, 8, 4]\nlayers:\n  - upsample: 2\n", "height", "8·2", "16"),
    # receptive field of the second 3×3: r' = 3 + (3 − 1)·1 = 5
    ("input: [32, 32, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3}\n  - conv: {filters: 1, kernel: 3}\n",
     "receptive field", "3 + (3 − 1)·1", "5"),
], ids=lambda v: v if isinstance(v, str) and "\n" not in v and "·" not in v and "⌊" not in v else "")
def test_worked_step(text: str, label: str, worked: str, result: str) -> None:
    s = step(explained(text).layers[-1], label)
    assert (s.worked, s.result) == (worked, result)


def test_floor_says_what_is_dropped() -> None:
    s = step(explained("input: [8, 8, 1]\nlayers:\n  - conv: {filters: 1, kernel: 3, stride: 2}\n").layers[0],
             "height and width")
    assert s.notes == ("the floor drops the remainder 5 mod 2 = 1: input row 8 is never covered",)


def test_concat_sums_channels() -> None:
    text = """input: [28, 28, 192]
layers:
  - conv: {filters: 64, kernel: 1, name: a}
  - conv: {filters: 128, kernel: 3, padding: 1, from: input, name: b}
  - conv: {filters: 32, kernel: 5, padding: 2, from: input, name: c}
  - conv: {filters: 32, kernel: 1, from: input, name: d}
  - concat: [a, b, c, d]
"""
    layer = explained(text).layers[-1]
    assert step(layer, "channels").worked == "64 + 128 + 32 + 32"
    assert step(layer, "channels").result == "256"
    assert layer.steps[0].topic == "merge"  # how the shapes combine comes first
    assert step(layer, "output").result == "28×28×256"


def test_add_needs_equal_shapes() -> None:
    text = "input: [8, 8, 4]\nlayers:\n  - conv: {filters: 4, kernel: 3, padding: 1}\n  - add: [-1, input]\n"
    s = step(explained(text).layers[-1], "shapes")
    assert (s.worked, s.result) == ("8×8×4 + 8×8×4", "8×8×4")


def test_vgg16_halvings_explain_the_last_feature_map() -> None:
    from cnncalc.catalog import bundled
    from cnncalc.core.analysis import analyze

    analysis = analyze(bundled.read_spec("vgg16"))
    e = E.explain(analysis.network, analysis.name)
    assert e.feature_map == (7, 7, 512)
    assert [c.before[0] for c in e.trail] + [e.trail[-1].after[0]] == [224, 112, 56, 28, 14, 7]
    assert e.trail[0].worked == "⌊(224 − 2)/2⌋ + 1 = 112"
    assert "14×14 → 7×7" in explain_render.text(e)


# --- every kind explained; the generic fallback ---------------------------------------------------

_CANDIDATES: tuple[Any, ...] = (2, 1, 0, True, 0.5, "relu", "nearest", [-1], [2, 2], [0, 2], [0])
_INPUTS = ("[8, 8, 4]", "[8, 8, 8, 4]", "[16, 4]", "[32]", "[8, 8, 12]")


def _sample(kind: str) -> str:
    """A layer of `kind` with a value for every required argument that its converter accepts."""
    args = []
    for name, arg in KINDS[kind].args.items():
        if arg.default is not REQUIRED:
            continue
        for value in _CANDIDATES:
            try:
                arg.convert(value, Located("t", 1, 1))
            except SpecError:
                continue
            args.append(f"{name}: {json.dumps(value)}")
            break
    if KINDS[kind].merge:
        args.append("from: [a, b]")
    return f"  - {kind}: {{{', '.join(args)}}}\n"


def _network(kind: str) -> E.Explanation:
    """The kind on the first input form it accepts, after two same-shape layers a and b."""
    failures = []
    for shape in _INPUTS:
        text = (f"input: {shape}\nlayers:\n  - identity: {{name: a}}\n  - identity: {{name: b, from: input}}\n"
                + _sample(kind))
        try:
            return explained(text)
        except SpecError as exc:
            failures.append(str(exc.problem.message))
    raise AssertionError(f"{kind}: no small network accepts it: {failures}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_explained(kind: str) -> None:
    layer = _network(kind).layers[-1]
    topics = {s.topic for s in layer.steps}
    assert {"output", "params", "macs", "memory"} <= topics
    if KINDS[kind].explain is not None:  # a dedicated explainer must agree with what the kind computed
        assert layer.generic == (), f"{kind}'s explainer disagrees with its LayerOut on {layer.generic}"
    assert explain_render.text(E.Explanation("t", (1,), (1,), "float32", (layer,)))


def test_generic_fallback_reads_the_layer_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KINDS, "conv", KINDS["conv"]._replace(explain=None))
    layer = explained("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 32, kernel: 3}\n").layers[0]
    assert layer.generic == ("output", "params", "macs")
    assert step(layer, "output").result == "30×30×32"
    assert step(layer, "trainable").worked == "3·3·3·32 + 32"
    assert step(layer, "trainable").value == 896
    assert step(layer, "multiply-adds").value == 30 * 30 * 32 * 27


def test_an_explainer_that_disagrees_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong(ctx: E.Ctx) -> E.Parts:
        return {"params": [E.Step("params", "parameters", "F", "1", "1", 1)]}

    monkeypatch.setitem(KINDS, "conv", KINDS["conv"]._replace(explain=wrong))
    layer = explained("input: [32, 32, 3]\nlayers:\n  - conv: {filters: 32, kernel: 3}\n").layers[0]
    assert "params" in layer.generic
    assert [s.value for s in layer.steps if s.topic == "params"] == [896]


def test_registries_agree() -> None:
    from cnncalc.core.memory import DTYPE_BYTES

    assert E.DTYPE_BYTES == DTYPE_BYTES
    assert EXPLAIN_FORMATS.split("|") == list(explain_render.FORMATS)


# --- goldens, JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, suffix", [("text", "txt"), ("markdown", "md")])
def test_small_network_golden(fmt: str, suffix: str, golden) -> None:
    result = runner.invoke(app, ["explain", str(SMALL.relative_to(ROOT)), "--format", fmt])
    assert result.exit_code == 0, result.stderr
    golden(f"explain_small.{suffix}", result.stdout)


def test_json_structure() -> None:
    result = runner.invoke(app, ["explain", str(SMALL), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"name", "input", "output", "dtype", "layers", "trail", "feature_map"}
    assert data["input"] == [9, 9, 3] and data["output"] == [10] and data["feature_map"] == [1, 1, 12]
    assert [layer["index"] for layer in data["layers"]] == list(range(1, 13))
    for layer in data["layers"]:
        assert set(layer) == {"index", "name", "kind", "inputs", "output", "steps", "generic"}
        for s in layer["steps"]:
            assert set(s) == {"topic", "label", "formula", "worked", "result", "value", "notes"}
            assert s["topic"] in E.TOPICS
    total = sum(s["value"] for layer in data["layers"] for s in layer["steps"]
                if s["label"] in ("parameters", "depthwise parameters"))
    assert total == run(SMALL.read_text()).totals.params  # 224 + 32 + 36 + 80 + 156 + 130
    assert data["trail"][0] == {"index": 4, "name": "pool", "before": [9, 9], "after": [4, 4],
                                "worked": "⌊(9 − 2)/2⌋ + 1 = ⌊3.5⌋ + 1 = 4"}


# --- the command line ------------------------------------------------------------------------------

def test_layer_selection_by_name_index_and_block() -> None:
    result = runner.invoke(app, ["explain", str(SMALL), "--layer", "pool", "--layer", "1"])
    assert result.exit_code == 0
    assert "[1] stem (conv)" in result.stdout and "[4] pool (maxpool)" in result.stdout
    assert "[5]" not in result.stdout and "Why the last" not in result.stdout


def test_a_block_name_selects_its_layers() -> None:
    from cnncalc.catalog import bundled
    from cnncalc.core.analysis import analyze

    network = analyze(bundled.read_spec("resnet18")).network
    chosen = E.select(network, ["layer1"])
    assert chosen and all(network.layers[i].name.startswith("layer1.") for i in chosen)
    assert len(chosen) == sum(layer.name.startswith("layer1.") for layer in network.layers)


@pytest.mark.parametrize("args, message", [
    (["--layer", "pol"], 'no layer is named \'pol\' (did you mean "pool"?)'),
    (["--layer", "13"], "there is no layer 13: the layers are numbered 1 to 12"),
    (["--format", "html"], "'html' is not one of text, markdown, json"),
])
def test_command_line_misuse_is_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["explain", str(SMALL), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_file_problem_is_exit_1_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 9}\n", encoding="utf-8")
    result = runner.invoke(app, ["explain", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:3:")
    assert "Traceback" not in result.stderr


# --- the padding solver -------------------------------------------------------------------------------

@pytest.mark.parametrize("size, kernel, target, stride, dilation, padding, exact", [
    (224, 3, 224, 1, 1, (1, 1), None),  # 224 stays 224 with a 3×3 kernel and padding 1
    (224, 5, 224, 1, 1, (2, 2), None),
    (224, 4, 224, 1, 1, (1, 2), None),  # an even kernel: no symmetric padding, the odd pixel after
    (224, 3, 112, 2, 1, (1, 1), (0, 1)),  # ⌊223/2⌋ floors a remainder; [0, 1] divides exactly
    (224, 7, 112, 2, 1, (3, 3), (2, 3)),  # ResNet's stem: ⌊(224 − 7 + 2·3)/2⌋ + 1 = ⌊111.5⌋ + 1 = 112
    (32, 3, 32, 1, 2, (2, 2), None),  # dilation 2 spans 5
    (224, 3, 111, 2, 1, (0, 0), None),  # ⌊221/2⌋ + 1 = 111 with no padding
    (7, 3, 1, 1, 1, None, None),  # even unpadded the output is 5
])
def test_solve_padding(size: int, kernel: int, target: int, stride: int, dilation: int,
                       padding: tuple[int, int] | None, exact: tuple[int, int] | None) -> None:
    s = solve_padding(size, kernel, target, stride, dilation)
    assert (s.padding, s.exact) == (padding, exact)
    for pads in (s.padding, s.exact):
        if pads:
            assert formulas.conv_output_size(size, formulas.Window(kernel, stride, *pads, dilation)) == target


def test_solver_finds_padding_whenever_one_exists() -> None:
    for size in range(1, 40):
        for kernel in (1, 2, 3, 4, 5):
            for stride in (1, 2, 3):
                for target in range(1, 45):
                    s = solve_padding(size, kernel, target, stride)
                    works = [p for p in range(0, target * stride + kernel + 1)
                             if formulas.conv_output_size(size, formulas.Window(kernel, stride, p // 2, p - p // 2)) == target]
                    assert (s.padding is not None) == bool(works), (size, kernel, stride, target)
                    if s.padding:
                        assert sum(s.padding) == (min(p for p in works if p % 2 == 0) if s.symmetric
                                                  else min(works))


@pytest.mark.torch
def test_solved_padding_in_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch is needed to compare with PyTorch")
    for size, kernel, target, stride in ((224, 3, 224, 1), (224, 4, 224, 1), (224, 7, 112, 2), (225, 3, 113, 2)):
        s = solve_padding(size, kernel, target, stride)
        assert s.padding is not None
        x = torch.nn.functional.pad(torch.zeros(1, 1, size, size), (*s.padding, *s.padding))
        out = torch.nn.functional.conv2d(x, torch.zeros(1, 1, kernel, kernel), stride=stride)
        assert out.shape[-2:] == (target, target)


@pytest.mark.parametrize("args, expected, code", [
    (["--input", "224", "--kernel", "3", "--output", "224"], "padding 1 (on each side): ⌊(224 − 3 + 2·1)/1⌋ + 1 = 224\n",
     0),
    (["--input", "224", "--kernel", "3", "--keep"], "padding 1 (on each side): ⌊(224 − 3 + 2·1)/1⌋ + 1 = 224\n", 0),
    (["--input", "224", "--kernel", "4", "--keep"],
     "no symmetric padding gives 224: the padding it takes totals 3, an odd number\n", 0),
    (["--input", "7", "--kernel", "3", "--output", "1"], "no padding gives 1: even without padding the output is 5", 1),
    (["--input", "224", "--kernel", "3", "--output", "224", "--padding", "1"], "leave out --padding", 2),
    (["--input", "224", "--kernel", "3", "--output", "224", "--keep"], "not both", 2),
])
def test_size_output_command(args: list[str], expected: str, code: int) -> None:
    result = runner.invoke(app, ["size", *args])
    assert result.exit_code == code
    assert expected in (result.stdout if code != 2 else result.stderr)


def test_size_keep_json() -> None:
    result = runner.invoke(app, ["size", "-i", "224x160", "-k", "3", "-s", "2", "--keep", "--json"])
    assert json.loads(result.stdout) == {"output": [112, 80], "padding": [[1, 1], [1, 1]], "symmetric": True,
                                         "exact": [[0, 1], [0, 1]]}
    assert keep_size(224, 2) == 112 and keep_size(225, 2) == 113


# --- a dense layer on an image -----------------------------------------------------------------------

def test_params_flattens_an_image() -> None:
    result = runner.invoke(app, ["params", "--inputs", "224x224x3", "--units", "128"])
    assert result.stdout == "224·224·3 = 150,528 inputs (flattened)\n128 × (150,528 + 1) = 19,267,712\n"


def test_mlp_on_an_image() -> None:
    result = runner.invoke(app, ["params", "--inputs", "224x224x3", "--units", "128,128,128", "--json"])
    data = json.loads(result.stdout)
    assert data["features"] == 150_528
    assert [layer["params"] for layer in data["layers"]] == [19_267_712, 16_512, 16_512]
    assert data["params"] == 19_300_736  # reference-figures.md
    assert run((ROOT / "tests" / "valid" / "mlp-on-image.yaml").read_text()).totals.params == 19_300_736


def test_params_shape_errors() -> None:
    result = runner.invoke(app, ["params", "--inputs", "224x224x3", "--units", "128,x"])
    assert result.exit_code == 2 and "--units" in result.stderr
    result = runner.invoke(app, ["params", "--inputs", "224x224x3"])
    assert result.exit_code == 2 and "needs both --units and --inputs" in result.stderr


@pytest.mark.parametrize("spec", ["tests/explain/small.yaml", "tests/valid/multiply-broadcast.yaml",
                                  "tests/valid/deconv-separable.yaml", "vgg16"])
def test_text_is_ascii_safe(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a stream that cannot encode the symbols, every one is spelt in ASCII (no '?')."""
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding="ascii")  # strict, as PYTHONIOENCODING=ascii makes stdout
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.chdir(ROOT)
    assert main("explain", spec) == 0
    stream.flush()
    out = written.getvalue()
    assert out.isascii() and b"?" not in out
    assert b"floor((224 - 3 + 2*1)/1) + 1 = 224" in out or spec != "vgg16"
