"""Compare two analyses layer by layer: added, removed and changed layers, and the change of the totals.

Layers are aligned by name first (names the author wrote, kept in order), then, between those anchors,
by sequence alignment of (kind, output shape) signatures, so that a renamed layer or an inserted layer
with generated names (conv3 becoming conv4) still lines up with its counterpart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from cnncalc.core.memory import DTYPE_BYTES

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis, Row

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
SAME = "same"

# The totals compared, in display order; `memory` is float32 inference memory for one sample
# (parameters + every layer's output), the figure `max_memory` budgets.
METRICS = ("params", "trainable", "non_trainable", "macs", "memory")
BYTES_PER_VALUE = DTYPE_BYTES["float32"]  # layer memory: the output for one sample in float32, as `shape --format json`


@dataclass(frozen=True)
class LayerFigures:
    """What is compared of one layer."""

    index: int
    name: str
    kind: str
    output: tuple[int, ...]
    params: int
    trainable: int
    macs: int
    memory: int  # bytes of the output for one sample, float32
    args: tuple[tuple[str, str], ...] = ()  # the kind's arguments as a user writes them (json text), by name


@dataclass(frozen=True)
class LayerChange:
    """One aligned position: a layer only in the old network, only in the new, or in both."""

    status: str  # added, removed, changed or same
    old: LayerFigures | None
    new: LayerFigures | None
    fields: tuple[str, ...] = ()  # what differs for a changed layer: name, kind, output, params, trainable, macs
    arguments: tuple[tuple[str, str, str], ...] = ()  # (argument, old, new) of a changed layer of one kind

    def delta(self, metric: str) -> int:
        """New minus old of `metric` (params, trainable, macs, memory); a missing side counts 0."""
        before = getattr(self.old, metric) if self.old else 0
        after = getattr(self.new, metric) if self.new else 0
        return int(after - before)


@dataclass(frozen=True)
class TotalChange:
    """A total before and after."""

    metric: str
    old: int
    new: int

    @property
    def delta(self) -> int:
        """new − old."""
        return self.new - self.old

    @property
    def percent(self) -> float | None:
        """100 · (new − old) / old; None when old is 0 (growth from nothing has no percentage)."""
        return None if self.old == 0 else 100.0 * self.delta / self.old


@dataclass(frozen=True)
class Diff:
    """The comparison of two analyses."""

    old_label: str
    new_label: str
    old_name: str
    new_name: str
    old_input: tuple[int, ...]
    new_input: tuple[int, ...]
    old_output: tuple[int, ...]
    new_output: tuple[int, ...]
    layers: tuple[LayerChange, ...]
    totals: dict[str, TotalChange]
    convention: str = "cnncalc"  # whose count the MACs are (`--convention`)

    @property
    def common(self) -> int:
        """Number of layers found in both networks (changed or not)."""
        return sum(c.status in (SAME, CHANGED) for c in self.layers)

    @property
    def disjoint(self) -> bool:
        """True when no layer of one network lines up with a layer of the other."""
        return self.common == 0

    def count(self, status: str) -> int:
        """Number of layers with `status`."""
        return sum(c.status == status for c in self.layers)


def _figures(row: "Row", macs: int | None = None) -> LayerFigures:
    """A row's figures; `macs` replaces its MACs with a convention's count."""
    import json

    from cnncalc.core.kinds import json_default

    args = tuple((name, json.dumps(json_default(value), ensure_ascii=False)) for name, value in row.args.items())
    return LayerFigures(row.index, row.name, row.kind, tuple(row.output), row.params, row.trainable,
                        row.macs if macs is None else macs, row.elements * BYTES_PER_VALUE, args)


def _all_figures(analysis: "Analysis", convention: str) -> tuple[list[LayerFigures], int]:
    """Every row's figures and the MACs total, as `convention` counts them."""
    if convention == "cnncalc":
        return [_figures(r) for r in analysis.rows], analysis.totals.macs
    from cnncalc.conventions import count

    counted = count(analysis, convention)
    return [_figures(r, n) for r, (_, n) in zip(analysis.rows, counted.layers)], counted.total


_COMPARED = ("name", "kind", "output", "params", "trainable", "macs")


