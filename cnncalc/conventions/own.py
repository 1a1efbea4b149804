"""cnncalc's own rule: multiply-adds of convolutions, dense layers and attention; nothing else is counted."""

from __future__ import annotations

from cnncalc.conventions import Convention, learned

CONVENTION = Convention(
    "cnncalc", "cnncalc shape (MACs)", "this version", "MACs", lambda layer, context: layer.out.macs, learned, {
        "convolution": "k·k·C/groups multiply-adds per output value; bias not counted",
        "transposed convolution": "k·k·F/groups per input value, as PyTorch runs it",
        "dense": "inputs × units per sample; bias not counted",
        "attention": "the projections and the products Q·Kᵀ and A·V",
        "parameters": "learned ones (frozen included); buffers apart",
        "everything else": "nothing (normalisation, activations, pooling, merges)"})
