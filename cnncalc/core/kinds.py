"""The registry of layer kinds: each kind is one small unit computing shape, params, MACs and RF."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

from cnncalc.core import formulas as F
from cnncalc.core.problems import WARNING, Located, Problem, SpecError, did_you_mean
from cnncalc.core.quantities import fmt_shape

Shape = tuple[int, ...]
# Per spatial axis (length; height, width; depth, height, width): (window span in input pixels, stride,
# leading padding).
AxisRF = tuple[int, int, int]
Margins = tuple[tuple[int, int], ...]
REQUIRED = object()

ACTIVATIONS = (
    "relu", "relu6", "leakyrelu", "elu", "gelu", "sigmoid", "tanh", "silu", "swish",
    "hardswish", "hardsigmoid", "softmax", "identity", "linear", "none",
)


# --- argument converters: (value, where) -> converted value -------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    """How a value given for an argument reads in a message: its YAML type and the value."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, float):
        whole = " (write it without the decimal point)" if value.is_integer() else ""
        return f"the float {value!r}{whole}"
    if isinstance(value, str):
        return f'the text "{value}"'
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def positive_int(value: Any, where: Located) -> int:
    """A whole number ≥ 1."""
    if _is_int(value) and value >= 1:
        return value
    raise where.error("invalid-value", f"expected a whole number of at least 1, got {_describe(value)}")


class Axes(tuple):  # type: ignore[type-arg]
    """Per-axis values as converted for a 2-D input, keeping what was written (`raw`: a number or a tuple).

    Arguments are converted before the input's rank is known; the kind resolves `raw` against the rank
    (`per_axis`, `pads_per_axis`). The tuple itself is the 2-D reading, as before N-d inputs.
    """

    raw: int | tuple[int, ...]


def _axes(value: tuple[int, ...], raw: int | tuple[int, ...]) -> Axes:
    out = Axes(value)
    out.raw = raw
    return out


def _per_axis_list(value: Any, minimum: int, lengths: tuple[int, ...]) -> bool:
    return isinstance(value, list) and len(value) in lengths and all(_is_int(v) and v >= minimum for v in value)


def pair(value: Any, where: Located) -> tuple[int, ...]:
    """An integer or one per spatial axis ([length], [height, width], [depth, height, width]), each ≥ 1."""
    if _is_int(value) and value >= 1:
        return _axes((value, value), value)
    if _per_axis_list(value, 1, (1, 2, 3)):
        return _axes(tuple(value), tuple(value))
    raise where.error("invalid-value",
                      f"expected a whole number ≥ 1 or a list [height, width] of them (one per axis: [length] "
                      f"or [depth, height, width] for 1-D or 3-D inputs), got {_describe(value)}")


def padding(value: Any, where: Located) -> tuple[int, ...] | str:
    """An integer, one per axis, (begin, end) per axis, `same` or `valid` → (t, b, l, r) for 2-D, or 'same'.

    [h, w] and [top, bottom, left, right] on a 2-D input; [p] or [begin, end] on 1-D; [d, h, w] or
    [front, back, top, bottom, left, right] on 3-D (resolved by `pads_per_axis`).
    """
    if value == "same":
        return "same"
    if value == "valid":
        return (0, 0, 0, 0)
    if _is_int(value) and value >= 0:
        return _axes((value, value, value, value), value)
    if _per_axis_list(value, 0, (1, 2, 3, 4, 6)):
        if len(value) == 2:
            return _axes((value[0], value[0], value[1], value[1]), tuple(value))
        return _axes(tuple(value), tuple(value))
    raise where.error("invalid-value",
                      "padding takes a whole number ≥ 0, [h, w], [top, bottom, left, right], "
                      "`same` or `valid` (on 1-D and 3-D inputs one per axis or [begin, end] per axis); "
                      f"got {_describe(value)}")


def boolean(value: Any, where: Located) -> bool:
    """true or false."""
    if isinstance(value, bool):
        return value
    raise where.error("invalid-value", f"expected true or false, got {_describe(value)}")


def rate(value: Any, where: Located) -> float:
    """A number in [0, 1)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        return float(value)
    raise where.error("invalid-value", f"expected a rate from 0 up to (not including) 1, got {_describe(value)}")


def number(value: Any, where: Located) -> float:
    """Any real number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise where.error("invalid-value", f"expected a number, got {_describe(value)}")


def activation(value: Any, where: Located) -> str:
    """One of the fused activations, or none."""
    if value is None:
        return "none"
    if isinstance(value, str) and value.lower() in ACTIVATIONS:
        return value.lower()
    if value == "prelu":
        raise where.error("invalid-value",
                          "prelu has parameters, so it is a layer, not an `activation`: add `- prelu` after this layer")
    shown = f'"{value}"' if isinstance(value, str) else _describe(value)
    raise where.error("invalid-value",
                      f"unknown activation {shown}{did_you_mean(str(value), ACTIVATIONS)}; "
                      f"choose one of {', '.join(ACTIVATIONS)}")


UPSAMPLE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # modes of one rank only


def upsample_mode(value: Any, where: Located) -> str:
    """nearest, linear (1-D), bilinear or bicubic (2-D), trilinear (3-D): no effect on shapes or counts."""
    modes = ("nearest", "linear", "bilinear", "bicubic", "trilinear")
    if value in modes:
        return str(value)
    raise where.error("invalid-value", f"mode takes one of {', '.join(modes)}; got {_describe(value)}")


# --- the call a kind computes -------------------------------------------------------------

def axes_of(value: Any, rank: int) -> tuple[int, ...]:
    """A converted kernel-like argument, one value per spatial axis of a rank-`rank` input.

    What was written (`Axes.raw`: one number, or a list taken as it is, whatever its length), else a
    kind's default, the same on every axis. Call.per_axis refuses a list of the wrong length.
    """
    raw = getattr(value, "raw", None)
    if raw is None:  # a kind's default: the same on every axis
        raw = value[0] if len(set(value)) == 1 else tuple(value)
    return (raw,) * rank if isinstance(raw, int) else tuple(raw)


