"""Answers to the questions learners ask: which padding gives the output size I want.

Nothing here prints; `explain_render.padding_text` shows the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.core import formulas as F


@dataclass(frozen=True)
class PaddingSolution:
    """The padding that makes one axis's output `target`: symmetric if one exists, else asymmetric."""

    in_size: int
    kernel_size: int
    stride: int
    dilation: int
    target: int
    low: int  # the smallest total padding (begin + end) that gives the target
    high: int  # the largest; low > high: no padding does
    padding: tuple[int, int] | None  # (begin, end): symmetric when one works, else the odd pixel after
    exact: tuple[int, int] | None  # a padding whose division is exact, when the chosen one floors a remainder
    worked: F.SizeAxis | None  # the chosen padding, worked out

    @property
    def symmetric(self) -> bool:
        """Whether the answer pads both sides alike (what PyTorch's single `padding=` can express)."""
        return self.padding is not None and self.padding[0] == self.padding[1]


def padding_range(in_size: int, kernel_size: int, target: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Total padding P with ⌊(H + P − d(k − 1) − 1)/s⌋ + 1 = out: (out − 1)·s + d(k − 1) + 1 − H ≤ P ≤ that + s − 1."""
    low = (target - 1) * stride + F.effective_kernel(kernel_size, dilation) - in_size
    return low, low + stride - 1


def solve_padding(in_size: int, kernel_size: int, target: int, stride: int = 1, dilation: int = 1) -> PaddingSolution:
    """The smallest symmetric padding giving `target`, else the smallest asymmetric one (odd pixel at the end)."""
    low, high = padding_range(in_size, kernel_size, target, stride, dilation)
    low_ok = max(low, 0)
    if high < low_ok:
        return PaddingSolution(in_size, kernel_size, stride, dilation, target, low, high, None, None, None)
    even = next((p for p in range(low_ok, high + 1) if p % 2 == 0), None)
    total = even if even is not None else low_ok
    chosen = (total // 2, total - total // 2)
    exact = None
    if total != low and low >= 0:  # the chosen padding floors a remainder; `low` divides exactly
        exact = (low // 2, low - low // 2)
    worked = F.worked_size(in_size, F.Window(kernel_size, stride, *chosen, dilation))
    return PaddingSolution(in_size, kernel_size, stride, dilation, target, low, high, chosen, exact, worked)


def keep_size(in_size: int, stride: int) -> int:
    """The output `--keep` asks for: ⌈H/s⌉ (the input size at stride 1, as TensorFlow's `same`)."""
    return -(-in_size // stride)
