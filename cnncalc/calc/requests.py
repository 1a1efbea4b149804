"""The one-layer calculators behind `params` and `size`: a request in, a worked result (a dataclass) out.

The figures come from `formulas` and a `size` window's padding from `kinds.padding`, the reader of a
file's `padding:`, so the calculators and the layers of a file agree. A request they cannot meet raises
`CommandLineError` (the CLI's exit 2). Nothing here prints; `render` shows the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Any, Union

from cnncalc.core import formulas
from cnncalc.core.problems import CommandLineError

if TYPE_CHECKING:
    from cnncalc.calc.solve import PaddingSolution

AXIS_NAMES = (("length",), ("height", "width"), ("depth", "height", "width"))
PADDING_FORMS = ("N, begin,end", "N, HxW, top,bottom,left,right", "N, DxHxW, front,back,top,bottom,left,right")


# --- params -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvRequest:
    """One convolution: F filters of a kernel (one size per axis) over C input channels in groups."""

    filters: int
    kernel: tuple[int, ...]
    channels: int
    groups: int
    bias: bool


@dataclass(frozen=True)
class DenseRequest:
    """Dense layers on an input of `shape` (flattened first), one per entry of `units`."""

    shape: tuple[int, ...]
    units: tuple[int, ...]
    bias: bool
    stacked: bool  # asked as a stack or a shape to flatten (`--units 128,10`, `--inputs 7x7x512`)


@dataclass(frozen=True)
class DenseLayer:
    """One dense layer of a stack: N inputs, U units, U·(N + 1) parameters (U·N without bias)."""

    inputs: int
    units: int
    params: int


@dataclass(frozen=True)
class DenseStack:
    """Worked dense layers: the input shape, its flattened size and each layer's parameters."""

    shape: tuple[int, ...]
    bias: bool
    layers: tuple[DenseLayer, ...]
    stacked: bool

    @property
    def features(self) -> int:
        """Inputs of the first layer: the product of the shape."""
        return prod(self.shape)

    @property
    def params(self) -> int:
        """Parameters of every layer together."""
        return sum(layer.params for layer in self.layers)


LayerParams = Union[formulas.ConvParams, DenseStack]


def conv_params(request: ConvRequest) -> formulas.ConvParams:
    """F·(∏k·C/groups + 1) worked out; groups must divide both channels and filters."""
    r = request
    if r.channels % r.groups or r.filters % r.groups:
        raise CommandLineError(f"--groups {r.groups} must divide both --channels {r.channels} and --filters {r.filters}")
    return formulas.worked_conv_params(r.filters, r.kernel, r.channels, r.groups, r.bias)


def dense_stack(request: DenseRequest) -> DenseStack:
    """Each layer's U·(N + 1) (U·N without bias), N being the flattened shape, then the previous U."""
    layers, n = [], prod(request.shape)
    for units in request.units:
        layers.append(DenseLayer(n, units, formulas.dense_params(n, units, request.bias)))
        n = units
    return DenseStack(request.shape, request.bias, tuple(layers), request.stacked)


def layer_params(request: ConvRequest | DenseRequest) -> LayerParams:
    """The parameters of the layer (or dense stack) asked for."""
    return conv_params(request) if isinstance(request, ConvRequest) else dense_stack(request)


# --- size -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WindowRequest:
    """A sliding window on an input: one value per spatial axis, the padding as a file would write it."""

    input: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: Any  # same, valid, a number or a list of numbers: what `padding:` holds in a file
    transposed: bool = False
    output_padding: int = 0
    ceil: bool = False


def pads_per_axis(padding: Any, rank: int) -> list[tuple[int, int] | str]:
    """(begin, end) per axis, or `same` on every axis, read as a layer's `padding:` on a rank-`rank` input."""
    from cnncalc.core.kinds import padding as read_padding, pads_of
    from cnncalc.core.problems import Located, SpecError

    try:
        pads = pads_of(read_padding(padding, Located("--padding", 1, 1)), rank)
    except SpecError:
        pads = ()
    if pads != "same" and len(pads) != 2 * rank:  # a layer refuses these too (Call.pads_per_axis)
        raise CommandLineError(f"write {PADDING_FORMS[rank - 1]}, same or valid", "--padding")
    if isinstance(pads, str):
        return [pads] * rank
    return [(pads[2 * a], pads[2 * a + 1]) for a in range(rank)]


def _axis(request: WindowRequest, axis: int, pad: tuple[int, int] | str) -> formulas.SizeAxis:
    """One axis worked out by formulas, refusing what a layer would refuse."""
    r = request
    size, kernel, stride, dilation = r.input[axis], r.kernel[axis], r.stride[axis], r.dilation[axis]
    window = formulas.window_for(kernel, stride, pad, dilation)
    if r.transposed:
        if r.output_padding and r.output_padding >= stride and r.output_padding >= dilation:
            raise CommandLineError("--output-padding must be smaller than the stride or the dilation")
        if r.output_padding and pad == "same":
            raise CommandLineError("--output-padding cannot be combined with --padding same")
        return formulas.worked_deconv_size(size, window, pad == "same", r.output_padding)
    worked = formulas.worked_size(size, window, pad == "same", r.ceil)
    if worked.numerator < 0 and not r.ceil:  # the window does not fit in the padded input
        name = AXIS_NAMES[len(r.input) - 1][axis]
        padded = size + worked.pad_begin + worked.pad_end
        raise CommandLineError(f"the {name} of the window ({padded - worked.numerator}) is larger than the "
                               f"padded input ({padded})")
    return worked


def window_sizes(request: WindowRequest) -> list[formulas.SizeAxis]:
    """Output size per axis, worked: ⌊(H + pt + pb − d(k − 1) − 1)/s⌋ + 1, or the transposed formula."""
    pads = pads_per_axis(request.padding, len(request.input))
    axes = [_axis(request, axis, pad) for axis, pad in enumerate(pads)]
    if any(a.out_size < 1 for a in axes):
        raise CommandLineError("the output would be empty; use a larger input, more padding or a smaller stride")
    return axes


@dataclass(frozen=True)
class SolveRequest:
    """`size --output`/`--keep`: a 2-D window and the output wanted (None: keep the size, ⌈H/s⌉)."""

    input: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    output: tuple[int, int] | None


def solve_window(request: SolveRequest) -> list[PaddingSolution]:
    """The padding per axis that gives the output asked for (solve.solve_padding on each axis)."""
    from cnncalc.calc import solve

    r = request
    target = r.output or (solve.keep_size(r.input[0], r.stride[0]), solve.keep_size(r.input[1], r.stride[1]))
    return [solve.solve_padding(r.input[i], r.kernel[i], target[i], r.stride[i], r.dilation[i]) for i in (0, 1)]