def _pair(old: LayerFigures, new: LayerFigures) -> LayerChange:
    fields = tuple(f for f in _COMPARED if getattr(old, f) != getattr(new, f))
    arguments: tuple[tuple[str, str, str], ...] = ()
    if old.kind == new.kind:
        before = dict(old.args)
        arguments = tuple((name, before[name], value) for name, value in new.args if before.get(name, value) != value)
    return LayerChange(CHANGED if fields or arguments else SAME, old, new, fields, arguments)


def _generated(name: str, kind: str) -> bool:
    """Whether a name is one cnncalc made up (`conv3`, `block.relu2`): such names shift when layers move."""
    last = name.rsplit(".", 1)[-1]
    return re.fullmatch(re.escape(kind) + r"_?\d+_*", last) is not None  # relu6_1 for kinds ending in a digit


def _same_layer(old: LayerFigures, new: LayerFigures) -> bool:
    """Whether two layers of one kind with different outputs are one layer changed, not two different ones.

    Two different names the author wrote say they are different layers; a generated name says nothing.
    """
    return old.name == new.name or _generated(old.name, old.kind) or _generated(new.name, new.kind)


def _name_anchors(old: list[LayerFigures], new: list[LayerFigures]) -> list[tuple[int, int]]:
    """Pairs (i, j) of layers with the same written name: the longest chain increasing in both orders."""
    from bisect import bisect_left

    new_at = {f.name: j for j, f in enumerate(new) if not _generated(f.name, f.kind)}
    pairs = [(i, new_at[f.name]) for i, f in enumerate(old) if f.name in new_at and not _generated(f.name, f.kind)]
    # Longest increasing subsequence of the new positions (patience sorting), so a moved layer
    # becomes removed + added instead of crossing the other anchors.
    tails: list[int] = []  # tails[k]: the smallest new position ending a chain of length k + 1
    tail_at: list[int] = []  # index into pairs of that chain end
    before: list[int] = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        before[n] = tail_at[k - 1] if k else -1
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k], tail_at[k] = j, n
    chain: list[tuple[int, int]] = []
    n = tail_at[-1] if tail_at else -1
    while n >= 0:
        chain.append(pairs[n])
        n = before[n]
    return chain[::-1]


def _align_run(old: list[LayerFigures], new: list[LayerFigures]) -> list[LayerChange]:
    """Align a stretch without name anchors by (kind, output), then by (kind, name), then by kind, in order: a use
    edited and another appended after it pair by their names (dwsep4 with dwsep4, dwsep5 added), not by kind."""
    import difflib

    out: list[LayerChange] = []
    signature = difflib.SequenceMatcher(None, [(f.kind, f.output) for f in old], [(f.kind, f.output) for f in new],
                                        autojunk=False)
    for tag, i1, i2, j1, j2 in signature.get_opcodes():
        if tag == "equal":
            out.extend(_pair(old[i1 + k], new[j1 + k]) for k in range(i2 - i1))
            continue
        named = difflib.SequenceMatcher(None, [(f.kind, f.name) for f in old[i1:i2]],
                                        [(f.kind, f.name) for f in new[j1:j2]], autojunk=False)
        for tag2, a1, a2, b1, b2 in named.get_opcodes():
            if tag2 == "equal":
                out.extend(_pair(old[i1 + a1 + k], new[j1 + b1 + k]) for k in range(a2 - a1))
            else:
                out.extend(_by_kind(old[i1 + a1:i1 + a2], new[j1 + b1:j1 + b2]))
    return out


def _by_kind(old: list[LayerFigures], new: list[LayerFigures]) -> list[LayerChange]:
    """A replaced stretch: layers of the same kind are the same layer with new arguments."""
    import difflib

    out: list[LayerChange] = []
    by_kind = difflib.SequenceMatcher(None, [f.kind for f in old], [f.kind for f in new], autojunk=False)
    for tag, a1, a2, b1, b2 in by_kind.get_opcodes():
        if tag == "equal":
            for k in range(a2 - a1):
                before, after = old[a1 + k], new[b1 + k]
                if _same_layer(before, after):
                    out.append(_pair(before, after))
                else:
                    out += [LayerChange(REMOVED, before, None), LayerChange(ADDED, None, after)]
        else:
            out.extend(LayerChange(REMOVED, f, None) for f in old[a1:a2])
            out.extend(LayerChange(ADDED, None, f) for f in new[b1:b2])
    return out


