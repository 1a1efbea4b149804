"""Translate a cnncalc Analysis into a PyTorch module graph and compare the two, row by row.

Used by tests/test_torch.py, which imports it only after `pytest.importorskip("torch")`.

The translator is deliberately independent of cnncalc's arithmetic: it reads only each row's
kind, converted arguments (``row.args``) and input names (``row.inputs``), and takes every
size it needs (channels, H, W) from the torch tensors that actually flow through the graph.
So shapes, parameter counts, buffers and FLOPs all come from PyTorch itself.

PyTorch is channels-first (N, C, H, W); cnncalc is channels-last (H, W, C). The same holds in 1-D
((N, C, L) against (L, C)) and 3-D ((N, C, D, H, W) against (D, H, W, C)): the translator takes the rank
from the tensor that reaches each op and uses PyTorch's module of that rank (Conv1d, MaxPool3d, ...).
Per-axis arguments are read from what the file wrote (`raw`), not from cnncalc's resolution of them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from cnncalc.core.analysis import Analysis
from cnncalc.core.kinds import axes_of as axes, pads_of as box
from torch.utils.flop_counter import FlopCounterMode

# --- small modules --------------------------------------------------------------------------


class Pad(nn.Module):
    """F.pad with (begin, end) per spatial axis in cnncalc's order (top, bottom, left, right in 2-D) and a fill
    value (-inf before a max pool)."""

    def __init__(self, pads: Sequence[int], value: float = 0.0) -> None:
        super().__init__()
        pairs = [(pads[i], pads[i + 1]) for i in range(0, len(pads), 2)]
        self.pads = tuple(p for pair in reversed(pairs) for p in pair)  # F.pad starts from the last axis
        self.value = value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pads, value=self.value)


class Crop(nn.Module):
    """Remove (begin, end) positions per spatial axis (top, bottom, left, right in 2-D), like Keras Cropping."""

    def __init__(self, *crop: int) -> None:
        super().__init__()
        self.crop = crop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index: list[slice] = [slice(None), slice(None)]
        for axis in range(x.dim() - 2):
            begin, end = self.crop[2 * axis], self.crop[2 * axis + 1]
            index.append(slice(begin, x.shape[2 + axis] - end))
        return x[tuple(index)]


class Merge(nn.Module):
    """add, subtract, multiply (broadcasting) or concat along channels (or the channels-last `axis`)."""

    def __init__(self, how: str, axis: int = -1) -> None:
        super().__init__()
        self.how, self.axis = how, axis

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        if self.how == "add":
            return functools.reduce(torch.add, xs)
        if self.how == "multiply":
            return functools.reduce(torch.mul, xs)
        if self.how == "subtract":
            return torch.sub(*xs)
        if self.how == "shortcut":  # Darknet: b added into a over the channels both have (same positions here)
            a, b = xs
            c = min(a.shape[1], b.shape[1])
            return torch.cat([a[:, :c] + b[:, :c], a[:, c:]], dim=1)
        rank = xs[0].dim() - 1  # of one sample, channels last as cnncalc counts axes
        at = self.axis % rank
        return torch.cat(xs, dim=1 if at == rank - 1 else at + 2)


class RadixSoftmax(nn.Module):
    """ResNeSt's rSoftMax (timm's RadixSoftmax): view (N, cardinality, radix, -1), softmax across the radix."""

    def __init__(self, radix: int, cardinality: int) -> None:
        super().__init__()
        self.radix, self.cardinality = radix, cardinality

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        out = x.reshape(n, self.cardinality, self.radix, -1).transpose(1, 2).softmax(dim=1)
        return out.reshape(x.shape)


class DotProducts(nn.Module):
    """Attention's products of q, k, v taken per head from the channels (Ultralytics' Attention's view)."""

    def __init__(self, heads: int, key_dim: int, areas: int = 1) -> None:
        super().__init__()
        self.heads, self.key_dim, self.areas = heads, key_dim, areas

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, *sizes = x.shape
        per = c // self.heads
        seq = x.reshape(n, c, -1)
        outs = []
        for run in seq.chunk(self.areas, dim=2):  # each run of positions attends within itself
            q, k, v = run.reshape(n, self.heads, per, -1).split([self.key_dim, self.key_dim, per - 2 * self.key_dim], 2)
            attn = torch.softmax(torch.matmul(q.transpose(-2, -1), k), dim=-1)
            outs.append(torch.matmul(v, attn.transpose(-2, -1)).reshape(n, -1, run.shape[-1]))
        return torch.cat(outs, dim=2).reshape(n, -1, *sizes)


