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
from cnncalc.network import Layer
from cnncalc.problems import Located, SpecError


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

    def pair(self, arg: str) -> str:
        """An (h, w) argument: the expression, or the literal (one number when h = w)."""
        if arg in self.exprs:
            return self.exprs[arg]
        value = self.layer.args[arg]
        return literal(value[0] if value[0] == value[1] else tuple(value))

    def code(self, arg: str) -> str:
        """Any other argument: the expression, or the literal value."""
        return self.exprs[arg] if arg in self.exprs else literal(self.layer.args[arg])

    def symmetric_padding(self) -> str | None:
        """PyTorch's padding for a (t, b, l, r) padding equal on both sides in every use, else None."""
        pads = [other.args["padding"] for other in self.instances]
        if any(p == "same" or p[0] != p[1] or p[2] != p[3] for p in pads):
            return None
        if "padding" in self.exprs:
            return self.exprs["padding"]
        t, _, l, _ = self.layer.args["padding"]
        return literal(t if t == l else (t, l))

    def rank(self) -> int:
        """The input's rank, the same in every use (3: a feature map H×W×C; 1: a vector)."""
        ranks = {len(other.input_shapes[0]) for other in self.instances}
        if len(ranks) != 1:
            raise self.fail("its input is a feature map in one use of its block and a vector in another")
        return ranks.pop()

    def feature_map(self) -> None:
        """Refuse inputs other than H×W×C feature maps (the export writes 2-d modules)."""
        if self.rank() != 3:
            raise self.fail(f"{self.kind} on an input of rank {self.rank()} has no 2-d PyTorch module")


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
    pad = e.fixed("padding")
    if pad == "same":
        if stride_code == "1" and fill == "0.0":
            return [], "'same'"  # PyTorch's own `same` (stride 1) pads as TensorFlow does
        e.helpers.add("SamePad")
        return [f"SamePad({e.pair('kernel')}, {stride_code}, {dilation}{value})"], "0"
    t, b, l, r = pad
    if fill == "0.0":
        return [f"nn.ZeroPad2d({literal((l, r, t, b))})"], "0"
    e.helpers.add("Pad")
    return [f"Pad({l}, {r}, {t}, {b}{value})"], "0"


def _conv(e: Emit) -> tuple[str, str]:
    e.feature_map()
    stride = e.pair("stride")
    pre, pad = _padded(e, stride, e.pair("dilation"))
    conv = (f"nn.Conv2d({e.channels[0]}, {e.code('filters')}, {e.pair('kernel')}{_kw('stride', stride, '1')}"
            f"{_kw('padding', pad, '0')}{_kw('dilation', e.pair('dilation'), '1')}"
            f"{_kw('groups', e.code('groups'), '1')}{_kw('bias', e.code('bias'), 'True')})")
    return _with_activation(e, pre + [conv]), e.code("filters")


def _depthwise(e: Emit) -> tuple[str, str]:
    e.feature_map()
    c, stride = e.channels[0], e.pair("stride")
    multiplier = e.code("multiplier")
    out = c if multiplier == "1" else f"{group(c)} * {group(multiplier)}"
    pre, pad = _padded(e, stride, e.pair("dilation"))
    conv = (f"nn.Conv2d({c}, {out}, {e.pair('kernel')}{_kw('stride', stride, '1')}{_kw('padding', pad, '0')}"
            f"{_kw('dilation', e.pair('dilation'), '1')}, groups={c}{_kw('bias', e.code('bias'), 'True')})")
    return _with_activation(e, pre + [conv]), out


def _separable(e: Emit) -> tuple[str, str]:
    e.feature_map()
    e.helpers.add("SeparableConv2d")
    stride = e.pair("stride")
    pre, pad = _padded(e, stride, e.pair("dilation"))
    conv = (f"SeparableConv2d({e.channels[0]}, {e.code('filters')}, {e.pair('kernel')}{_kw('stride', stride, '1')}"
            f"{_kw('padding', pad, '0')}{_kw('dilation', e.pair('dilation'), '1')}"
            f"{_kw('multiplier', e.code('multiplier'), '1')}{_kw('bias', e.code('bias'), 'True')})")
    return _with_activation(e, pre + [conv]), e.code("filters")


