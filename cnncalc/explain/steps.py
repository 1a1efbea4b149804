"""Every figure of a network worked out the way a textbook shows it (`cnncalc explain`).

For each layer: the output size per axis with the formula filled in (and what a floored division
drops), parameters, multiply-adds, memory, the receptive-field recurrence, how a merge combines its
inputs, and for a convolution what a dense layer between the same shapes would cost. Each kind
family has an explainer in `EXPLAINERS`; a kind without one, or a form an explainer does not know,
gets the generic explanation read from its `LayerOut`. A specific step is only kept when its result
equals what the kind computed, so an explanation never states a figure the tables do not.
Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, Callable

from cnncalc.core import formulas as F
from cnncalc.core.kinds import KINDS, Shape
from cnncalc.core.memory import DTYPE_BYTES
from cnncalc.core.network import INPUT, PIXEL, RF, Layer, Network
from cnncalc.core.quantities import fmt_shape

# Topics in the order a layer's steps are shown.
TOPICS = ("merge", "output", "params", "macs", "memory", "rf", "dense")


@dataclass(frozen=True)
class Step:
    """One worked figure: the formula in symbols, the same with the numbers in, and the result."""

    topic: str  # one of TOPICS
    label: str  # what is computed: "height and width", "parameters", ...
    formula: str  # ⌊(H − K + 2P)/S⌋ + 1
    worked: str  # ⌊(224 − 3 + 2·1)/1⌋ + 1 (empty when the formula has nothing to fill in)
    result: str  # 224
    value: int | None = None  # the result as a number, where it is one
    notes: tuple[str, ...] = ()  # what a floored division drops, what a comparison shows


@dataclass(frozen=True)
class LayerExplanation:
    """The worked figures of one layer."""

    index: int  # 1-based, as in the tables
    name: str
    kind: str
    inputs: tuple[Shape, ...]
    output: Shape
    steps: tuple[Step, ...]
    generic: tuple[str, ...] = ()  # topics explained from the LayerOut alone (no dedicated explainer)


@dataclass(frozen=True)
class Change:
    """A layer that changes the spatial size: the size before and after, and the worked formula."""

    index: int
    name: str
    before: tuple[int, ...]
    after: tuple[int, ...]
    worked: str


@dataclass(frozen=True)
class Explanation:
    """A network's explanation: its layers' worked figures and the trail of spatial-size changes."""

    name: str
    input: Shape
    output: Shape
    dtype: str
    layers: tuple[LayerExplanation, ...]
    trail: tuple[Change, ...] = ()
    feature_map: Shape | None = None  # the last output that still has spatial axes, which the trail explains


@dataclass(frozen=True)
class Ctx:
    """What an explainer reads: the layer, the network (for its sources) and the value size."""

    network: Network
    layer: Layer
    dtype: str = "float32"

    @property
    def args(self) -> dict[str, Any]:
        """The layer's converted arguments."""
        return self.layer.args

    @property
    def shape(self) -> Shape:
        """The first input's shape."""
        return self.layer.input_shapes[0]


Parts = dict[str, list[Step]]  # topic -> steps
Explainer = Callable[[Ctx], Parts]


class UnknownLayer(ValueError):
    """A --layer that names no layer; the message says what exists."""


# --- number formatting ----------------------------------------------------------------------

def n(value: int) -> str:
    """A number with thousands separators: 150,528."""
    return f"{value:,}"


def dots(values: Any) -> str:
    """A product written out: 224·224·64."""
    return "·".join(n(v) for v in values)


def _spatial_names(count: int) -> tuple[str, ...]:
    return {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}.get(
        count, tuple(f"axis {i + 1}" for i in range(count)))


# --- output size per axis ---------------------------------------------------------------------

def _size_formula(a: F.SizeAxis) -> str:
    """The symbolic formula an axis uses."""
    if a.transposed:
        return "H·S" if a.same else "(H − 1)·S − Pb − Pe + D·(K − 1) + OP + 1"
    pad = "2P" if a.pad_begin == a.pad_end else "Pb + Pe"
    core = f"H + {pad} − D·(K − 1) − 1" if a.dilation > 1 else f"H − K + {pad}"
    return f"⌈({core})/S⌉ + 1" if a.ceil_mode else f"⌊({core})/S⌋ + 1"


