"""Which input sizes a network accepts without flooring anything away, and what breaks the others."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.analysis import first_uneven
from cnncalc.problems import Problem, SpecError
from cnncalc.spec import Spec

Shape = tuple[int, ...]


@dataclass(frozen=True)
class SizeVerdict:
    """One input size: clean, or the first problem it causes (a warning for a floored division, else an error)."""

    input: Shape
    problem: Problem | None

    @property
    def clean(self) -> bool:
        """True when every layer divides evenly and the network is valid at this size."""
        return self.problem is None


def try_size(spec: Spec, shape: Shape) -> SizeVerdict:
    """Whether every strided layer divides this input evenly, else the first layer that does not.

    A padded strided layer must map H onto exactly H/s outputs (ResNet at multiples of 32); an
    unpadded one must tile H exactly ((H − span) divisible by s: AlexNet's 227, U-Net's 572);
    a ceil-mode pooling either. An invalid network at this size gives its error.
    """
    try:
        return SizeVerdict(shape, first_uneven(spec, shape))
    except SpecError as exc:
        return SizeVerdict(shape, exc.problem)


def scan(spec: Spec, low: int, high: int, step: int = 1) -> list[SizeVerdict]:
    """Verdicts for square inputs low..high (inclusive), with the spec's channel count."""
    if len(spec.input) != 3:
        raise ValueError("the network's input is a vector; only feature-map inputs have sizes to scan")
    channels = spec.input[2]
    return [try_size(spec, (size, size, channels)) for size in range(low, high + 1, step)]


def runs(sizes: list[int]) -> list[tuple[int, int, int]]:
    """Group sorted sizes into arithmetic runs (first, last, step) for compact display: 32, 64, …, 1024."""
    result: list[tuple[int, int, int]] = []
    i = 0
    while i < len(sizes):
        if i + 2 < len(sizes) and sizes[i + 1] - sizes[i] == sizes[i + 2] - sizes[i + 1]:
            step = sizes[i + 1] - sizes[i]
            j = i + 1
            while j + 1 < len(sizes) and sizes[j + 1] - sizes[j] == step:
                j += 1
            result.append((sizes[i], sizes[j], step))
            i = j + 1
        else:
            result.append((sizes[i], sizes[i], 0))
            i += 1
    return result
