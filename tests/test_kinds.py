"""Hand-computed cases for every layer kind, through the whole pipeline (YAML text → analysis)."""

from __future__ import annotations

import pytest

from conftest import run

# (input, layer as YAML, output, trainable, non_trainable, macs)
CASES = [
    # conv: F·(kh·kw·C/g) + F; MACs out_H·out_W·F·kh·kw·C/g
    ([224, 224, 3], "conv: {filters: 64, kernel: 3, padding: 1}", (224, 224, 64), 1_792, 0, 224 * 224 * 64 * 27),
    ([224, 224, 3], "conv: {filters: 64, kernel: 11, stride: 4, padding: 2}", (55, 55, 64), 23_296, 0,
     55 * 55 * 64 * 363),
    ([32, 32, 16], "conv: {filters: 32, kernel: [3, 5], padding: [1, 2]}", (32, 32, 32), 32 * 15 * 16 + 32, 0,
     32 * 32 * 32 * 15 * 16),
    ([32, 32, 16], "conv: {filters: 32, kernel: 3, groups: 4, bias: false}", (30, 30, 32), 32 * 9 * 4, 0,
     30 * 30 * 32 * 9 * 4),
    ([32, 32, 8], "conv: {filters: 8, kernel: 3, dilation: 2}", (28, 28, 8), 8 * 72 + 8, 0, 28 * 28 * 8 * 72),
    ([11, 11, 1], "conv: {filters: 1, kernel: 3, stride: 2, padding: same}", (6, 6, 1), 10, 0, 36 * 9),
    ([10, 10, 1], "conv: {filters: 1, kernel: 3, stride: 2, padding: same}", (5, 5, 1), 10, 0, 25 * 9),
    ([10, 10, 1], "conv: {filters: 1, kernel: 3, stride: 2, padding: valid}", (4, 4, 1), 10, 0, 16 * 9),
    ([10, 12, 1], "conv: {filters: 2, kernel: 3, padding: [0, 1, 2, 3]}", (9, 15, 2), 20, 0, 9 * 15 * 2 * 9),
    ([8, 8, 4], "conv2d: {filters: 4, kernel: 1}", (8, 8, 4), 20, 0, 64 * 16),
    # depthwise: C·m·kh·kw + C·m
    ([112, 112, 32], "depthwise: {kernel: 3, padding: 1}", (112, 112, 32), 320, 0, 112 * 112 * 32 * 9),
    ([14, 14, 8], "dwconv: {kernel: 3, multiplier: 2, stride: 2, padding: same, bias: false}", (7, 7, 16), 144, 0,
     7 * 7 * 16 * 9),
    # separable (Keras): C·m·k² + F·C·m + F
    ([14, 14, 512], "separable: {filters: 512, kernel: 3, padding: same, bias: false}", (14, 14, 512),
     512 * 9 + 512 * 512, 0, 14 * 14 * 512 * 9 + 14 * 14 * 512 * 512),
    ([8, 8, 3], "sepconv: {filters: 16, kernel: 3}", (6, 6, 16), 27 + 48 + 16, 0, 36 * 27 + 36 * 48),
    # deconv: (H − 1)s − 2p + d(k − 1) + op + 1; MACs in_H·in_W·C·F·k²
    ([28, 28, 1024], "deconv: {filters: 512, kernel: 2, stride: 2}", (56, 56, 512), 1024 * 512 * 4 + 512, 0,
     28 * 28 * 1024 * 512 * 4),
    ([7, 7, 8], "deconv: {filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}", (14, 14, 4),
     8 * 4 * 9 + 4, 0, 49 * 8 * 4 * 9),
    ([7, 7, 8], "convtranspose: {filters: 4, kernel: 3, stride: 2, padding: same, bias: false}", (14, 14, 4),
     8 * 4 * 9, 0, 49 * 8 * 4 * 9),
    # pools
    ([4, 4, 1], "maxpool: 2", (2, 2, 1), 0, 0, 0),
    ([112, 112, 64], "maxpool: {kernel: 3, stride: 2, padding: 1}", (56, 56, 64), 0, 0, 0),
    ([112, 112, 64], "maxpool: {kernel: 3, stride: 2, ceil: true}", (56, 56, 64), 0, 0, 0),
    ([112, 112, 64], "maxpool: {kernel: 3, stride: 2}", (55, 55, 64), 0, 0, 0),
    ([5, 5, 2], "avgpool: {kernel: 2, ceil: true}", (3, 3, 2), 0, 0, 0),
    ([5, 5, 2], "sumpool: {kernel: 3, stride: 2, padding: same}", (3, 3, 2), 0, 0, 0),
    ([7, 7, 512], "globalavgpool", (1, 1, 512), 0, 0, 0),
    ([7, 7, 512], "globalmaxpool", (1, 1, 512), 0, 0, 0),
    ([13, 13, 256], "adaptiveavgpool: 6", (6, 6, 256), 0, 0, 0),
    ([13, 13, 256], "adaptivemaxpool: [2, 3]", (2, 3, 256), 0, 0, 0),
    # batchnorm: 2C trainable (affine) + 2C running statistics
    ([56, 56, 64], "batchnorm", (56, 56, 64), 128, 128, 0),
    ([56, 56, 64], "bn: {affine: false}", (56, 56, 64), 0, 128, 0),
    ([100], "batchnorm", (100,), 200, 200, 0),
    # parameter-free, shape-preserving
    ([8, 8, 3], "relu", (8, 8, 3), 0, 0, 0),
    ([8, 8, 3], "leakyrelu: 0.2", (8, 8, 3), 0, 0, 0),
    ([8, 8, 3], "swish", (8, 8, 3), 0, 0, 0),
    ([8, 8, 3], "dropout: 0.3", (8, 8, 3), 0, 0, 0),
    ([8, 8, 3], "lrn: 5", (8, 8, 3), 0, 0, 0),
    ([10], "softmax", (10,), 0, 0, 0),
    # prelu: C, or 1 shared
    ([8, 8, 16], "prelu", (8, 8, 16), 16, 0, 0),
    ([8, 8, 16], "prelu: {shared: true}", (8, 8, 16), 1, 0, 0),
    # geometry
    ([224, 224, 3], "zeropad: 3", (230, 230, 3), 0, 0, 0),
    ([224, 224, 3], "zeropad: [0, 1, 0, 1]", (225, 225, 3), 0, 0, 0),
    ([224, 224, 3], "zeropad: [1, 2]", (226, 228, 3), 0, 0, 0),
    ([28, 28, 8], "upsample: 2", (56, 56, 8), 0, 0, 0),
    ([28, 28, 8], "upsample: {size: [30, 40], mode: bilinear}", (30, 40, 8), 0, 0, 0),
    ([64, 64, 128], "crop: 4", (56, 56, 128), 0, 0, 0),
    ([64, 64, 128], "crop: [1, 2, 3, 4]", (61, 57, 128), 0, 0, 0),
    ([7, 7, 512], "flatten", (25_088,), 0, 0, 0),
    # dense: N·U + U
    ([25_088], "dense: 4096", (4096,), 102_764_544, 0, 25_088 * 4096),
    ([4096], "fc: {units: 1000, bias: false}", (1000,), 4_096_000, 0, 4_096_000),
    ([120], "linear: 84", (84,), 10_164, 0, 10_080),
    # normalisation over channels: γ and β, C each; no running statistics, no multiply-adds
    ([56, 56, 96], "layernorm", (56, 56, 96), 192, 0, 0),
    ([56, 56, 96], "layernorm: {bias: false}", (56, 56, 96), 96, 0, 0),
    ([768], "layernormalization: {affine: false}", (768,), 0, 0, 0),
    ([28, 28, 64], "groupnorm: 32", (28, 28, 64), 128, 0, 0),
    ([28, 28, 64], "groupnorm: {groups: 1, affine: false}", (28, 28, 64), 0, 0, 0),
    ([28, 28, 64], "instancenorm", (28, 28, 64), 0, 0, 0),
    ([28, 28, 64], "instancenorm: {affine: true, track_running_stats: true}", (28, 28, 64), 128, 128, 0),
    # layer scale: C; stochastic depth: nothing
    ([56, 56, 96], "layerscale", (56, 56, 96), 96, 0, 0),
    ([56, 56, 96], "stochasticdepth: 0.1", (56, 56, 96), 0, 0, 0),
    ([56, 56, 96], "droppath", (56, 56, 96), 0, 0, 0),
    # channel selection and shuffle: shapes only
    ([28, 28, 116], "shuffle: 2", (28, 28, 116), 0, 0, 0),
    ([28, 28, 116], "split: 2", (28, 28, 58), 0, 0, 0),
    ([28, 28, 116], "split: {parts: 4, index: 3}", (28, 28, 29), 0, 0, 0),
    ([28, 28, 116], "slice: [10, 20]", (28, 28, 10), 0, 0, 0),
    ([100], "slice: [0, 100]", (100,), 0, 0, 0),
    # attention over N = H·W positions, E = C: 4E² + 4E parameters, 4·N·E² + 2·N²·E multiply-adds
    ([14, 14, 64], "attention: 8", (14, 14, 64), 4 * 64 * 64 + 4 * 64, 0, 4 * 196 * 64 * 64 + 2 * 196 * 196 * 64),
    ([14, 14, 64], "mhsa: {heads: 4, bias: false}", (14, 14, 64), 4 * 64 * 64, 0,
     4 * 196 * 64 * 64 + 2 * 196 * 196 * 64),
    # inner dim E ≠ C: q, k, v C → E (3·(C·E + E)), out E → C (E·C + C); 4·N·C·E + 2·N²·E
    ([7, 7, 32], "attention: {heads: 2, dim: 16}", (7, 7, 32), 3 * (32 * 16 + 16) + 16 * 32 + 32, 0,
     4 * 49 * 32 * 16 + 2 * 49 * 49 * 16),
    # Keras preprocessing: Rescaling has no weights; Normalization adapted holds mean, variance (C each), count (1)
    ([224, 224, 3], "rescaling: 0.00392156862745098", (224, 224, 3), 0, 0, 0),
    ([224, 224, 3], "rescaling: {scale: 0.0078431372549, offset: -1}", (224, 224, 3), 0, 0, 0),
    ([224, 224, 3], "normalization", (224, 224, 3), 0, 7, 0),
    ([224, 224, 3], "normalization: {adapt: false}", (224, 224, 3), 0, 0, 0),
]


