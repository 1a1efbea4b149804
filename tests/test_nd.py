"""Inputs of spatial rank 1 and 3: hand-computed cases for every kind whose meaning extends, input forms,
per-axis receptive fields, weight shapes, the rank-checking names, `size`/`params`/`sizes` and the refusals."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.core.problems import SpecError

from conftest import run

# (input, layer as YAML, output, trainable, non_trainable, macs)
CASES = [
    # 1-D conv: F·(k·C/g) + F; MACs out_L·F·k·C/g
    ([16000, 1], "conv: {filters: 128, kernel: 80, stride: 4, padding: 38}", (4000, 128), 128 * 80 + 128, 0,
     4000 * 128 * 80),
    ([100, 8], "conv1d: {filters: 16, kernel: 5, padding: same, dilation: 2}", (100, 16), 16 * 40 + 16, 0,
     100 * 16 * 40),
    ([100, 8], "conv: {filters: 8, kernel: 3, groups: 8, padding: [2, 0]}", (100, 8), 8 * 3 + 8, 0, 100 * 8 * 3),
    ([100, 8], "conv: {filters: 4, kernel: [3], stride: [2]}", (49, 4), 4 * 24 + 4, 0, 49 * 4 * 24),
    ([10, 4], "depthwise: {kernel: 3, multiplier: 2}", (8, 8), 8 * 3 + 8, 0, 8 * 8 * 3),
    ([10, 4], "separable: {filters: 6, kernel: 3, bias: false}", (8, 6), 12 + 24, 0, 8 * 4 * 3 + 8 * 4 * 6),
    ([10, 4], "deconv: {filters: 2, kernel: 4, stride: 2, padding: 1}", (20, 2), 4 * 2 * 4 + 2, 0, 10 * 4 * 2 * 4),
    ([10, 4], "convtranspose1d: {filters: 2, kernel: 3, stride: 2, padding: same}", (20, 2), 26, 0, 10 * 4 * 2 * 3),
    ([125, 512], "maxpool: 4", (31, 512), 0, 0, 0),
    ([125, 512], "maxpool1d: {kernel: 4, ceil: true}", (32, 512), 0, 0, 0),
    ([9, 2], "avgpool: {kernel: 3, stride: 2, padding: 1}", (5, 2), 0, 0, 0),
    ([31, 512], "globalavgpool", (1, 512), 0, 0, 0),
    ([31, 512], "adaptivemaxpool: 5", (5, 512), 0, 0, 0),
    ([31, 64], "batchnorm1d", (31, 64), 128, 128, 0),
    ([31, 64], "zeropad: [1, 2]", (34, 64), 0, 0, 0),
    ([31, 64], "crop: 3", (25, 64), 0, 0, 0),
    ([31, 64], "upsample: {scale: 3, mode: linear}", (93, 64), 0, 0, 0),
    ([31, 64], "upsample: {size: 40}", (40, 64), 0, 0, 0),
    ([31, 64], "flatten", (31 * 64,), 0, 0, 0),
    # 3-D conv: F·(kd·kh·kw·C/g) + F
    ([16, 112, 112, 3], "conv: {filters: 64, kernel: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], bias: false}",
     (16, 56, 56, 64), 64 * 147 * 3, 0, 16 * 56 * 56 * 64 * 147 * 3),
    ([8, 8, 8, 4], "conv3d: {filters: 8, kernel: 3, stride: 2, padding: same, groups: 2}", (4, 4, 4, 8),
     8 * 27 * 2 + 8, 0, 64 * 8 * 27 * 2),
    ([8, 8, 8, 4], "conv: {filters: 8, kernel: 3, padding: [0, 1, 1, 1, 2, 2]}", (7, 8, 10, 8), 8 * 27 * 4 + 8, 0,
     7 * 8 * 10 * 8 * 27 * 4),
    ([8, 8, 8, 4], "conv: {filters: 2, kernel: [1, 3, 3], dilation: [1, 2, 2]}", (8, 4, 4, 2), 2 * 9 * 4 + 2, 0,
     8 * 16 * 2 * 36),
    ([7, 9, 9, 512], "deconv: {filters: 512, kernel: 2, stride: 2}", (14, 18, 18, 512), 512 * 512 * 8 + 512, 0,
     7 * 81 * 512 * 512 * 8),
    ([16, 56, 56, 64], "maxpool3d: {kernel: 3, stride: 2, padding: 1}", (8, 28, 28, 64), 0, 0, 0),
    ([5, 5, 5, 2], "avgpool: {kernel: 2, ceil: true}", (3, 3, 3, 2), 0, 0, 0),
    ([5, 5, 5, 2], "sumpool: {kernel: [1, 2, 2]}", (5, 2, 2, 2), 0, 0, 0),
    ([2, 7, 7, 512], "globalmaxpool", (1, 1, 1, 512), 0, 0, 0),
    ([4, 7, 7, 512], "adaptiveavgpool: [1, 2, 3]", (1, 2, 3, 512), 0, 0, 0),
    ([4, 7, 7, 16], "bn", (4, 7, 7, 16), 32, 32, 0),
    ([4, 7, 7, 16], "zeropad: [1, 0, 2]", (6, 7, 11, 16), 0, 0, 0),
    ([26, 26, 22, 256], "crop: [4, 4, 4, 4, 2, 6]", (18, 18, 14, 256), 0, 0, 0),
    ([4, 7, 7, 16], "upsample: {scale: [1, 2, 2], mode: trilinear}", (4, 14, 14, 16), 0, 0, 0),
    ([4, 7, 7, 16], "flatten", (4 * 49 * 16,), 0, 0, 0),
]


@pytest.mark.parametrize("input_shape, layer, output, trainable, non_trainable, macs", CASES)
def test_kind_in_1d_and_3d(input_shape, layer, output, trainable, non_trainable, macs) -> None:
    analysis = run(f"input: {input_shape}\nlayers:\n  - {layer}\n")
    (row,) = analysis.rows
    assert (row.output, row.trainable, row.non_trainable, row.macs) == (output, trainable, non_trainable, macs)


@pytest.mark.parametrize("input_text, shape", [
    ("[16000, 1]", (16000, 1)), ('"16000x1"', (16000, 1)), ("{length: 16000, channels: 1}", (16000, 1)),
    ("[16, 112, 112, 3]", (16, 112, 112, 3)), ('"16×112×112×3"', (16, 112, 112, 3)),
    ("{depth: 16, height: 112, width: 112, channels: 3}", (16, 112, 112, 3)),
    ("[10]", (10,)), ('"10"', (10,)), ("[224, 224, 3]", (224, 224, 3)),
])
def test_input_forms(input_text: str, shape: tuple[int, ...]) -> None:
    assert run(f"input: {input_text}\nlayers:\n  - relu\n").input == shape


@pytest.mark.parametrize("input_text, fragment", [
    ("[1, 16, 112, 112, 3]", "1 to 3"), ('"1x16x112x112x3"', "1 to 3"),
    ("{length: 10, height: 3, channels: 1}", "both `height` and `length`"),
    ("{depth: 10, height: 3, channels: 1}", "missing `width`"),
])
def test_input_refusals(input_text: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment.replace("(", r"\(")):
        run(f"input: {input_text}\nlayers:\n  - relu\n")


def test_shapes_weights_and_receptive_fields_per_axis() -> None:
    analysis = run("input: [16, 112, 112, 3]\nlayers:\n"
                   "  - conv: {filters: 64, kernel: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], bias: false}\n"
                   "  - maxpool: {kernel: 3, stride: 2, padding: 1}\n")
    conv, pool = analysis.rows
    assert conv.weights == ((3, 7, 7, 3, 64),)
    assert conv.rf is not None and pool.rf is not None
    # r' = r + (k − 1)·j, j' = j·s, p' = p + pad·j, per axis
    assert (conv.rf.size, conv.rf.jump, conv.rf.padding) == ((3, 7, 7), (1, 2, 2), (1, 3, 3))
    assert (pool.rf.size, pool.rf.jump, pool.rf.padding) == ((5, 11, 11), (2, 4, 4), (2, 5, 5))
    one_d = run("input: [100, 1]\nlayers:\n  - conv: {filters: 1, kernel: 5, stride: 2}\n  - conv: {filters: 1, "
                "kernel: 3}\n").rows[-1].rf
    assert one_d is not None and (one_d.size, one_d.jump, one_d.padding) == ((9,), (2,), (0,))


def test_shape_table_prints_every_axis() -> None:
    result = CliRunner().invoke(app, ["shape", "specs/m5.yaml", "--columns", "output,rf,weights"])
    assert result.exit_code == 0
    assert "32000×1 → 10" in result.stdout and "8000×128" in result.stdout and "80/4/38" in result.stdout
    video = CliRunner().invoke(app, ["shape", "r3d_18", "-f", "json"])
    layers = json.loads(video.stdout)["layers"]
    assert layers[0]["output"] == [16, 56, 56, 64]
    assert layers[0]["receptive_field"] == {"size": [3, 7, 7], "stride": [1, 2, 2], "padding": [1, 3, 3]}


@pytest.mark.parametrize("layer, rule, fragment", [
    ("conv: {filters: 8, kernel: [3, 3]}", "invalid-value", "[depth, height, width]"),
    ("conv: {filters: 8, kernel: 3, padding: [1, 1, 1, 1]}", "invalid-value", "[front, back, top, bottom, left"),
    ("conv2d: {filters: 8, kernel: 3}", "shape-mismatch", "`conv3d` or `conv`"),
    ("upsample: {mode: bilinear}", "invalid-value", "trilinear"),
    ("avgpool: {kernel: 9, padding: 4}", "kernel-too-large", "AvgPool3d"),
])
def test_refusals_in_3d(layer: str, rule: str, fragment: str) -> None:
    with pytest.raises(SpecError) as caught:
        run(f"input: [8, 8, 8, 3]\nlayers:\n  - {layer}\n")
    assert caught.value.problem.rule == rule and fragment in caught.value.problem.message


def test_merges_across_ranks_are_refused_and_gates_broadcast() -> None:
    with pytest.raises(SpecError, match="one rank"):
        run("input: [8, 8, 8, 3]\nlayers:\n  - flatten\n  - concat: [input, -1]\n")
    gated = run("input: [4, 8, 8, 16]\nlayers:\n  - globalavgpool\n  - multiply: [input, -1]\n")
    assert gated.output == (4, 8, 8, 16)


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


@pytest.mark.parametrize("args, expected", [
    (("size", "--input", "16x112x112", "--kernel", "3x7x7", "--stride", "1x2x2", "--padding", "1x3x3", "--json"),
     {"output": [16, 56, 56], "even": False, "padding": [[1, 1], [3, 3], [3, 3]]}),
    (("size", "-i", "16x112x112", "-k", "3", "-s", "2", "-p", "0,1,0,1,0,1", "--json"),
     {"output": [8, 56, 56], "even": True, "padding": [[0, 1], [0, 1], [0, 1]]}),
    # M5's first layer (Dai et al. 2017): 32000 samples, kernel 80, stride 4, padding 38 -> 8000; 16000 unpadded -> 3981
    (("size", "--rank", "1", "-i", "32000", "-k", "80", "-s", "4", "-p", "38", "--json"),
     {"output": [8000], "even": True, "padding": [[38, 38]]}),  # (32000 − 80 + 76)/4 = 7999 exactly
    (("size", "--rank", "1", "-i", "16000", "-k", "80", "-s", "4", "--json"),
     {"output": [3981], "even": True, "padding": [[0, 0]]}),
    (("params", "--filters", "64", "--kernel", "3x7x7", "--channels", "3", "--no-bias", "--json"),
     {"kind": "conv", "filters": 64, "kernel": [3, 7, 7], "channels": 3, "groups": 1, "bias": False,
      "weights": 28_224, "biases": 0, "params": 28_224}),
])
def test_size_and_params_in_3d(args: tuple[str, ...], expected: dict) -> None:
    code, out = _cli(*args)
    assert code == 0 and json.loads(out) == expected


@pytest.mark.parametrize("args", [("--rank", "1", "-i", "16000x3", "-k", "80"), ("--rank", "4", "-i", "5", "-k", "3"),
                                  ("--rank", "x", "-i", "5", "-k", "3")])
def test_size_rank_is_checked(args: tuple[str, ...]) -> None:
    assert _cli("size", *args)[0] == 2


def test_size_and_params_text_in_3d() -> None:
    assert _cli("params", "-F", "64", "-k", "3x3x3", "-C", "64")[1] == ("64 × (3·3·3·64 + 1) = 110,656 "
                                                                      "(110,592 weights + 64 biases)\n")
    code, out = _cli("size", "-i", "16x112x112", "-k", "3", "-s", "1x2x2", "-p", "1")
    assert code == 0 and out.splitlines()[:2] == ["16×56×56", "depth: ⌊(16 − 3 + 2·1)/1⌋ + 1 = 16"]
    code, out = _cli("size", "-i", "16000", "-k", "80", "-s", "4", "-p", "same")
    assert code == 0 and out.splitlines()[0] == "4000"  # one number: every axis, so a 1-D length too
    assert _cli("size", "-i", "16x112", "-k", "3x7x7")[0] == 2


def test_sizes_scans_every_axis() -> None:
    code, out = _cli("sizes", "r3d_18", "--range", "8:64", "--json")
    assert code == 0 and json.loads(out)["clean"] == [16, 32, 48, 64]
    code, out = _cli("sizes", "r3d_18", "--size", "16x112x100")
    assert code == 1 and out.startswith("16×112×100: not clean") and "width: 25 is not a multiple" in out
    assert _cli("sizes", "m5", "--size", "32768")[0] == 0
    assert _cli("sizes", "m5", "--size", "100x100")[0] == 2


@pytest.mark.parametrize("spec, given, shown", [
    ("r3d_18", "16x64x64", "R3D-18: 16×64×64×3 → 400"), ("r3d_18", "8x64x64x3", "R3D-18: 8×64×64×3 → 400"),
    ("m5", "16000", "M5: 16000×1 → 10"), ("resnet18", "160x160", "ResNet-18: 160×160×3 → 1000"),
])
def test_input_override_keeps_the_channels_in_every_rank(spec: str, given: str, shown: str) -> None:
    code, out = _cli("shape", spec, "--input", given)
    assert code == 0 and out.splitlines()[0] == shown


def test_input_override_refuses_one_number_for_a_3d_file() -> None:
    assert _cli("shape", "r3d_18", "--input", "64")[0] == 2


def test_a_cube_floors_with_one_warning_and_an_uneven_axis_with_its_own() -> None:
    cube = run("input: [16, 16, 16, 3]\nlayers:\n  - conv: {filters: 4, kernel: 2, stride: 3}\n").warnings
    assert [w.message for w in cube] == [
        "conv1: depth, height and width: ⌊(16 − 2)/3⌋ + 1 = ⌊4.667⌋ + 1 = 5 does not divide evenly; input "
        "position 16 of 16 is never covered by a window on each axis. Change the padding, stride or input size so "
        "that it divides evenly"]
    clip = run("input: [16, 15, 15, 3]\nlayers:\n  - conv: {filters: 4, kernel: 2, stride: 3}\n").warnings
    assert [w.message.split(":")[1].strip() for w in clip] == ["depth"]
    signal = run("input: [100, 1]\nlayers:\n  - maxpool: 3\n").warnings
    assert [w.message for w in signal] == [
        "maxpool1: length: ⌊(100 − 3)/3⌋ + 1 = ⌊32.33⌋ + 1 = 33 does not divide evenly; input position 100 of 100 "
        "is never covered by a window. Change the padding, stride or input size so that it divides evenly"]