class Layout(nn.Module):
    """cnncalc's reshape or permute of one sample's channels-last values, on a channels-first batch."""

    def __init__(self, reshape: Sequence[int] | None = None, order: Sequence[int] | None = None) -> None:
        super().__init__()
        self.reshape, self.order = reshape, order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = x.movedim(1, -1) if x.dim() > 2 else x
        if self.reshape is not None:
            out = last.reshape(x.shape[0], *self.reshape)
        else:
            out = last.permute(0, *(a + 1 for a in self.order or ()))
        return out.movedim(-1, 1) if out.dim() > 2 else out


class ChannelsLast(nn.Module):
    """Apply a module on channels-last positions (N, …, C), as torchvision's LayerNorm2d and ConvNeXt's MLP do."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return self.inner(x)
        return self.inner(x.movedim(1, -1)).movedim(-1, 1)


class LayerScale(nn.Module):
    """ConvNeXt's layer scale: a learnable per-channel factor, broadcast over the positions."""

    def __init__(self, channels: int, rank: int, bias: bool = False) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones((channels,) + (1,) * (rank - 2)))
        self.beta = nn.Parameter(torch.zeros((channels,) + (1,) * (rank - 2))) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gamma * x if self.beta is None else self.gamma * x + self.beta


class Shuffle(nn.Module):
    """torchvision's channel_shuffle: view as (groups, C/groups), transpose, flatten back."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, *rest = x.shape
        x = x.view(n, self.groups, c // self.groups, *rest)
        return torch.transpose(x, 1, 2).contiguous().view(n, c, *rest)


class Channels(nn.Module):
    """Channels start … stop − 1 (slice, split)."""

    def __init__(self, start: int, stop: int) -> None:
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.start:self.stop]


class Affine(nn.Module):
    """x·scale + offset (Keras Rescaling)."""

    def __init__(self, scale: float, offset: float) -> None:
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.offset


class KerasNormalization(nn.Module):
    """Keras Normalization(axis=-1), adapted: mean, variance (per channel) and count, stored as buffers."""

    def __init__(self, channels: int, rank: int) -> None:
        super().__init__()
        shape = (channels,) + (1,) * (rank - 2)
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("variance", torch.ones(shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / torch.sqrt(self.variance)


class PositionAttention(nn.Module):
    """Self-attention over the positions of (N, C, …): nn.MultiheadAttention when dim = C, else the same
    computation with q/k/v projections C → dim and an output projection dim → C.

    need_weights=True keeps the explicit bmm path (FlopCounterMode does not count the CPU fused kernel).
    """

    def __init__(self, channels: int, heads: int, dim: int, bias: bool, patch: Sequence[int] | None = None) -> None:
        super().__init__()
        self.heads, self.dim, self.patch = heads, dim, patch
        if dim == channels:
            self.mha: nn.Module | None = nn.MultiheadAttention(dim, heads, bias=bias)
        else:
            self.mha = None
            self.qkv = nn.Linear(channels, 3 * dim, bias=bias)
            self.out = nn.Linear(dim, channels, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.patch is None:
            return self._attend(x)
        # MobileViT's unfolding: the pixel at each offset of a patch forms a sequence over the patches
        n, c, *sizes = x.shape
        p = list(self.patch)
        grid = [size // q for size, q in zip(sizes, p)]
        split = x.reshape(n, c, *[d for g, q in zip(grid, p) for d in (g, q)])
        rank = len(p)
        offsets = [3 + 2 * i for i in range(rank)]
        cells = [2 + 2 * i for i in range(rank)]
        seq = split.permute(0, *offsets, 1, *cells).reshape(-1, c, *grid)
        out = self._attend(seq).reshape(n, *p, c, *grid)
        back = [0, rank + 1] + [i for pair in zip(range(rank + 2, 2 * rank + 2), range(1, rank + 1)) for i in pair]
        return out.permute(*back).reshape(n, c, *sizes)

    def _attend(self, x: torch.Tensor) -> torch.Tensor:
        n, c, *rest = x.shape
        seq = x.flatten(2).permute(2, 0, 1)  # (positions, batch, channels)
        if self.mha is not None:
            y, _ = self.mha(seq, seq, seq, need_weights=True)
        else:
            p, h, d = seq.shape[0], self.heads, self.dim // self.heads
            q, k, v = self.qkv(seq).reshape(p, n * h, 3 * d).transpose(0, 1).split(d, dim=-1)
            attn = torch.softmax(torch.bmm(q, k.transpose(1, 2)) / math.sqrt(d), dim=-1)
            y = self.out(torch.bmm(attn, v).transpose(0, 1).reshape(p, n, self.dim))
        return y.permute(1, 2, 0).reshape(n, c, *rest)


# --- padding helpers ------------------------------------------------------------------------


def tf_same(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow `same` padding (begin, end): out = ceil(H/s), odd pixel at the end."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _pads(padding: Any, hw: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
          dilation: Sequence[int]) -> tuple[int, ...]:
    """(begin, end) per axis ((top, bottom, left, right) in 2-D) for an explicit tuple or `same`."""
    if padding == "same":
        return tuple(p for a in range(len(hw)) for p in tf_same(hw[a], kernel[a], stride[a], dilation[a]))
    return tuple(padding)


def _symmetric_pads(pads: Sequence[int]) -> bool:
    return all(pads[i] == pads[i + 1] for i in range(0, len(pads), 2))


def _conv_layers(padding: Any, hw: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                 dilation: Sequence[int]) -> tuple[list[nn.Module], tuple[int, ...]]:
    """A zero Pad before the conv when padding is asymmetric; else the conv's own per-axis padding."""
    pads = _pads(padding, hw, kernel, stride, dilation)
    if _symmetric_pads(pads):
        return [], pads[::2]
    return [Pad(pads)], (0,) * len(hw)