@pytest.mark.parametrize("input_shape, layer, output, trainable, non_trainable, macs", CASES)
def test_kind(input_shape, layer, output, trainable, non_trainable, macs) -> None:
    analysis = run(f"input: {input_shape}\nlayers:\n  - {layer}\n")
    (row,) = analysis.rows
    assert row.output == output
    assert row.trainable == trainable
    assert row.non_trainable == non_trainable
    assert row.macs == macs


MERGES = """
input: [56, 56, 64]
layers:
  - conv: {filters: 64, kernel: 3, padding: 1, name: a}
  - conv: {filters: 32, kernel: 1, from: input, name: b}
  - add: [a, input]
  - concat: [a, b, input]
  - globalavgpool: {from: a, name: gap}
  - multiply: [gap, a]
  - multiply: [a, gap]
  - subtract: [a, input]
  - sub: {from: [input, a], name: difference}
"""


def test_merges() -> None:
    rows = {r.name: r for r in run(MERGES).rows}
    assert rows["add1"].output == (56, 56, 64)
    assert rows["add1"].inputs == ("a", "input")
    assert rows["concat1"].output == (56, 56, 160)
    assert rows["multiply1"].output == (56, 56, 64)
    assert rows["multiply2"].output == (56, 56, 64)
    assert rows["subtract1"].output == (56, 56, 64) and rows["subtract1"].inputs == ("a", "input")
    assert rows["difference"].inputs == ("input", "a") and rows["difference"].trainable == 0