def _size_worked(a: F.SizeAxis) -> str:
    """The formula with the axis's numbers in it (a padding, dilation or output padding that changes nothing left
    out), and the division's value when it is not whole. `cnncalc size` and `explain` both word an axis here."""
    padded = bool(a.pad_begin or a.pad_end)
    if a.transposed:
        if a.same:
            return f"{a.in_size}·{a.stride}"
        pad = f" − 2·{a.pad_begin}" if a.pad_begin == a.pad_end else f" − {a.pad_begin} − {a.pad_end}"
        kern = f"{a.dilation}·({a.kernel_size} − 1)" if a.dilation > 1 else f"({a.kernel_size} − 1)"
        extra = f" + {a.output_padding}" if a.output_padding else ""
        return f"({a.in_size} − 1)·{a.stride}{pad if padded else ''} + {kern}{extra} + 1"
    pad = f"2·{a.pad_begin}" if a.pad_begin == a.pad_end else f"{a.pad_begin} + {a.pad_end}"
    if a.dilation > 1:
        core = f"{a.in_size}{f' + {pad}' if padded else ''} − {a.dilation}·({a.kernel_size} − 1) − 1"
    else:
        core = f"{a.in_size} − {a.kernel_size}{f' + {pad}' if padded else ''}"
    op, cl = ("⌈", "⌉") if a.ceil_mode else ("⌊", "⌋")
    text = f"{op}({core})/{a.stride}{cl} + 1"
    if a.remainder:
        text += f" = {op}{a.numerator / a.stride:g}{cl} + 1"
    return text


def _size_notes(a: F.SizeAxis) -> tuple[str, ...]:
    notes = []
    if a.same and not a.transposed:
        sides = f"{a.pad_begin} on each side" if a.pad_begin == a.pad_end else \
            f"{a.pad_begin} before and {a.pad_end} after (TensorFlow puts the odd pixel after)"
        notes.append(f"padding same: the output is ⌈{a.in_size}/{a.stride}⌉ = {a.out_size}, which takes padding {sides}")
    if a.remainder and a.ceil_mode:
        notes.append(f"{a.numerator}/{a.stride} is not whole; ceil mode keeps the last, partial window")
    elif a.remainder:
        what = "no input row is lost (only padding, or rows the stride skips anyway, fall outside)"
        if a.lost:
            first, last = a.lost
            what = f"input rows {first}–{last} are never covered" if first != last else \
                f"input row {first} is never covered"
        notes.append(f"the floor drops the remainder {a.numerator} mod {a.stride} = {a.remainder}: {what}")
    return tuple(notes)


def size_step(label: str, axis: F.SizeAxis) -> Step:
    """One axis's output size as a step."""
    return Step("output", label, _size_formula(axis), _size_worked(axis), str(axis.out_size), axis.out_size,
                _size_notes(axis))


def _axes_steps(axes: list[F.SizeAxis]) -> list[Step]:
    """Steps per axis, one step for all axes when they are worked the same."""
    names = _spatial_names(len(axes))
    if len(axes) > 1 and len({(a.in_size, a.kernel_size, a.stride, a.pad_begin, a.pad_end, a.dilation)
                              for a in axes}) == 1:
        return [size_step(" and ".join((", ".join(names[:-1]), names[-1])), axes[0])]
    return [size_step(name, a) for name, a in zip(names, axes)]