# --- activations ----------------------------------------------------------------------------


def activation(name: str, args: dict[str, Any] | None = None) -> nn.Module | None:
    """The torch module of an activation kind (or fused `activation:` value); None for none/linear."""
    args = args or {}
    table = {
        "relu": lambda: nn.ReLU(),
        "relu6": lambda: nn.ReLU6(),
        "leakyrelu": lambda: nn.LeakyReLU(args.get("slope", 0.01)),
        "elu": lambda: nn.ELU(args.get("alpha", 1.0)),
        "gelu": lambda: nn.GELU(),
        "sigmoid": lambda: nn.Sigmoid(),
        "tanh": lambda: nn.Tanh(),
        "silu": lambda: nn.SiLU(),
        "swish": lambda: nn.SiLU(),
        "hardswish": lambda: nn.Hardswish(),
        "hardsigmoid": lambda: nn.Hardsigmoid(),
        "softmax": lambda: nn.Softmax(dim=1) if args.get("groups", 1) * args.get("cardinality", 1) == 1
        else RadixSoftmax(args["groups"], args["cardinality"]),
        "mish": lambda: nn.Mish(),
        "identity": lambda: nn.Identity(),
    }
    if name in ("none", "linear"):
        return None
    return table[name]()


def _with_act(layers: list[nn.Module], args: dict[str, Any]) -> nn.Module:
    act = activation(args.get("activation", "none"))
    if act is not None:
        layers.append(act)
    return layers[0] if len(layers) == 1 else nn.Sequential(*layers)


# --- the translator -------------------------------------------------------------------------

ACTIVATION_KINDS = ("relu", "relu6", "leakyrelu", "elu", "gelu", "sigmoid", "tanh", "silu", "hardswish",
                    "hardsigmoid", "softmax", "mish", "identity")


