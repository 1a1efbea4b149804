"""cnncalc against PyTorch itself: shapes, parameters, running statistics and FLOPs, row by row.

Every analysed network is translated into a torch module graph (tests/torch_model.py: one op per
row, wired by `row.inputs`, built from the shapes of the tensors that actually reach it) and run
with batch 1 in eval mode under no_grad. For each row:

- the output shape equals PyTorch's (C, H, W) read as (H, W, C);
- `trainable` equals the op's `parameters()` numel;
- `non_trainable` equals its BatchNorm `running_mean` + `running_var` numel;
- 2 × `macs` equals `torch.utils.flop_counter.FlopCounterMode`'s FLOPs for that op alone.

Covered: every bundled spec, hand-built graphs (residual block with projection, Inception module,
squeeze-and-excitation, a U-Net level, every kind at once) and 100 seeded random networks. Layers
that cnncalc rejects while generating are replayed in PyTorch, which must reject them too.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; install torch==2.13.0 to compare against it")

from cnncalc.core.analysis import Analysis, analyze  # noqa: E402
from cnncalc.core.kinds import KINDS  # noqa: E402
from cnncalc.core.problems import SpecError  # noqa: E402
from cnncalc.core.spec import load, loads  # noqa: E402

from conftest import BUNDLED_NAMES, SPECS, bundled_analysis, run  # noqa: E402
from torchvision_zoo import ZOO, missing  # noqa: E402
from torch_model import (  # noqa: E402
    TorchNet, mismatches, run_op, tf_same, whole_model_figures)

pytestmark = pytest.mark.torch

# Share the cores among pytest-xdist's workers rather than oversubscribe them (two threads when alone).
torch.set_num_threads(max(1, min(2, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))))


def assert_matches_torch(analysis: Analysis, device: str = "cpu") -> TorchNet:
    """Build the torch graph and compare every row, then the whole model in one forward pass.

    (On the meta device the whole-model pass is left out: it would only repeat the per-row one, slowly.)
    """
    net = TorchNet(analysis, device)
    assert len(net.measured) == len(analysis.rows)
    assert mismatches(analysis, net) == []
    if device == "meta":
        assert sum(m.trainable for m in net.measured) == sum(p.numel() for p in net.parameters())
        return net
    shape, trainable, running, flops = whole_model_figures(net)
    assert shape == tuple(analysis.output)
    assert trainable == analysis.totals.trainable
    assert running == analysis.totals.non_trainable
    assert flops == 2 * analysis.totals.macs
    return net


# --- the translator's own helpers ---------------------------------------------------------------


@pytest.mark.parametrize("size,kernel,stride,dilation,expected", [
    (224, 3, 1, 1, (1, 1)), (224, 3, 2, 1, (0, 1)), (225, 3, 2, 1, (1, 1)), (7, 1, 2, 1, (0, 0)),
    (10, 3, 1, 3, (3, 3)), (5, 4, 1, 1, (1, 2)), (4, 1, 3, 1, (0, 0)),
])
def test_tf_same_padding(size: int, kernel: int, stride: int, dilation: int, expected: tuple[int, int]) -> None:
    assert tf_same(size, kernel, stride, dilation) == expected


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_same_padding_at_stride_1_is_pytorchs() -> None:
    """At stride 1, TensorFlow `same` is PyTorch's padding='same' (odd pixel at the end)."""
    for k in range(1, 8):
        for d in range(1, 4):
            x = torch.randn(1, 1, 9, 9)
            conv = torch.nn.Conv2d(1, 1, k, dilation=d, padding="same", bias=False)
            t, b = tf_same(9, k, 1, d)
            ours = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (t, b, t, b)), conv.weight, dilation=d)
            assert torch.allclose(conv(x), ours, atol=1e-6)


def test_a_wrong_figure_is_reported() -> None:
    """The comparison can fail: a row with a tampered count is named in the mismatches."""
    analysis = run("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n  - bn\n")
    net = TorchNet(analysis)
    assert mismatches(analysis, net) == []
    analysis.rows[0].macs += 1
    analysis.rows[1].non_trainable = 0
    found = mismatches(analysis, net)
    assert len(found) == 2 and found[0].startswith("conv1") and found[1].startswith("batchnorm1")


# --- every bundled spec -------------------------------------------------------------------------

