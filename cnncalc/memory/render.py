"""`cnncalc memory` as text or JSON. Nothing here computes a figure: `core.memory.liveness` does."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from cnncalc.core.quantities import fmt_shape, human_bytes

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.memory import LivePlan

# Bits per stored weight, for the flash (weights) a deployment needs at each precision.
PRECISIONS = {"float32": 32, "float16": 16, "int8": 8, "int4": 4}


class Fit(NamedTuple):
    """The largest batch whose weights plus peak live activations fit `budget` bytes (0: not even one)."""

    budget: int
    text: str
    max_batch: int


def fit(plan: LivePlan, budget: int, text: str) -> Fit:
    """Exact for the model, not a search: every activation scales with the batch and weights do not, so the
    largest batch is ⌊(budget − weights) / peak live bytes per sample⌋."""
    per_sample = plan.peak_bytes // plan.batch
    room = budget - plan.param_bytes
    return Fit(budget, text, max(room // per_sample, 0) if per_sample else 0)


def weights_bytes(analysis: Analysis) -> dict[str, int]:
    """Bytes of every parameter and buffer at each precision in PRECISIONS (int4: two per byte, rounded up)."""
    count = analysis.totals.params
    return {name: -(-count * bits // 8) for name, bits in PRECISIONS.items()}


def text(analysis: Analysis, plan: LivePlan, fitted: Fit | None) -> str:
    """The figures a deployment asks for, one per line."""
    w = weights_bytes(analysis)
    lines = [f"{analysis.name}: {fmt_shape(analysis.input)} → {fmt_shape(analysis.output)}, batch {plan.batch}, "
             f"activations in {plan.dtype}",
             f"peak live activations  {human_bytes(plan.peak_bytes)} ({plan.peak_bytes:,} B) while "
             f"{plan.peak_layer} runs",
             f"every output kept      {human_bytes(plan.naive_sum_bytes)} ({plan.naive_sum_bytes:,} B; nothing "
             "freed, as `shape` adds them up)",
             "weights                " + " · ".join(f"{human_bytes(b)} {name}" for name, b in w.items()),
             f"inference              {human_bytes(plan.param_bytes + plan.peak_bytes)} = weights in {plan.dtype} "
             "+ peak live activations"]
    if fitted is not None:
        per_sample = plan.peak_bytes // plan.batch
        if fitted.max_batch:
            lines.append(f"fits {fitted.text:<17} batch {fitted.max_batch:,}: {human_bytes(plan.param_bytes)} + "
                         f"{fitted.max_batch:,} × {human_bytes(per_sample)} ≤ {human_bytes(fitted.budget)}")
        else:
            lines.append(f"fits {fitted.text:<17} not even batch 1: {human_bytes(plan.param_bytes)} of weights + "
                         f"{human_bytes(per_sample)} per sample > {human_bytes(fitted.budget)}")
    return "\n".join(lines) + "\n"


def json_text(analysis: Analysis, plan: LivePlan, fitted: Fit | None) -> str:
    """Stable keys: inference_peak_bytes, peak_layer, naive_sum_bytes, param_bytes, weights_flash_bytes,
    max_batch (with --fit), layers[] (name, live_bytes)."""
    import json

    data = {"name": analysis.name, "input": list(analysis.input), "batch": plan.batch, "dtype": plan.dtype,
            "inference_peak_bytes": plan.peak_bytes, "peak_layer": plan.peak_layer,
            "naive_sum_bytes": plan.naive_sum_bytes, "param_bytes": plan.param_bytes,
            "weights_flash_bytes": weights_bytes(analysis),
            "fit_bytes": fitted.budget if fitted else None, "max_batch": fitted.max_batch if fitted else None,
            "layers": [{"name": live.name, "live_bytes": live.live_bytes} for live in plan.layers]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": text, "json": json_text}