class Untranslatable(Exception):
    """A row whose arguments have no PyTorch equivalent (not a failure of either side)."""


def make_op(kind: str, a: dict[str, Any], in_shapes: Sequence[Sequence[int]]) -> nn.Module:
    """The torch module for one cnncalc row, given its converted args and its inputs' torch shapes (N, C[, H, W])."""
    x = in_shapes[0]
    c = x[1]
    hw = tuple(x[2:])
    rank = max(1, len(hw))
    if kind in ("conv", "depthwise", "separable", "deconv", "maxpool", "avgpool", "sumpool"):
        a = {**a, **{k: axes(a[k], rank) for k in ("kernel", "stride", "dilation", "output_padding")
                     if a.get(k) is not None}, "padding": box(a["padding"], rank)}
    conv_nd = getattr(nn, f"Conv{rank}d")
    if kind == "conv":
        pre, pad = _conv_layers(a["padding"], hw, a["kernel"], a["stride"], a["dilation"])
        conv = conv_nd(c, a["filters"], a["kernel"], a["stride"], pad, a["dilation"], a["groups"], a["bias"])
        if a.get("gain"):  # a weight-standardised conv's learnable scale per filter (NF-Nets' ScaledStdConv2d)
            conv.gain = nn.Parameter(torch.ones(a["filters"], *[1] * (rank + 1)))
        return _with_act(pre + [conv], a)
    if kind == "depthwise":
        pre, pad = _conv_layers(a["padding"], hw, a["kernel"], a["stride"], a["dilation"])
        conv = conv_nd(c, c * a["multiplier"], a["kernel"], a["stride"], pad, a["dilation"], groups=c, bias=a["bias"])
        return _with_act(pre + [conv], a)
    if kind == "separable":
        # Keras SeparableConv2D: unbiased depthwise, then a 1×1 pointwise conv carrying the bias.
        pre, pad = _conv_layers(a["padding"], hw, a["kernel"], a["stride"], a["dilation"])
        cm = c * a["multiplier"]
        dw = conv_nd(c, cm, a["kernel"], a["stride"], pad, a["dilation"], groups=c, bias=False)
        pw = conv_nd(cm, a["filters"], 1, bias=a["bias"])
        return _with_act(pre + [dw, pw], a)
    if kind == "deconv":
        return _with_act(_deconv(c, a, rank), a)
    if kind in ("maxpool", "avgpool", "sumpool"):
        return _pool(kind, hw, a)
    if kind == "globalavgpool":
        return getattr(nn, f"AdaptiveAvgPool{rank}d")(1)
    if kind == "globalmaxpool":
        return getattr(nn, f"AdaptiveMaxPool{rank}d")(1)
    if kind == "adaptiveavgpool":
        return getattr(nn, f"AdaptiveAvgPool{rank}d")(axes(a["output"], rank))
    if kind == "adaptivemaxpool":
        return getattr(nn, f"AdaptiveMaxPool{rank}d")(axes(a["output"], rank))
    if kind == "batchnorm":
        return getattr(nn, f"BatchNorm{rank}d")(c, affine=a["affine"])
    if kind == "prelu":
        return nn.PReLU(num_parameters=1 if a["shared"] else c)
    if kind in ACTIVATION_KINDS:
        return activation(kind, a)  # type: ignore[return-value]
    if kind == "dropout":
        return nn.Dropout(a["rate"])
    if kind == "lrn":
        return nn.LocalResponseNorm(a["size"])
    if kind == "zeropad":
        if a["padding"] == "same":
            raise Untranslatable("zeropad: same")
        return Pad(box(a["padding"], rank))
    if kind == "upsample":
        if a["size"] is not None:
            return nn.Upsample(size=axes(a["size"], rank), mode=a["mode"])
        scale = axes(a["scale"], rank) if a["scale"] is not None else (2,) * rank
        return nn.Upsample(scale_factor=tuple(float(s) for s in scale), mode=a["mode"])
    if kind == "crop":
        if a["cropping"] == "same":
            raise Untranslatable("crop: same")
        return Crop(*box(a["cropping"], rank))
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        if len(x) != 2:
            raise Untranslatable("dense on a feature map")
        return _with_act([nn.Linear(c, a["units"], bias=a["bias"])], a)
    if kind in ("add", "multiply", "concat", "subtract", "shortcut"):
        return Merge(kind, a.get("axis", -1))
    if kind == "reshape":
        shape = list(a["shape"])
        if -1 in shape:
            total = math.prod(x[1:])
            shape[shape.index(-1)] = total // -math.prod(shape)
        return Layout(reshape=shape)
    if kind == "permute":
        return Layout(order=a["order"])
    if kind == "spacetodepth":
        return nn.PixelUnshuffle(a["block"])
    if kind == "depthtospace":
        return nn.PixelShuffle(a["block"])
    return _channel_op(kind, a, x)


