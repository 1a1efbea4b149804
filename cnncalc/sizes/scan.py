"""Which input sizes a network accepts without flooring anything away, and what breaks the others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cnncalc.core.analysis import Analysis, analyze, first_uneven
from cnncalc.core.problems import Problem, SpecError
from cnncalc.core.spec import Spec

Shape = tuple[int, ...]
Progress = Callable[[int, int], None]  # (sizes done, sizes in all)


@dataclass(frozen=True)
class SizeVerdict:
    """One input size: clean, or the first problem it causes (a warning for a floored division, else an error)."""

    input: Shape
    problem: Problem | None

    @property
    def clean(self) -> bool:
        """True when every layer divides evenly and the network is valid at this size."""
        return self.problem is None


def _verdict(analysis: Analysis, shape: Shape) -> SizeVerdict:
    try:
        return SizeVerdict(shape, first_uneven(analysis, shape))
    except SpecError as exc:
        return SizeVerdict(shape, exc.problem)


def try_size(spec: Spec, shape: Shape) -> SizeVerdict:
    """Whether every strided layer divides this input evenly, else the first layer that does not.

    A padded strided layer must map H onto exactly H/s outputs (ResNet at multiples of 32); an
    unpadded one must tile H exactly ((H − span) divisible by s: AlexNet's 227, U-Net's 572);
    a ceil-mode pooling either. An invalid network at this size gives its error; a file that does
    not analyse at its own input gives that error.
    """
    try:
        analysis = analyze(spec)
    except SpecError as exc:
        return SizeVerdict(shape, exc.problem)
    return _verdict(analysis, shape)


def scan(spec: Spec, low: int, high: int, step: int = 1, progress: Progress | None = None) -> list[SizeVerdict]:
    """Verdicts for square inputs low..high (inclusive; every spatial axis), with the spec's channel count.

    The network is expanded once, at the file's own input (raising SpecError, as `shape` would,
    if it does not analyse); each size then recomputes only the resolved layers, up to the first
    that does not divide evenly. `progress`, if given, is called after each size.
    """
    if len(spec.input) < 2:
        raise ValueError("the network's input is a vector; only feature-map inputs have sizes to scan")
    analysis = analyze(spec)
    channels = spec.input[-1]
    rank = len(spec.input) - 1
    sizes = range(low, high + 1, step)
    verdicts = []
    for done, size in enumerate(sizes, 1):
        verdicts.append(_verdict(analysis, (*(size,) * rank, channels)))
        if progress is not None:
            progress(done, len(sizes))
    return verdicts


def nearest_clean(spec: Spec, shape: Shape, reach: int = 4096) -> tuple[Shape | None, Shape | None]:
    """The clean input sizes nearest to `shape` below and above it (None where there is none within `reach`).

    A square (cube) size moves every axis together. Another size moves each axis to the nearest size that is
    clean as a square, keeping the aspect the user chose, and the result is kept only if it is clean itself
    (a network whose axes differ, with 1×7 kernels, may have none). The channels are kept."""
    analysis = analyze(spec)
    *spatial, channels = shape

    def clean(sizes: list[int]) -> bool:
        return _verdict(analysis, (*sizes, channels)).clean

    def nearest(size: int, step: int) -> int | None:
        for distance in range(reach + 1):
            trial = size + step * distance
            if trial < 1:
                return None
            if clean([trial] * len(spatial)):
                return trial
        return None

    def moved(step: int) -> Shape | None:
        if len(set(spatial)) == 1:
            size = nearest(spatial[0], step)
            return None if size is None else (*[size] * len(spatial), channels)
        found = [nearest(size, step) for size in spatial]
        sizes = [size for size in found if size is not None]
        if len(sizes) != len(spatial) or not clean(sizes):
            return None
        return (*sizes, channels)

    return moved(-1), moved(1)


def clean_sizes(spec: Spec, low: int, high: int, progress: Progress | None = None) -> list[int]:
    """The sizes low..high at which every layer divides evenly (`scan`'s clean verdicts, by their first axis)."""
    return [v.input[0] for v in scan(spec, low, high, progress=progress) if v.clean]


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