def test_lenet5_worked_example() -> None:
    text = """
input: [32, 32, 1]
layers:
  - conv: {filters: 6, kernel: 5}
  - avgpool: 2
  - conv: {filters: 16, kernel: 5}
  - avgpool: 2
  - flatten
  - dense: 120
  - dense: 84
  - dense: 10
"""
    rows = run(text).rows
    assert [r.output for r in rows] == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,),
                                        (10,)]
    assert [r.trainable for r in rows] == [156, 0, 2_416, 0, 0, 48_120, 10_164, 850]
    assert sum(r.trainable for r in rows) == 61_706


def test_mlp_worked_example() -> None:
    analysis = run("input: 224x224x3\nlayers:\n  - flatten\n  - dense: {units: 128, repeat: 3}\n")
    assert analysis.rows[0].output == (150_528,)
    assert analysis.totals.params == 19_300_736
    assert [r.name for r in analysis.rows] == ["flatten1", "dense1.1", "dense1.2", "dense1.3"]


@pytest.mark.parametrize("input_text", ["[224, 224, 3]", '"224x224x3"', "{height: 224, width: 224, channels: 3}"])
def test_input_forms(input_text: str) -> None:
    assert run(f"input: {input_text}\nlayers: [relu]\n").input == (224, 224, 3)