def pads_of(value: Any, rank: int) -> tuple[int, ...] | str:
    """A converted padding-like argument as (begin, end) per spatial axis, flattened, or 'same'.

    One number pads every side, one per axis pads both ends; any other list is taken as it is
    (Call.pads_per_axis refuses one that is not begin and end per axis).
    """
    if value == "same":
        return "same"
    padded = axes_of(value, rank)  # `valid` or a default: the same on every side
    if len(padded) == rank:
        return tuple(p for p in padded for _ in (0, 1))
    return padded


class Call(NamedTuple):
    """One application of a kind: converted arguments and the input shapes."""

    kind: str
    args: dict[str, Any]
    where: Located
    arg_where: dict[str, Located]
    inputs: list[Shape]
    input_names: list[str]
    name: str = ""
    # Zero padding at the edges of the first input, (begin, end) per spatial axis, written as `zeropad`
    # layers upstream and kept by layers that keep positions: () when there is none.
    margins: Margins = ()

    def at(self, arg: str | None = None) -> Located:
        """Position of an argument if it was written, else of the layer."""
        return self.arg_where.get(arg, self.where) if arg else self.where

    def fail(self, rule: str, message: str, arg: str | None = None) -> SpecError:
        """A fatal error at the argument (or the layer), naming the layer."""
        return self.at(arg).error(rule, f"{self.name}: {message}" if self.name else message)

    def feature_map(self) -> tuple[int, int, int]:
        """The single input as H×W×C, or an error saying what the kind needs (for kinds that are 2-D only)."""
        shape = self.inputs[0]
        if len(shape) != 3:
            if len(shape) > 1:
                raise self.fail("shape-mismatch",
                                f"{self.kind} works on 2-D feature maps H×W×C only, but its input "
                                f"'{self.input_names[0]}' is {fmt_shape(shape)} ({AXES[len(shape) - 1]}); "
                                "use a 2-D input or another kind")
            self.spatial()
        return shape  # type: ignore[return-value]

    def spatial(self) -> tuple[tuple[int, ...], int]:
        """The single input's spatial sizes (1 to 3 axes) and channels, or an error if it is a vector."""
        shape = self.inputs[0]
        if len(shape) < 2:
            fix = ("give the network's `input` as [height, width, channels] (or [length, channels], "
                   "[depth, height, width, channels])" if self.input_names[0] == "input"
                   else "move it before the flatten or dense that made the vector")
            raise self.fail("shape-mismatch",
                            f"{self.kind} needs a feature map H×W×C, but its input '{self.input_names[0]}' "
                            f"is a vector of {shape[0]}; {fix}")
        return shape[:-1], shape[-1]

    def per_axis(self, arg: str, rank: int) -> tuple[int, ...]:
        """A kernel-like argument resolved to one value per spatial axis of a rank-`rank` input."""
        values = axes_of(self.args[arg], rank)
        if len(values) != rank:
            raise self.fail("invalid-value", f"{arg} has {len(values)} values but the input has {rank} spatial "
                            f"{'axis' if rank == 1 else 'axes'} ({AXES[rank - 1]}); give one number or "
                            f"{AXIS_LISTS[rank - 1]}", arg)
        return values

    def pads_per_axis(self, arg: str, rank: int) -> tuple[int, ...] | str:
        """A padding-like argument as (begin, end) per spatial axis, flattened: (t, b, l, r) in 2-D; or 'same'."""
        pads = pads_of(self.args[arg], rank)
        if pads == "same" or len(pads) == 2 * rank:
            return pads
        raise self.fail("invalid-value", f"{arg} has {len(pads)} values but the input has {rank} spatial "
                        f"{'axis' if rank == 1 else 'axes'} ({AXES[rank - 1]}); give one number, "
                        f"{AXIS_LISTS[rank - 1]} or {PAD_LISTS[rank - 1]}", arg)

    def channels(self) -> int:
        """Channels of the single input (features for a vector)."""
        return self.inputs[0][-1]


AXES = ("length", "height and width", "depth, height and width")  # the spatial axes by rank
AXIS_NAMES = (("length",), ("height", "width"), ("depth", "height", "width"))
AXIS_LISTS = ("[length]", "[height, width]", "[depth, height, width]")
PAD_LISTS = ("[begin, end]", "[top, bottom, left, right]", "[front, back, top, bottom, left, right]")
# Familiar names that also check the input's rank (`conv1d` on an H×W×C input is refused);
# 0 is a vector, which BatchNorm1d also takes.
ALIAS_RANKS: dict[str, tuple[int, ...]] = {
    **{f"{base}{r}d": (r,) for base in ("conv", "convtranspose", "deconv", "maxpool", "avgpool",
                                         "adaptiveavgpool", "adaptivemaxpool", "globalavgpool",
                                         "globalmaxpool", "zeropad", "crop", "upsample") for r in (1, 2, 3)},
    "batchnorm1d": (0, 1), "batchnorm2d": (2,), "batchnorm3d": (3,),
}


def check_alias_rank(written: str, shape: Shape, where: Located) -> None:
    """Refuse a rank-specific name (`conv3d`) on an input of another rank."""
    ranks = ALIAS_RANKS.get(written)
    rank = len(shape) - 1
    if ranks is None or rank in ranks:
        return
    base = written[:-2]
    given = f"a vector of {shape[0]}" if rank == 0 else f"{fmt_shape(shape)} ({AXES[rank - 1]}, {rank}-D)"
    fix = f"`{base}{rank}d` or `{ALIASES.get(base, base)}`" if 1 <= rank <= 3 else "an input of the right rank"
    raise where.error("shape-mismatch", f"`{written}` needs a {ranks[-1]}-D input, but its input is {given}; "
                      f"write {fix} (the rank follows the input)")


