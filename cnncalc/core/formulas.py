"""Per-operation formulas: output sizes, parameter counts and multiply-adds.

Every function states its formula in its docstring and returns plain numbers or a
named tuple; nothing here prints.
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple


def effective_kernel(kernel_size: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: d·(k − 1) + 1."""
    return dilation * (kernel_size - 1) + 1


class Window(NamedTuple):
    """A sliding window along one axis: kernel k, stride s, padding pt before and pb after, dilation d."""

    kernel: int
    stride: int = 1
    pad_begin: int = 0
    pad_end: int = 0
    dilation: int = 1


def window_for(kernel: int, stride: int, padding: tuple[int, int] | str, dilation: int = 1) -> Window:
    """The window of an axis whose padding is (begin, end), ``valid`` or ``same`` (both no explicit padding)."""
    pad = (0, 0) if isinstance(padding, str) else padding
    return Window(kernel, stride, pad[0], pad[1], dilation)


def conv_output_size(in_size: int, window: Window, ceil_mode: bool = False) -> int:
    """Convolution or pooling output: ⌊(H + pt + pb − d(k − 1) − 1)/s⌋ + 1.

    With ``ceil_mode`` (PyTorch pooling) the division rounds up, but the last window
    must start inside the input or its leading padding: (out − 1)·s < H + pt. A window may
    then overhang the padded input (a 3×3/2 pool on 2×2 gives 1×1, as in PyTorch).
    """
    stride, pad_begin = window.stride, window.pad_begin
    span = in_size + pad_begin + window.pad_end - effective_kernel(window.kernel, window.dilation)
    if not ceil_mode:
        return span // stride + 1 if span >= 0 else 0  # a kernel that does not fit gives nothing
    # In ceil mode PyTorch lets the one window overhang the padded input by less than the stride.
    out = -(-span // stride) + 1
    if (out - 1) * stride >= in_size + pad_begin:
        out -= 1
    return out


def same_padding(in_size: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow ``same`` padding: out = ⌈H/s⌉, total = max((out − 1)·s + d(k − 1) + 1 − H, 0).

    The odd pixel goes to the end (bottom or right). Returns (begin, end).
    """
    out = -(-in_size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel_size, dilation) - in_size, 0)
    return total // 2, total - total // 2


def deconv_output_size(in_size: int, window: Window, output_padding: int = 0) -> int:
    """Transposed convolution output: (H − 1)·s − pt − pb + d(k − 1) + output_padding + 1."""
    w = window
    return (in_size - 1) * w.stride - w.pad_begin - w.pad_end + w.dilation * (w.kernel - 1) + output_padding + 1


def uncovered(in_size: int, window: Window, out_size: int) -> tuple[int, int] | None:
    """Input rows lost to a floored division, as 1-based (first, last), else None.

    The next window would start at out·s (padded coordinates); the real input rows from
    there, or from just after the last window's end if that is later, are floored away.
    Rows that only padding occupies, or that a stride larger than the kernel skips anyway,
    are not lost to the floor.
    """
    last_end = (out_size - 1) * window.stride + effective_kernel(window.kernel, window.dilation) - 1
    first_lost = max(out_size * window.stride, last_end + 1) - window.pad_begin
    if first_lost > in_size - 1:
        return None
    return first_lost + 1, in_size


def dense_params(in_features: int, units: int, bias: bool = True) -> int:
    """Dense (fully connected) parameters: N·U + U if bias."""
    return in_features * units + (units if bias else 0)


def dense_macs(in_features: int, units: int) -> int:
    """Dense multiply-adds (bias excluded): N·U."""
    return in_features * units


class ConvParams(NamedTuple):
    """A worked convolution (or dense) parameter count, for `cnncalc params`."""

    filters: int
    kernel_h: int
    kernel_w: int
    in_channels: int
    groups: int
    bias: bool
    weights: int
    total: int
    kernel: tuple[int, ...] = ()  # every axis of the kernel (kd, kh, kw in 3-D); () means (kernel_h, kernel_w)


def worked_conv_params(
    filters: int, kernel: tuple[int, ...], in_channels: int, groups: int = 1, bias: bool = True
) -> ConvParams:
    """Parameters of one convolution in any rank: F·(∏k·C/groups + 1) with bias, F·∏k·C/groups without."""
    total = conv_params(in_channels, filters, kernel, groups, bias)
    weights = filters * kernel_volume(kernel) * (in_channels // groups)
    return ConvParams(filters, kernel[0], kernel[-1], in_channels, groups, bias, weights, total, kernel)


class SizeAxis(NamedTuple):
    """One axis of a worked output-size computation, for `cnncalc size`."""

    in_size: int
    kernel_size: int
    stride: int
    pad_begin: int
    pad_end: int
    dilation: int
    output_padding: int
    transposed: bool
    ceil_mode: bool
    same: bool
    numerator: int
    remainder: int
    out_size: int
    lost: tuple[int, int] | None


def worked_size(in_size: int, window: Window, same: bool = False, ceil_mode: bool = False) -> SizeAxis:
    """Convolution or pooling output size of one axis with every intermediate term kept for explanation.

    ⌊(H + pt + pb − d(k − 1) − 1)/s⌋ + 1, where ``same`` replaces the window's padding by TensorFlow's.
    """
    k, s, d = window.kernel, window.stride, window.dilation
    if same:
        window = Window(k, s, *same_padding(in_size, k, s, d), d)
    pad = (window.pad_begin, window.pad_end)
    numerator = in_size + pad[0] + pad[1] - effective_kernel(k, d)
    out = conv_output_size(in_size, window, ceil_mode)
    remainder = numerator % s if numerator >= 0 else 0
    lost = None
    if remainder and not ceil_mode and out >= 1:  # ceil mode keeps the partial window instead
        lost = uncovered(in_size, window, out)
    return SizeAxis(in_size, k, s, pad[0], pad[1], d, 0, False, ceil_mode, same, numerator, remainder, out, lost)


def worked_deconv_size(in_size: int, window: Window, same: bool = False, output_padding: int = 0) -> SizeAxis:
    """Transposed convolution output size of one axis: H·s with ``same``, else (H − 1)·s − pt − pb + d(k − 1) + op + 1."""
    if same:
        window = Window(window.kernel, window.stride, 0, 0, window.dilation)
        out = in_size * window.stride
    else:
        out = deconv_output_size(in_size, window, output_padding)
    return SizeAxis(in_size, window.kernel, window.stride, window.pad_begin, window.pad_end, window.dilation,
                    output_padding, True, False, same, out, 0, out, None)


# --- normalisation, scaling and attention (channels last; positions = product of the spatial axes) ---

def positions(spatial: tuple[int, ...]) -> int:
    """Positions of a feature map: N = H·W (the product of every axis before the channels; 1 for a vector)."""
    return prod(spatial)


def norm_params(channels: int, scale: bool = True, shift: bool = True) -> int:
    """Per-channel affine normalisation parameters (LayerNorm, GroupNorm, InstanceNorm): γ (C) + β (C)."""
    return channels * (int(scale) + int(shift))


def layer_scale_params(channels: int, bias: bool = False) -> int:
    """Layer scale (a learnable per-channel factor γ): C; with a per-channel shift β too (Caffe's Scale): 2C."""
    return channels * (1 + int(bias))


def keras_normalization_weights(channels: int) -> int:
    """Keras Normalization's non-trainable weights once adapted along the channel axis: mean (C) + variance (C) + count (1)."""
    return 2 * channels + 1


def attention_params(channels: int, dim: int, bias: bool = True) -> int:
    """Multi-head self-attention parameters: q, k, v projections 3·(C·E + E) and the output projection E·C + C.

    With E = C this is nn.MultiheadAttention's in_proj (3·E·E + 3E) plus out_proj (E·E + E).
    """
    return 3 * channels * dim + dim * channels + ((3 * dim + channels) if bias else 0)


def attention_macs(n_positions: int, channels: int, dim: int, sequences: int = 1) -> int:
    """Self-attention multiply-adds over N positions: projections N·C·3E + N·E·C, then Q·Kᵀ and A·V.

    Summed over the heads (E/h each), the two products cost 2·N²·E whatever the number of heads;
    softmax, scaling and bias additions are not multiply-adds. With E = C: 4·N·E² + 2·N²·E. When the
    positions attend in S separate sequences of N/S (MobileViT: each pixel of a P×P patch over the
    N/P² patches, S = P²), the products cost 2·S·(N/S)²·E = 2·N²·E/S.
    """
    return 4 * n_positions * channels * dim + 2 * n_positions * (n_positions // sequences) * dim

def kernel_volume(kernel: tuple[int, ...]) -> int:
    """Positions in one kernel window: k₁·k₂·…·k_r over the spatial axes."""
    return prod(kernel)


def conv_params(in_channels: int, filters: int, kernel: tuple[int, ...], groups: int = 1, bias: bool = True) -> int:
    """Convolution parameters in any rank: F·(∏k·C/groups) + F if bias (2-D: F·(kh·kw·C/groups) + F)."""
    return filters * kernel_volume(kernel) * (in_channels // groups) + (filters if bias else 0)


def conv_macs(out_sizes: tuple[int, ...], in_channels: int, filters: int, kernel: tuple[int, ...],
                 groups: int = 1) -> int:
    """Convolution multiply-adds in any rank (bias excluded): ∏out·F·(∏k·C/groups)."""
    return kernel_volume(out_sizes) * filters * kernel_volume(kernel) * (in_channels // groups)


def deconv_macs(in_sizes: tuple[int, ...], in_channels: int, filters: int, kernel: tuple[int, ...],
                   groups: int = 1) -> int:
    """Transposed convolution multiply-adds in any rank: ∏in·C·(F/groups)·∏k (each input position scatters a kernel)."""
    return kernel_volume(in_sizes) * in_channels * (filters // groups) * kernel_volume(kernel)