def _window_axes(ctx: Ctx, stride: Any, ceil: bool, transposed: bool = False) -> list[F.SizeAxis]:
    """The worked output size of each spatial axis of a sliding window."""
    a, spatial = ctx.args, ctx.shape[:-1]
    kernel, padding = a["kernel"], a["padding"]
    dilation = a.get("dilation") or (1,) * len(spatial)
    out_pad = a.get("output_padding") or (0,) * len(spatial)
    if len(kernel) != len(spatial) or (padding != "same" and len(padding) != 2 * len(spatial)):
        raise ValueError("a window form this explainer does not know")
    axes = []
    for i, size in enumerate(spatial):
        pad = "same" if padding == "same" else (padding[2 * i], padding[2 * i + 1])
        window = F.window_for(kernel[i], stride[i], pad, dilation[i])
        axes.append(F.worked_deconv_size(size, window, pad == "same", out_pad[i]) if transposed
                    else F.worked_size(size, window, pad == "same", ceil))
    return axes


def _shape_step(label: str, formula: str, worked: str, shape: Shape) -> Step:
    return Step("output", label, formula, worked, fmt_shape(shape))


def _output_steps(ctx: Ctx, axes: list[F.SizeAxis], channels: Step) -> list[Step]:
    shape = tuple(a.out_size for a in axes) + (channels.value or 0,)
    return [*_axes_steps(axes), channels, _shape_step("output", "spatial × channels", "", shape)]


# --- conv-like ----------------------------------------------------------------------------

def _conv(ctx: Ctx) -> Parts:
    a, c = ctx.args, ctx.shape[-1]
    f, g = a["filters"], a.get("groups", 1)
    transposed = ctx.layer.kind == "deconv"
    axes = _window_axes(ctx, a["stride"], False, transposed)
    kernel, out_sp = a["kernel"], [x.out_size for x in axes]
    per = f"{dots(kernel)}·{n(c)}" + (f"/{g}" if g > 1 else "")
    sym = f"{'·'.join('k' * len(kernel))}·C" + ("/groups" if g > 1 else "")
    total = F.conv_params(c, f, tuple(kernel), g, a["bias"])
    params = (Step("params", "parameters", f"F × ({sym} + 1)", f"{n(f)} × ({per} + 1)", n(total), total)
              if a["bias"] else Step("params", "parameters", f"F × {sym}", f"{n(f)} × {per}", n(total), total))
    if transposed:
        in_sp = ctx.shape[:-1]
        macs = F.deconv_macs(tuple(in_sp), c, f, tuple(kernel), g)
        mac = Step("macs", "multiply-adds", "in_positions·C × F/groups·k (each input scatters a kernel)",
                   f"{dots(in_sp)}·{n(c)} × {n(f)}{f'/{g}' if g > 1 else ''}·{dots(kernel)}", n(macs), macs)
    else:
        macs = F.conv_macs(tuple(out_sp), c, f, tuple(kernel), g)
        mac = Step("macs", "multiply-adds", f"out_positions·F × {sym}", f"{dots(out_sp)}·{n(f)} × {per}",
                   n(macs), macs)
    channels = Step("output", "channels", "F (one map per filter)", "", n(f), f)
    return {"output": _output_steps(ctx, axes, channels), "params": [params], "macs": [mac]}


