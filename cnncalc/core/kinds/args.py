"""Arguments: each converter turns a written value into what a kind computes with, or says what is wrong.

A converter `(value, where) -> value` is registered with the JSON Schema fragment of the values it
accepts (`@converter(schema)`), so the schema and `cnncalc kinds` read one definition. A new converter
needs nothing outside this module.
"""

from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple

from cnncalc.core.problems import Located, did_you_mean

Convert = Callable[[Any, Located], Any]
Schema = Callable[[], dict[str, Any]]
# Definition name (the converter's name) -> (converter, the schema of its values), in the schema's order.
CONVERTERS: dict[str, tuple[Convert, Schema]] = {}


def converter(schema: Schema) -> Callable[[Convert], Convert]:
    """Register a converter with the schema of the values it accepts."""
    def register(convert: Convert) -> Convert:
        CONVERTERS[convert.__name__] = (convert, schema)
        return convert
    return register


def anycase(word: str) -> str:
    """A regex matching `word` in any letter case (ECMA-262 patterns have no inline flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# An element of a list argument may be `$name` or `${…}` as a whole argument may (`channels: [$bw, '${bw + inc}']`).
VARIABLE = {"$ref": "#/definitions/variable"}


def _pair_schema(minimum: int, what: str) -> dict[str, Any]:
    return {
        "description": what,
        "anyOf": [
            {"type": "integer", "minimum": minimum},
            {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": minimum}, VARIABLE]},
             "minItems": 1, "maxItems": 3,
             "description": "one per spatial axis: [height, width]; [length] in 1-D, [depth, height, width] in 3-D"},
        ],
    }


def _activation_schema() -> dict[str, Any]:
    names = list(ACTIVATIONS)
    return {
        "description": "A fused activation (adds no layer and no parameters), or none. prelu has parameters, "
                       "so it is a layer of its own.",
        "anyOf": [
            {"enum": names},
            {"type": "null"},
            {"type": "string", "pattern": "^(" + "|".join(anycase(n) for n in names) + ")$",
             "description": "names are case-insensitive"},
        ],
    }


_PADDING_SCHEMA = {
    "description": "Pixels: a whole number ≥ 0, [h, w], [top, bottom, left, right]; or `same` "
                   "(TensorFlow/Keras: output = ceil(input / stride)) or `valid` (no padding). On 1-D inputs "
                   "[p] or [begin, end]; on 3-D inputs [d, h, w] or [front, back, top, bottom, left, right].",
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1, "maxItems": 4,
         "description": "[h, w] (h at top and bottom, w at left and right), [top, bottom, left, right]; "
                        "[p] or [begin, end] in 1-D; [d, h, w] in 3-D"},
        {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 6, "maxItems": 6,
         "description": "[front, back, top, bottom, left, right] in 3-D"},
        {"enum": ["same", "valid"]},
    ],
}
REQUIRED = object()

ACTIVATIONS = (
    "relu", "relu6", "leakyrelu", "elu", "gelu", "sigmoid", "tanh", "silu", "swish",
    "hardswish", "hardsigmoid", "softmax", "mish", "identity", "linear", "none",
)




def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    """How a value given for an argument reads in a message: its YAML type and the value."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, float):
        whole = " (write it without the decimal point)" if value.is_integer() else ""
        return f"the float {value!r}{whole}"
    if isinstance(value, str):
        return f'the text "{value}"'
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)

@converter(lambda: {"type": "integer", "minimum": 1, "description": "A whole number ≥ 1, written without a "
                                                          "decimal point (64, not 64.0)."})
def positive_int(value: Any, where: Located) -> int:
    """A whole number ≥ 1."""
    if _is_int(value) and value >= 1:
        return value
    raise where.error("invalid-value", f"expected a whole number of at least 1, got {_describe(value)}")


class Axes(tuple):  # type: ignore[type-arg]
    """Per-axis values as converted for a 2-D input, keeping what was written (`raw`: a number or a tuple).

    Arguments are converted before the input's rank is known; the kind resolves `raw` against the rank
    (`per_axis`, `pads_per_axis`). The tuple itself is the 2-D reading, as before N-d inputs.
    """

    raw: int | tuple[int, ...]


def _axes(value: tuple[int, ...], raw: int | tuple[int, ...]) -> Axes:
    out = Axes(value)
    out.raw = raw
    return out


def _per_axis_list(value: Any, minimum: int, lengths: tuple[int, ...]) -> bool:
    return isinstance(value, list) and len(value) in lengths and all(_is_int(v) and v >= minimum for v in value)


@converter(lambda: _pair_schema(1, "A whole number ≥ 1, or one per spatial axis ([height, width])."))
def pair(value: Any, where: Located) -> tuple[int, ...]:
    """An integer or one per spatial axis ([length], [height, width], [depth, height, width]), each ≥ 1."""
    if _is_int(value) and value >= 1:
        return _axes((value, value), value)
    if _per_axis_list(value, 1, (1, 2, 3)):
        return _axes(tuple(value), tuple(value))
    raise where.error("invalid-value",
                      f"expected a whole number ≥ 1 or a list [height, width] of them (one per axis: [length] "
                      f"or [depth, height, width] for 1-D or 3-D inputs), got {_describe(value)}")


