"""The registry of rule ids: every kind of problem cnncalc reports, its level and a one-line summary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A rule id's default level, whether it stops the analysis of its file, and what it means."""

    level: str  # "error", "warning" or "info"
    fatal: bool  # an error that stops the analysis (so it cannot be ignored by a configuration)
    summary: str


def _fatal(summary: str) -> Rule:
    return Rule("error", True, summary)


RULES: dict[str, Rule] = {
    "binary-file": _fatal("NUL bytes: not a text file"),
    "budget-exceeded": Rule("error", False, "a budget (max_params, max_macs, max_memory) is exceeded"),
    "duplicate-key": _fatal("a key appears twice in one mapping"),
    "duplicate-name": _fatal("two layers share a name"),
    "empty-file": _fatal("the file is empty"),
    "empty-output": _fatal("a layer's output has no elements"),
    "expect-mismatch": Rule("error", False, "a figure differs from the file's `expect`"),
    "file-not-found": _fatal("no such file (or bundled name)"),
    "file-too-large": _fatal("the file is over 1 MiB"),
    "forward-reference": _fatal("a layer takes input from a layer defined later"),
    "invalid-block": _fatal("a block definition is malformed"),
    "invalid-config": _fatal("a configuration file (pyproject.toml [tool.cnncalc], .cnncalc.yaml) is invalid"),
    "invalid-document": _fatal("the top level is not a mapping"),
    "invalid-encoding": _fatal("the file is not UTF-8"),
    "invalid-expression": _fatal("a ${expression} cannot be evaluated"),
    "invalid-groups": _fatal("groups do not divide the channels or filters"),
    "invalid-input": _fatal("the input shape is malformed"),
    "invalid-layer": _fatal("a layer entry is malformed"),
    "invalid-layers": _fatal("`layers` is not a non-empty list"),
    "invalid-name": _fatal("a layer name is not allowed"),
    "invalid-reference": _fatal("a `from` reference is malformed"),
    "invalid-value": _fatal("an argument's value is malformed"),
    "kernel-too-large": _fatal("a window is larger than the padded input"),
    "missing-argument": _fatal("a required argument is missing"),
    "missing-input": _fatal("the file has no `input`"),
    "missing-layers": _fatal("the file has no `layers`"),
    "needs-flatten": _fatal("a dense layer on an image needs a flatten first"),
    "non-integer-output": Rule("warning", False, "a floored division drops input rows or columns"),
    "not-a-file": _fatal("a directory given to a single-file command"),
    "recursive-block": _fatal("a block uses itself"),
    "rf-misaligned": Rule("warning", False, "merged paths have different receptive-field geometry"),
    "shape-mismatch": _fatal("the shapes of a merge or a layer's input do not fit"),
    "too-deep": _fatal("YAML nested more than 64 levels"),
    "too-large": _fatal("a figure or dimension is beyond the limits"),
    "too-many-layers": _fatal("the expanded network has too many layers"),
    "uneven-size": Rule("info", False, "an input size that a strided layer does not divide evenly"),
    "unknown-argument": _fatal("a layer has an argument its kind does not take"),
    "unknown-key": _fatal("an unknown key in the file"),
    "unknown-kind": _fatal("an unknown layer kind"),
    "unknown-reference": _fatal("a `from` names no earlier layer"),
    "unknown-variable": _fatal("a $name is not defined"),
    "unreadable-file": _fatal("the file cannot be read"),
    "yaml-syntax": _fatal("the YAML is malformed"),
    "yaml-tag": _fatal("a YAML tag other than the standard ones"),
}