def _depthwise(ctx: Ctx) -> Parts:
    a, c = ctx.args, ctx.shape[-1]
    m = a.get("multiplier", 1)
    axes = _window_axes(ctx, a["stride"], False)
    kernel, out_sp = a["kernel"], [x.out_size for x in axes]
    cm = c * m
    depth_bias = a["bias"] and ctx.layer.kind == "depthwise"
    dw = F.conv_params(c, cm, tuple(kernel), c, depth_bias)  # one filter group per input channel
    steps = [Step("params", "depthwise parameters", "C·m × (k·k + 1)" if depth_bias else "C·m × k·k",
                  f"{n(c)}·{m} × ({dots(kernel)} + 1)" if depth_bias else f"{n(c)}·{m} × {dots(kernel)}", n(dw), dw)]
    dw_macs = F.conv_macs(tuple(out_sp), c, cm, tuple(kernel), c)
    macs = [Step("macs", "depthwise multiply-adds", "out_positions·C·m × k·k",
                 f"{dots(out_sp)}·{n(cm)} × {dots(kernel)}", n(dw_macs), dw_macs)]
    out_c = cm
    if ctx.layer.kind == "separable":
        f = a["filters"]
        ones = (1,) * len(kernel)
        pw = F.conv_params(cm, f, ones, 1, a["bias"])
        steps += [Step("params", "pointwise parameters", "F × (C·m + 1)" if a["bias"] else "F × C·m",
                       f"{n(f)} × ({n(cm)} + 1)" if a["bias"] else f"{n(f)} × {n(cm)}", n(pw), pw),
                  Step("params", "parameters", "depthwise + pointwise", f"{n(dw)} + {n(pw)}", n(dw + pw), dw + pw)]
        pw_macs = F.conv_macs(tuple(out_sp), cm, f, ones, 1)
        macs += [Step("macs", "pointwise multiply-adds", "out_positions·F × C·m", f"{dots(out_sp)}·{n(f)} × {n(cm)}",
                      n(pw_macs), pw_macs),
                 Step("macs", "multiply-adds", "depthwise + pointwise", f"{n(dw_macs)} + {n(pw_macs)}",
                      n(dw_macs + pw_macs), dw_macs + pw_macs)]
        out_c = f
    channels = Step("output", "channels", "F" if ctx.layer.kind == "separable" else "C·m (m maps per channel)",
                    "" if ctx.layer.kind == "separable" else f"{n(c)}·{m}", n(out_c), out_c)
    return {"output": _output_steps(ctx, axes, channels), "params": steps, "macs": macs}


# --- pool-like ----------------------------------------------------------------------------

def _pool(ctx: Ctx) -> Parts:
    a = ctx.args
    stride = a["stride"] if a["stride"] is not None else a["kernel"]
    axes = _window_axes(ctx, stride, a["ceil"] and a["padding"] != "same")
    c = ctx.shape[-1]
    channels = Step("output", "channels", "C (each channel pooled on its own)", "", n(c), c)
    return {"output": _output_steps(ctx, axes, channels), **_no_weights("a pooling window has no weights")}