BUNDLED = BUNDLED_NAMES
CPU_BUDGET_MACS = 300_000_000  # above this, the spec's own input runs on the meta device only
SMALL_SIDES = (32, 48, 64, 96, 128, 188, 252)  # for the real-tensor run of the big ones: the first that fits
# Specs compared on the meta device only: the 3-D U-Net's fixed crops fit no input under 92³ voxels, which is
# still ~100 G MACs on the CPU (its exact PyTorch build below checks the counts independently).
META_ONLY = {"3D U-Net"}


def check_spec(analysis: Analysis) -> None:
    """Compare at the spec's input, and on real tensors, at a smaller input for the big ones.

    On the meta device PyTorch computes shapes, parameters and FLOPs without arithmetic or weight
    initialisation, so the published input size is checked exactly even for VGG-19 or a 572×572 U-Net;
    the real-tensor run at a smaller input (`--input` override) checks that the same graph really executes.
    """
    spec = analysis.spec
    if analysis.totals.macs <= CPU_BUDGET_MACS:
        assert_matches_torch(analysis, "cpu")
        return
    assert_matches_torch(analysis, "meta")
    *sizes, c = analysis.input
    if spec.name in META_ONLY:
        return
    for side in SMALL_SIDES:
        if side >= min(sizes):
            break
        try:  # every spatial axis at most `side` (a video's 16 frames stay 16)
            small = analyze(spec, (*(min(n, side) for n in sizes), c))
        except SpecError:
            continue
        assert_matches_torch(small, "cpu")
        return
    pytest.fail(f"no input side in {SMALL_SIDES} below {'×'.join(map(str, sizes))} fits {spec.name}; add one")


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_spec_matches_torch(name: str) -> None:
    if name in ZOO and missing() is None:
        pytest.skip("compared with torchvision's own model in test_torchvision.py")
    check_spec(bundled_analysis(name))


# --- hand-built graphs --------------------------------------------------------------------------

RESIDUAL_PROJECTION = """
name: residual block with a projection shortcut (ResNet v1.5 bottleneck, downsampling)
input: [28, 28, 64]
blocks:
  bottleneck:
    args: {filters: ~, stride: 1}
    layers:
      - conv: {filters: $filters, kernel: 1, bias: false}
      - bn
      - relu
      - conv: {filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false}
      - bn
      - relu
      - conv: {filters: "${filters * 4}", kernel: 1, bias: false}
      - bn: {name: main}
      - conv: {filters: "${filters * 4}", kernel: 1, stride: $stride, bias: false, from: input, name: proj}
      - bn: {name: shortcut}
      - add: [main, shortcut]
      - relu
layers:
  - bottleneck: {filters: 32, stride: 2}
  - globalavgpool
  - flatten
  - fc: 10
"""

INCEPTION = """
name: Inception module (GoogLeNet 3a)
input: [28, 28, 192]
defaults:
  conv: {activation: relu}
layers:
  - conv: {filters: 64, kernel: 1, name: b1}
  - conv: {filters: 96, kernel: 1, from: input}
  - conv: {filters: 128, kernel: 3, padding: 1, name: b2}
  - conv: {filters: 16, kernel: 1, from: input}
  - conv: {filters: 32, kernel: 5, padding: 2, name: b3}
  - maxpool: {kernel: 3, stride: 1, padding: 1, ceil: true, from: input}
  - conv: {filters: 32, kernel: 1, name: b4}
  - concat: [b1, b2, b3, b4]
  - avgpool: {kernel: 5, stride: 3}
  - conv: {filters: 128, kernel: 1}
  - flatten
  - dense: {units: 1024, activation: relu}
  - dropout: 0.7
  - dense: 1000
"""

SQUEEZE_EXCITATION = """
name: squeeze-and-excitation block on an inverted residual (MobileNetV3 / EfficientNet style)
input: [14, 14, 40]
layers:
  - conv: {filters: 240, kernel: 1, bias: false}
  - bn
  - hardswish
  - dwconv: {kernel: 5, padding: same, bias: false}
  - bn
  - hardswish: {name: features}
  - globalavgpool
  - conv: {filters: 60, kernel: 1, activation: relu}
  - conv: {filters: 240, kernel: 1, activation: hardsigmoid, name: gate}
  - multiply: [features, gate]
  - conv: {filters: 40, kernel: 1, bias: false}
  - bn: {name: projected}
  - add: [projected, input]
"""

