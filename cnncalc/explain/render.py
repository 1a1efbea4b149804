"""`cnncalc explain` output: plain text (terminals and pipes), Markdown (notes, course material) and JSON.

Text uses the same symbols as the rest of the output (⌊ ⌋ × · −); `cli.main` makes a stream that cannot
encode them write their ASCII spellings (textout.ASCII_SPELLINGS). Nothing here computes a figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.core.quantities import fmt_shape
from cnncalc.cli.textout import neutral

if TYPE_CHECKING:
    from cnncalc.core.kinds.worked import Step
    from cnncalc.explain.steps import Explanation, LayerExplanation
    from cnncalc.calc.solve import PaddingSolution

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


def text(explanation: "Explanation", width: int | None = None) -> str:
    """The explanation as plain text: the size trail, then each layer's steps, one line each; with a `width` (a
    terminal's), longer lines are broken between words and indented under their step, so that no number is split."""
    e = explanation
    lines = [f"{neutral(e.name)}: input {fmt_shape(e.input)} → output {fmt_shape(e.output)} "
             f"(memory in {e.dtype})"]
    if e.trail and e.feature_map:
        lines += ["", f"Why the last feature map is {fmt_shape(e.feature_map)}: the layers that change its size"]
        shown = max(len(fmt_shape(c.before)) for c in e.trail)
        for c in e.trail:
            lines.append(f"  {fmt_shape(c.before):>{shown}} → {fmt_shape(c.after):<{shown}}  [{c.index}] "
                         f"{neutral(c.name)}" + (f": {c.worked}" if c.worked else ""))
    for layer in e.layers:
        lines += ["", _heading(neutral(layer.name), layer)]
        for step in layer.steps:
            lines.append(f"  {step.label + ':':<{LABEL_WIDTH}} {_equation(step)}")
            lines.extend(f"  {'':<{LABEL_WIDTH}}   {neutral(note)}" for note in step.notes)  # notes may name layers
        if layer.generic:
            lines.append(f"  ({', '.join(layer.generic)}: read from what the kind computed; "
                         "no worked formula for this kind)")
    if width:
        lines = [part for line in lines for part in _fold(line, width)]
    return "\n".join(lines) + "\n"


def _fold(line: str, width: int) -> list[str]:
    """A line broken between words to fit `width`, continuation lines indented under the step's formula."""
    if len(line) <= width:
        return [line]
    import textwrap

    indent = " " * min(2 + LABEL_WIDTH + 3, width // 2)
    return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


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
            notes += [f"- {step.label}: {neutral(note)}" for note in step.notes]  # notes may name layers
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


# --- `size --output`/`--keep` ---------------------------------------------

def _solution_lines(s: "PaddingSolution") -> list[str]:
    from cnncalc.core.kinds.worked import size_step

    if s.padding is None or s.worked is None:
        zero = (s.in_size - (s.dilation * (s.kernel_size - 1) + 1)) // s.stride + 1
        return [f"no padding gives {s.target}: even without padding the output is {zero}; a smaller output "
                "needs a larger stride or kernel (or a crop), not padding"]
    begin, end = s.padding
    step = size_step("", s.worked)
    lines = []
    if s.symmetric:
        lines.append(f"padding {begin} (on each side): {step.worked} = {step.result}")
    else:
        lines += [f"no symmetric padding gives {s.target}: the padding it takes totals {begin + end}, an odd number",
                  f"padding {begin} before and {end} after (in a file: padding: [top, bottom, left, right]; "
                  f"TensorFlow's same does this): {step.worked} = {step.result}"]
    lines += [f"  {note}" for note in step.notes]
    if s.exact is not None:
        lines.append(f"padding {s.exact[0]} before and {s.exact[1]} after divides exactly (no remainder floored)")
    if max(begin, end) >= s.dilation * (s.kernel_size - 1) + 1:
        lines.append("  the padding is as wide as the window: border windows see only zeros "
                     "(an upsampling may be what is meant)")
    return lines


def padding_text(solutions: "list[PaddingSolution]") -> str:
    """`size --output`: the padding per axis (once when the axes agree), worked out."""
    first = solutions[0]
    key = [(s.in_size, s.kernel_size, s.stride, s.dilation, s.target) for s in solutions]
    if len(set(key)) == 1:
        return "\n".join(_solution_lines(first)) + "\n"
    lines = []
    for name, s in zip(("height", "width"), solutions):
        lines += [f"{name}: {line}" for line in _solution_lines(s)]
    return "\n".join(lines) + "\n"


def padding_json(solutions: "list[PaddingSolution]") -> str:
    """`size --output --json`: the padding per axis as [begin, end] (null where none works)."""
    import json

    return json.dumps({
        "output": [s.target for s in solutions],
        "padding": [list(s.padding) if s.padding else None for s in solutions],
        "symmetric": all(s.symmetric for s in solutions),
        "exact": [list(s.exact) if s.exact else None for s in solutions],
    }) + "\n"
