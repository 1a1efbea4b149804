"""Write the generated tables of docs/counters.md from the conventions (cnncalc/conventions/): each tool's rule per
layer type, and each tool's count of a few single layers, computed by the same code `--convention` runs (the
torch tier holds those counts equal to the tools themselves). The text between the markers is replaced;
the test suite fails when it is stale (tests/test_docs.py); `python docs/gen_counters.py` rewrites it.
"""

from __future__ import annotations

import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parent / "counters.md"
BEGIN, END = "<!-- generated: python docs/gen_counters.py -->", "<!-- end of generated -->"

# Single layers, each on its own input, as the docs' second table shows them.
LAYERS = [
    ("3×3 conv, 64 → 64, bias, on 56×56", "input: [56, 56, 64]\nlayers:\n  - conv: {filters: 64, kernel: 3, padding: 1}\n"),
    ("3×3 conv, padding same", "input: [56, 56, 64]\nlayers:\n  - conv: {filters: 64, kernel: 3, padding: same, bias: false}\n"),
    ("2×2/2 transposed conv, 64 → 32, on 28×28", "input: [28, 28, 64]\nlayers:\n  - deconv: {filters: 32, kernel: 2, stride: 2, bias: false}\n"),
    ("batch norm on 56×56×64", "input: [56, 56, 64]\nlayers:\n  - batchnorm\n"),
    ("ReLU on 56×56×64", "input: [56, 56, 64]\nlayers:\n  - relu\n"),
    ("SiLU on 56×56×64", "input: [56, 56, 64]\nlayers:\n  - silu\n"),
    ("3×3/2 max pool on 56×56×64", "input: [56, 56, 64]\nlayers:\n  - maxpool: {kernel: 3, stride: 2, padding: 1}\n"),
    ("global average pool of 7×7×512", "input: [7, 7, 512]\nlayers:\n  - globalavgpool\n"),
    ("add of two 56×56×64", "input: [56, 56, 64]\nlayers:\n  - relu: {name: a}\n  - add: [input, a]\n"),
    ("dense 2048 → 1000", "input: [2048]\nlayers:\n  - dense: 1000\n"),
    ("1×1 conv 96 → 384 on 56×56", "input: [56, 56, 96]\nlayers:\n  - conv: {filters: 384, kernel: 1}\n"),
    ("self-attention, 4 heads, on 14×14×64", "input: [14, 14, 64]\nlayers:\n  - attention: {heads: 4}\n"),
]


def render() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from cnncalc.conventions import LAYER_TYPES, NAMES, NotModelled, convention, count
    from cnncalc.core.analysis import analyze
    from cnncalc.core.spec import loads

    rules = [convention(name) for name in NAMES]
    head = "| layer type | " + " | ".join(f"{c.name} ({c.version}, {c.unit})" for c in rules) + " |"
    lines = [head, "| --- |" + " --- |" * len(rules)]
    for label in [*LAYER_TYPES, "everything else"]:
        cells = [c.rules.get(label, c.rules.get("everything else", "nothing")).replace("|", "/") for c in rules]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "| single layer | " + " | ".join(c.name for c in rules) + " |",
              "| --- |" + " ---: |" * len(rules)]
    for title, text in LAYERS:
        analysis = analyze(loads(text, "layer.yaml"))
        cells = []
        for name in NAMES:
            try:
                cells.append(f"{count(analysis, name).layers[-1][1]:,}")  # the last layer alone
            except NotModelled:
                cells.append("not modelled")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    page = PAGE.read_text(encoding="utf-8")
    before, after = page.split(BEGIN)[0], page.split(END)[1]
    return before + BEGIN + "\n\n" + "\n".join(lines) + "\n\n" + END + after


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