def test_defaults_and_names() -> None:
    text = """
input: [32, 32, 3]
defaults:
  conv2d: {kernel: 3, padding: same}
layers:
  - conv: 8
  - conv: {filters: 8, padding: 0}
  - conv: {filters: 8, name: last}
"""
    rows = run(text).rows
    assert [r.name for r in rows] == ["conv1", "conv2", "last"]
    assert [r.output for r in rows] == [(32, 32, 8), (30, 30, 8), (30, 30, 8)]


def test_blocks_repeat_and_arithmetic() -> None:
    text = """
input: [56, 56, 64]
blocks:
  bottleneck:
    args: {filters: ~, stride: 1}
    layers:
      - conv: {filters: $filters, kernel: 1, bias: false}
      - conv: {filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false}
      - conv: {filters: "${filters * 4}", kernel: 1, bias: false, name: expand}
      - conv: {filters: "${filters * 4}", kernel: 1, stride: $stride, bias: false, from: input, name: proj}
      - add: [expand, proj]
layers:
  - bottleneck: {filters: 64, name: stage, repeat: 2}
  - bottleneck: {filters: 32, stride: 2}
"""
    analysis = run(text)
    names = [r.name for r in analysis.rows]
    assert names[:5] == ["stage.1.conv1", "stage.1.conv2", "stage.1.expand", "stage.1.proj", "stage.1.add1"]
    assert names[5] == "stage.2.conv1"
    assert names[10] == "bottleneck2.conv1"  # the second bottleneck, though the first was named
    assert analysis.rows[4].output == (56, 56, 256)
    assert analysis.output == (28, 28, 128)
    # 64·64 + 9·64·64 + 64·256 + 64·256 for the first use
    assert sum(r.trainable for r in analysis.rows[:5]) == 4_096 + 36_864 + 16_384 + 16_384
    assert analysis.groups["stage"] == "bottleneck ×2"
    assert analysis.rows[0].scope == ("stage", "stage.1")


def test_negative_from_and_input() -> None:
    text = """
input: [8, 8, 4]
layers:
  - conv: {filters: 4, kernel: 1}
  - relu
  - add: [-1, -2, input]
"""
    assert run(text).rows[-1].inputs == ("relu1", "conv1", "input")


def test_receptive_field_vgg16_reference() -> None:
    from conftest import SPECS
    from cnncalc.core.analysis import analyze
    from cnncalc.core.spec import load

    rows = {r.name: r.rf for r in analyze(load(str(SPECS / "vgg16.yaml"))).rows}
    expected = {"block1_pool": (6, 2, 2), "block2_pool": (16, 4, 6), "block3_pool": (44, 8, 18),
                "block4_pool": (100, 16, 42), "block5_pool": (212, 32, 90)}
    for name, (size, stride, padding) in expected.items():
        rf = rows[name]
        assert rf is not None
        assert (rf.size, rf.jump, rf.padding) == ((size, size), (stride, stride), (padding, padding))


def test_rf_misaligned_centres_warn() -> None:
    text = """
input: [32, 32, 3]
layers:
  - conv: {filters: 4, kernel: 3, name: a}
  - zeropad: {padding: [0, 2, 0, 2], from: input}
  - conv: {filters: 4, kernel: 5, name: b}
  - add: [a, b]
"""
    analysis = run(text)
    (warning,) = analysis.warnings
    assert (warning.rule, warning.line, warning.column) == ("rf-misaligned", 7, 5)
    assert "centres (a: 1,1, b: 2,2)" in warning.message
    rf = analysis.rows[-1].rf
    assert rf is not None and rf.size == (5, 5)


