"""How a kind words its figures: the `Step` an explainer returns, the `Ctx` it reads, and the worked
formulas every kind shares (output size per axis, a shape, "no weights"). `cnncalc explain` and
`cnncalc size` word a window's output size through `size_step`, one path for both. Nothing here prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnncalc.core import formulas as F
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.core.kinds.base import Shape
    from cnncalc.core.network import Layer, Network

# Topics in the order a layer's steps are shown.
TOPICS = ("merge", "output", "params", "macs", "memory", "live", "rf", "dense")


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


# --- numbers ---------------------------------------------------------------------------------

def n(value: int) -> str:
    """A number with thousands separators: 150,528."""
    return f"{value:,}"


def dots(values: Any) -> str:
    """A product written out: 224·224·64."""
    return "·".join(n(v) for v in values)


def spatial_names(count: int) -> tuple[str, ...]:
    return {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}.get(
        count, tuple(f"axis {i + 1}" for i in range(count)))




# --- output size per axis ---------------------------------------------------------------------

def size_formula(a: F.SizeAxis) -> str:
    """The symbolic formula an axis uses."""
    if a.transposed:
        return "H·S" if a.same else "(H − 1)·S − Pb − Pe + D·(K − 1) + OP + 1"
    pad = "2P" if a.pad_begin == a.pad_end else "Pb + Pe"
    core = f"H + {pad} − D·(K − 1) − 1" if a.dilation > 1 else f"H − K + {pad}"
    return f"⌈({core})/S⌉ + 1" if a.ceil_mode else f"⌊({core})/S⌋ + 1"


def size_worked(a: F.SizeAxis) -> str:
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


def size_notes(a: F.SizeAxis) -> tuple[str, ...]:
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
    return Step("output", label, size_formula(axis), size_worked(axis), str(axis.out_size), axis.out_size,
                size_notes(axis))


def axes_steps(axes: list[F.SizeAxis]) -> list[Step]:
    """Steps per axis, one step for all axes when they are worked the same."""
    names = spatial_names(len(axes))
    if len(axes) > 1 and len({(a.in_size, a.kernel_size, a.stride, a.pad_begin, a.pad_end, a.dilation)
                              for a in axes}) == 1:
        return [size_step(" and ".join((", ".join(names[:-1]), names[-1])), axes[0])]
    return [size_step(name, a) for name, a in zip(names, axes)]


def window_axes(ctx: Ctx, stride: Any, ceil: bool, transposed: bool = False) -> list[F.SizeAxis]:
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


def shape_step(label: str, formula: str, worked: str, shape: Shape) -> Step:
    return Step("output", label, formula, worked, fmt_shape(shape))


def output_steps(ctx: Ctx, axes: list[F.SizeAxis], channels: Step) -> list[Step]:
    shape = tuple(a.out_size for a in axes) + (channels.value or 0,)
    return [*axes_steps(axes), channels, shape_step("output", "spatial × channels", "", shape)]




def no_weights(why: str) -> Parts:
    return {"params": [Step("params", "parameters", "none", "", "0", 0, (why,))],
            "macs": [Step("macs", "multiply-adds", "none counted", "", "0", 0,
                          ("only conv, depthwise, separable, deconv and dense layers count multiply-adds",))]}

