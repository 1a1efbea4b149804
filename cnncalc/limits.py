"""The one set of limits every input form and every layer is held to (documented in the README).

They refuse what is plainly a mistake (a units slip, a runaway `repeat`) and bound the work a
hostile file can cause, while accepting real networks: a 4096×4096 input, a 100 M-value feature map.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run a block with the cyclic garbage collector off.

    Parsing and expansion build many small acyclic objects (nodes, values, layers); each
    automatic collection re-scans all that survive, which made a 20,000-layer file superlinear.
    Reference counting frees them all the same; the collector is back on afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
