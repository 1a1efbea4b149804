"""The registry of layer kinds. One kind is one unit, written in its family's module:

    args        the argument converters, each with the schema of the values it accepts
    base        Call, LayerOut, Kind, and the sliding-window arithmetic the families share
    worked      Step and the worked formulas explanations share (`explain`, `size`)
    conv, pool, norm, activation, merge, reshape, dense, attention
                the families: each kind's computation, explanation, PyTorch emitter, export helpers
                and diagram category, and the family's `KINDS`

Adding a kind touches its family's module (or a new module listed in FAMILIES) and its tests only.
"""

from __future__ import annotations

import re

from cnncalc.core.kinds import activation as _activation_family
from cnncalc.core.kinds import attention, conv, dense, merge, norm, pool, reshape
from cnncalc.core.kinds.args import (
    ACTIVATIONS, CONVERTERS, REQUIRED, UPSAMPLE_RANK, Arg, activation, axes_of, boolean, channel_range,
    json_default, nonneg_int, nonneg_pair, number, padding, pads_of, pair, positive_int, rate, show_default,
    upsample_mode,
)
from cnncalc.core.kinds.base import (
    AXES, AXIS_LISTS, AXIS_NAMES, PAD_LISTS, AxisRF, Call, Emitter, Explainer, Geometry, Kind, LayerOut, Margins,
    Shape, Window,
)
from cnncalc.core.problems import Located
from cnncalc.core.quantities import fmt_shape

# The families in the order `cnncalc kinds`, the schema and the export's helper classes list them.
FAMILIES = (conv, pool, norm, _activation_family, dense, merge, reshape, attention)

KINDS: dict[str, Kind] = {}
ALIASES: dict[str, str] = {}
for _family in FAMILIES:
    for _kind in _family.KINDS:
        KINDS[_kind.name] = _kind
        ALIASES[_kind.name] = _kind.name
        for _alias in _kind.aliases:
            ALIASES[_alias] = _kind.name

# Familiar names that also check the input's rank (`conv1d` on an H×W×C input is refused): every alias
# `<base>1d`, `<base>2d`, `<base>3d`. BatchNorm1d also takes a vector (rank 0).
ALIAS_RANKS: dict[str, tuple[int, ...]] = {
    alias: (int(match.group(1)),) for alias in ALIASES if (match := re.fullmatch(r"[a-z]+([123])d", alias))
}
ALIAS_RANKS["batchnorm1d"] = (0, 1)


def check_alias_rank(written: str, shape: Shape, where: Located) -> None:
    """Refuse a rank-specific name (`conv3d`) on an input of another rank."""
    ranks = ALIAS_RANKS.get(written)
    rank = len(shape) - 1
    if ranks is None or rank in ranks:
        return
    base = written[:-2]
    given = f"a vector of {shape[0]}" if rank == 0 else f"{fmt_shape(shape)} ({AXES[rank - 1]}, {rank}-D)"
    fix = f"`{base}{rank}d` or `{ALIASES.get(base, base)}`" if 1 <= rank <= 3 else "an input of the right rank"
    raise where.error("shape-mismatch", f"`{written}` needs a {ranks[-1]}-D input, but its input is {given}; "
                      f"write {fix} (the rank follows the input)")


__all__ = [
    "ACTIVATIONS", "ALIASES", "ALIAS_RANKS", "AXES", "AXIS_LISTS", "AXIS_NAMES", "CONVERTERS", "FAMILIES", "KINDS",
    "PAD_LISTS", "REQUIRED", "UPSAMPLE_RANK", "Arg", "AxisRF", "Call", "Emitter", "Explainer", "Geometry", "Kind",
    "LayerOut", "Margins", "Shape", "Window", "activation", "axes_of", "boolean", "channel_range",
    "check_alias_rank", "json_default", "nonneg_int", "nonneg_pair", "number", "padding", "pads_of", "pair",
    "positive_int", "rate", "show_default", "upsample_mode",
]