class LayerOut(NamedTuple):
    """What a kind computes for one call; immutable, as compute() shares it between equal calls."""

    output: Shape
    trainable: int = 0
    non_trainable: int = 0
    macs: int = 0
    weights: tuple[Shape, ...] = ()
    rf: tuple[AxisRF, ...] | None = None  # one per spatial axis; None: each output sees one input position
    breaks_rf: bool = False  # upsampling: the receptive field is not defined past this layer
    warnings: Sequence[Problem] = ()
    uneven: str | None = None  # why this input size does not divide evenly here (for `cnncalc sizes`)
    margins: Margins = ()  # rows/columns of the output that are zero padding (see Call.margins)


class Arg(NamedTuple):
    """An argument: its converter and default (REQUIRED if it has none; None: unset, `unset` says what that means)."""

    convert: Callable[[Any, Located], Any]
    default: Any = REQUIRED
    unset: str = "unset"  # what a None default means, as shown to the user (a pool's stride: the kernel)


def json_default(value: Any) -> Any:
    """A default as the user would write it in the file (JSON-ready): (1, 1) is 1; None if it has none."""
    if value is REQUIRED or value is None:
        return None
    if isinstance(value, tuple):
        return value[0] if len(set(value)) == 1 else list(value)
    return value


def show_default(arg: Arg) -> str:
    """An argument's default as YAML text (`1`, `true`, `same`; `unset`'s words for None); '' if required."""
    if arg.default is REQUIRED:
        return ""
    if arg.default is None:
        return arg.unset
    value = json_default(arg.default)
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value)


class Kind(NamedTuple):
    """A layer kind: its arguments, main argument and computation."""

    name: str
    infer: Callable[[Call], LayerOut]
    args: dict[str, Arg]
    main: str | None = None
    aliases: tuple[str, ...] = ()
    merge: bool = False
    summary: str = ""


# --- spatial helpers ----------------------------------------------------------------------

