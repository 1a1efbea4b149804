"""The emitter registry: for each layer kind, the PyTorch constructor text and its output channels.

An emitter reads one layer through `Emit`: arguments as Python text (an expression of the block's
arguments where the file wrote `$name`/`${…}`, else a literal of the converted value), the input
channels as Python text, and fixed values (the same in every use of the block). It returns
(constructor source, output channels source). A kind without an emitter cannot be exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from cnncalc.export.names import literal
from cnncalc.core.kinds import axes_of, pads_of
from cnncalc.core.network import Layer
from cnncalc.core.problems import Located, SpecError


@dataclass
class Emit:
    """One layer to emit: its first resolved instance, every instance, and how its arguments read as code."""

    kind: str
    layer: Layer  # the first instance (structural decisions)
    instances: list[Layer]  # every use of this layer in the network (all must agree on fixed values)
    exprs: dict[str, str]  # argument -> Python expression where the file wrote `$name` or `${…}`
    channels: list[str]  # input channels, as Python source, one per input
    where: Located
    helpers: set[str] = field(default_factory=set)

    def fail(self, message: str) -> SpecError:
        """An export error at this layer."""
        return self.where.error("unsupported-export", f"{self.layer.name}: {message}")

    def fixed(self, arg: str) -> Any:
        """The value of `arg`, which the generated code fixes: the same in every use, else an error."""
        value = self.layer.args[arg]
        if any(other.args[arg] != value for other in self.instances):
            raise self.fail(f"`{arg}` differs between the uses of its block ({self._values(arg)}) in a way the "
                            "exported code cannot take as a constructor argument; write it as a literal")
        return value

    def _values(self, arg: str) -> str:
        seen: list[Any] = []
        for other in self.instances:
            if other.args[arg] not in seen:
                seen.append(other.args[arg])
        return ", ".join(str(v) for v in seen[:4])

    def axes(self, arg: str) -> tuple[int, ...]:
        """A kernel-like argument of the first use, one value per spatial axis (as cnncalc resolves it)."""
        return axes_of(self.layer.args[arg], self.spatial())

    def pads(self, arg: str, layer: Layer | None = None) -> tuple[int, ...] | str:
        """A padding-like argument as (begin, end) per spatial axis, flattened; or 'same'."""
        return pads_of((layer or self.layer).args[arg], self.spatial())

    def pair(self, arg: str) -> str:
        """A per-axis argument: the expression, or the literal (one number when every axis agrees)."""
        if arg in self.exprs:
            return self.exprs[arg]
        value = self.axes(arg)
        return literal(value[0] if len(set(value)) == 1 else tuple(value))

    def code(self, arg: str) -> str:
        """Any other argument: the expression, or the literal value."""
        return self.exprs[arg] if arg in self.exprs else literal(self.layer.args[arg])

    def symmetric_padding(self) -> str | None:
        """PyTorch's padding for a padding equal on both sides of every axis in every use, else None."""
        pads = [self.pads("padding", other) for other in self.instances]
        if any(isinstance(p, str) or any(p[i] != p[i + 1] for i in range(0, len(p), 2)) for p in pads):
            return None
        if "padding" in self.exprs:
            return self.exprs["padding"]
        begins = pads[0][::2]
        return literal(begins[0] if len(set(begins)) == 1 else tuple(begins))

    def rank(self) -> int:
        """The input's rank, the same in every use (3: a feature map H×W×C; 1: a vector)."""
        ranks = {len(other.input_shapes[0]) for other in self.instances}
        if len(ranks) != 1:
            raise self.fail("its input has a different rank in different uses of its block")
        return ranks.pop()

    def spatial(self) -> int:
        """The number of spatial axes (1, 2 or 3; 0 for a vector)."""
        return self.rank() - 1

    def feature_map(self) -> str:
        """The PyTorch module suffix of the input's rank (`1d`, `2d`, `3d`); refuses vectors."""
        if self.spatial() not in (1, 2, 3):
            raise self.fail(f"{self.kind} on an input of rank {self.rank()} has no PyTorch module")
        return f"{self.spatial()}d"