def align(old: list[LayerFigures], new: list[LayerFigures]) -> list[LayerChange]:
    """Every layer of both lists once, in order: by written names first, then by sequence alignment."""
    out: list[LayerChange] = []
    i = j = 0
    for ai, aj in _name_anchors(old, new) + [(len(old), len(new))]:
        out.extend(_align_run(old[i:ai], new[j:aj]))
        if ai < len(old):
            out.append(_pair(old[ai], new[aj]))
        i, j = ai + 1, aj + 1
    return out


def diff(old: "Analysis", new: "Analysis", old_label: str = "old", new_label: str = "new",
         convention: str = "cnncalc") -> Diff:
    """Compare two analyses: aligned layers and the change of every total in METRICS (the MACs as `convention`
    counts them; conventions.NotModelled for a kind it does not reproduce)."""
    from cnncalc.check.files import inference_memory

    def totals(a: "Analysis") -> dict[str, int]:
        t = a.totals
        return {"params": t.params, "trainable": t.trainable, "non_trainable": t.non_trainable, "macs": t.macs,
                "memory": inference_memory(a)}

    (old_rows, before_macs), (new_rows, after_macs) = _all_figures(old, convention), _all_figures(new, convention)
    before, after = {**totals(old), "macs": before_macs}, {**totals(new), "macs": after_macs}
    layers = align(old_rows, new_rows)
    return Diff(old_label, new_label, old.name, new.name, tuple(old.input), tuple(new.input), tuple(old.output),
                tuple(new.output), tuple(layers), {m: TotalChange(m, before[m], after[m]) for m in METRICS},
                convention)


# --- thresholds (--fail-on) ---------------------------------------------------------------

THRESHOLD_METRICS = ("params", "trainable", "non_trainable", "macs", "memory")
_THRESHOLD = re.compile(r"^\s*([a-z_-]+)\s*:\s*([+-]?)\s*([^%\s]+)\s*(%?)\s*$")


@dataclass(frozen=True)
class Threshold:
    """`params:+5%`: fail when a total grows (+), shrinks (-) or changes (no sign) by more than an amount."""

    text: str
    metric: str
    direction: str  # "+", "-" or "" (either way)
    amount: Decimal  # a percentage when `percent`, else a count (bytes for memory)
    percent: bool

    def exceeded(self, change: TotalChange) -> bool:
        """Whether `change` goes past this threshold in its direction."""
        delta = change.delta
        moved = {"+": delta, "-": -delta, "": abs(delta)}[self.direction]
        if moved <= 0:
            return False
        if not self.percent:
            return Decimal(moved) > self.amount
        if change.old == 0:
            return True  # any growth from nothing exceeds every percentage
        return Decimal(moved) * 100 > self.amount * abs(change.old)


def parse_threshold(text: str) -> Threshold:
    """Parse `METRIC:[+|-]AMOUNT[%]` (params:+5%, macs:1G, memory:-10MB); ValueError says what is wrong."""
    from cnncalc.core.quantities import parse_quantity

    example = "write it like params:+5%, macs:+1G or memory:10MB"
    match = _THRESHOLD.match(text)
    if not match:
        raise ValueError(f"cannot read {text!r}; {example}")
    metric, sign, amount, percent = match.groups()
    metric = metric.replace("-", "_")
    if metric not in THRESHOLD_METRICS:
        from cnncalc.core.problems import did_you_mean

        raise ValueError(f"unknown figure {match.group(1)!r} in {text!r}{did_you_mean(metric, THRESHOLD_METRICS)}; "
                         f"choose from {', '.join(THRESHOLD_METRICS)}")
    if percent:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value < 0:
            raise ValueError(f"cannot read {amount!r} in {text!r} as a percentage; {example}")
        return Threshold(text, metric, sign, value, True)
    try:
        quantity = parse_quantity(int(amount) if amount.isdigit() else amount, memory=metric == "memory")
    except ValueError as exc:
        raise ValueError(f"in {text!r}: {exc}") from None
    return Threshold(text, metric, sign, Decimal(quantity.value), False)


def exceeded(result: Diff, thresholds: list[Threshold]) -> list[tuple[Threshold, TotalChange]]:
    """The thresholds the diff goes past, each with the total that does, in the order given."""
    return [(t, result.totals[t.metric]) for t in thresholds if t.exceeded(result.totals[t.metric])]
