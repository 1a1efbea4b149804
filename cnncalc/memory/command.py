"""`cnncalc memory`: the options as parsed → one call (`report`) → one writer (`render.FORMATS`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.memory import LivePlan
    from cnncalc.core.spec import Spec
    from cnncalc.memory.devices import Device
    from cnncalc.memory.plan import Fit, Policy, Quantized, Roofline, Training


class Request(NamedTuple):
    """What `cnncalc memory` was asked, parsed and checked by the CLI."""

    batch: int
    dtype: str
    train: bool
    optimizer: str
    policy: Policy | None  # None: every tensor of the step in `dtype`
    checkpoint: tuple[str, ...]
    fit: tuple[int, str] | None  # (bytes, as named)
    fit_input: bool
    margin: float
    overhead: int
    device: Device | None
    quantize: tuple[str, int, int] | None
    scales: tuple[str, int]  # per-tensor, per-channel, or per-group with its size
    keep: tuple[str, ...]


class Report(NamedTuple):
    """Every figure `cnncalc memory` writes."""

    analysis: Analysis
    plan: LivePlan
    train: Training | None
    fitted: Fit | None
    quantized: Quantized | None
    roofline: Roofline | None
    device: Device | None


class Misuse(Exception):
    """A request the network cannot answer (a --checkpoint name it does not have); the CLI reports it as misuse."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.message, self.option = message, option


def report(parsed: Spec, analysis: Analysis, request: Request) -> Report:
    """The figures for `request` on the analysed network (`parsed` is re-analysed at other input sides only for
    `--fit-input`)."""
    from cnncalc.core.memory import liveness

    plan = liveness(analysis, request.batch, request.dtype)
    if not (request.train or request.fit or request.device or request.quantize):  # the peak alone
        return Report(analysis, plan, None, None, None, None, None)
    from cnncalc.memory import plan as planning  # the planner's figures, only when asked for

    checkpoint = planning.checkpointed(analysis, request.checkpoint)
    unknown = planning.unknown_segment(analysis, checkpoint)
    if unknown is not None:
        raise Misuse(f"the network has no block use or layer {unknown!r}; give a block use such as "
                     f"{', '.join(planning.block_uses(analysis)[:3]) or 'a layer name'}, or `blocks` for every "
                     "block use", "--checkpoint")
    policy = request.policy or planning.pure(request.dtype)
    train = planning.training(analysis, plan, request.optimizer, policy, checkpoint) if request.train else None
    quantized = None
    if request.quantize is not None:
        quantized = planning.quantize(analysis, plan, request.quantize, request.scales, request.keep)
    fitted = None
    budget = request.fit or ((request.device.memory, request.device.name) if request.device else None)
    if budget is not None:
        sized = plan
        if quantized is not None:  # the quantized sizes; a device with flash keeps the weights there
            flash = request.device is not None and request.device.flash > 0
            sized = plan._replace(param_bytes=0 if flash else quantized.flash_bytes, peak_bytes=quantized.ram_bytes)
        fitted = planning.fit(sized, budget, None if quantized else train, (request.margin, request.overhead))
        if request.fit_input:
            if len(analysis.input) < 2:
                raise Misuse("the network's input is a vector; it has no side to grow", "--fit-input")
            fitted = fitted._replace(max_side=_fit_side(parsed, analysis, request, fitted.usable))
    roof = planning.roofline(analysis, plan, request.device) if request.device is not None else None
    return Report(analysis, plan, train, fitted, quantized, roof, request.device)


def _fit_side(parsed: Spec, analysis: Analysis, request: Request, usable: int) -> int:
    """The largest square (cubic, or length) input side whose figures at the batch fit `usable` bytes: the
    network re-analysed at each side the search tries (activations do not scale linearly with the side)."""
    from cnncalc.core.analysis import analyze
    from cnncalc.core.memory import liveness
    from cnncalc.core.problems import SpecError
    from cnncalc.memory import plan as planning

    rank, channels = len(analysis.input) - 1, analysis.input[-1]

    def fits_at(side: int) -> bool | None:
        try:
            at = analyze(parsed, (side,) * rank + (channels,))
        except SpecError:
            return None
        plan = liveness(at, request.batch, request.dtype)
        train = planning.training(at, plan, request.optimizer, request.policy or planning.pure(request.dtype),
                                  planning.checkpointed(at, request.checkpoint)) if request.train else None
        per_sample, fixed = planning.fixed_and_per_sample(plan, train)
        return fixed + per_sample * request.batch <= usable

    return planning.fit_side(fits_at, max(analysis.input[:-1]))