@converter(lambda: _pair_schema(0, "A whole number ≥ 0, or one per spatial axis ([height, width])."))
def nonneg_pair(value: Any, where: Located) -> tuple[int, ...]:
    """An integer or one per spatial axis ([height, width] in 2-D), each ≥ 0."""
    if _is_int(value) and value >= 0:
        return _axes((value, value), value)
    if _per_axis_list(value, 0, (1, 2, 3)):
        return _axes(tuple(value), tuple(value))
    raise where.error("invalid-value", f"expected a whole number ≥ 0 or [height, width] (one per axis), "
                      f"got {_describe(value)}")


@converter(lambda: _PADDING_SCHEMA)
def padding(value: Any, where: Located) -> tuple[int, ...] | str:
    """An integer, one per axis, (begin, end) per axis, `same` or `valid` → (t, b, l, r) for 2-D, or 'same'.

    [h, w] and [top, bottom, left, right] on a 2-D input; [p] or [begin, end] on 1-D; [d, h, w] or
    [front, back, top, bottom, left, right] on 3-D (resolved by `pads_per_axis`).
    """
    if value == "same":
        return "same"
    if value == "valid":
        return (0, 0, 0, 0)
    if _is_int(value) and value >= 0:
        return _axes((value, value, value, value), value)
    if _per_axis_list(value, 0, (1, 2, 3, 4, 6)):
        if len(value) == 2:
            return _axes((value[0], value[0], value[1], value[1]), tuple(value))
        return _axes(tuple(value), tuple(value))
    raise where.error("invalid-value",
                      "padding takes a whole number ≥ 0, [h, w], [top, bottom, left, right], "
                      "`same` or `valid` (on 1-D and 3-D inputs one per axis or [begin, end] per axis); "
                      f"got {_describe(value)}")


@converter(lambda: {"type": "integer", "minimum": 0, "description": "A whole number ≥ 0."})
def nonneg_int(value: Any, where: Located) -> int:
    """A whole number ≥ 0."""
    if _is_int(value) and value >= 0:
        return value
    raise where.error("invalid-value", f"expected a whole number of at least 0, got {_describe(value)}")


@converter(lambda: {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 0}, VARIABLE]},
                     "minItems": 2, "maxItems": 2,
                     "description": "[start, stop]: channels start to stop − 1, counted from 0 (start < stop)."})
def channel_range(value: Any, where: Located) -> tuple[int, int]:
    """[start, stop]: channels start … stop − 1, counted from 0 (Python's x[..., start:stop])."""
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) and v >= 0 for v in value) \
            and value[0] < value[1]:
        return value[0], value[1]
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) and v >= 0 for v in value):
        raise where.error("invalid-value", f"start {value[0]} is not below stop {value[1]}: channels [start, stop] "
                          "takes channels start to stop − 1; write the smaller number first")
    raise where.error("invalid-value", "channels takes [start, stop], whole numbers with 0 ≤ start < stop "
                      f"(channels start to stop − 1, counted from 0); got {_describe(value)}")


@converter(lambda: {"type": "integer", "description": "An axis of the channels-last shape of one sample, counted "
                                                       "from 0 (-1: the last, the channels)."})
def axis(value: Any, where: Located) -> int:
    """An axis of the channels-last shape, counted from 0; negative ones count from the end (-1: channels)."""
    if _is_int(value):
        return int(value)
    raise where.error("invalid-value", f"axis takes a whole number (0 the first axis, -1 the channels), got "
                      f"{_describe(value)}")


@converter(lambda: {"type": "array", "items": {"type": "integer", "minimum": -1}, "minItems": 1, "maxItems": 4,
                     "description": "A channels-last shape of one sample, without the batch ([tokens, channels], "
                                    "[height, width, channels]); one entry may be -1, worked out from the others."})
def target_shape(value: Any, where: Located) -> tuple[int, ...]:
    """A shape to reshape to: 1 to 4 whole numbers ≥ 1, one of them may be -1 (the rest of the values)."""
    if isinstance(value, list) and 1 <= len(value) <= 4 and all(_is_int(v) and (v >= 1 or v == -1) for v in value) \
            and sum(v == -1 for v in value) <= 1:
        return tuple(int(v) for v in value)
    raise where.error("invalid-value", "shape takes 1 to 4 whole numbers ≥ 1, channels last, one of which may be -1 "
                      f"(worked out from the others): [-1, 144] for tokens × channels; got {_describe(value)}")


@converter(lambda: {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1, "maxItems": 4,
                     "description": "A new order of the axes of one sample's channels-last shape, counted from 0 "
                                    "([1, 0] swaps tokens and channels)."})