def torch_pads(pads: tuple[int, ...]) -> tuple[int, ...]:
    """(begin, end) per axis in spatial order -> F.pad's order (last axis first)."""
    pairs = [pads[i:i + 2] for i in range(0, len(pads), 2)]
    return tuple(v for pair in reversed(pairs) for v in pair)


Emitter = Callable[[Emit], tuple[str, str]]

ACTIVATION_MODULES = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "gelu": "nn.GELU()", "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()", "silu": "nn.SiLU()", "swish": "nn.SiLU()", "hardswish": "nn.Hardswish()",
    "hardsigmoid": "nn.Hardsigmoid()", "softmax": "nn.Softmax(dim=1)", "identity": "nn.Identity()",
}


def group(code: str) -> str:
    """`code` in parentheses unless it is one name or number (to multiply or add it safely)."""
    return code if code.isidentifier() or code.isdigit() or code.startswith("self.") else f"({code})"


def _kw(name: str, code: str, default: str) -> str:
    """`, name=code`, or nothing when the code is PyTorch's default."""
    return "" if code == default else f", {name}={code}"


def _sequential(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"nn.Sequential({', '.join(parts)})"


def _with_activation(e: Emit, parts: list[str]) -> str:
    """The layer's modules followed by its fused `activation:` (fixed across uses)."""
    act = e.fixed("activation") if "activation" in e.layer.args else "none"
    if act not in ("none", "linear"):
        parts = parts + [ACTIVATION_MODULES[act]]
    return _sequential(parts)


def _padded(e: Emit, stride_code: str, dilation: str = "1", fill: str = "0.0") -> tuple[list[str], str]:
    """(modules before the layer, the layer's own padding) for cnncalc's padding forms."""
    symmetric = e.symmetric_padding()
    if symmetric is not None:
        return [], symmetric
    value = "" if fill == "0.0" else f", value={fill}"
    if "padding" in e.exprs and any(other.args["padding"] != e.layer.args["padding"] for other in e.instances):
        # The block is used with different padding forms (`same` here, [0, 1, 0, 1] there): decided at run time.
        e.helpers |= {"SamePad", "Padding"}
        return [f"Padding({e.exprs['padding']}, {e.pair('kernel')}, {stride_code}, {dilation}{value})"], "0"
    e.fixed("padding")
    pad = e.pads("padding")
    if isinstance(pad, str):
        if stride_code == "1" and fill == "0.0":
            return [], "'same'"  # PyTorch's own `same` (stride 1) pads as TensorFlow does
        e.helpers.add("SamePad")
        return [f"SamePad({e.pair('kernel')}, {stride_code}, {dilation}{value})"], "0"
    if fill == "0.0":
        return [f"nn.ZeroPad{e.feature_map()}({literal(torch_pads(pad))})"], "0"
    e.helpers.add("Pad")
    return [f"Pad({literal(torch_pads(pad))}{value})"], "0"


def _conv(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    stride = e.pair("stride")
    pre, pad = _padded(e, stride, e.pair("dilation"))
    conv = (f"nn.Conv{nd}({e.channels[0]}, {e.code('filters')}, {e.pair('kernel')}{_kw('stride', stride, '1')}"
            f"{_kw('padding', pad, '0')}{_kw('dilation', e.pair('dilation'), '1')}"
            f"{_kw('groups', e.code('groups'), '1')}{_kw('bias', e.code('bias'), 'True')})")
    return _with_activation(e, pre + [conv]), e.code("filters")


def _depthwise(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    c, stride = e.channels[0], e.pair("stride")
    multiplier = e.code("multiplier")
    out = c if multiplier == "1" else f"{group(c)} * {group(multiplier)}"
    pre, pad = _padded(e, stride, e.pair("dilation"))
    conv = (f"nn.Conv{nd}({c}, {out}, {e.pair('kernel')}{_kw('stride', stride, '1')}{_kw('padding', pad, '0')}"
            f"{_kw('dilation', e.pair('dilation'), '1')}, groups={c}{_kw('bias', e.code('bias'), 'True')})")
    return _with_activation(e, pre + [conv]), out


def _separable(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    e.helpers.add("SeparableConv")
    stride = e.pair("stride")
    pre, pad = _padded(e, stride, e.pair("dilation"))
    conv = (f"SeparableConv({e.channels[0]}, {e.code('filters')}, {e.pair('kernel')}{_kw('stride', stride, '1')}"
            f"{_kw('padding', pad, '0')}{_kw('dilation', e.pair('dilation'), '1')}"
            f"{_kw('multiplier', e.code('multiplier'), '1')}{_kw('bias', e.code('bias'), 'True')}"
            f"{_kw('rank', nd[0], '2')})")
    return _with_activation(e, pre + [conv]), e.code("filters")


def _deconv(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    c, filters = e.channels[0], e.code("filters")
    head = f"nn.ConvTranspose{nd}({c}, {filters}, {e.pair('kernel')}{_kw('stride', e.pair('stride'), '1')}"
    tail = (f"{_kw('groups', e.code('groups'), '1')}{_kw('bias', e.code('bias'), 'True')}"
            f"{_kw('dilation', e.pair('dilation'), '1')})")
    symmetric = e.symmetric_padding()
    if symmetric is not None:
        return _with_activation(e, [f"{head}{_kw('padding', symmetric, '0')}"
                                    f"{_kw('output_padding', e.pair('output_padding'), '0')}{tail}"]), filters
    e.fixed("padding")
    pad = e.pads("padding")
    if isinstance(pad, str):
        # Keras Conv2DTranspose `same` (output H·s): the full output (H−1)·s + d·(k−1) + 1 is cropped by
        # max(d·(k−1) + 1 − s, 0), the odd pixel at the end, or grown by output_padding s − (d·(k−1) + 1).
        crops, grow = [], []
        for k, s, d in zip(e.axes("kernel"), e.axes("stride"), e.axes("dilation")):
            span = d * (k - 1) + 1
            total = max(span - s, 0)
            crops += [total // 2, total - total // 2]
            grow.append(max(s - span, 0))
        grown = literal(grow[0] if len(set(grow)) == 1 else tuple(grow))
        parts = [f"{head}{_kw('output_padding', grown, '0')}{tail}"]
    else:
        crops = list(pad)
        parts = [f"{head}{_kw('output_padding', e.pair('output_padding'), '0')}{tail}"]
    if any(crops):
        e.helpers.add("Crop")
        parts.append(f"Crop({', '.join(str(v) for v in crops)})")
    return _with_activation(e, parts), filters


def _pool(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    kind = e.kind
    stride = e.pair("stride") if e.layer.args["stride"] is not None or "stride" in e.exprs else e.pair("kernel")
    fill = "-math.inf" if kind == "maxpool" else "0.0"
    cls = f"nn.MaxPool{nd}" if kind == "maxpool" else f"nn.AvgPool{nd}"
    # A sum pool is an average pool that divides by 1.
    extra = ", divisor_override=1" if kind == "sumpool" else ""
    ceil = e.fixed("ceil") and e.fixed("padding") != "same"  # cnncalc ignores `ceil` with `same`
    symmetric = e.symmetric_padding()
    if symmetric is not None or not ceil:
        pre, pad = _padded(e, stride, "1", fill)
        pool = (f"{cls}({e.pair('kernel')}, stride={stride}{_kw('padding', pad, '0')}"
                f"{_kw('ceil_mode', str(ceil), 'False')}{extra})")
        return _sequential(pre + [pool]), e.channels[0]
    pads = e.pads("padding")
    assert not isinstance(pads, str)
    begins, ends = pads[::2], pads[1::2]
    if any(b < a for b, a in zip(begins, ends)):
        raise e.fail("ceil pooling with more padding at the end than at the start of an axis has no PyTorch form")
    # The leading padding beyond the trailing one is padded explicitly; PyTorch pads the rest on both sides.
    e.helpers.add("Pad")
    lead = f"Pad({literal(torch_pads(tuple(v for b, a in zip(begins, ends) for v in (b - a, 0))))}, value={fill})"
    trailing = literal(ends[0] if len(set(ends)) == 1 else tuple(ends))
    pool = f"{cls}({e.pair('kernel')}, stride={stride}, padding={trailing}, ceil_mode=True{extra})"
    return _sequential([lead, pool]), e.channels[0]


def _global(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        return f"{module}{e.feature_map()}(1)", e.channels[0]
    return emit


def _adaptive(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        return f"{module}{e.feature_map()}({e.pair('output')})", e.channels[0]
    return emit


def _batchnorm(e: Emit) -> tuple[str, str]:
    nd = "1d" if e.rank() == 1 else e.feature_map()
    return f"nn.BatchNorm{nd}({e.channels[0]}{_kw('affine', e.code('affine'), 'True')})", e.channels[0]


def _prelu(e: Emit) -> tuple[str, str]:
    shared = e.fixed("shared")
    return f"nn.PReLU({1 if shared else e.channels[0]})", e.channels[0]


def _activation(e: Emit) -> tuple[str, str]:
    if e.kind == "leakyrelu":
        return f"nn.LeakyReLU({e.code('slope')})", e.channels[0]
    if e.kind == "elu":
        return f"nn.ELU({e.code('alpha')})", e.channels[0]
    return ACTIVATION_MODULES[e.kind], e.channels[0]


def _dropout(e: Emit) -> tuple[str, str]:
    return f"nn.Dropout({e.code('rate')})", e.channels[0]


def _lrn(e: Emit) -> tuple[str, str]:
    e.feature_map()
    return f"nn.LocalResponseNorm({e.code('size')})", e.channels[0]


def _zeropad(e: Emit) -> tuple[str, str]:
    nd = e.feature_map()
    e.fixed("padding")
    pad = e.pads("padding")
    assert not isinstance(pad, str)
    return f"nn.ZeroPad{nd}({literal(torch_pads(pad))})", e.channels[0]


def _crop(e: Emit) -> tuple[str, str]:
    e.feature_map()
    e.helpers.add("Crop")
    e.fixed("cropping")
    crop = e.pads("cropping")
    assert not isinstance(crop, str)
    return f"Crop({', '.join(str(v) for v in crop)})", e.channels[0]


def _upsample(e: Emit) -> tuple[str, str]:
    e.feature_map()
    mode = e.fixed("mode")
    if e.layer.args["size"] is not None:
        return f"nn.Upsample(size={e.pair('size')}, mode={literal(mode)})", e.channels[0]
    if e.layer.args["scale"] is None and "scale" not in e.exprs:
        return f"nn.Upsample(scale_factor=2.0, mode={literal(mode)})", e.channels[0]
    if "scale" in e.exprs:
        return f"nn.Upsample(scale_factor={e.exprs['scale']}, mode={literal(mode)})", e.channels[0]
    scale = [float(v) for v in e.axes("scale")]
    factor = literal(scale[0]) if len(set(scale)) == 1 else literal(tuple(scale))
    return f"nn.Upsample(scale_factor={factor}, mode={literal(mode)})", e.channels[0]


def _flatten(e: Emit) -> tuple[str, str]:
    sizes = {_count(other.input_shapes[0]) for other in e.instances}
    if len(sizes) != 1:
        raise e.fail("flatten gives a different length in different uses of its block; flatten outside the block")
    return "nn.Flatten()", literal(sizes.pop())


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _dense(e: Emit) -> tuple[str, str]:
    if e.rank() != 1:
        raise e.fail("dense on a feature map is not exported")
    linear = f"nn.Linear({e.channels[0]}, {e.code('units')}{_kw('bias', e.code('bias'), 'True')})"
    return _with_activation(e, [linear]), e.code("units")


def _merge(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        e.helpers.add(module)
        if module == "Concat":
            return "Concat()", " + ".join(group(c) for c in e.channels)
        return f"{module}()", e.channels[0]
    return emit


def _layernorm(e: Emit) -> tuple[str, str]:
    e.helpers.add("ChannelLayerNorm")
    affine = e.code("affine")
    bias = "False" if affine == "False" else e.code("bias")
    return (f"ChannelLayerNorm({e.channels[0]}{_kw('elementwise_affine', affine, 'True')}{_kw('bias', bias, 'True')})",
            e.channels[0])


def _groupnorm(e: Emit) -> tuple[str, str]:
    return f"nn.GroupNorm({e.code('groups')}, {e.channels[0]}{_kw('affine', e.code('affine'), 'True')})", e.channels[0]


def _instancenorm(e: Emit) -> tuple[str, str]:
    return (f"nn.InstanceNorm{e.feature_map()}({e.channels[0]}{_kw('affine', e.code('affine'), 'False')}"
            f"{_kw('track_running_stats', e.code('track_running_stats'), 'False')})", e.channels[0])


def _helper(name: str, *args: str) -> Emitter:
    """A helper module built from the input channels (`channels`) and the layer's arguments."""
    def emit(e: Emit) -> tuple[str, str]:
        e.helpers.add(name)
        values = [e.channels[0] if arg == "channels" else e.code(arg) for arg in args]
        return f"{name}({', '.join(values)})", e.channels[0]
    return emit


def _slice(e: Emit) -> tuple[str, str]:
    e.helpers.add("Channels")
    if "channels" in e.exprs:
        start, stop = f"{e.exprs['channels']}[0]", f"{e.exprs['channels']}[1]"
        return f"Channels(*{e.exprs['channels']})", f"{stop} - {start}"
    start, stop = e.layer.args["channels"]
    return f"Channels({start}, {stop})", str(stop - start)


def _split(e: Emit) -> tuple[str, str]:
    e.helpers.add("Channels")
    parts = e.code("parts")
    return f"Channels(parts={parts}{_kw('index', e.code('index'), '0')})", f"{group(e.channels[0])} // {group(parts)}"


def _attention(e: Emit) -> tuple[str, str]:
    e.helpers.add("Attention")
    dim = "" if e.layer.args["dim"] is None and "dim" not in e.exprs else f", dim={e.code('dim')}"
    return f"Attention({e.channels[0]}, {e.code('heads')}{dim}{_kw('bias', e.code('bias'), 'True')})", e.channels[0]


def _rescaling(e: Emit) -> tuple[str, str]:
    e.helpers.add("Rescaling")
    return f"Rescaling({e.code('scale')}{_kw('offset', e.code('offset'), '0.0')})", e.channels[0]


def _normalization(e: Emit) -> tuple[str, str]:
    e.helpers.add("Normalization")
    return f"Normalization({e.channels[0]}{_kw('adapt', e.code('adapt'), 'True')})", e.channels[0]


EMITTERS: dict[str, Emitter] = {
    "conv": _conv, "depthwise": _depthwise, "separable": _separable, "deconv": _deconv,
    "maxpool": _pool, "avgpool": _pool, "sumpool": _pool,
    "globalavgpool": _global("nn.AdaptiveAvgPool"), "globalmaxpool": _global("nn.AdaptiveMaxPool"),
    "adaptiveavgpool": _adaptive("nn.AdaptiveAvgPool"), "adaptivemaxpool": _adaptive("nn.AdaptiveMaxPool"),
    "batchnorm": _batchnorm, "prelu": _prelu, "dropout": _dropout, "lrn": _lrn, "zeropad": _zeropad,
    "upsample": _upsample, "crop": _crop, "flatten": _flatten, "dense": _dense,
    "layernorm": _layernorm, "groupnorm": _groupnorm, "instancenorm": _instancenorm,
    "layerscale": _helper("LayerScale", "channels"), "shuffle": _helper("ChannelShuffle", "groups"),
    "slice": _slice, "split": _split, "stochasticdepth": _helper("StochasticDepth", "rate"),
    "attention": _attention, "rescaling": _rescaling, "normalization": _normalization,
    "add": _merge("Add"), "multiply": _merge("Multiply"), "concat": _merge("Concat"),
    **{name: _activation for name in (*ACTIVATION_MODULES, "leakyrelu", "elu")},
}
