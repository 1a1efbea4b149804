"""Every bundled spec that torchvision also defines, against torchvision's model itself, op by op.

tests/test_torch.py translates cnncalc's rows into PyTorch, so it checks the arithmetic but not that a
file describes the network it names. Here the reference is torchvision's own module: it runs on a batch
of one in eval mode under a `TorchFunctionMode` that records, in execution order, every call of the ops
that carry parameters or change a shape:

    conv2d, batch_norm, linear, max_pool2d, avg_pool2d, adaptive_avg_pool2d, flatten, cat, add, mul,
    layer_norm, group_norm, instance_norm, chunk, transpose

and their 1-D and 3-D forms (conv3d, max_pool3d, adaptive_avg_pool3d, ...: the video models)

(plain and in-place forms: ResNet's `out += identity` is `add_`; MNASNet's `x.mean([2, 3])` counts as
a global average pooling and a flatten; ShuffleNetV2's `x.chunk(2, dim=1)` is one split op per part and
its channel_shuffle's `transpose` of a 5-D view is a shuffle; ConvNeXt's Linear on channels-last
positions is a 1×1 convolution and its `layer_scale * x` a layer scale), with the output shape, the model
parameters and BatchNorm running statistics among the call's arguments, and the FLOPs
`FlopCounterMode` counts during the call. cnncalc's rows of the same kinds, in file order, must give
the same sequence: shape (NCHW read as HWC, NCDHW as DHWC), trainable, non-trainable, 2 × MACs and, for convolutions
and dense layers, the weight's shape (which tells a 1×7 kernel from a 7×1) per op, then the
same totals for the whole model. Activations, dropout and identities are not compared (no figures).

Two things are left out on both sides, because they are not operations of the network: a
concatenation of a single tensor (torchvision's DenseNet starts each dense layer with `cat([x])`), and
an adaptive average pooling whose output equals its input (torchvision's VGG and AlexNet pool to the
7×7 or 6×6 they already have at 224; the Keras-layout VGG files do not write it).

The models are built and run on the meta device (RegNet's constructor computes its stage widths with
tensor arithmetic, so that one function runs on the CPU): forward passes compute shapes, parameters and
FLOPs without arithmetic, so the whole zoo takes seconds;
`test_meta_run_equals_a_zero_input_run` shows that a real zero input records the same figures, and
`test_regnet_built_on_meta_is_the_cpu_model` that RegNet built so is the model built on the CPU.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import types
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator
from unittest import mock

import pytest

from cnncalc.core.analysis import Analysis, Row, analyze
from cnncalc.core.spec import load

from conftest import BUNDLED_NAMES, bundled_analysis, SPECS
from timm_zoo import TIMM, ULTRALYTICS
from torchvision_zoo import NOT_IN_TORCHVISION, TORCHVISION, ZOO, missing

if missing():
    pytest.skip(str(missing()), allow_module_level=True)
import torch  # noqa: E402
# torchvision's compiled operators do not load against this torch build; the model definitions need none.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
from torch.overrides import TorchFunctionMode  # noqa: E402
from torch.utils._pytree import tree_flatten  # noqa: E402

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

# torchvision is imported by the tests, not when the file is collected, and they all run in one xdist worker:
# importing it costs ~1.4 s of CPU on top of torch, which every worker would otherwise pay.
pytestmark = pytest.mark.torch

BUNDLED = BUNDLED_NAMES
COMPARED = sorted(n for n in TORCHVISION if n in BUNDLED)

# torch function name -> the class of op it is compared as; cnncalc kind -> the same classes.
TORCH_OPS = {
    "conv2d": "conv", "batch_norm": "batchnorm", "linear": "dense", "max_pool2d": "maxpool",
    "avg_pool2d": "avgpool", "adaptive_avg_pool2d": "adaptivepool", "flatten": "flatten", "cat": "concat",
    **{f"{op}{rank}d": kind for rank in (1, 3) for op, kind in (
        ("conv", "conv"), ("max_pool", "maxpool"), ("avg_pool", "avgpool"), ("adaptive_avg_pool", "adaptivepool"))},
    "add": "add", "add_": "add", "__add__": "add", "__iadd__": "add", "__radd__": "add",
    "mean": "mean", "mul": "multiply", "mul_": "multiply", "__mul__": "multiply", "__imul__": "multiply",
    "__rmul__": "multiply", "layer_norm": "layernorm", "group_norm": "groupnorm", "instance_norm": "instancenorm",
    "chunk": "split", "transpose": "shuffle",
}
CNNCALC_KINDS = {
    "conv": "conv", "depthwise": "conv", "batchnorm": "batchnorm", "dense": "dense", "maxpool": "maxpool",
    "avgpool": "avgpool", "adaptiveavgpool": "adaptivepool", "globalavgpool": "adaptivepool",
    "flatten": "flatten", "concat": "concat", "add": "add", "multiply": "multiply", "layernorm": "layernorm",
    "groupnorm": "groupnorm", "instancenorm": "instancenorm", "layerscale": "layerscale", "split": "split",
    "slice": "split", "shuffle": "shuffle",
}


@dataclass(frozen=True)
class Op:
    """One compared operation: where it is, what class it is, and its figures."""

    where: str  # cnncalc's row name, or torchvision's module path and function
    op: str
    shape: tuple[int, ...]  # channels-last, as cnncalc: (H, W, C), (D, H, W, C) or (N,)
    trainable: int
    running: int
    flops: int
    kernel: tuple[int, ...] = ()  # a conv's or dense layer's weight shape as cnncalc writes it

    def figures(self) -> tuple[str, tuple[int, ...], int, int, int, tuple[int, ...]]:
        """Everything but the location."""
        return self.op, self.shape, self.trainable, self.running, self.flops, self.kernel


@dataclass(frozen=True)
class Reference:
    """What torchvision's model does: the compared ops and the whole model's figures."""

    ops: tuple[Op, ...]
    output: tuple[int, ...]
    trainable: int
    running: int
    flops: int


def cnncalc_weight(weight: torch.Tensor) -> tuple[int, ...]:
    """A conv weight (O, I/g, kh, kw) as (kh, kw, I/g, O) (in any rank); a linear weight (O, I) as (I, O)."""
    s = tuple(weight.shape)
    return (*s[2:], s[1], s[0])


def channels_last(shape: torch.Size) -> tuple[int, ...]:
    """(1, C, H, W) → (H, W, C), in any rank; (1, F) → (F,)."""
    s = tuple(shape[1:])
    return s[1:] + s[:1] if len(s) > 1 else s


class Recorder(TorchFunctionMode):
    """Records the compared ops of a forward pass, with their figures, in execution order."""

    def __init__(self, model: torch.nn.Module, counter: Any) -> None:
        super().__init__()
        self.params = {id(p) for p in model.parameters()}
        self.running = {id(b) for n, b in model.named_buffers() if n.rsplit(".", 1)[-1] in ("running_mean", "running_var")}
        self.counter = counter
        self.ops: list[Op] = []
        self.scope: list[str] = []
        for name, module in model.named_modules():
            self._scoped(module, name or "model")

    def _scoped(self, module: torch.nn.Module, name: str) -> None:
        """Keep `name` on the scope stack while the module runs (the ops' locations in messages)."""
        forward = module.forward

        def scoped(*args: Any, **kwargs: Any) -> Any:
            self.scope.append(name)
            try:
                return forward(*args, **kwargs)
            finally:
                self.scope.pop()

        # Instead of a pre- and a post-hook on every module, which send every call down nn.Module's slow path.
        module.forward = scoped  # type: ignore[method-assign]

    def __torch_function__(self, func: Callable[..., Any], types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        op = TORCH_OPS.get(getattr(func, "__name__", ""))
        before = self.counter.get_total_flops()
        out = func(*args, **kwargs)
        if op is None:
            return out
        tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        where = f"{self.scope[-1] if self.scope else 'model'}: {func.__name__}"
        if op == "mean":
            if tensors[0].dim() != 4 or out.dim() != 2:
                return out
            # MNASNet's x.mean([2, 3]): a global average pool and a flatten in one call
            c = out.shape[1]
            self.ops += [Op(where, "adaptivepool", (1, 1, c), 0, 0, self.counter.get_total_flops() - before),
                         Op(where, "flatten", (c,), 0, 0, 0)]
            return out
        if op == "split":  # ShuffleNetV2's x.chunk(2, dim=1): one op per part, as cnncalc's split layers
            self.ops += [Op(where, "split", channels_last(t.shape), 0, 0, 0) for t in out]
            return out
        if op == "shuffle":
            if tensors[0].dim() != 5:
                return out
            # channel_shuffle: view (N, g, C/g, H, W), transpose(1, 2), view back to (N, C, H, W)
            n, a, b, h, w = out.shape
            self.ops.append(Op(where, "shuffle", (h, w, a * b), 0, 0, self.counter.get_total_flops() - before))
            return out
        if op == "dense" and tensors[0].dim() == 4:
            # ConvNeXt's Linear over channels-last positions (N, H, W, C): a 1×1 convolution in cnncalc
            o, i = tensors[1].shape
            self.ops.append(Op(where, "conv", tuple(out.shape[1:]), sum(t.numel() for t in tensors if id(t) in self.params),
                               0, self.counter.get_total_flops() - before, (1, 1, i, o)))
            return out
        if op == "multiply" and any(id(t) in self.params for t in tensors):
            op = "layerscale"  # ConvNeXt's layer_scale * x: a learnable per-channel factor
        if op == "layernorm" and tensors[0].dim() == 4:
            # LayerNorm2d normalises (N, H, W, C) between two permutes; nn.LayerNorm sees the same channels-last map
            self.ops.append(Op(where, op, tuple(out.shape[1:]), sum(t.numel() for t in tensors if id(t) in self.params),
                               0, self.counter.get_total_flops() - before))
            return out
        if op == "concat" and len(tensors) == 1:
            return out  # DenseNet's cat([x]) copies its input
        if op == "adaptivepool" and tensors[0].shape == out.shape:
            return out  # pooling to the size it already has
        self.ops.append(Op(where, op,
                           channels_last(out.shape),
                           sum(t.numel() for t in tensors if id(t) in self.params),
                           sum(t.numel() for t in tensors if id(t) in self.running),
                           self.counter.get_total_flops() - before,
                           cnncalc_weight(tensors[1]) if op in ("conv", "dense") else ()))
        return out


def record(model: torch.nn.Module, x: torch.Tensor) -> Reference:
    """Run `model` on `x` in eval mode and record its compared ops and totals."""
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        with Recorder(model, counter) as recorder:
            out = model(x)
    trainable = sum(p.numel() for p in model.parameters())
    running = sum(b.numel() for n, b in model.named_buffers() if n.rsplit(".", 1)[-1] in ("running_mean", "running_var"))
    return Reference(tuple(recorder.ops), channels_last(out.shape), trainable, running, counter.get_total_flops())


def constructor_of(name: str) -> Callable[..., torch.nn.Module]:
    """torchvision's constructor for a spec (`video.r3d_18` is in torchvision.models.video)."""
    from torchvision import models

    found: Any = models
    for part in TORCHVISION[name][0].split("."):
        found = getattr(found, part)
    return found  # type: ignore[no-any-return]


@contextlib.contextmanager
def regnet_widths_on_the_cpu() -> Iterator[None]:
    """Let RegNet's constructor compute its stage widths on the CPU inside a meta-device build.

    BlockParams.from_init_params does tensor arithmetic and reads the results back as numbers, which meta
    tensors cannot give; everything else (every module and parameter) is still created on the meta device,
    so regnet_y_128gf's 645 M weights are never allocated or initialised.
    """
    from torchvision.models import regnet

    widths = regnet.BlockParams.from_init_params  # bound to the class

    def on_the_cpu(cls: type, *args: Any, **kwargs: Any) -> Any:
        with torch.device("cpu"):
            return widths(*args, **kwargs)

    with mock.patch.object(regnet.BlockParams, "from_init_params", classmethod(on_the_cpu)):
        yield


def build(name: str) -> torch.nn.Module:
    """torchvision's model `name` on the meta device."""
    torch.manual_seed(0)
    with torch.device("meta"), regnet_widths_on_the_cpu():
        return constructor_of(name)(**TORCHVISION[name][1])


@functools.lru_cache(maxsize=None)
def reference(name: str, *sizes: int) -> Reference:
    """torchvision's model `name` on an RGB input of these spatial sizes, recorded once per session."""
    return record(build(name), torch.zeros(1, 3, *sizes, device="meta"))


def cnncalc_ops(analysis: Analysis) -> list[Op]:
    """cnncalc's rows of the compared kinds, in file order, with the same two exclusions."""
    shapes: dict[str, tuple[int, ...]] = {"input": tuple(analysis.input)}
    ops = []
    for row in analysis.rows:
        shapes[row.name] = tuple(row.output)
        op = CNNCALC_KINDS.get(row.kind)
        if op is None or (op == "concat" and len(row.inputs) == 1) or (
                op == "adaptivepool" and shapes[row.inputs[0]] == tuple(row.output)):
            continue
        ops.append(row_op(row, op))
    return ops


def row_op(row: Row, op: str) -> Op:
    """A cnncalc row as a compared op."""
    kernel = tuple(row.weights[0]) if op in ("conv", "dense") else ()
    return Op(row.name, op, tuple(row.output), row.trainable, row.non_trainable, 2 * row.macs, kernel)


def differences(ours: list[Op], theirs: tuple[Op, ...], limit: int = 5) -> list[str]:
    """The first `limit` ops where cnncalc and torchvision disagree, readable (empty: they agree)."""
    out = []
    for i in range(max(len(ours), len(theirs))):
        a = ours[i] if i < len(ours) else None
        b = theirs[i] if i < len(theirs) else None
        if a is None or b is None or a.figures() != b.figures():
            out.append(f"op {i}: cnncalc {a.where + ' ' + str(a.figures()) if a else 'nothing'}"
                       f" | torchvision {b.where + ' ' + str(b.figures()) if b else 'nothing'}")
            if len(out) == limit:
                break
    return out


def analysis_of(name: str) -> Analysis:
    """The bundled spec, analysed once per process (conftest.bundled_analysis)."""
    return bundled_analysis(name)


@pytest.mark.parametrize("name", COMPARED)
def test_bundled_spec_is_torchvisions_model(name: str) -> None:
    analysis = analysis_of(name)
    ref = reference(name, *analysis.input[:-1])
    ours = cnncalc_ops(analysis)
    assert differences(ours, ref.ops) == []
    assert sum(o.trainable for o in ref.ops) == ref.trainable  # every parameter is in a compared op
    assert ref.output == tuple(analysis.output)
    totals = analysis.totals
    assert (ref.trainable, ref.running, ref.flops) == (totals.trainable, totals.non_trainable, 2 * totals.macs)


def test_every_bundled_spec_is_compared_or_has_no_torchvision_model() -> None:
    assert sorted(set(BUNDLED) - set(COMPARED) - set(TIMM) - set(ULTRALYTICS)) == sorted(NOT_IN_TORCHVISION)
    assert sorted(ZOO - set(COMPARED)) == []  # test_torch.py skips these in favour of this comparison


def test_every_constructor_exists() -> None:
    missing_names = []
    for name in TORCHVISION:
        try:
            constructor_of(name)
        except AttributeError:
            missing_names.append(name)
    assert missing_names == []


def test_a_wrong_file_is_caught() -> None:
    """The comparison can fail: a missing op, a changed count, shape or kernel are each named."""
    ref = reference("resnet18", 224, 224)
    ours = cnncalc_ops(analysis_of("resnet18"))
    assert differences(ours, ref.ops) == []
    dropped = ours[:5] + ours[6:]
    assert differences(dropped, ref.ops, 1)[0].startswith("op 5: cnncalc layer1")
    tampered = list(ours)
    tampered[0] = replace(ours[0], trainable=ours[0].trainable + 1)
    tampered[1] = replace(ours[1], shape=(56, 56, 64))
    tampered[3] = replace(ours[3], kernel=(1, 9, 64, 64))  # layer1.0.conv1 is 3×3: the same count, another kernel
    found = differences(tampered, ref.ops)
    assert [line.split(" (")[0] for line in found] == [
        "op 0: cnncalc conv1", "op 1: cnncalc bn1", "op 3: cnncalc layer1.0.conv1"]


def test_meta_run_equals_a_zero_input_run() -> None:
    """On real tensors (a zero input, batch 1) the recorder sees exactly what it sees on the meta device.

    MobileNet v2 has every recorded kind of figure: BatchNorm statistics, depthwise and dense weights,
    residual additions and a functional global pooling. (At 96×96, to keep the real arithmetic short.)
    """
    torch.manual_seed(0)
    from torchvision.models import mobilenet_v2

    real = record(mobilenet_v2(), torch.zeros(1, 3, 96, 96))
    assert real == reference("mobilenet_v2", 96, 96)
    assert {o.op for o in real.ops} == {"conv", "batchnorm", "add", "adaptivepool", "flatten", "dense"}
    assert real.running == 34_112 and len(real.ops) == len(cnncalc_ops(analysis_of("mobilenet_v2")))
    assert real.flops == 2 * analyze(load(str(SPECS / "mobilenet_v2.yaml")), (96, 96, 3)).totals.macs


@pytest.mark.parametrize("name", ["regnet_x_400mf", "regnet_y_400mf"])
def test_regnet_built_on_meta_is_the_cpu_model(name: str) -> None:
    """RegNet built on the meta device (its widths computed on the CPU) is the model torchvision builds on the
    CPU: the same modules, parameter shapes and recorded ops."""
    on_cpu = constructor_of(name)(**TORCHVISION[name][1]).to("meta")
    on_meta = build(name)
    assert str(on_meta) == str(on_cpu)
    assert [(n, p.shape) for n, p in on_meta.named_parameters()] == [(n, p.shape) for n, p in on_cpu.named_parameters()]
    assert all(p.is_meta for p in on_meta.parameters())
    x = torch.zeros(1, 3, 224, 224, device="meta")
    assert record(on_meta, x) == record(on_cpu, x) == reference(name, 224, 224)


@pytest.mark.parametrize("name, classes", [
    ("shufflenet_v2_x0_5", {"split", "shuffle", "concat", "conv", "batchnorm"}),
    ("convnext_tiny", {"layernorm", "layerscale", "conv", "add", "dense"}),
])
def test_channel_kinds_are_compared_op_by_op(name: str, classes: set[str]) -> None:
    """ShuffleNetV2's chunk and shuffle and ConvNeXt's LayerNorm2d and layer scale are recorded ops on both sides,
    so a file that left one out (or split in the wrong place) fails the comparison."""
    ref = reference(name, 224, 224)
    ours = cnncalc_ops(analysis_of(name))
    assert classes <= {o.op for o in ref.ops} and classes <= {o.op for o in ours}
    units = 13 if name.startswith("shufflenet") else 0  # stride-1 units: 3 + 7 + 3, two split ops each
    assert sum(o.op == "split" for o in ref.ops) == 2 * units
    without_scale = [o for o in ours if o.op != "layerscale"]
    assert name.startswith("shufflenet") or differences(without_scale, ref.ops, 1) != []


def regnet_stages(analysis: Analysis) -> list[tuple[int, int, int]]:
    """(width, blocks, group width) per stage of an analysed specs/regnet.yaml, read from its rows."""
    stages: dict[str, list[int]] = {}
    for row in analysis.rows:
        stage = row.name.split(".")[0]
        if row.name.endswith(".f.b"):  # the grouped 3x3: its weight is (3, 3, group width, bottleneck width)
            entry = stages.setdefault(stage, [0, 0, 0])
            entry[1] += 1
            entry[2] = row.weights[0][2]
        elif row.name.endswith(".f.c"):
            stages[stage][0] = row.output[-1]
    return [(w, d, g) for w, d, g in stages.values()]


def regnet_settings(count: int) -> list[dict[str, Any]]:
    """Seeded settings across the paper's design space (d, w_0, w_a, w_m, g, b) that give at most four stages."""
    import random

    from torchvision.models.regnet import BlockParams

    rng = random.Random(11)
    found: list[dict[str, Any]] = []
    while len(found) < count:
        setting = {"depth": rng.randint(1, 40), "w_0": 8 * rng.randint(1, 32), "w_a": round(rng.uniform(4, 160), 2),
                   "w_m": round(rng.uniform(1.5, 3.0), 2), "group_width": 8 * rng.randint(1, 20),
                   "bottleneck_multiplier": rng.choice([1.0, 0.25, 0.5, 2.0])}
        if len(BlockParams.from_init_params(**setting).widths) <= 4:
            found.append(setting)
    return found


def test_regnet_width_rule_is_torchvisions() -> None:
    """specs/regnet.yaml's stage widths, depths and group widths, written with the expression language, equal
    torchvision's BlockParams.from_init_params for the bundled variants and for 150 other settings (levels
    skipped by a steep w_a, one to four stages, bottleneck multipliers other than 1)."""
    from torchvision.models.regnet import BlockParams

    from cnncalc.core.spec import select

    parsed = load(str(SPECS / "regnet.yaml"))  # parsed once; `select` applies each setting as `--set` does
    bundled = [{k: lit.value for k, lit in variant.vars.items()} for variant in parsed.variants.values()]
    assert len(bundled) == 15
    differing = []
    for setting in bundled + regnet_settings(150):
        params = BlockParams.from_init_params(**{k: v for k, v in setting.items() if k != "se_ratio"})
        theirs = list(zip(params.widths, params.depths, params.group_widths))
        ours = regnet_stages(analyze(select(parsed, None, {**setting, "se_ratio": 0})))
        if ours != theirs:
            differing.append(f"{setting}: cnncalc {ours}, torchvision {theirs}")
    assert differing == []


def test_regnet_settings_past_four_stages_are_refused() -> None:
    """A `--set` whose blocks reach a fifth level is an error on the file's blocks_past_four_stages line,
    not a network missing its last blocks."""
    from torchvision.models.regnet import BlockParams

    from cnncalc.catalog.bundled import read_spec
    from cnncalc.core.problems import SpecError

    setting = {"depth": 40, "w_0": 24, "w_a": 24.48, "w_m": 2.54, "group_width": 16}
    assert len(BlockParams.from_init_params(**setting).widths) == 5
    with pytest.raises(SpecError) as info:
        analyze(read_spec(str(SPECS / "regnet.yaml"), {**setting, "se_ratio": 0}))
    line = (SPECS / "regnet.yaml").read_text(encoding="utf-8").splitlines()[info.value.problem.line - 1]
    assert "blocks_past_four_stages" in line and "got -15" in info.value.problem.message
