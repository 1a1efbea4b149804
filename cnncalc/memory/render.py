"""`cnncalc memory` as text or JSON. Nothing here computes a figure: `core.memory.liveness` does."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from cnncalc.cli.textout import neutral
from cnncalc.core.quantities import fmt_shape, human_bytes

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.memory import LivePlan

# Bits per stored weight, for the flash (weights) a deployment needs at each precision.
PRECISIONS = {"float32": 32, "float16": 16, "int8": 8, "int4": 4}


class Training(NamedTuple):
    """One training step's memory at the end of its forward pass: weights, their gradients, the optimizer's
    state, and what the forward pass saved for the backward pass (`core.memory.saved_for_backward`)."""

    optimizer: str
    saved: int
    saved_per_sample: int  # what one more sample adds (batch norm's statistics are shared by the batch)
    params: int
    grads: int
    optimizer_state: int

    @property
    def total(self) -> int:
        """Weights + gradients + optimizer state + saved for backward."""
        return self.params + self.grads + self.optimizer_state + self.saved


def training(analysis: Analysis, plan: LivePlan, optimizer: str) -> Training:
    """The training figures at the plan's batch and value type (every tensor in it, no master copies)."""
    from cnncalc.core.memory import estimate, parameter_tensors, saved_for_backward

    one, two = saved_for_backward(analysis, 1, plan.dtype), saved_for_backward(analysis, 2, plan.dtype)
    state = estimate(analysis, plan.batch, plan.dtype, optimizer)  # weights, gradients, optimizer values
    steps = 4 * parameter_tensors(analysis) if optimizer == "adam" else 0  # Adam's float32 step per tensor
    return Training(optimizer, saved_for_backward(analysis, plan.batch, plan.dtype), two - one, state.weights,
                    state.gradients, state.optimizer_state + steps)


class Fit(NamedTuple):
    """The largest batch whose weights plus peak live activations fit `budget` bytes (0: not even one)."""

    budget: int
    text: str
    max_batch: int


def fit(plan: LivePlan, budget: int, text: str, train: Training | None = None) -> Fit:
    """Exact for the model, not a search: activations scale with the batch and weights do not, so the largest
    batch is ⌊(budget − weights) / peak live bytes per sample⌋; for training
    ⌊(budget − weights − gradients − optimizer state − shared statistics) / saved bytes per sample⌋."""
    if train is None:
        per_sample, room = plan.peak_bytes // plan.batch, budget - plan.param_bytes
    else:
        shared = train.saved - train.saved_per_sample * plan.batch
        per_sample, room = train.saved_per_sample, budget - train.total + train.saved - shared
    return Fit(budget, text, max(room // per_sample, 0) if per_sample else 0)


def weights_bytes(analysis: Analysis) -> dict[str, int]:
    """Bytes of every parameter and buffer at each precision in PRECISIONS (int4: two per byte, rounded up)."""
    count = analysis.totals.params
    return {name: -(-count * bits // 8) for name, bits in PRECISIONS.items()}


def text(analysis: Analysis, plan: LivePlan, fitted: Fit | None, train: Training | None = None) -> str:
    """The figures a deployment asks for, one per line."""
    w = weights_bytes(analysis)
    lines = [f"{neutral(analysis.name)}: {fmt_shape(analysis.input)} → {fmt_shape(analysis.output)}, batch {plan.batch}, "
             f"activations in {plan.dtype}",
             f"peak live activations  {human_bytes(plan.peak_bytes)} ({plan.peak_bytes:,} B) while "
             f"{neutral(plan.peak_layer)} runs",
             f"every output kept      {human_bytes(plan.naive_sum_bytes)} ({plan.naive_sum_bytes:,} B; nothing "
             "freed, as `shape` adds them up)",
             "weights                " + " · ".join(f"{human_bytes(b)} {name}" for name, b in w.items()),
             f"inference              {human_bytes(plan.param_bytes + plan.peak_bytes)} = weights in {plan.dtype} "
             "+ peak live activations"]
    if train is not None:
        lines.append(f"{'training (' + train.optimizer + ')':<23}{human_bytes(train.total)} = weights "
                     f"{human_bytes(train.params)} + gradients {human_bytes(train.grads)} + optimizer state "
                     f"{human_bytes(train.optimizer_state)} + saved for backward {human_bytes(train.saved)}")
    if fitted is not None:
        if train is None:
            per_sample, fixed, what = plan.peak_bytes // plan.batch, plan.param_bytes, "inference"
            kept = "of weights"
        else:
            per_sample, what = train.saved_per_sample, "training"
            fixed = train.total - train.saved_per_sample * plan.batch
            kept = "(weights, gradients, optimizer state, shared statistics)"
        if fitted.max_batch:
            lines.append(f"fits {fitted.text:<17} batch {fitted.max_batch:,} for {what}: {human_bytes(fixed)} {kept} + "
                         f"{fitted.max_batch:,} × {human_bytes(per_sample)} ≤ {human_bytes(fitted.budget)}")
        else:
            lines.append(f"fits {fitted.text:<17} not even batch 1 for {what}: {human_bytes(fixed)} {kept} + "
                         f"{human_bytes(per_sample)} per sample > {human_bytes(fitted.budget)}")
    return "\n".join(lines) + "\n"


def json_text(analysis: Analysis, plan: LivePlan, fitted: Fit | None, train: Training | None = None) -> str:
    """Stable keys: inference_peak_bytes, peak_layer, naive_sum_bytes, param_bytes, weights_flash_bytes,
    max_batch (with --fit), layers[] (name, live_bytes)."""
    import json

    data = {"name": analysis.name, "input": list(analysis.input), "batch": plan.batch, "dtype": plan.dtype,
            "inference_peak_bytes": plan.peak_bytes, "peak_layer": plan.peak_layer,
            "naive_sum_bytes": plan.naive_sum_bytes, "param_bytes": plan.param_bytes,
            "weights_flash_bytes": weights_bytes(analysis),
            "fit_bytes": fitted.budget if fitted else None, "max_batch": fitted.max_batch if fitted else None,
            "layers": [{"name": live.name, "live_bytes": live.live_bytes} for live in plan.layers]}
    if train is not None:
        data.update({"optimizer": train.optimizer, "saved_for_backward_bytes": train.saved,
                     "grad_bytes": train.grads, "optimizer_state_bytes": train.optimizer_state,
                     "training_bytes": train.total})
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": text, "json": json_text}
