"""What every kind is made of: the call it computes (`Call`), what it returns (`LayerOut`), the `Kind`
record that holds a kind's every aspect, and the sliding-window arithmetic that convolutions and pools
share (output per axis, the padding used, floor warnings, unevenness for `cnncalc sizes`)."""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

from cnncalc.core import formulas as F
from cnncalc.core.kinds.args import Arg, axes_of, pads_of
from cnncalc.core.problems import WARNING, Located, Problem, SpecError
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.core.kinds.worked import Ctx, Parts
    from cnncalc.export.emit import Emit

Shape = tuple[int, ...]
# Per spatial axis (length; height, width; depth, height, width): (window span in input pixels, stride,
# leading padding).
AxisRF = tuple[int, int, int]
Margins = tuple[tuple[int, int], ...]


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
                                f"'{self.input_names[0]}' is {fmt_shape(shape)} ({AXES[len(shape) - 2]}); "
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
    frozen: int = 0  # of `trainable`, the parameters given no gradient (`trainable: false`)



class Extra(NamedTuple):
    """A tensor an operation saves for its backward pass besides those it reads or makes: max pooling's int64
    indices, dropout's mask, a normalisation's statistics (per sample, or shared by the batch as batch norm's)."""

    elements: int
    bytes_each: int  # 0: the activations' value size (dropout's mask has its input's type)
    per_sample: bool = True


class Alloc(NamedTuple):
    """One tensor a layer makes while it runs, for the memory model (`cnncalc memory`): its elements per sample
    and the tensors it reads: `in0`, `in1`, … (the layer's inputs) or `a0`, `a1`, … (the tensors made before it in
    this layer). The last is the output. A view shares the storage of the first tensor it reads (in training too,
    unless `train_new`: dropout makes a new tensor then). For training, the tensors its operation saves for the
    backward pass (`saves`: references as in `reads`, or `self` for its own output) and what else it saves
    (`extra`), such as max pooling's int64 indices or dropout's mask."""

    elements: int
    reads: tuple[str, ...]
    view: bool = False
    saves: tuple[str, ...] = ()
    extra: tuple[Extra, ...] = ()
    train_new: bool = False


# What an activation saves for its backward pass (PyTorch 2.13, measured with saved_tensors_hooks): its output
# (relu, sigmoid, tanh, softmax), else its input (relu6 is hardtanh; silu, gelu, hardswish, mish, elu, ...).
SAVES_OUTPUT = frozenset({"relu", "sigmoid", "tanh", "softmax"})


def activation_alloc(name: str, source: str, elements: int) -> Alloc:
    """The tensor an activation module makes from `source`, and what it saves."""
    return Alloc(elements, (source,), saves=("self",) if name in SAVES_OUTPUT else (source,))


Storage = Callable[[Call, "LayerOut"], "tuple[Alloc, ...]"]  # the tensors a kind makes, in order


