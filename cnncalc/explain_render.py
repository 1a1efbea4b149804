"""`cnncalc explain` output: plain text (terminals and pipes), Markdown (notes, course material) and JSON.

Text uses the same symbols as the rest of the output (⌊ ⌋ × · −); `cli.main` makes a stream that cannot
encode them write their ASCII spellings (textout.ASCII_SPELLINGS). Nothing here computes a figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.kinds import fmt_shape
from cnncalc.textout import neutral

if TYPE_CHECKING:
    from cnncalc.explain import Explanation, LayerExplanation, Step
    from cnncalc.solve import PaddingSolution

LABEL_WIDTH = 24


def _equation(step: "Step") -> str:
    """formula = worked = result, leaving out what is empty or repeats the result."""
    parts = [step.formula] if step.formula else []
    if step.worked and step.worked != step.result:
        parts.append(step.worked)
    parts.append(step.result)
    return " = ".join(parts)


def _heading(name: str, layer: "LayerExplanation") -> str:
    inputs = " and ".join(fmt_shape(s) for s in layer.inputs)
    return f"[{layer.index}] {name} ({layer.kind}): {inputs} → {fmt_shape(layer.output)}"


def text(explanation: "Explanation") -> str:
    """The explanation as plain text: the size trail, then each layer's steps, one line each."""
    e = explanation
    lines = [f"{neutral(e.name)}: input {fmt_shape(e.input)} → output {fmt_shape(e.output)} "
             f"(memory in {e.dtype})"]
    if e.trail and e.feature_map:
        lines += ["", f"Why the last feature map is {fmt_shape(e.feature_map)}: the layers that change its size"]
        width = max(len(fmt_shape(c.before)) for c in e.trail)
        for c in e.trail:
            lines.append(f"  {fmt_shape(c.before):>{width}} → {fmt_shape(c.after):<{width}}  [{c.index}] "
                         f"{neutral(c.name)}" + (f": {c.worked}" if c.worked else ""))
    for layer in e.layers:
        lines += ["", _heading(neutral(layer.name), layer)]
        for step in layer.steps:
            lines.append(f"  {step.label + ':':<{LABEL_WIDTH}} {_equation(step)}")
            lines.extend(f"  {'':<{LABEL_WIDTH}}   {note}" for note in step.notes)
        if layer.generic:
            lines.append(f"  ({', '.join(layer.generic)}: read from what the kind computed; "
                         "no worked formula for this kind)")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """User text for a Markdown table cell or heading: pipes and backticks escaped."""
    return neutral(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


def markdown(explanation: "Explanation") -> str:
    """The explanation as Markdown: a table of steps per layer, notes as a list under it."""
    e = explanation
    lines = [f"# {_md(e.name)}", "", f"Input {fmt_shape(e.input)}, output {fmt_shape(e.output)}; "
             f"memory in {e.dtype}."]
    if e.trail and e.feature_map:
        lines += ["", f"## Why the last feature map is {fmt_shape(e.feature_map)}", "",
                  "| layer | before | after | worked |", "| --- | --- | --- | --- |"]
        lines += [f"| {c.index} {_md(c.name)} | {fmt_shape(c.before)} | {fmt_shape(c.after)} | {c.worked} |"
                  for c in e.trail]
    for layer in e.layers:
        lines += ["", f"## {_heading(_md(layer.name), layer)}", "",
                  "| figure | formula | worked | result |", "| --- | --- | --- | ---: |"]
        notes = []
        for step in layer.steps:
            lines.append(f"| {step.label} | {step.formula} | {step.worked} | {step.result} |")
            notes += [f"- {step.label}: {note}" for note in step.notes]
        if layer.generic:
            notes.append(f"- {', '.join(layer.generic)}: read from what the kind computed "
                         "(no worked formula for this kind)")
        if notes:
            lines += ["", *notes]
    return "\n".join(lines) + "\n"


def json_text(explanation: "Explanation") -> str:
    """The explanation as JSON: the dataclasses as objects, shapes as lists."""
    import json
    from dataclasses import asdict

    return json.dumps(asdict(explanation), ensure_ascii=False, indent=2) + "\n"


FORMATS = {"text": text, "markdown": markdown, "json": json_text}