class Geometry(NamedTuple):
    """A sliding window's arguments, per spatial axis (height, width in 2-D)."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...] | str  # (begin, end) per axis, flattened: (top, bottom, left, right) in 2-D; "same"
    dilation: tuple[int, ...] = (1, 1)
    ceil: bool = False


class Window(NamedTuple):
    """What the window arithmetic found: output per axis, the padding used, floor warnings, unevenness."""

    out: tuple[int, ...]
    pads: tuple[int, ...]
    warnings: list[Problem]
    uneven: str | None  # why this input size does not divide evenly (for `cnncalc sizes`)

    def rf(self, geo: Geometry) -> tuple[AxisRF, ...]:
        """The receptive-field transform of this window: span, stride and leading padding per axis."""
        return tuple((F.effective_kernel(geo.kernel[a], geo.dilation[a]), geo.stride[a], self.pads[2 * a])
                     for a in range(len(self.out)))


def _uneven(size: int, o: int, geo: Geometry, axis: int, begin_end: int) -> str | None:
    """Why `size` does not divide evenly under this window, or None.

    A padded strided layer should map H onto exactly H/s outputs, an unpadded one should tile H
    exactly; windows narrower than the stride (1×1/2) map; ceil mode accepts either.
    """
    s, ceil = geo.stride[axis], geo.ceil
    if s == 1:
        return None
    span = F.effective_kernel(geo.kernel[axis], geo.dilation[axis])
    numerator = size + begin_end - span
    tiles, maps = numerator % s == 0, o * s == size
    by_map = begin_end > 0 or span < s
    if (tiles or maps) if ceil else (maps if by_map else tiles):
        return None
    if by_map and not ceil:
        return (f"{size} is not a multiple of the stride {s}: the windows give {o} outputs, "
                f"and {o} × {s} = {o * s} ≠ {size}")
    return (f"({size}{f' + {begin_end}' if begin_end else ''} − {span})/{s} = "
            f"{numerator / s:g} is not whole, so the windows do not tile the input")


def _floor_note(size: int, geo: Geometry, axis: int, pads: tuple[int, int], o: int) -> tuple[str, str] | None:
    """(formula, what is lost) when flooring drops input rows or columns a window should have seen."""
    k, s, d = geo.kernel[axis], geo.stride[axis], geo.dilation[axis]
    begin, end = pads
    numerator = size + begin + end - F.effective_kernel(k, d)
    lost = F.uncovered(size, F.Window(k, s, begin, end, d), o) if numerator % s and not geo.ceil else None
    if not lost:  # a floor that drops only padding, or rows the stride skips anyway, is harmless
        return None
    what = _AXIS_WORDS[len(geo.kernel) - 1][axis]
    if lost[0] != lost[1]:
        detail = f"input {what} {lost[0]}–{lost[1]} of {size} are never covered by a window"
    else:
        detail = f"input {what[:-1]} {lost[0]} of {size} is never covered by a window"
    pad_text = f" + {begin + end}" if begin + end else ""
    kern_text = f"{d}·({k} − 1) − 1" if d > 1 else f"{k}"
    return f"⌊({size}{pad_text} − {kern_text})/{s}⌋ + 1 = ⌊{numerator / s:.4g}⌋ + 1 = {o}", detail


_AXIS_WORDS = (("positions",), ("rows", "columns"), ("slices", "rows", "columns"))  # what an axis's lines are


def _floor_warnings(call: Call, notes: list[tuple[str, str, str]]) -> list[Problem]:
    if len(notes) == 2 and notes[0][1] == notes[1][1] and notes[0][0] == "height":
        detail = notes[0][2].replace("rows", "rows (and columns)").replace("row ", "row (and column) ")
        texts = [f"height and width: {notes[0][1]} does not divide evenly; {detail}"]
    elif len(notes) == 3 and len({n[1] for n in notes}) == 1:  # a cube: one warning, as a square has
        detail = notes[0][2].replace("slices", "positions").replace("slice ", "position ")
        texts = [f"depth, height and width: {notes[0][1]} does not divide evenly; {detail} on each axis"]
    else:
        texts = [f"{axis_name}: {formula} does not divide evenly; {detail}" for axis_name, formula, detail in notes]
    return [call.where.problem("non-integer-output", f"{text}. Change the padding, stride or input size so that "
                               "it divides evenly", WARNING) for text in texts]


def _window(call: Call, in_hw: tuple[int, ...], geo: Geometry) -> Window:
    """Output per axis and the padding used, checking for impossible and floored windows and unevenness."""
    names = AXIS_NAMES[len(in_hw) - 1]
    if geo.padding == "same":
        pads: tuple[int, ...] = ()
        for axis in range(len(in_hw)):
            pads += F.same_padding(in_hw[axis], geo.kernel[axis], geo.stride[axis], geo.dilation[axis])
    else:
        pads = geo.padding  # type: ignore[assignment]
    out: list[int] = []
    notes: list[tuple[str, str, str]] = []
    uneven: str | None = None
    for axis, name in enumerate(names):
        size, k, s, d = in_hw[axis], geo.kernel[axis], geo.stride[axis], geo.dilation[axis]
        begin, end = pads[2 * axis], pads[2 * axis + 1]
        span = F.effective_kernel(k, d)
        if span > size + begin + end and not geo.ceil:  # ceil mode may overhang; empty-output catches the rest
            raise call.fail("kernel-too-large",
                            f"the {name} of the window ({span}{' dilated' if d > 1 else ''}) is larger than the "
                            f"padded input ({size} + {begin + end} = {size + begin + end}); use a smaller kernel "
                            f"or dilation, more padding, or a larger input", "kernel")
        o = F.conv_output_size(size, F.Window(k, s, begin, end, d), geo.ceil)
        if o < 1:
            raise call.fail("empty-output", f"the output {name} would be {o}; use a larger input or smaller stride")
        # Rows a `zeropad` layer added are padding, not input: a floor that drops only them is harmless.
        pb, pe = call.margins[axis] if call.margins else (0, 0)
        real, begin, end = size - pb - pe, begin + pb, end + pe
        if uneven is None:
            why = _uneven(real, o, geo, axis, begin + end)
            uneven = f"{name}: {why}" if why else None
        note = _floor_note(real, geo, axis, (begin, end), o)
        if note:
            notes.append((name, *note))
        out.append(o)
    warnings = _floor_warnings(call, notes) if notes else []
    return Window(tuple(out), pads, warnings, uneven)


def _whole(shape: Shape) -> tuple[AxisRF, ...] | None:
    """RF transform of a layer whose every output sees the whole input."""
    if len(shape) < 2:
        return None
    return tuple((d, 1, 0) for d in shape[:-1])


def _geometry(call: Call, rank: int, ceil: bool = False) -> Geometry:
    """The window arguments of a call resolved to the input's rank (a pool's unset stride is its kernel)."""
    kernel = call.per_axis("kernel", rank)
    stride = kernel if call.args["stride"] is None else call.per_axis("stride", rank)
    dilation = call.per_axis("dilation", rank) if "dilation" in call.args else (1,) * rank
    return Geometry(kernel, stride, call.pads_per_axis("padding", rank), dilation, ceil)


# --- kinds --------------------------------------------------------------------------------

def _conv(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    a = call.args
    filters, groups = a["filters"], a["groups"]
    if c % groups:
        raise call.fail("invalid-groups", f"groups={groups} does not divide the {c} input channels; "
                        f"choose a divisor of {c}", "groups")
    if filters % groups:
        raise call.fail("invalid-groups", f"groups={groups} does not divide the {filters} filters; "
                        f"choose a divisor of {filters}", "groups")
    geo = _geometry(call, len(sizes))
    win = _window(call, sizes, geo)
    return LayerOut(
        win.out + (filters,),
        trainable=F.conv_params(c, filters, geo.kernel, groups, a["bias"]),
        macs=F.conv_macs(win.out, c, filters, geo.kernel, groups),
        weights=(geo.kernel + (c // groups, filters),),
        rf=win.rf(geo),
        warnings=win.warnings,
        uneven=win.uneven,
    )


def _depthwise(call: Call, bias: bool | None = None) -> LayerOut:
    sizes, c = call.spatial()
    a = call.args
    m = a["multiplier"]
    geo = _geometry(call, len(sizes))
    win = _window(call, sizes, geo)
    return LayerOut(
        win.out + (c * m,),
        trainable=F.conv_params(c, c * m, geo.kernel, c, a["bias"] if bias is None else bias),
        macs=F.conv_macs(win.out, c, c * m, geo.kernel, c),
        weights=(geo.kernel + (1, c * m),),
        rf=win.rf(geo),
        warnings=win.warnings,
        uneven=win.uneven,
    )


def _separable(call: Call) -> LayerOut:
    # Keras SeparableConv2D: an unbiased depthwise part, then a pointwise 1×1 part with the bias.
    out = _depthwise(call, bias=False)
    cm = out.output[-1]
    ones = (1,) * (len(out.output) - 1)
    filters = call.args["filters"]
    return out._replace(output=out.output[:-1] + (filters,),
                        trainable=out.trainable + F.conv_params(cm, filters, ones, 1, call.args["bias"]),
                        macs=out.macs + F.conv_macs(out.output[:-1], cm, filters, ones, 1),
                        weights=out.weights + (ones + (cm, filters),))


def _deconv(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    a = call.args
    filters, groups = a["filters"], a["groups"]
    if c % groups or filters % groups:
        bad = c if c % groups else filters
        raise call.fail("invalid-groups", f"groups={groups} does not divide {bad} ("
                        f"{'input channels' if c % groups else 'filters'}); choose a divisor", "groups")
    rank = len(sizes)
    kernel, stride, dilation = (call.per_axis(arg, rank) for arg in ("kernel", "stride", "dilation"))
    extra = call.per_axis("output_padding", rank)
    for op, s, d in zip(extra, stride, dilation):
        if op >= s and op >= d:
            raise call.fail("invalid-value", f"output_padding {op} must be smaller than the stride ({s}) or the "
                            f"dilation ({d}), as in PyTorch", "output_padding")
    pad = call.pads_per_axis("padding", rank)
    if isinstance(pad, str):  # same
        if any(extra):
            raise call.fail("invalid-value", "output_padding cannot be combined with `padding: same`",
                            "output_padding")
        out = tuple(n * s for n, s in zip(sizes, stride))
    else:
        windows = [F.Window(kernel[i], stride[i], pad[2 * i], pad[2 * i + 1], dilation[i]) for i in range(rank)]
        out = tuple(F.deconv_output_size(sizes[i], windows[i], extra[i]) for i in range(rank))
        if min(out) < 1:
            raise call.fail("empty-output", f"the output would be {fmt_shape(out)}; use less padding", "padding")
    return LayerOut(
        out + (filters,),
        trainable=F.conv_params(c, filters, kernel, groups, a["bias"]),
        macs=F.deconv_macs(sizes, c, filters, kernel, groups),
        weights=(kernel + (filters // groups, c),),
        breaks_rf=True,
    )


def _pool(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    pad = call.pads_per_axis("padding", len(sizes))
    ceil = call.args["ceil"] and pad != "same"
    geo = _geometry(call, len(sizes), ceil)
    if not isinstance(pad, str):
        for i, p in enumerate(pad):
            k = geo.kernel[i // 2]
            if p * 2 > k:
                raise call.fail("invalid-value", f"padding {p} is more than half the kernel ({k}); PyTorch "
                                "refuses it, since a window would see only padding", "padding")
    if len(sizes) == 3 and call.kind != "maxpool" and not isinstance(pad, str) \
            and any(n < k for n, k in zip(sizes, geo.kernel)):
        # PyTorch's AvgPool3d (unlike its 1-D and 2-D pools) wants the unpadded input to hold the kernel;
        # `same` padding is explicit padding before the pool (TensorFlow's), which always holds it.
        raise call.fail("kernel-too-large", f"the kernel {fmt_shape(geo.kernel)} is larger than the input "
                        f"{fmt_shape(sizes)} on some axis, which PyTorch's AvgPool3d refuses even with padding; "
                        "use a smaller kernel or a larger input", "kernel")
    win = _window(call, sizes, geo)
    return LayerOut(win.out + (c,), rf=win.rf(geo), warnings=win.warnings, uneven=win.uneven)


def _global_pool(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    return LayerOut((1,) * len(sizes) + (c,), rf=_whole(call.inputs[0]))


def _adaptive_pool(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    out = call.per_axis("output", len(sizes))
    # PyTorch's windows run from ⌊i·H/out⌋ to ⌈(i+1)·H/out⌉: one size and stride (H/out) only when
    # out divides H; otherwise they vary and overlap, so no receptive field describes the output.
    if any(n % o for n, o in zip(sizes, out)):
        return LayerOut(out + (c,), breaks_rf=True)
    return LayerOut(out + (c,), rf=tuple((n // o, n // o, 0) for n, o in zip(sizes, out)))


def _batchnorm(call: Call) -> LayerOut:
    c = call.channels()
    return LayerOut(call.inputs[0], trainable=2 * c if call.args["affine"] else 0, non_trainable=2 * c,
                    weights=((c,),) if call.args["affine"] else (), margins=call.margins)


def _unchanged(call: Call) -> LayerOut:
    return LayerOut(call.inputs[0], margins=call.margins)


def _lrn(call: Call) -> LayerOut:
    # Local response normalization runs across channels at each position: PyTorch, Keras and
    # Caffe all need a feature map (PyTorch's in any rank).
    call.spatial()
    return LayerOut(call.inputs[0])


def _prelu(call: Call) -> LayerOut:
    n = 1 if call.args["shared"] else call.channels()
    return LayerOut(call.inputs[0], trainable=n, weights=((n,),), margins=call.margins)


def _zeropad(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    pad = call.pads_per_axis("padding", len(sizes))
    if isinstance(pad, str):
        raise call.fail("invalid-value", "zeropad takes pixel counts, not `same`", "padding")
    out = tuple(n + pad[2 * i] + pad[2 * i + 1] for i, n in enumerate(sizes))
    before = call.margins or ((0, 0),) * len(sizes)
    margins = tuple((mb + pad[2 * i], me + pad[2 * i + 1]) for i, (mb, me) in enumerate(before))
    return LayerOut(out + (c,), rf=tuple((1, 1, pad[2 * i]) for i in range(len(sizes))), margins=margins)


def _upsample(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    rank = len(sizes)
    scale, size, mode = call.args["scale"], call.args["size"], call.args["mode"]
    if size is not None and scale is not None:
        raise call.fail("invalid-value", "give either `scale` or `size`, not both", "size")
    if UPSAMPLE_RANK.get(mode, rank) != rank:
        fitting = [m for m, r in UPSAMPLE_RANK.items() if r == rank]
        raise call.fail("invalid-value", f"mode {mode} is for {UPSAMPLE_RANK[mode]}-D inputs, but this input is "
                        f"{fmt_shape(call.inputs[0])} ({rank}-D); use `mode: {fitting[0]}` or `nearest`", "mode")
    if size is not None:
        return LayerOut(call.per_axis("size", rank) + (c,), breaks_rf=True)
    factors = call.per_axis("scale", rank) if scale is not None else (2,) * rank
    return LayerOut(tuple(n * f for n, f in zip(sizes, factors)) + (c,), breaks_rf=True)


def _crop(call: Call) -> LayerOut:
    sizes, c = call.spatial()
    crop = call.pads_per_axis("cropping", len(sizes))
    if isinstance(crop, str):
        raise call.fail("invalid-value", "crop takes pixel counts, not `same`", "cropping")
    out = tuple(n - crop[2 * i] - crop[2 * i + 1] for i, n in enumerate(sizes))
    if min(out) < 1:
        removed = "×".join(str(crop[2 * i] + crop[2 * i + 1]) for i in range(len(sizes)))
        raise call.fail("empty-output", f"cropping {removed} pixels from {fmt_shape(sizes)} leaves "
                        f"{fmt_shape(out)}; crop less", "cropping")
    before = call.margins or ((0, 0),) * len(sizes)
    margins = tuple((max(mb - crop[2 * i], 0), max(me - crop[2 * i + 1], 0)) for i, (mb, me) in enumerate(before))
    return LayerOut(out + (c,), rf=tuple((1, 1, -crop[2 * i]) for i in range(len(sizes))),
                    margins=margins if any(map(any, margins)) else ())


def _flatten(call: Call) -> LayerOut:
    shape = call.inputs[0]
    n = 1
    for d in shape:
        n *= d
    return LayerOut((n,), rf=_whole(shape))


def _dense(call: Call) -> LayerOut:
    shape = call.inputs[0]
    if len(shape) != 1:
        raise call.fail("needs-flatten",
                        f"dense needs a vector, but its input '{call.input_names[0]}' is a {fmt_shape(shape)} "
                        "feature map; add `- flatten` (or a global pooling and `- flatten`) before it")
    n, units = shape[0], call.args["units"]
    return LayerOut((units,), trainable=F.dense_params(n, units, call.args["bias"]),
                    macs=F.dense_macs(n, units), weights=((n, units),))


def _mismatch(call: Call, i: int, what: str) -> SpecError:
    return call.fail("shape-mismatch",
                     f"{call.kind} needs {what}: '{call.input_names[0]}' is {fmt_shape(call.inputs[0])} but "
                     f"'{call.input_names[i]}' is {fmt_shape(call.inputs[i])}; make them agree (a 1×1 conv or "
                     "a strided layer on one side)", "from")


def _is_gate(shape: Shape) -> bool:
    return all(d == 1 for d in shape[:-1])


def _rank_mismatch(call: Call, i: int) -> SpecError:
    def rank(shape: Shape) -> str:
        return "a vector" if len(shape) == 1 else f"{len(shape) - 1}-D"

    first, other = call.inputs[0], call.inputs[i]
    return call.fail("shape-mismatch",
                     f"{call.kind} needs inputs of one rank: '{call.input_names[0]}' is {fmt_shape(first)} "
                     f"({rank(first)}) but '{call.input_names[i]}' is {fmt_shape(other)} ({rank(other)}); "
                     "reshape one path (a flatten, a global pooling) so that they agree", "from")


def _add(call: Call) -> LayerOut:
    first = call.inputs[0]
    for i, shape in enumerate(call.inputs[1:], 1):
        if len(shape) != len(first):
            raise _rank_mismatch(call, i)
        if shape != first:
            raise _mismatch(call, i, "inputs of one shape")
    return LayerOut(first)


def _multiply(call: Call) -> LayerOut:
    out = call.inputs[0]
    for i, shape in enumerate(call.inputs[1:], 1):
        if shape == out:
            continue
        # A 1×1×C gate broadcasts over H×W×C (squeeze-and-excitation), in any rank.
        if len(shape) == len(out) > 1 and shape[-1] == out[-1] and (_is_gate(shape) or _is_gate(out)):
            out = out if _is_gate(shape) else shape
            continue
        if len(shape) != len(out):
            raise _rank_mismatch(call, i)
        raise _mismatch(call, i, "inputs of one shape, or a 1×1×C gate and an H×W×C map")
    return LayerOut(out)


def _concat(call: Call) -> LayerOut:
    first = call.inputs[0]
    total = 0
    for i, shape in enumerate(call.inputs):
        if len(shape) != len(first):
            raise _rank_mismatch(call, i)
        if shape[:-1] != first[:-1]:
            what = "the same height and width" if len(first) == 3 else f"the same {AXES[len(first) - 2]}"
            raise _mismatch(call, i, f"{what} in every input")
        total += shape[-1]
    return LayerOut(first[:-1] + (total,))


_SPATIAL = {
    "kernel": Arg(pair), "stride": Arg(pair, (1, 1)), "padding": Arg(padding, (0, 0, 0, 0)),
    "dilation": Arg(pair, (1, 1)), "bias": Arg(boolean, True), "activation": Arg(activation, "none"),
}
_POOL = {"kernel": Arg(pair), "stride": Arg(pair, None, "kernel"), "padding": Arg(padding, (0, 0, 0, 0)),
         "ceil": Arg(boolean, False)}


def _kinds() -> list[Kind]:
    kinds = [
        Kind("conv", _conv, {"filters": Arg(positive_int), **_SPATIAL, "groups": Arg(positive_int, 1)},
             "filters", ("conv1d", "conv2d", "conv3d"), summary="convolution (1-D, 2-D or 3-D: the input's rank)"),
        Kind("depthwise", _depthwise, {**_SPATIAL, "multiplier": Arg(positive_int, 1)}, "kernel", ("dwconv",),
             summary="depthwise convolution"),
        Kind("separable", _separable, {"filters": Arg(positive_int), **_SPATIAL, "multiplier": Arg(positive_int, 1)},
             "filters", ("sepconv",), summary="depthwise separable convolution (Keras SeparableConv2D)"),
        Kind("deconv", _deconv, {"filters": Arg(positive_int), **_SPATIAL, "groups": Arg(positive_int, 1),
                                 "output_padding": Arg(nonneg_pair, (0, 0))},
             "filters", ("convtranspose", *_ranked("convtranspose"), *_ranked("deconv")),
             summary="transposed convolution"),
        Kind("globalavgpool", _global_pool, {}, None, _ranked("globalavgpool"),
             summary="global average pooling to 1×1×C"),
        Kind("globalmaxpool", _global_pool, {}, None, _ranked("globalmaxpool"), summary="global max pooling to 1×1×C"),
        Kind("adaptiveavgpool", _adaptive_pool, {"output": Arg(pair)}, "output", _ranked("adaptiveavgpool"),
             summary="adaptive average pooling"),
        Kind("adaptivemaxpool", _adaptive_pool, {"output": Arg(pair)}, "output", _ranked("adaptivemaxpool"),
             summary="adaptive max pooling"),
        Kind("batchnorm", _batchnorm, {"affine": Arg(boolean, True)}, None, ("bn", *_ranked("batchnorm")),
             summary="batch normalization"),
        Kind("prelu", _prelu, {"shared": Arg(boolean, False)}, summary="parametric ReLU"),
        Kind("dropout", _unchanged, {"rate": Arg(rate, 0.5)}, "rate", summary="dropout"),
        Kind("lrn", _lrn, {"size": Arg(positive_int, 5)}, "size", summary="local response normalization"),
        Kind("zeropad", _zeropad, {"padding": Arg(padding)}, "padding", _ranked("zeropad"), summary="zero padding"),
        Kind("upsample", _upsample, {"scale": Arg(pair, None, "2"), "size": Arg(pair, None),
                                     "mode": Arg(upsample_mode, "nearest")}, "scale", _ranked("upsample"),
             summary="upsampling"),
        Kind("crop", _crop, {"cropping": Arg(padding)}, "cropping", _ranked("crop"), summary="cropping"),
        Kind("flatten", _flatten, {}, summary="flatten to a vector"),
        Kind("dense", _dense, {"units": Arg(positive_int), "bias": Arg(boolean, True),
                               "activation": Arg(activation, "none")}, "units", ("fc", "linear"),
             summary="fully connected layer"),
        Kind("add", _add, {}, "from", merge=True, summary="element-wise sum"),
        Kind("multiply", _multiply, {}, "from", merge=True, summary="element-wise product (broadcasts a 1×1×C gate)"),
        Kind("concat", _concat, {}, "from", merge=True, summary="concatenation along channels"),
    ]
    for name in ("maxpool", "avgpool", "sumpool"):
        aliases = _ranked(name) if name != "sumpool" else ()
        kinds.append(Kind(name, _pool, _POOL, "kernel", aliases, summary=name[:-4] + " pooling"))
    for name in ("relu", "relu6", "gelu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "softmax", "identity"):
        kinds.append(Kind(name, _unchanged, {}, summary="activation" if name != "identity" else "no-op"))
    kinds.append(Kind("leakyrelu", _unchanged, {"slope": Arg(number, 0.01)}, "slope", summary="activation"))
    kinds.append(Kind("elu", _unchanged, {"alpha": Arg(number, 1.0)}, "alpha", summary="activation"))
    kinds.append(Kind("silu", _unchanged, {}, None, ("swish",), summary="activation"))
    return kinds


def _ranked(base: str) -> tuple[str, ...]:
    """The familiar rank-specific names of a kind (`maxpool1d`, `maxpool2d`, `maxpool3d`), checked by ALIAS_RANKS."""
    return tuple(f"{base}{rank}d" for rank in (1, 2, 3))


def nonneg_pair(value: Any, where: Located) -> tuple[int, ...]:
    """An integer or one per spatial axis ([height, width] in 2-D), each ≥ 0."""
    if _is_int(value) and value >= 0:
        return _axes((value, value), value)
    if _per_axis_list(value, 0, (1, 2, 3)):
        return _axes(tuple(value), tuple(value))
    raise where.error("invalid-value", f"expected a whole number ≥ 0 or [height, width] (one per axis), "
                      f"got {_describe(value)}")


# --- channel-wise kinds: normalisation, scaling, channel selection, attention --------------------
# Rank-agnostic: the channels are the last axis and every axis before them is a position.


def nonneg_int(value: Any, where: Located) -> int:
    """A whole number ≥ 0."""
    if _is_int(value) and value >= 0:
        return value
    raise where.error("invalid-value", f"expected a whole number of at least 0, got {_describe(value)}")


def channel_range(value: Any, where: Located) -> tuple[int, int]:
    """[start, stop]: channels start … stop − 1, counted from 0 (Python's x[..., start:stop])."""
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) and v >= 0 for v in value) \
            and value[0] < value[1]:
        return value[0], value[1]
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) and v >= 0 for v in value):
        raise where.error("invalid-value", f"start {value[0]} is not below stop {value[1]}: channels [start, stop] "
                          "takes channels start to stop − 1; write the smaller number first")
    raise where.error("invalid-value", "channels takes [start, stop], whole numbers with 0 ≤ start < stop "
                      f"(channels start to stop − 1, counted from 0); got {_describe(value)}")