def one_tensor(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    """What most kinds make: one new tensor of the output's size, reading every input; it saves nothing for the
    backward pass (padding, upsampling, concatenation, a sum, a channel shuffle)."""
    return (Alloc(prod(out.output), tuple(f"in{i}" for i in range(len(call.inputs)))),)


def saves_input(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    """One new tensor whose operation saves its input (average pooling, prelu, layer scale)."""
    return (Alloc(prod(out.output), ("in0",), saves=("in0",)),)


def a_view(call: Call, out: LayerOut) -> tuple[Alloc, ...]:
    """A kind whose output is a view of its input (flatten, identity, a channel slice, a crop)."""
    return (Alloc(prod(out.output), ("in0",), view=True),)


def padded_then(call: Call, out: LayerOut, steps: int, stride_one_same: bool) -> tuple[Alloc, ...]:
    """A window kind as its export runs it: an explicit padding module first where PyTorch's own padding cannot
    express the padding (uneven sides; `same` at a stride, or for pools), then `steps` tensors of the output's size
    (a fused activation adds one). `stride_one_same`: PyTorch's own `padding='same'` covers stride 1."""
    sizes, c = call.inputs[0][:-1], call.inputs[0][-1]
    rank = len(sizes)
    written = call.pads_per_axis("padding", rank)
    stride = call.per_axis("stride", rank) if call.args.get("stride") is not None else call.per_axis("kernel", rank)
    pads: tuple[int, ...]
    if isinstance(written, str):  # same
        kernel = call.per_axis("kernel", rank)
        dilation = call.per_axis("dilation", rank) if "dilation" in call.args else (1,) * rank
        pads = tuple(p for i in range(rank) for p in F.same_padding(sizes[i], kernel[i], stride[i], dilation[i]))
        explicit = not (stride_one_same and all(s == 1 for s in stride))
    else:
        pads = written
        explicit = any(pads[2 * i] != pads[2 * i + 1] for i in range(rank))
    allocs: list[Alloc] = []
    if explicit and any(pads):
        padded = 1
        for i in range(rank):
            padded *= sizes[i] + pads[2 * i] + pads[2 * i + 1]
        allocs.append(Alloc(padded * c, ("in0",)))
    source = f"a{len(allocs) - 1}" if allocs else "in0"
    allocs.append(Alloc(prod(out.output), (source,), saves=(source,)))  # a convolution or pool saves its input
    if steps > 1:  # a fused activation
        allocs.append(activation_alloc(call.args["activation"], f"a{len(allocs) - 1}", prod(out.output)))
    return tuple(allocs)


def weight_and_bias(call: Call) -> int:
    """A weight tensor, and a bias tensor unless `bias: false` (convolutions, dense layers)."""
    return 1 + int(call.args["bias"])


def fused(call: Call) -> int:
    """1 when the layer applies a fused `activation:` (its own module, its own tensor), else 0."""
    return int(call.args.get("activation", "none") not in ("none", "linear"))


Emitter = Callable[["Emit"], tuple[str, str]]  # -> (PyTorch constructor source, output channels source)
Explainer = Callable[["Ctx"], "Parts"]  # -> worked steps by topic


class Kind(NamedTuple):
    """A layer kind, every aspect of it: arguments, what it computes, how it is explained, written as PyTorch
    and drawn. Only `name`, `infer` and `args` are required: a kind without an explainer gets the generic
    explanation, one without an emitter cannot be exported (and `export` says so)."""

    name: str
    infer: Callable[[Call], LayerOut]
    args: dict[str, Arg]
    main: str | None = None
    aliases: tuple[str, ...] = ()
    merge: bool = False
    summary: str = ""
    explain: Explainer | None = None
    emit: Emitter | None = None
    helpers: tuple[tuple[str, str], ...] = ()  # (class name, source) of modules an export defines for it
    category: str = "reshape / other"  # the diagram's colour category
    storage: Storage = one_tensor  # the tensors it makes while it runs, for `cnncalc memory`
    tensors: Callable[[Call], int] = lambda call: 0  # its parameter tensors (an optimizer keeps state per tensor)


def ranked(base: str) -> tuple[str, ...]:
    """The familiar rank-specific names of a kind (`maxpool1d`, `maxpool2d`, `maxpool3d`), checked by ALIAS_RANKS."""
    return tuple(f"{base}{rank}d" for rank in (1, 2, 3))


# --- the sliding window ---------------------------------------------------------------------

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


def window(call: Call, in_hw: tuple[int, ...], geo: Geometry) -> Window:
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


def whole(shape: Shape) -> tuple[AxisRF, ...] | None:
    """RF transform of a layer whose every output sees the whole input."""
    if len(shape) < 2:
        return None
    return tuple((d, 1, 0) for d in shape[:-1])


def geometry(call: Call, rank: int, ceil: bool = False) -> Geometry:
    """The window arguments of a call resolved to the input's rank (a pool's unset stride is its kernel)."""
    kernel = call.per_axis("kernel", rank)
    stride = kernel if call.args["stride"] is None else call.per_axis("stride", rank)
    dilation = call.per_axis("dilation", rank) if "dilation" in call.args else (1,) * rank
    return Geometry(kernel, stride, call.pads_per_axis("padding", rank), dilation, ceil)




# --- small helpers the families share ----------------------------------------------------

def same_positions(call: Call, **figures: Any) -> LayerOut:
    """A layer that keeps every position (and so the zero padding around them): an activation, dropout, or a
    per-channel layer with `figures`."""
    return LayerOut(call.inputs[0], margins=call.margins, **figures)


def divides(call: Call, parts: int, what: str, arg: str, rule: str = "invalid-groups") -> int:
    """The input channels, checking that `parts` divides them."""
    c = call.channels()
    if c % parts:
        divisors = [d for d in range(1, c + 1) if c % d == 0]
        shown = ", ".join(map(str, divisors[:12])) + (", …" if len(divisors) > 12 else "")
        raise call.fail(rule, f"{arg}={parts} does not divide the {c} input channels into {what}; "
                        f"choose a divisor of {c} ({shown})", arg)
    return c


def helper_module(name: str, *args: str) -> Emitter:
    """An emitter for a kind written as one helper module built from the input channels (`channels`) and the
    layer's arguments, in that order: `LayerScale(channels)`, `ChannelShuffle(groups)`."""
    def emit(e: Emit) -> tuple[str, str]:
        e.helpers.add(name)
        values = [e.channels[0] if arg == "channels" else e.code(arg) for arg in args]
        return f"{name}({', '.join(values)})", e.channels[0]
    return emit