UNET_LEVEL = """
name: one U-Net level (Ronneberger et al. 2015, valid convolutions)
input: [572, 572, 1]
defaults:
  conv: {kernel: 3, activation: relu}
layers:
  - conv: 64
  - conv: {filters: 64, name: skip}
  - maxpool: 2
  - conv: 128
  - conv: 128
  - deconv: {filters: 64, kernel: 2, stride: 2}
  - crop: {cropping: 4, from: skip, name: skip_cropped}
  - concat: [skip_cropped, deconv1]
  - conv: 64
  - conv: 64
  - conv: {filters: 2, kernel: 1, activation: none}
"""

EVERY_KIND = """
name: every kind once, with asymmetric padding and the less common arguments
input: [33, 30, 6]
layers:
  - conv: {filters: 12, kernel: [3, 5], stride: [2, 1], padding: [0, 1, 2, 3], dilation: [1, 2], groups: 3}
  - depthwise: {kernel: 3, multiplier: 2, padding: same, stride: 2, bias: false}
  - separable: {filters: 10, kernel: [1, 3], multiplier: 2, padding: same, dilation: 2}
  - deconv: {filters: 8, kernel: 3, stride: 2, padding: [1, 0, 2, 1], output_padding: 1}
  - deconv: {filters: 8, kernel: 4, stride: 3, padding: same, groups: 2, name: up}
  - maxpool: {kernel: 3, stride: 2, padding: 1, ceil: true}
  - avgpool: {kernel: [2, 3], stride: [1, 2], padding: [1, 0, 1, 1]}
  - sumpool: {kernel: 2, padding: same}
  - batchnorm: {affine: false}
  - prelu
  - prelu: {shared: true}
  - relu
  - relu6
  - leakyrelu: 0.2
  - elu: 0.5
  - gelu
  - sigmoid
  - tanh
  - silu
  - swish
  - hardswish
  - hardsigmoid
  - softmax
  - softmax: {groups: 2, cardinality: 2}
  - identity
  - dropout: 0.1
  - lrn: 3
  - layernorm
  - layernorm: {bias: false}
  - groupnorm: 4
  - instancenorm: {affine: true, track_running_stats: true}
  - instancenorm
  - layerscale
  - layerscale: {bias: true}
  - shuffle: 2
  - subtract: [-1, -2]
  - mish
  - zeropad: [0, 1, 0, 1]
  - spacetodepth: 2
  - depthtospace: 2
  - conv: {filters: 4, kernel: 1, name: narrow}
  - shortcut: [-2, narrow]
  - split: {parts: 2, index: 1, name: half}
  - slice: {channels: [1, 5], from: -2, name: part}
  - channelshuffle: {groups: 4, from: half, name: shuffled}
  - concat: [part, shuffled]
  - stochasticdepth: 0.1
  - attention: 2
  - mhsa: {heads: 3, dim: 6, bias: false}
  - rescaling: {scale: 0.5, offset: -1}
  - normalization
  - normalization: {adapt: false}
  - droppath
  - zeropad: [1, 2, 0, 3]
  - crop: [1, 0, 2, 1]
  - upsample: {scale: [2, 3], mode: bilinear}
  - upsample: {size: [9, 8], mode: bicubic, name: map}
  - adaptiveavgpool: {output: [3, 4], from: map}
  - adaptivemaxpool: 2
  - globalmaxpool: {from: map}
  - multiply: [map, globalmaxpool1]
  - add: [map, multiply1]
  - concat: [map, add1, map]
  - attention: {heads: 1, patch: [3, 2], from: map, name: patched}
  - sdpa: {heads: 1, key_dim: 1, from: map}
  - sdpa: {heads: 1, key_dim: 1, areas: 3, from: map}
  - reshape: {shape: [-1, 9], name: tokens}
  - permute: [1, 0]
  - concat: {from: [-1, -1], axis: 0}
  - globalavgpool: {from: concat2}
  - flatten
  - dense: {units: 16, bias: false, activation: swish}
  - bn
  - prelu
  - fc: {units: 16, name: other}
  - add: [prelu3, other]
  - concat: [add2, prelu3]
  - linear: {units: 5, activation: softmax}
"""