def _global_pool(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    shape = (1,) * len(spatial) + (c,)
    how = "averaged" if ctx.layer.kind.startswith("globalavg") else "the largest"
    step = _shape_step("output", "1 × … × 1 × C (one value per channel)",
                       f"each {fmt_shape(tuple(spatial))} map → one value ({how})", shape)
    return {"output": [step], **_no_weights("pooling has no weights")}


def _adaptive_pool(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    out = ctx.args["output"]
    steps = []
    for name, size, o in zip(_spatial_names(len(spatial)), spatial, out):
        if size % o:
            steps.append(Step("output", name, "given", "", str(o), o,
                              (f"{size}/{o} is not whole: windows ⌊i·H/out⌋ to ⌈(i+1)·H/out⌉ vary and overlap",)))
        else:
            steps.append(Step("output", name, "given; window = stride = H/out", f"{size}/{o} = {size // o}",
                              str(o), o))
    steps.append(_shape_step("output", "given × C", "", tuple(out) + (c,)))
    return {"output": steps, **_no_weights("pooling has no weights")}


def _no_weights(why: str) -> Parts:
    return {"params": [Step("params", "parameters", "none", "", "0", 0, (why,))],
            "macs": [Step("macs", "multiply-adds", "none counted", "", "0", 0,
                          ("only conv, depthwise, separable, deconv and dense layers count multiply-adds",))]}


# --- dense, norm ------------------------------------------------------------------------------

def _dense(ctx: Ctx) -> Parts:
    (inputs,), units, bias = ctx.shape, ctx.args["units"], ctx.args["bias"]
    total = F.dense_params(inputs, units, bias)
    params = Step("params", "parameters", "U × (N + 1)" if bias else "U × N",
                  f"{n(units)} × ({n(inputs)} + 1)" if bias else f"{n(units)} × {n(inputs)}", n(total), total,
                  ("one weight per input for each unit" + (", plus its bias" if bias else ""),))
    macs = F.dense_macs(inputs, units)
    return {"output": [_shape_step("output", "U", "", (units,))], "params": [params],
            "macs": [Step("macs", "multiply-adds", "N·U", f"{n(inputs)}·{n(units)}", n(macs), macs)]}


def _batchnorm(ctx: Ctx) -> Parts:
    c, affine = ctx.shape[-1], ctx.args["affine"]
    steps = []
    if affine:
        steps.append(Step("params", "trainable", "2·C (a scale and a shift per channel)", f"2·{n(c)}", n(2 * c),
                          2 * c))
    steps.append(Step("params", "non-trainable", "2·C (running mean and variance per channel)", f"2·{n(c)}",
                      n(2 * c), 2 * c))
    total = (4 if affine else 2) * c
    steps.append(Step("params", "parameters", "trainable + non-trainable",
                      f"{n(2 * c)} + {n(2 * c)}" if affine else n(2 * c), n(total), total))
    return {"output": [_shape_step("output", "unchanged", "", ctx.shape)], "params": steps}


def _prelu(ctx: Ctx) -> Parts:
    shared, c = ctx.args["shared"], ctx.shape[-1]
    count = 1 if shared else c
    step = Step("params", "parameters", "1 (one shared slope)" if shared else "C (one slope per channel)", "",
                n(count), count)
    return {"output": [_shape_step("output", "unchanged", "", ctx.shape)], "params": [step]}


# --- merges -----------------------------------------------------------------------------------

def _add(ctx: Ctx) -> Parts:
    shapes = ctx.layer.input_shapes
    worked = (" + " if ctx.layer.kind == "add" else " · ").join(fmt_shape(s) for s in shapes)
    what = "sum" if ctx.layer.kind == "add" else "product"
    step = Step("merge", "shapes", "every input the same shape; the output has it too", worked,
                fmt_shape(shapes[0]), None, (f"element-wise {what} of {len(shapes)} inputs",))
    return {"merge": [step], "output": [_shape_step("output", "output", "", shapes[0])],
            **_no_weights("a merge has no weights")}


def _multiply(ctx: Ctx) -> Parts:
    shapes = ctx.layer.input_shapes
    if len(set(shapes)) == 1:
        return _add(ctx)
    out = max(shapes, key=prod)
    step = Step("merge", "shapes", "a 1×1×C gate broadcasts over an H×W×C map",
                " · ".join(fmt_shape(s) for s in shapes), fmt_shape(out), None,
                ("each channel of the map is scaled by its gate value (squeeze-and-excitation)",))
    return {"merge": [step], "output": [_shape_step("output", "output", "", out)],
            **_no_weights("a merge has no weights")}


def _concat(ctx: Ctx) -> Parts:
    shapes = ctx.layer.input_shapes
    total = sum(s[-1] for s in shapes)
    same = fmt_shape(shapes[0][:-1]) if len(shapes[0]) > 1 else ""
    notes = (f"every input is {same}: concatenation needs equal sizes except along channels",) if same else ()
    step = Step("merge", "channels", "summed along the last axis", " + ".join(n(s[-1]) for s in shapes), n(total),
                total, notes)
    return {"merge": [step], "output": [_shape_step("output", "output", "", shapes[0][:-1] + (total,))],
            **_no_weights("a merge has no weights")}


# --- reshapes ---------------------------------------------------------------------------------

def _flatten(ctx: Ctx) -> Parts:
    total = prod(ctx.shape)
    step = Step("output", "output", "product of the dimensions", dots(ctx.shape), str(total), total,
                ("every value becomes one input feature of what follows",))
    return {"output": [step], **_no_weights("a reshape has no weights")}


def _border(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    pads = ctx.args["padding" if ctx.layer.kind == "zeropad" else "cropping"]
    sign = "+" if ctx.layer.kind == "zeropad" else "−"
    steps = []
    for i, (name, size) in enumerate(zip(_spatial_names(len(spatial)), spatial)):
        b, e = pads[2 * i], pads[2 * i + 1]
        o = size + b + e if sign == "+" else size - b - e
        steps.append(Step("output", name, f"H {sign} Pb {sign} Pe", f"{size} {sign} {b} {sign} {e}", str(o), o))
    out = tuple(s.value or 0 for s in steps) + (c,)
    return {"output": [*steps, _shape_step("output", "output", "", out)], **_no_weights("a reshape has no weights")}


def _upsample(ctx: Ctx) -> Parts:
    *spatial, c = ctx.shape
    scale, size = ctx.args["scale"], ctx.args["size"]
    steps = []
    for i, (name, h) in enumerate(zip(_spatial_names(len(spatial)), spatial)):
        if size is not None:
            steps.append(Step("output", name, "given", "", str(size[i]), size[i]))
        else:
            s = scale[i] if scale is not None else 2
            steps.append(Step("output", name, "H·scale", f"{h}·{s}", str(h * s), h * s))
    out = tuple(s.value or 0 for s in steps) + (c,)
    return {"output": [*steps, _shape_step("output", "output", "", out)],
            **_no_weights("upsampling repeats or interpolates values; it has no weights")}


EXPLAINERS: dict[str, Explainer] = {
    "conv": _conv, "deconv": _conv, "depthwise": _depthwise, "separable": _depthwise,
    "maxpool": _pool, "avgpool": _pool, "sumpool": _pool,
    "globalavgpool": _global_pool, "globalmaxpool": _global_pool,
    "adaptiveavgpool": _adaptive_pool, "adaptivemaxpool": _adaptive_pool,
    "dense": _dense, "batchnorm": _batchnorm, "prelu": _prelu,
    "add": _add, "multiply": _multiply, "concat": _concat,
    "flatten": _flatten, "zeropad": _border, "crop": _border, "upsample": _upsample,
}
CONV_LIKE = ("conv", "deconv", "depthwise", "separable")  # explained with their dense equivalent


# --- what every layer gets, read from its LayerOut ---------------------------------------------

def _generic(ctx: Ctx, topic: str) -> list[Step]:
    """A topic explained from the LayerOut alone: right for every kind, new ones included."""
    out, layer = ctx.layer.out, ctx.layer
    if topic == "output":
        if layer.input_shapes == (out.output,):
            return [Step("output", "output", "unchanged (the input's shape)", "", fmt_shape(out.output))]
        arrow = " and ".join(fmt_shape(s) for s in layer.input_shapes)
        return [Step("output", "output", f"as {layer.kind} computes it", f"{arrow} → {fmt_shape(out.output)}",
                     fmt_shape(out.output))]
    if topic == "params":
        return _generic_params(ctx)
    if topic == "macs":
        if not out.macs:
            return _no_weights("")["macs"]
        return [Step("macs", "multiply-adds", f"as {layer.kind} counts them (bias excluded)", "", n(out.macs),
                     out.macs)]
    return []


def _generic_params(ctx: Ctx) -> list[Step]:
    out = ctx.layer.out
    total = out.trainable + out.non_trainable
    if not total:
        return [Step("params", "parameters", "none", "", "0", 0)]
    weights = [prod(w) for w in out.weights]
    parts = [dots(w) for w in out.weights]
    rest = out.trainable - sum(weights)
    if rest > 0:
        parts.append(n(rest))
    steps = [Step("params", "trainable", "weight tensors" + (" + biases" if rest > 0 else ""),
                  " + ".join(parts) if rest >= 0 and parts else "", n(out.trainable), out.trainable)]
    if out.non_trainable:
        steps.append(Step("params", "non-trainable", "statistics kept, not trained", "", n(out.non_trainable),
                          out.non_trainable))
        steps.append(Step("params", "parameters", "trainable + non-trainable",
                          f"{n(out.trainable)} + {n(out.non_trainable)}", n(total), total))
    return steps


def _agrees(topic: str, steps: list[Step], layer: Layer) -> bool:
    """Whether a specific explanation ends on the figure the kind computed."""
    out, last = layer.out, steps[-1] if steps else None
    if last is None:
        return False
    if topic == "output":
        return last.result == fmt_shape(out.output)
    if topic == "params":
        return last.value == out.trainable + out.non_trainable
    if topic == "macs":
        return last.value == out.macs
    return True


def _memory(ctx: Ctx) -> Step:
    shape, size = ctx.layer.out.output, DTYPE_BYTES[ctx.dtype]
    total = prod(shape) * size
    return Step("memory", "output memory", f"output values × {size} bytes ({ctx.dtype})",
                f"{dots(shape)} × {size}", f"{n(total)} B", total,
                (_binary(total),) if total >= 2 ** 10 else ())


def _binary(count: int) -> str:
    """Bytes in binary units, as the tables show memory (1 MiB = 2^20 bytes)."""
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if count >= scale:
            return f"{count / scale:,.2f} {unit}"
    return f"{count} B"


def _source_rf(network: Network, source: int) -> RF | None:
    if source == INPUT:
        return PIXEL if len(network.input) == 3 else None
    return network.layers[source].rf


def _rf_steps(ctx: Ctx) -> list[Step]:
    """The recurrence r' = r + (k − 1)·j, j' = j·s, p' = p + pad·j, per axis (once when the axes agree)."""
    layer = ctx.layer
    if layer.rf is None:
        return []
    if len(layer.sources) > 1:
        size = layer.rf.size
        return [Step("rf", "receptive field", "the largest of the merged paths", "",
                     "×".join(map(str, size)) if size[0] != size[1] else str(size[0]), size[0])]
    before, transform = _source_rf(ctx.network, layer.sources[0]), layer.out.rf
    if before is None:
        return []
    if transform is None:
        return [Step("rf", "receptive field", "unchanged (each output sees one position)", "",
                     _rf_text(layer.rf), layer.rf.size[0])]
    axes = [(before.size[i], before.jump[i], before.padding[i], *transform[i]) for i in (0, 1)]
    if (layer.rf.size, layer.rf.jump, layer.rf.padding) != tuple(
            tuple(v) for v in zip(*[(r + (k - 1) * j, j * s, p + q * j) for r, j, p, k, s, q in axes])):
        return [Step("rf", "receptive field", "composed through the layers", "", _rf_text(layer.rf))]
    names = ("height and width",) if axes[0] == axes[1] else ("height", "width")
    steps = []
    for name, (r, j, p, k, s, q) in zip(names, axes):
        suffix = f" ({name})" if len(names) > 1 else ""
        steps += [Step("rf", f"receptive field{suffix}", "r' = r + (k − 1)·j", f"{r} + ({k} − 1)·{j}",
                       str(r + (k - 1) * j), r + (k - 1) * j),
                  Step("rf", f"jump{suffix}", "j' = j·s", f"{j}·{s}", str(j * s), j * s),
                  Step("rf", f"effective padding{suffix}", "p' = p + pad·j", f"{p} + {q}·{j}", str(p + q * j), p + q * j)]
    return steps


def _rf_text(rf: RF) -> str:
    if rf.size[0] == rf.size[1]:
        return f"r = {rf.size[0]}, jump {rf.jump[0]}"
    return f"r = {rf.size[0]}×{rf.size[1]}, jump {rf.jump[0]}×{rf.jump[1]}"


def _dense_equivalent(ctx: Ctx) -> Step:
    """What a dense layer from the same input to the same output would need, against the convolution."""
    inputs, outputs = prod(ctx.shape), prod(ctx.layer.out.output)
    total = F.dense_params(inputs, outputs)
    own = ctx.layer.out.trainable
    ratio = f"{total / own:,.0f} times" if own else "infinitely many times"
    return Step("dense", "as a dense layer", "N × M + M (N inputs, M outputs, a bias each)",
                f"{n(inputs)} × {n(outputs)} + {n(outputs)}", n(total), total,
                (f"{dots(ctx.shape)} = {n(inputs)} inputs to {dots(ctx.layer.out.output)} = {n(outputs)} outputs: "
                 f"{ratio} the convolution's {n(own)}, which shares one small kernel across every position",))


def explain_layer(ctx: Ctx) -> LayerExplanation:
    """The worked figures of one layer: its kind's explainer where it fits, the generic one elsewhere."""
    layer = ctx.layer
    parts: Parts = {}
    explainer = EXPLAINERS.get(layer.kind)
    if explainer is not None:
        try:
            parts = explainer(ctx)
        except (KeyError, IndexError, TypeError, ValueError):  # a form of the kind this explainer predates
            parts = {}
    generic = []
    for topic in ("output", "params", "macs"):
        if not _agrees(topic, parts.get(topic, []), layer):
            # Marked generic when the kind has no explainer or its explainer does not fit this form;
            # a topic an explainer leaves out (a norm's MACs) is simply what LayerOut says.
            if explainer is None or not parts or topic in parts:
                generic.append(topic)
            parts[topic] = _generic(ctx, topic)
    parts["memory"] = [_memory(ctx)]
    try:
        parts["rf"] = _rf_steps(ctx)
    except (IndexError, TypeError, ValueError):  # a receptive field of a form the recurrence here predates
        parts["rf"] = [Step("rf", "receptive field", "composed through the layers", "", str(layer.rf))]
    if layer.kind in CONV_LIKE:
        parts["dense"] = [_dense_equivalent(ctx)]
    steps = tuple(step for topic in TOPICS for step in parts.get(topic, []))
    return LayerExplanation(layer.index + 1, layer.name, layer.kind, layer.input_shapes, layer.output, steps,
                            tuple(generic))


# --- the network ------------------------------------------------------------------------------

def trail(network: Network, explained: dict[int, LayerExplanation]) -> tuple[Change, ...]:
    """Every layer that changes the spatial size, in order: VGG-16's 224 → 112 → 56 → 28 → 14 → 7."""
    changes = []
    for layer in network.layers:
        before, after = layer.input_shapes[0][:-1], layer.output[:-1]
        if len(before) < 1 or len(after) < 1 or before == after:
            continue
        worked = ""
        ex = explained.get(layer.index)
        sizes = [s for s in ex.steps if s.topic == "output" and s.worked] if ex else []
        if sizes:
            worked = f"{sizes[0].worked} = {sizes[0].result}"
        changes.append(Change(layer.index + 1, layer.name, tuple(before), tuple(after), worked))
    return tuple(changes)


def select(network: Network, wanted: list[str]) -> list[int]:
    """Indices (0-based) of the layers named or numbered (1-based); a block name selects its layers."""
    if not wanted:
        return list(range(len(network.layers)))
    chosen: list[int] = []
    names = [layer.name for layer in network.layers]
    for word in wanted:
        if word.isdigit():
            i = int(word)
            if not 1 <= i <= len(names):
                raise UnknownLayer(f"there is no layer {i}: the layers are numbered 1 to {len(names)}")
            found = [i - 1]
        else:
            found = [k for k, name in enumerate(names) if name == word or name.startswith(word + ".")]
        if not found:
            from cnncalc.core.problems import did_you_mean

            raise UnknownLayer(f"no layer is named {word!r}{did_you_mean(word, names)}; "
                               "`cnncalc shape --depth all` lists the names")
        chosen += [k for k in found if k not in chosen]
    return sorted(chosen)


def explain(network: Network, name: str, layers: list[str] | None = None, dtype: str = "float32") -> Explanation:
    """Explain the chosen layers of a network (all when none is chosen); raises UnknownLayer."""
    indices = select(network, layers or [])
    explained = {i: explain_layer(Ctx(network, network.layers[i], dtype)) for i in indices}
    maps = [layer.output for layer in network.layers if len(layer.output) > 1]
    changes = trail(network, explained) if not layers else ()
    return Explanation(name, network.input, network.layers[-1].output, dtype, tuple(explained.values()), changes,
                       maps[-1] if maps and changes else None)


def kinds_without_explainer() -> list[str]:
    """Kinds explained by the generic fallback alone (activations, dropout, and any kind added later)."""
    return [k for k in KINDS if k not in EXPLAINERS]


__all__ = ["EXPLAINERS", "Change", "Ctx", "Explanation", "LayerExplanation", "Step", "UnknownLayer", "explain",
           "explain_layer", "kinds_without_explainer", "select"]
