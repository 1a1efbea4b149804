"""Write imported networks as readable cnncalc YAML: block style, one flow mapping per layer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cnncalc.core.problems import ERROR, Problem

from cnncalc.core.kinds import KINDS

MERGE_KINDS = tuple(name for name, kind in KINDS.items() if kind.merge)  # written `- add: [a, b]`
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")  # never read as a number, null or boolean by YAML
# Words YAML 1.1 (PyYAML) reads as booleans or null when unquoted.
_YAML_WORDS = frozenset("y n yes no on off true false null".split())


@dataclass
class Meta:
    """What a spec says besides its layers."""

    name: str
    input_shape: tuple[int, ...]
    header: list[str] = field(default_factory=list)  # comment lines at the top, without '# '
    description: str = ""


@dataclass
class Layer:
    """One cnncalc layer: kind, arguments in the order to print, name, input names ("input" = the network's)."""

    kind: str
    args: dict[str, Any]
    name: str
    inputs: list[str]
    comments: list[str] = field(default_factory=list)  # lines written above the layer, without '# '
    where: tuple[int, int] | None = None  # (line, column) in the source file, where it has lines
    origin: str = ""  # where in the source it came from, in words ("[convolutional] at line 12", "node 5 'conv1'")


def safe_name(raw: str, used: set[str], fallback: str) -> str:
    """A unique layer name made of letters, digits and underscores from any text (never `input`)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_")
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = f"{fallback}_{name}" if name else fallback
    if name == "input" or name.lower() in _YAML_WORDS:
        name = f"{name}_"
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}_{n}"
    used.add(candidate)
    return candidate


def scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly this value (strings quoted where YAML would not keep them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ".nan" if value != value else ("-.inf" if value < 0 else ".inf")
        mantissa, _, exponent = repr(value).partition("e")
        # YAML 1.1 (PyYAML) reads a float only with a dot, and an exponent only with a sign.
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        return mantissa + (f"e{'' if exponent[0] in '+-' else '+'}{exponent}" if exponent else "")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def comment(text: str) -> str:
    """A YAML comment line of any text: a newline in user text must not end the comment."""
    return "# " + " ".join(text.split())


def emit(meta: Meta, layers: list[Layer]) -> str:
    """The whole spec as text; `from:` only where a layer does not take the previous layer's output."""
    lines = [comment(h) for h in meta.header]
    lines.append(f"name: {scalar(meta.name)}")
    if meta.description:
        lines.append(f"description: {scalar(meta.description)}")
    lines.append(f"input: {scalar(list(meta.input_shape))}")
    lines.append("layers:")
    previous = "input"
    for layer in layers:
        lines.extend("  " + comment(c) for c in layer.comments)
        items = [f"{key}: {scalar(value)}" for key, value in layer.args.items()]
        if layer.kind in MERGE_KINDS:
            items.insert(0, f"from: {scalar(layer.inputs)}")
        elif layer.inputs and layer.inputs[0] != previous:
            items.append(f"from: {scalar(layer.inputs[0])}")
        items.append(f"name: {scalar(layer.name)}")
        lines.append(f"  - {layer.kind}: {{{', '.join(items)}}}")
        previous = layer.name
    return "\n".join(lines) + "\n"


def finish(path: str, meta: Meta, layers: list[Layer]) -> tuple[str, list[Problem]]:
    """Emit, then analyse the text as `cnncalc check` would: floors the source also takes are acknowledged
    in the file, and a spec cnncalc rejects is reported rather than written."""
    from cnncalc.core.analysis import analyze
    from cnncalc.core.problems import SpecError
    from cnncalc.core.spec import loads

    for attempt in range(2):
        text = emit(meta, layers)
        try:
            analysis = analyze(loads(text, "<imported>"))
        except SpecError as exc:
            return "", [_in_source(path, exc.problem, text, layers)]
        floored = {w.line for w in analysis.warnings if w.rule == "non-integer-output"}
        if not floored or attempt:
            return text, []
        line_of = _layer_lines(text)
        for i, layer in enumerate(layers):
            if line_of[i] in floored:
                layer.comments.append("the source network floors this division too (rows no window reads):")
                layer.comments.append("cnncalc: disable=non-integer-output")
    return text, []


def _in_source(path: str, problem: Problem, text: str, layers: list[Layer]) -> Problem:
    """A problem cnncalc finds in the generated spec, told at the source layer it came from, under its own rule.

    (The importers check each value they read; what is left is a combination, such as a size that every
    option allows but whose product is beyond cnncalc's limits.)
    """
    line_of = _layer_lines(text)
    index = max((i for i, line in enumerate(line_of) if line <= problem.line), default=None)
    layer = layers[index] if index is not None and index < len(layers) else None
    if layer is None:
        where, what = (1, 1), "the network's input"
    else:
        where, what = layer.where or (1, 1), layer.origin or f"layer {layer.name!r}"
    return Problem(path, *where, ERROR, problem.rule, f"{what} cannot be imported: {problem.message}")


def _layer_lines(text: str) -> list[int]:
    """1-based line of each layer item in emitted text."""
    return [i for i, line in enumerate(text.splitlines(), 1) if line.startswith("  - ")]