def _channel_op(kind: str, a: dict[str, Any], x: Sequence[int]) -> nn.Module:
    """The channel-wise kinds (normalisation, scaling, channel selection, attention) on input shape x."""
    c, rank = x[1], len(x)
    if kind == "layernorm":
        return ChannelsLast(nn.LayerNorm(c, elementwise_affine=a["affine"], bias=a["bias"]))
    if kind == "groupnorm":
        return nn.GroupNorm(a["groups"], c, affine=a["affine"])
    if kind == "instancenorm":
        cls = {3: nn.InstanceNorm1d, 5: nn.InstanceNorm3d}.get(rank, nn.InstanceNorm2d)  # 2d refuses a vector
        return cls(c, affine=a["affine"], track_running_stats=a["track_running_stats"])
    if kind == "layerscale":
        return LayerScale(c, rank, a.get("bias", False))
    if kind == "shuffle":
        return Shuffle(a["groups"])
    if kind == "slice":
        return Channels(*a["channels"])
    if kind == "split":
        part = c // a["parts"]
        return Channels(a["index"] * part, (a["index"] + 1) * part)
    if kind == "stochasticdepth":
        return nn.Identity()  # torchvision.ops.StochasticDepth is the identity in eval mode
    if kind == "attention":
        if rank < 3:
            raise ValueError("attention needs positions")
        patch = None if a.get("patch") is None else tuple(a["patch"]) * (rank - 2 if len(a["patch"]) == 1 else 1)
        return PositionAttention(c, a["heads"], a["dim"] if a["dim"] is not None else c, a["bias"], patch)
    if kind == "sdpa":
        return DotProducts(a["heads"], a["key_dim"], a.get("areas", 1))
    if kind == "rescaling":
        return Affine(a["scale"], a["offset"])
    if kind == "normalization":
        return KerasNormalization(c, rank) if a["adapt"] else nn.Identity()
    raise Untranslatable(f"no translation for kind {kind!r}")