def test_rf_aligned_paths_and_broadcast_gates_do_not_warn() -> None:
    text = """
input: [32, 32, 8]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, name: a}
  - conv: {filters: 8, kernel: 5, padding: 2, from: input, name: b}
  - add: [a, b, input]
  - globalavgpool: {name: squeeze}
  - conv: {filters: 8, kernel: 1, activation: sigmoid, name: excite}
  - multiply: [add1, excite]
"""
    analysis = run(text)
    assert analysis.warnings == []
    assert analysis.rows[2].rf.size == (5, 5)
    assert analysis.rows[-1].rf == analysis.rows[2].rf  # the gate's global view is not the map's field


@pytest.mark.parametrize(
    "comment_line, kept",
    [
        ("  - conv: {filters: 8, kernel: 3, stride: 2}  # cnncalc: disable=non-integer-output\n", False),
        ("  # cnncalc: disable=rf-misaligned, non-integer-output\n  - conv: {filters: 8, kernel: 3, stride: 2}\n",
         False),
        ("  - conv: {filters: 8, kernel: 3, stride: 2}  # cnncalc: disable=rf-misaligned\n", True),
        ("  - relu  # cnncalc: disable=non-integer-output\n  - conv: {filters: 8, kernel: 3, stride: 2}\n", True),
    ],
)
def test_disable_comment(comment_line: str, kept: bool) -> None:
    analysis = run("input: [32, 32, 3]\nlayers:\n" + comment_line)
    assert [w.rule for w in analysis.warnings] == (["non-integer-output"] if kept else [])


def test_in_channels_inside_blocks_and_explicit_repeat_names() -> None:
    text = """
input: [8, 8, 6]
blocks:
  transition:
    layers:
      - conv: {filters: "${in_channels // 2}", kernel: 1}
layers:
  - transition
  - conv: {filters: 4, kernel: 1, repeat: 1}
"""
    rows = run(text).rows
    assert [(r.name, r.output) for r in rows] == [("transition1.conv1", (8, 8, 3)), ("conv1.1", (8, 8, 4))]


@pytest.mark.parametrize("kind, arg, shown", [
    ("maxpool", "stride", "kernel"), ("upsample", "scale", "2"), ("upsample", "size", "unset"),
    ("conv", "stride", "1"), ("conv", "bias", "true"), ("conv", "padding", "0"), ("dropout", "rate", "0.5"),
    ("conv", "kernel", ""),
])
def test_show_default_writes_defaults_as_yaml(kind: str, arg: str, shown: str) -> None:
    from cnncalc.core.kinds import KINDS, show_default

    assert show_default(KINDS[kind].args[arg]) == shown


def test_kinds_command_never_shows_python_none() -> None:
    from typer.testing import CliRunner

    from cnncalc.cli.app import app

    result = CliRunner().invoke(app, ["kinds"])
    assert result.exit_code == 0 and "stride=kernel" in result.output
    assert "None" not in result.output and "True" not in result.output


# --- zero padding written as a layer is padding (issue 16) ---------------------------------------

KERAS_STEM = """
input: [224, 224, 3]
layers:
  - rescaling: {scale: 0.00392156862745098}
  - zeropad: {padding: 3, name: conv1_pad}
  - conv: {filters: 64, kernel: 7, stride: 2, name: conv1_conv}
  - zeropad: {padding: 1, name: pool1_pad}
  - maxpool: {kernel: 3, stride: 2, name: pool1_pool}
  - batchnorm: {name: preact_bn}
  - relu: {name: preact_relu}
  - conv: {filters: 64, kernel: 1, bias: false, name: block1_1_conv}
  - batchnorm
  - relu
  - zeropad: {padding: 1, name: block1_2_pad}
  - conv: {filters: 64, kernel: 3, stride: 2, bias: false, name: block1_2_conv}
  - batchnorm
  - relu
  - maxpool: {kernel: 1, stride: 2, from: preact_relu, name: shortcut}
"""