def _same_positions(call: Call, **figures: Any) -> LayerOut:
    """A layer that keeps every position (and so the zero padding around them)."""
    return LayerOut(call.inputs[0], margins=call.margins, **figures)


def _divides(call: Call, parts: int, what: str, arg: str, rule: str = "invalid-groups") -> int:
    """The input channels, checking that `parts` divides them."""
    c = call.channels()
    if c % parts:
        divisors = [d for d in range(1, c + 1) if c % d == 0]
        shown = ", ".join(map(str, divisors[:12])) + (", …" if len(divisors) > 12 else "")
        raise call.fail(rule, f"{arg}={parts} does not divide the {c} input channels into {what}; "
                        f"choose a divisor of {c} ({shown})", arg)
    return c


def _layernorm(call: Call) -> LayerOut:
    # nn.LayerNorm(C) on channels-last positions (ConvNeXt's LayerNorm2d): γ and β per channel.
    c, a = call.channels(), call.args
    n = F.norm_params(c, a["affine"], a["affine"] and a["bias"])
    return _same_positions(call, trainable=n, weights=((c,),) if n else ())


def _groupnorm(call: Call) -> LayerOut:
    c = _divides(call, call.args["groups"], "groups", "groups")
    if c // call.args["groups"] * F.positions(call.inputs[0][:-1]) == 1:
        raise call.fail("invalid-groups", f"groups={c} leaves one value per group (one channel at one position), "
                        "whose normalised value is always 0 (PyTorch refuses it); use fewer groups", "groups")
    n = F.norm_params(c, call.args["affine"], call.args["affine"])
    return _same_positions(call, trainable=n, weights=((c,),) if n else ())


