"""Memory, receptive fields per kind, folding by depth, and valid input sizes: hand-computed cases."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cnncalc.analysis import analyze
from cnncalc.cli import app
from cnncalc.memory import estimate
from cnncalc.render import fold
from cnncalc.sizes import runs, scan, try_size
from cnncalc.spec import load

from conftest import SPECS, run

runner = CliRunner()


# -- memory -----------------------------------------------------------------------------------

TINY = """
input: [8, 8, 3]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}   # 8·8·4 = 256 values; 4·27 + 4 = 112 params
  - batchnorm                                   # 256 values; 8 trainable + 8 running statistics
  - flatten                                     # 256 values
  - dense: 10                                   # 10 values; 2,570 params
"""


@pytest.mark.parametrize(
    "batch, dtype, optimizer, weights, gradients, state, activations",
    [
        # params = 112 + 8 + 8 + 2,570 = 2,698 (2,690 trainable); outputs 256 + 256 + 256 + 10 = 778 values
        (1, "float32", "adam", 2_698 * 4, 2_690 * 4, 2 * 2_690 * 4, 778 * 4),
        (32, "float16", "momentum", 2_698 * 2, 2_690 * 2, 2_690 * 2, 32 * 778 * 2),
        (8, "int8", "sgd", 2_698, 2_690, 0, 8 * 778),
        (2, "bfloat16", "adam", 2_698 * 2, 2_690 * 2, 2 * 2_690 * 2, 2 * 778 * 2),
    ],
)
def test_memory_estimate(batch, dtype, optimizer, weights, gradients, state, activations) -> None:
    m = estimate(run(TINY), batch, dtype, optimizer)
    assert (m.weights, m.gradients, m.optimizer_state, m.activations) == (weights, gradients, state, activations)
    assert m.training == weights + gradients + state + activations
    assert m.inference == weights + activations


def test_memory_in_json_and_per_layer() -> None:
    result = runner.invoke(app, ["shape", "vgg16", "-f", "json", "--batch", "4", "--dtype", "float16",
                                 "--optimizer", "sgd"])
    data = json.loads(result.stdout)
    memory = data["memory"]
    assert memory["weights"] == 138_357_544 * 2
    assert memory["optimizer_state"] == 0
    assert memory["activations"] == 4 * sum(layer["memory"] for layer in data["layers"])
    assert data["layers"][0]["memory"] == 224 * 224 * 64 * 2


# -- receptive field per kind -------------------------------------------------------------------

@pytest.mark.parametrize(
    "layers, size, stride, padding",
    [
        ("- conv: {filters: 1, kernel: 3}", 3, 1, 0),
        ("- conv: {filters: 1, kernel: 3, dilation: 2}", 5, 1, 0),            # span d(k − 1) + 1
        ("- conv: {filters: 1, kernel: 3, stride: 2, padding: 1}\n  - conv: {filters: 1, kernel: 3}",
         7, 2, 1),                                                            # 3 + (3 − 1)·2
        ("- maxpool: 2\n  - maxpool: 2\n  - conv: {filters: 1, kernel: 3}", 12, 4, 0),
        ("- zeropad: 2\n  - conv: {filters: 1, kernel: 5}", 5, 1, 2),
        ("- crop: 1\n  - conv: {filters: 1, kernel: 3}", 3, 1, -1),
        ("- conv: {filters: 1, kernel: 3, stride: 2, padding: same}", 3, 2, 0),  # 32 at /2: pad 0 top
        ("- relu\n  - batchnorm", 1, 1, 0),                                     # pointwise
    ],
)
def test_receptive_field(layers: str, size: int, stride: int, padding: int) -> None:
    rf = run(f"input: [32, 32, 1]\nlayers:\n  {layers}\n").rows[-1].rf
    assert rf is not None
    assert (rf.size, rf.jump, rf.padding) == ((size, size), (stride, stride), (padding, padding))


def test_receptive_field_is_undefined_after_upsampling() -> None:
    rows = run("input: [8, 8, 1]\nlayers:\n  - upsample: 2\n  - conv: {filters: 1, kernel: 3}\n").rows
    assert rows[0].rf is None and rows[1].rf is None


# -- folding --------------------------------------------------------------------------------

def test_resnet152_folds_to_one_screen_and_sums_groups() -> None:
    analysis = analyze(load(str(SPECS / "resnet152.yaml")))
    default = fold(analysis, 1)
    assert len(default) <= 20
    top = fold(analysis, 0)
    assert [r.name for r in top if r.name.startswith("layer")] == ["layer1", "layer2", "layer3", "layer4"]
    assert sum(r.params for r in top) == analysis.totals.params
    assert sum(r.macs for r in default) == analysis.totals.macs
    assert len(fold(analysis, None)) == len(analysis.rows)
    layer3 = next(r for r in top if r.name == "layer3")
    assert layer3.output == (14, 14, 1024) and layer3.kind == "stage"


# -- sizes --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, low, high, clean",
    [
        ("resnet50", 200, 300, [224, 256, 288]),      # multiples of 32
        ("vgg16", 200, 300, [224, 256, 288]),
        ("lenet5", 26, 40, [28, 32, 36, 40]),         # 28 → 24 → 12 → 8 → 4: H − 4 and H/2 − 6 even
    ],
)
def test_clean_sizes(name: str, low: int, high: int, clean: list[int]) -> None:
    spec = load(str(SPECS / f"{name}.yaml"))
    assert [v.input[0] for v in scan(spec, low, high) if v.clean] == clean


def test_unet_572_is_clean_and_573_is_not() -> None:
    spec = load(str(SPECS / "unet.yaml"))
    assert try_size(spec, (572, 572, 1)).clean
    assert not try_size(spec, (573, 573, 1)).clean


def test_unclean_size_names_the_layer() -> None:
    verdict = try_size(load(str(SPECS / "resnet50.yaml")), (225, 225, 3))
    assert verdict.problem is not None
    assert verdict.problem.rule == "uneven-size"
    assert verdict.problem.message == ("conv1: height: 225 is not a multiple of the stride 2: the windows give 113 "
                                       "outputs, and 113 × 2 = 226 ≠ 225")


def test_alexnet_paper_size_tiles_exactly() -> None:
    text = "input: [227, 227, 3]\nlayers:\n  - conv: {filters: 96, kernel: 11, stride: 4}\n"
    spec = load_text(text)
    assert try_size(spec, (227, 227, 3)).clean          # (227 − 11)/4 = 54
    assert not try_size(spec, (224, 224, 3)).clean      # (224 − 11)/4 = 53.25


def load_text(text: str):
    from cnncalc.spec import loads

    return loads(text)


def test_runs() -> None:
    assert runs([32, 64, 96, 128, 200]) == [(32, 128, 32), (200, 200, 0)]
    assert runs([1, 2]) == [(1, 1, 0), (2, 2, 0)]


def test_sizes_command() -> None:
    result = runner.invoke(app, ["sizes", "resnet50", "--range", "32:1024"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "32 clean input sizes from 32 to 1024: 32, 64, …, 1024 (every 32)"
    result = runner.invoke(app, ["sizes", "resnet50", "--size", "225", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problem"]["rule"] == "uneven-size"
    assert runner.invoke(app, ["sizes", "resnet50", "--range", "9:3"]).exit_code == 2


def test_github_format_is_automatic_in_actions(tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - convv: 8\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"::error file={bad},line=3,col=5,title=unknown-kind::unknown layer kind")