# Blocks with several inputs, copies side by side, and frozen, fixed and shared weights.
WEIGHTS_AND_WIRING = """
name: several inputs, parallel copies, frozen, fixed and shared weights
input: [16, 16, 8]
blocks:
  fuse:                       # two inputs: the coarse one brought up to the fine one's width and size
    layers:
      - conv: {filters: $in_channels, kernel: 1, from: input.2, name: up_conv}
      - upsample: 2
      - add: [input.1, -1]
      - concat: [input.1, -1]
  unit:
    args: {filters: 8}
    layers:
      - conv: {filters: $filters, kernel: 3, padding: 1}
      - batchnorm
      - relu
layers:
  - conv: {filters: 8, kernel: 3, padding: 1, trainable: false, name: frozen}
  - depthwise: {kernel: 3, stride: 2, padding: 1, bias: false, fixed: true, name: blur}
  - conv: {filters: 16, kernel: 1, name: coarse}
  - fuse: {from: [frozen, coarse]}
  - conv: {filters: 8, kernel: 1, name: narrow}
  - unit: {name: u1}
  - unit: {shares: u1}
  - conv: {filters: 8, kernel: 3, padding: 1, parallel: 3, name: branch}
  - add: [branch.*]
  - unit: {trainable: false}
  - conv: {filters: 8, kernel: 3, padding: 1, shares: branch.2}
"""

HANDMADE = {
    "weights_and_wiring": WEIGHTS_AND_WIRING,
    "residual_projection": RESIDUAL_PROJECTION,
    "inception": INCEPTION,
    "squeeze_excitation": SQUEEZE_EXCITATION,
    "unet_level": UNET_LEVEL,
    "every_kind": EVERY_KIND,
}


@pytest.mark.parametrize("name", sorted(HANDMADE))
def test_handmade_graph_matches_torch(name: str) -> None:
    check_spec(analyze(loads(HANDMADE[name], f"{name}.yaml")))


def test_handmade_graphs_have_the_expected_structure() -> None:
    """Spot checks that the graphs are what their names say, so that the comparisons above mean something."""
    res = run(RESIDUAL_PROJECTION)
    rows = {r.name: r for r in res.rows}
    assert rows["bottleneck1.proj"].inputs == ("input",) and rows["bottleneck1.proj"].output == (14, 14, 128)
    assert rows["bottleneck1.add1"].inputs == ("bottleneck1.main", "bottleneck1.shortcut")
    inc = {r.name: r for r in run(INCEPTION).rows}
    assert inc["concat1"].output == (28, 28, 256)
    unet = {r.name: r for r in run(UNET_LEVEL).rows}
    assert unet["skip_cropped"].output == (560, 560, 64) and unet["concat1"].output == (560, 560, 128)
    assert unet["deconv1"].output == (560, 560, 64)
    kinds = {r.kind for r in run(EVERY_KIND).rows}
    assert kinds == set(KINDS), f"EVERY_KIND misses {sorted(set(KINDS) - kinds)}"


# --- pooling in ceil mode ----------------------------------------------------------------------

# PyTorch's ceil_mode keeps a window that starts inside the input even when the kernel is larger than the
# padded input (out = ceil((H + 2p − k)/s) + 1 ≥ 1 while H + 2p − k > −s); so does cnncalc.
CEIL_OVERHANG = [
    ("maxpool: {kernel: 3, stride: 2, ceil: true}", [2, 2, 1], (1, 1, 1)),
    ("avgpool: {kernel: 4, ceil: true}", [1, 1, 6], (1, 1, 6)),
    ("maxpool: {kernel: [4, 2], stride: 2, ceil: true}", [3, 7, 1], (1, 4, 1)),
]


@pytest.mark.parametrize("layer,input_shape,output", CEIL_OVERHANG)
def test_ceil_pool_window_may_overhang_the_input(layer: str, input_shape: list[int], output: tuple[int, ...]) -> None:
    h, w, c = input_shape
    out = run_op(layer.split(":")[0], run(f"input: [8, 8, 1]\nlayers:\n  - {layer}\n").rows[0].args,
                 [torch.randn(1, c, h, w)])
    assert (out.shape[2], out.shape[3], out.shape[1]) == output  # PyTorch's answer, stated in the table
    assert_matches_torch(run(f"input: {input_shape}\nlayers:\n  - {layer}\n"))