def _instancenorm(call: Call) -> LayerOut:
    # PyTorch's defaults: affine=False, track_running_stats=False (no weights at all).
    if len(call.inputs[0]) < 2:
        call.feature_map()  # says a feature map is needed
    c, a = call.channels(), call.args
    if F.positions(call.inputs[0][:-1]) == 1 and not a["track_running_stats"]:
        raise call.fail("invalid-value", "instance normalization over a single position always gives 0 (PyTorch "
                        "refuses it); apply it before the map is pooled to 1×1, or use layernorm")
    n = F.norm_params(c, a["affine"], a["affine"])
    return _same_positions(call, trainable=n, non_trainable=2 * c if a["track_running_stats"] else 0,
                           weights=((c,),) if n else ())


def _layerscale(call: Call) -> LayerOut:
    c = call.channels()
    return _same_positions(call, trainable=F.layer_scale_params(c), weights=((c,),))


def _shuffle(call: Call) -> LayerOut:
    _divides(call, call.args["groups"], "groups", "groups")
    return _same_positions(call)


def _take(call: Call, start: int, stop: int) -> LayerOut:
    shape = call.inputs[0]
    return LayerOut(shape[:-1] + (stop - start,), margins=call.margins)


def _slice(call: Call) -> LayerOut:
    c = call.channels()
    start, stop = call.args["channels"]
    if stop > c:
        raise call.fail("invalid-channels", f"channels [{start}, {stop}] reach past the {c} input channels "
                        f"(0 to {c - 1}); use a stop of at most {c}", "channels")
    return _take(call, start, stop)