def _deconv(e: Emit) -> tuple[str, str]:
    e.feature_map()
    c, filters = e.channels[0], e.code("filters")
    head = f"nn.ConvTranspose2d({c}, {filters}, {e.pair('kernel')}{_kw('stride', e.pair('stride'), '1')}"
    tail = (f"{_kw('groups', e.code('groups'), '1')}{_kw('bias', e.code('bias'), 'True')}"
            f"{_kw('dilation', e.pair('dilation'), '1')})")
    symmetric = e.symmetric_padding()
    if symmetric is not None:
        return _with_activation(e, [f"{head}{_kw('padding', symmetric, '0')}"
                                    f"{_kw('output_padding', e.pair('output_padding'), '0')}{tail}"]), filters
    pad = e.fixed("padding")
    if pad == "same":
        # Keras Conv2DTranspose `same` (output H·s): the full output (H−1)·s + d·(k−1) + 1 is cropped by
        # max(d·(k−1) + 1 − s, 0), the odd pixel at the end, or grown by output_padding s − (d·(k−1) + 1).
        crops, grow = [], []
        for k, s, d in zip(e.fixed("kernel"), e.fixed("stride"), e.fixed("dilation")):
            span = d * (k - 1) + 1
            total = max(span - s, 0)
            crops += [total // 2, total - total // 2]
            grow.append(max(s - span, 0))
        grown = literal(grow[0] if grow[0] == grow[1] else tuple(grow))
        parts = [f"{head}{_kw('output_padding', grown, '0')}{tail}"]
    else:
        crops = list(pad)
        parts = [f"{head}{_kw('output_padding', e.pair('output_padding'), '0')}{tail}"]
    if any(crops):
        e.helpers.add("Crop")
        parts.append(f"Crop({', '.join(str(v) for v in crops)})")
    return _with_activation(e, parts), filters


def _pool(e: Emit) -> tuple[str, str]:
    e.feature_map()
    kind = e.kind
    stride = e.pair("stride") if e.layer.args["stride"] is not None or "stride" in e.exprs else e.pair("kernel")
    fill = "-math.inf" if kind == "maxpool" else "0.0"
    cls = "nn.MaxPool2d" if kind == "maxpool" else "nn.AvgPool2d"
    # A sum pool is an average pool that divides by 1.
    extra = ", divisor_override=1" if kind == "sumpool" else ""
    ceil = e.fixed("ceil") and e.fixed("padding") != "same"  # cnncalc ignores `ceil` with `same`
    symmetric = e.symmetric_padding()
    if symmetric is not None or not ceil:
        pre, pad = _padded(e, stride, "1", fill)
        pool = (f"{cls}({e.pair('kernel')}, stride={stride}{_kw('padding', pad, '0')}"
                f"{_kw('ceil_mode', str(ceil), 'False')}{extra})")
        return _sequential(pre + [pool]), e.channels[0]
    t, b, l, r = e.fixed("padding")
    if t < b or l < r:
        raise e.fail("ceil pooling with more bottom/right than top/left padding has no PyTorch form")
    # The leading padding beyond the trailing one is padded explicitly; PyTorch pads the rest on both sides.
    e.helpers.add("Pad")
    lead = f"Pad({l - r}, 0, {t - b}, 0, value={fill})"
    pool = f"{cls}({e.pair('kernel')}, stride={stride}, padding={literal((b, r))}, ceil_mode=True{extra})"
    return _sequential([lead, pool]), e.channels[0]


def _global(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        e.feature_map()
        return module, e.channels[0]
    return emit


def _adaptive(module: str) -> Emitter:
    def emit(e: Emit) -> tuple[str, str]:
        e.feature_map()
        return f"{module}({e.pair('output')})", e.channels[0]
    return emit


def _batchnorm(e: Emit) -> tuple[str, str]:
    cls = {3: "nn.BatchNorm2d", 1: "nn.BatchNorm1d"}.get(e.rank())
    if cls is None:
        raise e.fail(f"batchnorm on an input of rank {e.rank()} is not exported")
    return f"{cls}({e.channels[0]}{_kw('affine', e.code('affine'), 'True')})", e.channels[0]


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
    e.feature_map()
    t, b, l, r = e.fixed("padding")
    return f"nn.ZeroPad2d({literal((l, r, t, b))})", e.channels[0]


def _crop(e: Emit) -> tuple[str, str]:
    e.feature_map()
    e.helpers.add("Crop")
    return f"Crop({', '.join(str(v) for v in e.fixed('cropping'))})", e.channels[0]


def _upsample(e: Emit) -> tuple[str, str]:
    e.feature_map()
    mode = e.fixed("mode")
    if e.layer.args["size"] is not None:
        return f"nn.Upsample(size={e.pair('size')}, mode={literal(mode)})", e.channels[0]
    if e.layer.args["scale"] is None and "scale" not in e.exprs:
        return f"nn.Upsample(scale_factor=2.0, mode={literal(mode)})", e.channels[0]
    if "scale" in e.exprs:
        return f"nn.Upsample(scale_factor={e.exprs['scale']}, mode={literal(mode)})", e.channels[0]
    sh, sw = e.layer.args["scale"]
    factor = literal(float(sh)) if sh == sw else literal((float(sh), float(sw)))
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


EMITTERS: dict[str, Emitter] = {
    "conv": _conv, "depthwise": _depthwise, "separable": _separable, "deconv": _deconv,
    "maxpool": _pool, "avgpool": _pool, "sumpool": _pool,
    "globalavgpool": _global("nn.AdaptiveAvgPool2d(1)"), "globalmaxpool": _global("nn.AdaptiveMaxPool2d(1)"),
    "adaptiveavgpool": _adaptive("nn.AdaptiveAvgPool2d"), "adaptivemaxpool": _adaptive("nn.AdaptiveMaxPool2d"),
    "batchnorm": _batchnorm, "prelu": _prelu, "dropout": _dropout, "lrn": _lrn, "zeropad": _zeropad,
    "upsample": _upsample, "crop": _crop, "flatten": _flatten, "dense": _dense,
    "add": _merge("Add"), "multiply": _merge("Multiply"), "concat": _merge("Concat"),
    **{name: _activation for name in (*ACTIVATION_MODULES, "leakyrelu", "elu")},
}