def _deconv(c: int, a: dict[str, Any], rank: int) -> list[nn.Module]:
    cls = getattr(nn, f"ConvTranspose{rank}d")
    op = a["output_padding"]
    if a["padding"] == "same":
        # Keras Conv2DTranspose `same`: output H·s. Full output (H−1)s + d(k−1) + 1 is cropped by
        # max(d(k−1)+1 − s, 0) (odd pixel at the end), or grown with output_padding s − (d(k−1)+1).
        crops: list[int] = []
        ops = []
        for k, s, d in zip(a["kernel"], a["stride"], a["dilation"]):
            span = d * (k - 1) + 1
            total = max(span - s, 0)
            crops += [total // 2, total - total // 2]
            ops.append(max(s - span, 0))
        deconv = cls(c, a["filters"], a["kernel"], a["stride"], 0, tuple(ops), a["groups"], a["bias"], a["dilation"])
        return [deconv] + ([Crop(*crops)] if any(crops) else [])
    pads = a["padding"]
    if _symmetric_pads(pads):
        return [cls(c, a["filters"], a["kernel"], a["stride"], pads[::2], op, a["groups"], a["bias"], a["dilation"])]
    deconv = cls(c, a["filters"], a["kernel"], a["stride"], 0, op, a["groups"], a["bias"], a["dilation"])
    return [deconv, Crop(*pads)]


def _pool(kind: str, hw: Sequence[int], a: dict[str, Any]) -> nn.Module:
    rank = len(hw)
    kernel = a["kernel"]
    stride = a["stride"] if a["stride"] is not None else kernel
    fill = float("-inf") if kind == "maxpool" else 0.0
    cls = getattr(nn, f"{'Max' if kind == 'maxpool' else 'Avg'}Pool{rank}d")  # sumpool = avgpool·k² shape-wise
    if a["padding"] == "same":
        pads = _pads("same", hw, kernel, stride, (1,) * rank)
        # cnncalc ignores `ceil` with `same` (the output is ceil(H/s) by definition).
        return nn.Sequential(Pad(pads, fill), cls(kernel, stride, 0, ceil_mode=False))
    pads = a["padding"]
    ceil = a["ceil"]
    if _symmetric_pads(pads):
        return cls(kernel, stride, pads[::2], ceil_mode=ceil)
    if not ceil:
        return nn.Sequential(Pad(pads, fill), cls(kernel, stride, 0))
    if any(pads[i] < pads[i + 1] for i in range(0, len(pads), 2)):
        # ceil_mode's rule "the last window starts inside the input or its leading padding" has no PyTorch
        # form when the trailing padding is the larger one.
        raise Untranslatable("ceil pooling with more bottom/right than top/left padding")
    # Leading padding beyond the trailing one is padded explicitly; PyTorch pads the rest symmetrically.
    extra = tuple(p for i in range(0, len(pads), 2) for p in (pads[i] - pads[i + 1], 0))
    return nn.Sequential(Pad(extra, fill), cls(kernel, stride, pads[1::2], ceil_mode=True))


# --- running and comparing ------------------------------------------------------------------


@dataclass
class Measured:
    """What PyTorch says about one row."""

    name: str
    kind: str
    shape: tuple[int, ...]  # channels-last, as cnncalc: (H, W, C), (L, C), (D, H, W, C) or (N,)
    trainable: int
    non_trainable: int
    flops: int


def to_channels_last(shape: Sequence[int]) -> tuple[int, ...]:
    """(N, C, H, W) → (H, W, C), in any rank; (N, F) → (F,)."""
    s = tuple(shape[1:])
    return s[1:] + s[:1] if len(s) > 1 else s


def count_params(module: nn.Module) -> tuple[int, int]:
    """(parameters, running-statistics buffers) of a module."""
    trainable = sum(p.numel() for p in module.parameters())
    # BatchNorm's and InstanceNorm's running statistics; Keras Normalization's mean, variance and count.
    # Weights made constants (`fixed: true`) are buffers named fixed_*.
    running = sum(b.numel() for n, b in module.named_buffers()
                  if n.split(".")[-1] in ("running_mean", "running_var", "mean", "variance", "count")
                  or n.split(".")[-1].startswith("fixed_"))
    return trainable, running


class TorchNet(nn.Module):
    """The network as a torch graph: one module per cnncalc row, wired by `row.inputs`."""

    def __init__(self, analysis: Analysis, device: str = "cpu") -> None:
        super().__init__()
        shape = tuple(analysis.input)
        self.input_shape = (1, shape[-1], *shape[:-1])
        self.device_name = device
        self.rows: list[tuple[str, str, tuple[str, ...]]] = []
        self.ops = nn.ModuleDict()
        self.measured: list[Measured] = []
        torch.manual_seed(0)
        # Build by tracing: each op is made from the shapes of the tensors that reach it.
        values: dict[str, torch.Tensor] = {"input": self.example_input()}
        keys: dict[str, str] = {}  # row name -> its op's key
        # One counter for the whole build; each op's FLOPs are the growth of the running total across its call.
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            for row in analysis.rows:
                ins = [values[n] for n in row.inputs]
                mode = analysis.network.layers[row.index - 1].weights
                if mode.startswith("shares:"):  # the very module of the layer whose weights it uses
                    op = self.ops[keys[mode[7:]]]
                else:
                    op = build_op(row.kind, row.args, [tuple(t.shape) for t in ins], device)
                    if mode == "frozen":
                        op.requires_grad_(False)
                    elif mode == "fixed":
                        op = make_fixed(op)
                key = f"r{row.index}"
                keys[row.name] = key
                self.ops[key] = op
                self.rows.append((key, row.name, row.inputs))
                before = counter.get_total_flops()
                out = op(*ins)
                values[row.name] = out
                trainable, running = count_params(op) if not mode.startswith("shares:") else (0, 0)
                frozen = sum(p.numel() for p in op.parameters() if not p.requires_grad)
                assert mode.startswith("shares:") or frozen == row.frozen, (row.name, frozen, row.frozen)
                self.measured.append(Measured(row.name, row.kind, to_channels_last(out.shape), trainable, running,
                                              counter.get_total_flops() - before))
        # Every row's output from the build, by row name: what a layer refused while generating would have
        # read (kept so that no second forward pass is needed).
        self.values = values
        self.eval()

    def example_input(self) -> torch.Tensor:
        """A batch of one, on the net's device."""
        if self.device_name == "meta":
            return torch.empty(self.input_shape, device="meta")
        return torch.randn(self.input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {"input": x}
        out = x
        for key, name, inputs in self.rows:
            out = self.ops[key](*[values[n] for n in inputs])
            values[name] = out
        return out


def make_fixed(module: nn.Module) -> nn.Module:
    """The module with its parameters made buffers (fixed_weight, ...): constants, as a blur pool's filter."""
    for m in list(module.modules()):
        for name, p in list(m.named_parameters(recurse=False)):
            delattr(m, name)
            m.register_buffer(f"fixed_{name}", p.detach())
            setattr(m, name, getattr(m, f"fixed_{name}"))  # the forward reads it under its own name
    return module


def build_op(kind: str, args: dict[str, Any], in_shapes: Sequence[Sequence[int]], device: str = "cpu") -> nn.Module:
    """make_op on `device`, in eval mode. On the CPU, weights are a constant rather than randomly initialised:
    only shapes and counts are compared, and initialising ResNet-152's 60M weights would dominate the run."""
    with torch.device("meta"):
        op = make_op(kind, args, in_shapes).eval()
    return op if device == "meta" else materialise(op, device)


def materialise(module: nn.Module, device: str = "cpu") -> nn.Module:
    """A meta-device module moved to `device`, with every weight 0.01 and batch norms' statistics reset."""
    # module.to_empty(device), without torch.empty_like: on a meta tensor that runs PyTorch's Python reference
    # (~0.2 ms a tensor, working out strides that parameters and buffers, being dense, simply keep).
    module = module._apply(lambda t: torch.empty_strided(t.shape, t.stride(), dtype=t.dtype, device=device))
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(0.01)
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._NormBase):
            m.reset_running_stats()
    return module


def run_op(kind: str, args: dict[str, Any], inputs: Sequence[torch.Tensor]) -> torch.Tensor:
    """Build and apply one op (for checking that PyTorch rejects what cnncalc rejects)."""
    with torch.no_grad():
        op = make_op(kind, args, [tuple(t.shape) for t in inputs]).eval()  # errors at construction count too
        return op(*inputs)


def mismatches(analysis: Analysis, net: TorchNet) -> list[str]:
    """Every disagreement between cnncalc's rows and PyTorch's, as readable lines (empty: they agree)."""
    problems = []
    for row, m in zip(analysis.rows, net.measured, strict=True):
        ours = (tuple(row.output), row.trainable, row.non_trainable, 2 * row.macs)
        theirs = (m.shape, m.trainable, m.non_trainable, m.flops)
        if ours != theirs:
            problems.append(f"{row.name} ({row.kind} {row.args}): cnncalc shape/params/running/flops {ours}, "
                            f"torch {theirs}")
    return problems


def whole_model_figures(net: TorchNet) -> tuple[tuple[int, ...], int, int, int]:
    """(output shape, parameters, running stats, FLOPs) of the whole module in one forward pass."""
    x = net.example_input()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = net(x)
    trainable, running = count_params(net)
    return to_channels_last(out.shape), trainable, running, counter.get_total_flops()