@pytest.mark.parametrize("text, warnings", [
    ("input: [224, 224, 3]\nlayers:\n  - zeropad: 3\n  - conv: {filters: 8, kernel: 7, stride: 2}\n", 0),
    # padding kept through position-keeping layers (BN, activations, dropout, identity, layer norm)
    ("input: [224, 224, 3]\nlayers:\n  - zeropad: 3\n  - bn\n  - relu\n  - dropout\n  - identity\n"
     "  - layernorm\n  - conv: {filters: 8, kernel: 7, stride: 2}\n", 0),
    # a conv mixes padding into its outputs: what follows it is input again
    ("input: [224, 224, 3]\nlayers:\n  - zeropad: 3\n  - conv: {filters: 8, kernel: 1}\n"
     "  - conv: {filters: 8, kernel: 7, stride: 2}\n", 1),
    # a floor that drops a real input row still warns (padded 13: the windows end at padded row 12, real row 11 of 12)
    ("input: [12, 12, 3]\nlayers:\n  - zeropad: [1, 0, 1, 0]\n  - conv: {filters: 8, kernel: 4, stride: 2}\n", 1),
    ("input: [225, 225, 3]\nlayers:\n  - zeropad: 3\n  - conv: {filters: 8, kernel: 7, stride: 2}\n", 0),
    ("input: [224, 224, 3]\nlayers:\n  - zeropad: [0, 1, 0, 1]\n  - conv: {filters: 8, kernel: 3, stride: 2}\n", 0),
    ("input: [224, 224, 3]\nlayers:\n  - zeropad: [1, 0, 1, 0]\n  - conv: {filters: 8, kernel: 2, stride: 2}\n", 1),
    # cropping the padding away makes the rows input again
    ("input: [224, 224, 3]\nlayers:\n  - zeropad: 3\n  - crop: 3\n  - conv: {filters: 8, kernel: 7, stride: 2}\n", 1),
    (KERAS_STEM, 0),
])
def test_zeropad_rows_are_padding(text: str, warnings: int) -> None:
    analysis = run(text)
    assert [w.rule for w in analysis.warnings] == ["non-integer-output"] * warnings


def test_zeropad_padding_and_conv_padding_agree_in_sizes() -> None:
    from cnncalc.core.analysis import first_uneven

    padded = run("input: [224, 224, 3]\nlayers:\n  - zeropad: 3\n  - conv: {filters: 8, kernel: 7, stride: 2}\n")
    inline = run("input: [224, 224, 3]\nlayers:\n  - conv: {filters: 8, kernel: 7, stride: 2, padding: 3}\n")
    stem = run(KERAS_STEM)
    for size in (224, 225, 226, 230, 256):
        shape = (size, size, 3)
        assert (first_uneven(padded, shape) is None) == (first_uneven(inline, shape) is None), size
    assert first_uneven(stem, (224, 224, 3)) is None
    assert first_uneven(stem, (225, 225, 3)) is not None


# --- one kind, one unit -------------------------------------------------------------------------

def _family_ids() -> list:
    from cnncalc.core.kinds import FAMILIES

    return [pytest.param(family, id=family.__name__.rsplit(".", 1)[1]) for family in FAMILIES]


@pytest.mark.parametrize("family", _family_ids())
def test_a_kind_is_one_unit_in_its_family_module(family) -> None:
    """What a kind computes, how it is explained and written as PyTorch are defined in its family's module (or
    are the shared helpers of kinds/base.py), and its diagram category is one the diagram draws."""
    from cnncalc.core.kinds import base
    from cnncalc.draw.layout import COLOURS

    for kind in family.KINDS:
        for aspect in (kind.infer, kind.explain, kind.emit):
            if aspect is not None:
                assert aspect.__module__ in (family.__name__, base.__name__), f"{kind.name}: {aspect}"
        assert kind.category in COLOURS, kind.name
        assert all(source.lstrip().startswith(f"class {name}(nn.") for name, source in kind.helpers)


def test_the_registry_is_every_family_s_kinds_once() -> None:
    from cnncalc.core.kinds import ALIASES, FAMILIES, KINDS

    names = [kind.name for family in FAMILIES for kind in family.KINDS]
    assert len(names) == len(set(names)) == len(KINDS)
    aliases = [alias for family in FAMILIES for kind in family.KINDS for alias in (kind.name, *kind.aliases)]
    assert len(aliases) == len(set(aliases)) == len(ALIASES), "an alias names two kinds"