@pytest.mark.parametrize("layer,input_shape", [
    ("maxpool: {kernel: 3, stride: 2, ceil: true}", [1, 1, 1]),   # 1 − 3 = −2 ≤ −s: no window at all
    ("avgpool: {kernel: 5, stride: 2, padding: 1, ceil: true}", [1, 2, 3]),
    ("maxpool: {kernel: 3, stride: 2}", [2, 2, 1]),               # floor mode: the window must fit
])
def test_pools_that_torch_refuses_too(layer: str, input_shape: list[int]) -> None:
    h, w, c = input_shape
    with pytest.raises(SpecError):
        run(f"input: {input_shape}\nlayers:\n  - {layer}\n")
    args = run(f"input: [9, 9, 1]\nlayers:\n  - {layer}\n").rows[0].args
    with pytest.raises(RuntimeError):
        run_op(layer.split(":")[0], args, [torch.randn(1, c, h, w)])


def test_lrn_needs_a_feature_map() -> None:
    """PyTorch's LocalResponseNorm (like Keras and Caffe LRN) needs a feature map."""
    with pytest.raises(ValueError, match="3D or higher"):
        run_op("lrn", {"size": 3}, [torch.randn(1, 48)])
    with pytest.raises(SpecError):
        run("input: [4, 4, 3]\nlayers:\n  - flatten\n  - lrn: 3\n  - dense: 2\n")


# --- bundled papers built by hand in PyTorch ---------------------------------------------------------


def _figures(model: Any) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters())
    running = sum(b.numel() for n, b in model.named_buffers() if n.rsplit(".", 1)[-1] in ("running_mean", "running_var"))
    return trainable, running


def test_m5_is_the_papers_table_built_in_pytorch() -> None:
    """Dai et al. 2017, Table 1, M5, written directly in PyTorch: 559,114 parameters (the paper says 0.5M)."""
    nn = torch.nn
    layers: list[Any] = []
    for c_in, c_out, k, s, p in ((1, 128, 80, 4, 38), (128, 128, 3, 1, 1), (128, 256, 3, 1, 1), (256, 512, 3, 1, 1)):
        layers += [nn.Conv1d(c_in, c_out, k, s, p), nn.BatchNorm1d(c_out), nn.ReLU(), nn.MaxPool1d(4)]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(512, 10), nn.Softmax(dim=1))
    with torch.no_grad():
        out = model[:-4](torch.zeros(1, 1, 32000))
    analysis = analyze(load(str(SPECS / "m5.yaml")))
    assert tuple(out.shape) == (1, 512, 31)
    assert _figures(model) == (559_114, 2_048) == (analysis.totals.trainable, analysis.totals.non_trainable)


def test_unet3d_is_the_papers_figure_built_in_pytorch() -> None:
    """Çiçek et al. 2016, Fig. 1, written directly in PyTorch (on the meta device): 19,075,523 parameters and 4,672
    BatchNorm statistics; without BatchNorm and the up-convolutions' biases it is the cited 19,069,955."""
    nn = torch.nn

    def double(c_in: int, a: int, b: int, bn: bool) -> list[Any]:
        return [nn.Conv3d(c_in, a, 3), *([nn.BatchNorm3d(a)] if bn else []), nn.ReLU(),
                nn.Conv3d(a, b, 3), *([nn.BatchNorm3d(b)] if bn else []), nn.ReLU()]

    def build(bn: bool, up_bias: bool) -> tuple[int, int]:
        with torch.device("meta"):
            mods = double(3, 32, 64, bn) + double(64, 64, 128, bn) + double(128, 128, 256, bn) + double(256, 256, 512, bn)
            for c, skip in ((512, 256), (256, 128), (128, 64)):
                mods += [nn.ConvTranspose3d(c, c, 2, 2, bias=up_bias)] + double(c + skip, skip, skip, bn)
            mods.append(nn.Conv3d(64, 3, 1))
            return _figures(nn.ModuleList(mods))

    analysis = analyze(load(str(SPECS / "unet3d.yaml")))
    assert build(True, True) == (19_075_523, 4_672) == (analysis.totals.trainable, analysis.totals.non_trainable)
    assert build(False, False) == (19_069_955, 0)
