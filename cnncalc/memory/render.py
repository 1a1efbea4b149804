"""`cnncalc memory` as text, Markdown or JSON. Nothing here computes a figure: `core.memory` and `memory.plan` do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.cli.textout import neutral
from cnncalc.core.quantities import fmt_shape, human_bytes

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.memory.command import Report
    from cnncalc.memory.plan import Fit, Quantized, Roofline, Training

# Bits per stored weight, for the flash (weights) a deployment needs at each precision.
PRECISIONS = {"float32": 32, "float16": 16, "int8": 8, "int4": 4}


def weights_bytes(analysis: Analysis) -> dict[str, int]:
    """Bytes of every parameter and buffer at each precision in PRECISIONS (int4: two per byte, rounded up)."""
    count = analysis.totals.params
    return {name: -(-count * bits // 8) for name, bits in PRECISIONS.items()}


def _seconds(value: float) -> str:
    return f"{value * 1e3:.3f} ms" if value >= 1e-3 else f"{value * 1e6:.1f} µs"


def _training_lines(train: Training, batch: int) -> list[str]:
    policy = train.policy
    lines = [f"training               {human_bytes(train.total)} = weights "
             f"{human_bytes(train.params)} + gradients {human_bytes(train.grads)} + optimizer state "
             f"{human_bytes(train.optimizer_state)}"
             + (f" + autocast weight copies {human_bytes(train.cast_copies)}" if train.cast_copies else "")
             + f" + saved for backward {human_bytes(train.saved)}"
             + (f" + the largest recomputed segment {human_bytes(train.recompute_bytes)}" if train.checkpointed
                else ""),
             f"  policy               {train.optimizer}, {policy.name}: {policy.summary}"]
    if train.checkpointed:
        shown = ", ".join(neutral(n) for n in train.checkpointed[:6]) + (" …" if len(train.checkpointed) > 6 else "")
        lines.append(f"  checkpointed         {len(train.checkpointed)} segment(s) ({shown}): each keeps only its "
                     f"inputs; recomputing them costs {train.recompute_macs:,} MACs at batch {batch}")
    return lines


def _fit_lines(fitted: Fit, train: Training | None, plan_batch: int) -> list[str]:
    per_sample, fixed = fitted.per_sample, fitted.fixed
    what = "training" if train is not None else "inference"
    kept = "(weights, gradients, optimizer state, shared statistics)" if train is not None else \
        "of weights" if fixed else "(the weights are in flash)"
    room = human_bytes(fitted.usable)
    setting = (f"{human_bytes(fitted.budget)} less a {fitted.margin:.0%} margin and {human_bytes(fitted.overhead)} "
               f"fixed overhead = {room}")
    lines = [f"fits {fitted.text:<17} " + (
        f"batch {fitted.max_batch:,} for {what}: {human_bytes(fixed)} {kept} + {fitted.max_batch:,} × "
        f"{human_bytes(per_sample)} ≤ {room}" if fitted.max_batch else
        f"not even batch 1 for {what}: {human_bytes(fixed)} {kept} + {human_bytes(per_sample)} per sample > {room}"),
        f"  usable               {setting}"]
    if fitted.max_side is not None:
        lines.append(f"  largest input side   {fitted.max_side:,} at batch {plan_batch} (the network re-analysed at "
                     "each side tried)" if fitted.max_side else "  largest input side   none fits at this batch")
    return lines


def _quant_lines(q: Quantized, device_flash: int, device_ram: int) -> list[str]:
    scales = q.scales + (f" of {q.group}" if q.scales == "per-group" else "")
    lines = [f"{'quantized ' + q.label:<23}flash {human_bytes(q.flash_bytes)} ({q.flash_bytes:,} B) = "
             f"{q.quantized_values:,} weights at {q.weight_bits} bits + {q.scale_count:,} float32 scales ({scales}) "
             f"+ {q.kept_values:,} values kept in float32 (biases, norms, statistics"
             + (", kept layers" if q.kept_layers else "") + ")",
             f"  RAM                  {human_bytes(q.ram_bytes)} ({q.ram_bytes:,} B): the peak live activations at "
             f"{q.activation_bits} bits"]
    if q.kept_layers:
        lines.append(f"  kept in float32      {', '.join(neutral(n) for n in q.kept_layers)}")
    if device_flash:
        verdict = "fits" if q.flash_bytes <= device_flash else "does not fit"
        lines.append(f"  on the device        flash {verdict} ({human_bytes(q.flash_bytes)} of "
                     f"{human_bytes(device_flash)}); RAM " + ("fits" if q.ram_bytes <= device_ram else "does not fit")
                     + f" ({human_bytes(q.ram_bytes)} of {human_bytes(device_ram)})")
    return lines


def _roof_lines(roof: Roofline) -> list[str]:
    bound = roof.memory_bound
    worst = sorted(roof.layers, key=lambda layer: layer.seconds, reverse=True)[:3]
    return [f"time bound             ≥ {_seconds(roof.seconds)} on {neutral(roof.device)} (a roofline floor, not a latency: "
            f"Σ max(FLOPs / {roof.peak_flops / 1e12:g} TFLOP/s, bytes / {roof.bandwidth / 1e9:g} GB/s) in "
            f"{roof.dtype})",
            f"  memory-bound layers  {len(bound)} of {len(roof.layers)}; the slowest: "
            + ", ".join(f"{neutral(layer.name)} {_seconds(layer.seconds)} ({layer.intensity:.1f} FLOP/B)"
                        for layer in worst)]


def text(report: Report) -> str:
    """The figures a deployment asks for, one per line."""
    analysis, plan, train = report.analysis, report.plan, report.train
    w = weights_bytes(analysis)
    lines = [f"{neutral(analysis.name)}: {fmt_shape(analysis.input)} → {fmt_shape(analysis.output)}, batch {plan.batch}, "
             f"activations in {plan.dtype}",
             f"peak live activations  {human_bytes(plan.peak_bytes)} ({plan.peak_bytes:,} B) while "
             f"{neutral(plan.peak_layer)} runs",
             "  alive then           " + "; ".join(f"{neutral(tensor)} {human_bytes(size)} ({neutral(why)})"
                                                   for tensor, size, why in plan.peak_alive),
             f"every output kept      {human_bytes(plan.naive_sum_bytes)} ({plan.naive_sum_bytes:,} B; nothing "
             "freed, as `shape` adds them up)",
             "weights                " + " · ".join(f"{human_bytes(b)} {name}" for name, b in w.items()),
             f"inference              {human_bytes(plan.param_bytes + plan.peak_bytes)} = weights in {plan.dtype} "
             "+ peak live activations"]
    if train is not None:
        lines += _training_lines(train, plan.batch)
    if report.quantized is not None:
        device = report.device
        lines += _quant_lines(report.quantized, device.flash if device else 0, device.memory if device else 0)
    if report.fitted is not None:
        lines += _fit_lines(report.fitted, train if report.quantized is None else None, plan.batch)
    if report.roofline is not None:
        lines += _roof_lines(report.roofline)
    elif report.device is not None and not report.device.flops:
        lines.append(f"time bound             {neutral(report.device.name)} states no peak FLOP/s; no bound")
    return "\n".join(lines) + "\n"


def markdown(report: Report) -> str:
    """The same figures as a Markdown table, and the per-layer live bytes."""
    body = text(report).rstrip("\n").split("\n")
    rows = ["| figure | value |", "| --- | --- |"]
    for line in body[1:]:
        key, _, value = line.strip().partition("  ")
        rows.append(f"| {key.strip()} | {value.strip().replace('|', '/')} |")
    layers = ["| # | layer | live bytes |", "| ---: | --- | ---: |"]
    layers += [f"| {n} | {neutral(live.name)} | {live.live_bytes:,} |" for n, live in enumerate(report.plan.layers, 1)]
    return f"## {body[0]}\n\n" + "\n".join(rows) + "\n\n" + "\n".join(layers) + "\n"


def json_text(report: Report) -> str:
    """Stable keys: inference_peak_bytes, peak_layer, naive_sum_bytes, param_bytes, weights_flash_bytes,
    max_batch (with --fit or --device), layers[] (name, live_bytes); with --train saved_for_backward_bytes,
    grad_bytes, optimizer_state_bytes, training_bytes; with --quantize quantized{}; with --device roofline{}."""
    import json

    analysis, plan, train, fitted = report.analysis, report.plan, report.train, report.fitted
    data: dict[str, object] = {
        "name": analysis.name, "input": list(analysis.input), "batch": plan.batch, "dtype": plan.dtype,
        "inference_peak_bytes": plan.peak_bytes, "peak_layer": plan.peak_layer,
        "alive_at_peak": [{"tensor": tensor, "bytes": size, "why": why} for tensor, size, why in plan.peak_alive],
        "naive_sum_bytes": plan.naive_sum_bytes, "param_bytes": plan.param_bytes,
        "weights_flash_bytes": weights_bytes(analysis),
        "fit_bytes": fitted.budget if fitted else None, "max_batch": fitted.max_batch if fitted else None,
        "layers": [{"name": live.name, "live_bytes": live.live_bytes} for live in plan.layers]}
    if fitted is not None:
        data.update({"usable_bytes": fitted.usable, "margin": fitted.margin, "overhead_bytes": fitted.overhead,
                     "max_input_side": fitted.max_side})
    if train is not None:
        data.update({"optimizer": train.optimizer, "precision": train.policy.name,
                     "saved_for_backward_bytes": train.saved, "grad_bytes": train.grads,
                     "optimizer_state_bytes": train.optimizer_state, "master_param_bytes": train.params,
                     "cast_copy_bytes": train.cast_copies, "checkpointed": list(train.checkpointed),
                     "recompute_bytes": train.recompute_bytes, "recompute_macs": train.recompute_macs,
                     "training_bytes": train.total})
    q = report.quantized
    if q is not None:
        data["quantized"] = {"scheme": q.label, "weight_bits": q.weight_bits, "activation_bits": q.activation_bits,
                             "scales": q.scales, "group": q.group if q.scales == "per-group" else None,
                             "quantized_values": q.quantized_values, "scale_count": q.scale_count,
                             "scale_bytes": q.overhead_bytes, "kept_values": q.kept_values,
                             "kept_layers": list(q.kept_layers), "flash_bytes": q.flash_bytes, "ram_bytes": q.ram_bytes}
    roof = report.roofline
    if roof is not None:
        data["roofline"] = {"device": roof.device, "dtype": roof.dtype, "peak_flops": roof.peak_flops,
                            "bandwidth": roof.bandwidth, "bound_seconds": roof.seconds,
                            "memory_bound_layers": list(roof.memory_bound),
                            "layers": [layer._asdict() for layer in roof.layers]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": text, "json": json_text, "markdown": markdown}