def _split(call: Call) -> LayerOut:
    parts, index = call.args["parts"], call.args["index"]
    c = _divides(call, parts, "equal parts", "parts", "invalid-channels")
    if index >= parts:
        raise call.fail("invalid-channels", f"index {index} is not one of the {parts} parts (0 to {parts - 1}); "
                        f"use an index below {parts}", "index")
    size = c // parts
    return _take(call, index * size, (index + 1) * size)


def _attention(call: Call) -> LayerOut:
    shape = call.inputs[0]
    if len(shape) < 2:
        call.feature_map()
    c, a = shape[-1], call.args
    dim = a["dim"] if a["dim"] is not None else c
    if dim % a["heads"]:
        what = "the attention dim" if a["dim"] is not None else "the input channels"
        raise call.fail("invalid-groups", f"heads={a['heads']} does not divide {what} ({dim}); choose a divisor "
                        f"of {dim}", "heads")
    n = F.positions(shape[:-1])
    weights = ((c, 3 * dim), (dim, c))
    return LayerOut(shape, trainable=F.attention_params(c, dim, a["bias"]), macs=F.attention_macs(n, c, dim),
                    weights=weights, rf=_whole(shape))


def _normalization(call: Call) -> LayerOut:
    # Keras Normalization(axis=-1): adapted, it holds mean (C), variance (C) and count (1) as non-trainable weights.
    c = call.channels()
    return _same_positions(call, non_trainable=F.keras_normalization_weights(c) if call.args["adapt"] else 0)


