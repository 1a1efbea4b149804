"""Memory estimates: parameters, activations, and training memory for a batch, dtype and optimizer."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the CLI reads the registries below for its --help, without the analysis chain
    from cnncalc.core.analysis import Analysis

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
# Values of optimizer state kept per trainable parameter.
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2}


class MemoryEstimate(NamedTuple):
    """Bytes of each part of a network's memory, and the assumptions they were computed under."""

    dtype: str
    batch: int
    optimizer: str
    weights: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def inference(self) -> int:
        """Weights plus every layer's output for the batch (an upper bound: nothing is freed)."""
        return self.weights + self.activations

    @property
    def training(self) -> int:
        """Weights, gradients, optimizer state and the activations kept for the backward pass."""
        return self.weights + self.gradients + self.optimizer_state + self.activations


def estimate(analysis: Analysis, batch: int = 1, dtype: str = "float32", optimizer: str = "adam") -> MemoryEstimate:
    """Memory of a network, every tensor in `dtype`.

    weights = all parameters (running statistics included) × bytes;
    gradients = trainable × bytes; optimizer state = trainable × bytes × (0 sgd, 1 momentum, 2 adam);
    activations = batch × Σ layer output elements × bytes (every output kept for the backward pass).
    """
    size = DTYPE_BYTES[dtype]
    tot = analysis.totals
    return MemoryEstimate(
        dtype=dtype,
        batch=batch,
        optimizer=optimizer,
        weights=tot.params * size,
        gradients=tot.trainable * size,
        optimizer_state=tot.trainable * size * OPTIMIZER_STATES[optimizer],
        activations=batch * tot.elements * size,
    )