def axis_order(value: Any, where: Located) -> tuple[int, ...]:
    """A permutation of 0 … n − 1: the input axis each output axis takes."""
    if isinstance(value, list) and value and sorted(value) == list(range(len(value))) and all(_is_int(v) for v in value):
        return tuple(int(v) for v in value)
    raise where.error("invalid-value", "order takes each axis of the input once, counted from 0 ([1, 0] swaps the two "
                      f"axes of tokens × channels); got {_describe(value)}")


@converter(lambda: {"type": "boolean", "description": "true or false."})
def boolean(value: Any, where: Located) -> bool:
    """true or false."""
    if isinstance(value, bool):
        return value
    raise where.error("invalid-value", f"expected true or false, got {_describe(value)}")


@converter(lambda: {"type": "number", "minimum": 0, "exclusiveMaximum": 1,
                     "description": "A number from 0 up to (not including) 1."})
def rate(value: Any, where: Located) -> float:
    """A number in [0, 1)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        return float(value)
    raise where.error("invalid-value", f"expected a rate from 0 up to (not including) 1, got {_describe(value)}")


@converter(lambda: {"type": "number", "description": "A number."})
def number(value: Any, where: Located) -> float:
    """Any real number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise where.error("invalid-value", f"expected a number, got {_describe(value)}")


@converter(_activation_schema)
def activation(value: Any, where: Located) -> str:
    """One of the fused activations, or none."""
    if value is None:
        return "none"
    if isinstance(value, str) and value.lower() in ACTIVATIONS:
        return value.lower()
    if value == "prelu":
        raise where.error("invalid-value",
                          "prelu has parameters, so it is a layer, not an `activation`: add `- prelu` after this layer")
    shown = f'"{value}"' if isinstance(value, str) else _describe(value)
    raise where.error("invalid-value",
                      f"unknown activation {shown}{did_you_mean(str(value), ACTIVATIONS)}; "
                      f"choose one of {', '.join(ACTIVATIONS)}")


@converter(lambda: {"enum": ["input", "drop"], "description": "What an input that is not built (`if:` false, "
                     "`repeat: 0`) means: `input` (default) it stands for its own input; `drop` it is left out."})
def skipped_mode(value: Any, where: Located) -> str:
    """input (a skipped input stands for its input) or drop (it is left out of the merge)."""
    if value in ("input", "drop"):
        return str(value)
    raise where.error("invalid-value", f"skipped takes input or drop; got {_describe(value)}")


UPSAMPLE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # modes of one rank only


@converter(lambda: {"enum": ["nearest", "linear", "bilinear", "bicubic", "trilinear"],
                     "description": "Interpolation; it changes neither shapes nor counts."})
def upsample_mode(value: Any, where: Located) -> str:
    """nearest, linear (1-D), bilinear or bicubic (2-D), trilinear (3-D): no effect on shapes or counts."""
    modes = ("nearest", "linear", "bilinear", "bicubic", "trilinear")
    if value in modes:
        return str(value)
    raise where.error("invalid-value", f"mode takes one of {', '.join(modes)}; got {_describe(value)}")


def axes_of(value: Any, rank: int) -> tuple[int, ...]:
    """A converted kernel-like argument, one value per spatial axis of a rank-`rank` input.

    What was written (`Axes.raw`: one number, or a list taken as it is, whatever its length), else a
    kind's default, the same on every axis. Call.per_axis refuses a list of the wrong length.
    """
    raw = getattr(value, "raw", None)
    if raw is None:  # a kind's default: the same on every axis
        raw = value[0] if len(set(value)) == 1 else tuple(value)
    return (raw,) * rank if isinstance(raw, int) else tuple(raw)


def pads_of(value: Any, rank: int) -> tuple[int, ...] | str:
    """A converted padding-like argument as (begin, end) per spatial axis, flattened, or 'same'.

    One number pads every side, one per axis pads both ends; any other list is taken as it is
    (Call.pads_per_axis refuses one that is not begin and end per axis).
    """
    if value == "same":
        return "same"
    padded = axes_of(value, rank)  # `valid` or a default: the same on every side
    if len(padded) == rank:
        return tuple(p for p in padded for _ in (0, 1))
    return padded


class Arg(NamedTuple):
    """An argument: its converter and default (REQUIRED if it has none; None: unset, `unset` says what that means)."""

    convert: Callable[[Any, Located], Any]
    default: Any = REQUIRED
    unset: str = "unset"  # what a None default means, as shown to the user (a pool's stride: the kernel)


def json_default(value: Any) -> Any:
    """A default as the user would write it in the file (JSON-ready): (1, 1) is 1; None if it has none."""
    if value is REQUIRED or value is None:
        return None
    if isinstance(value, tuple):
        return value[0] if len(set(value)) == 1 else list(value)
    return value


def show_default(arg: Arg) -> str:
    """An argument's default as YAML text (`1`, `true`, `same`; `unset`'s words for None); '' if required."""
    if arg.default is REQUIRED:
        return ""
    if arg.default is None:
        return arg.unset
    value = json_default(arg.default)
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value)