def _channel_kinds() -> list[Kind]:
    return [
        Kind("layernorm", _layernorm, {"affine": Arg(boolean, True), "bias": Arg(boolean, True)}, None,
             ("layernormalization",), summary="layer normalization over the channels at each position"),
        Kind("groupnorm", _groupnorm, {"groups": Arg(positive_int), "affine": Arg(boolean, True)}, "groups",
             summary="group normalization"),
        Kind("instancenorm", _instancenorm, {"affine": Arg(boolean, False), "track_running_stats": Arg(boolean, False)},
             None, summary="instance normalization (PyTorch defaults: no weights)"),
        Kind("layerscale", _layerscale, {}, summary="learnable per-channel scale (ConvNeXt, CaiT)"),
        Kind("shuffle", _shuffle, {"groups": Arg(positive_int)}, "groups", ("channelshuffle",),
             summary="channel shuffle (ShuffleNet)"),
        Kind("slice", _slice, {"channels": Arg(channel_range)}, "channels", summary="a range of channels"),
        Kind("split", _split, {"parts": Arg(positive_int), "index": Arg(nonneg_int, 0)}, "parts",
             summary="one of equal parts of the channels"),
        Kind("stochasticdepth", _same_positions, {"rate": Arg(rate, 0.0)}, "rate", ("droppath",),
             summary="stochastic depth: an identity for every figure"),
        Kind("attention", _attention, {"heads": Arg(positive_int), "dim": Arg(positive_int, None, "channels"),
                                       "bias": Arg(boolean, True)}, "heads", ("mhsa",),
             summary="multi-head self-attention over the positions"),
        Kind("rescaling", _same_positions, {"scale": Arg(number), "offset": Arg(number, 0.0)}, "scale",
             summary="x·scale + offset (Keras Rescaling): no weights"),
        Kind("normalization", _normalization, {"adapt": Arg(boolean, True)}, None,
             summary="Keras Normalization: (x − mean)/√variance per channel"),
    ]


KINDS: dict[str, Kind] = {}
ALIASES: dict[str, str] = {}
for _kind in _kinds() + _channel_kinds():
    KINDS[_kind.name] = _kind
    ALIASES[_kind.name] = _kind.name
    for _alias in _kind.aliases:
        ALIASES[_alias] = _kind.name
