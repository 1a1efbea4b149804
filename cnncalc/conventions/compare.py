"""Two conventions side by side, layer by layer: where their counts differ and what each tool's rule says
there (`cnncalc explain --convention A --against B`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from cnncalc.conventions import count, layer_type

if TYPE_CHECKING:
    from cnncalc.core.analysis import Analysis
    from cnncalc.conventions import Counted


class Difference(NamedTuple):
    """A layer the two conventions count differently."""

    layer: str
    kind: str
    ours: int  # under --convention
    theirs: int  # under --against


class TypeDifference(NamedTuple):
    """All the differing layers of one layer type, with each tool's rule for it."""

    layer_type: str
    layers: tuple[Difference, ...]
    rule: str  # --convention's rule
    against_rule: str

    @property
    def delta(self) -> int:
        return sum(d.theirs - d.ours for d in self.layers)


class Comparison(NamedTuple):
    first: Counted
    second: Counted
    types: tuple[TypeDifference, ...]


def compare(analysis: Analysis, first: str, second: str) -> Comparison:
    """Count under both conventions and group the layers that differ by layer type."""
    a, b = count(analysis, first), count(analysis, second)
    grouped: dict[str, list[Difference]] = {}
    for layer, (_, ours), (_, theirs) in zip(analysis.network.layers, a.layers, b.layers):
        if ours != theirs:
            grouped.setdefault(layer_type(layer.kind), []).append(Difference(layer.name, layer.kind, ours, theirs))
    types = tuple(TypeDifference(label, tuple(diffs), a.convention.reason(diffs[0].kind),
                                 b.convention.reason(diffs[0].kind)) for label, diffs in grouped.items())
    return Comparison(a, b, types)
