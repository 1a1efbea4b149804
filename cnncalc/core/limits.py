"""The one set of limits every input form and every layer is held to (documented in the README).

They refuse what is plainly a mistake (a units slip, a runaway `repeat`) and bound the work a
hostile file can cause, while accepting real networks: a 4096×4096 input, a 100 M-value feature map.
"""

from __future__ import annotations

import gc

MAX_DIMENSION = 1_000_000  # one height, width or channel count, of the input or of any layer's output
MAX_ELEMENTS = 1_000_000_000  # values in one tensor (a flattened feature map's length included)
MAX_LAYERS = 20_000  # layers after expanding blocks and repeats
MAX_BLOCK_DEPTH = 32  # blocks used inside blocks


def too_large(shape: tuple[int, ...]) -> str | None:
    """Why a tensor of this shape is beyond the limits, or None. A vector's one dimension is its length."""
    elements = 1
    for d in shape:
        elements *= d
    if elements > MAX_ELEMENTS:
        return f"{'×'.join(map(str, shape))} is implausibly large (over {MAX_ELEMENTS:,} values)"
    if len(shape) > 1 and max(shape) > MAX_DIMENSION:
        return f"{'×'.join(map(str, shape))} is implausibly large (over {MAX_DIMENSION:,} in one dimension)"
    return None


class collector_paused:  # noqa: N801  (used as a function: `with collector_paused():`)
    """Run a block with the cyclic garbage collector off.

    Parsing and expansion build many small acyclic objects (nodes, values, layers); each
    automatic collection re-scans all that survive, which made a 20,000-layer file superlinear.
    Reference counting frees them all the same; the collector is back on afterwards.
    A class rather than a @contextmanager generator: it is entered several times per file.
    """

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            gc.enable()
