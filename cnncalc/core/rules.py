"""The rule registry: every problem cnncalc reports has one of these ids.

Code, README (tests/test_readme.py ties them), `check --format json`, the JSON schema and
disable comments all read this table.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cnncalc.core.problems import ERROR, INFO, WARNING, Problem, did_you_mean


class Rule(NamedTuple):
    """A rule: id, level, one-line summary and a failing example (a whole file, or '' for file-level rules)."""

    id: str
    level: str
    summary: str
    example: str = ""

    @property
    def fatal(self) -> bool:
        """An error that stops the analysis of its file (so a configuration cannot ignore it)."""
        return self.level == ERROR and self.id not in _CHECKS


# Errors that `check` reports after a complete analysis: the rest stop the file where they occur.
_CHECKS = frozenset({"budget-exceeded", "expect-mismatch"})

_FILE_RULES = [
    Rule('file-not-found', ERROR, 'no such file (or bundled name)'),
    Rule('not-a-file', ERROR, 'a directory given to a single-file command'),
    Rule('unreadable-file', ERROR, 'the file cannot be read (permissions, a closed standard input)'),
    Rule('unwritable-file', ERROR, 'an output file (`-o`, `--report-dir`) cannot be written; nothing is left half-written'),
    Rule('file-too-large', ERROR, 'over 1 MiB'),
    Rule('binary-file', ERROR, 'NUL bytes: not a text file'),
    Rule('invalid-encoding', ERROR, 'not UTF-8 (UTF-16 included); the position of the first bad byte'),
    Rule('too-deep', ERROR, 'YAML nested more than 64 levels'),
]

_CONTENT_RULES = [
    Rule('budget-exceeded', ERROR, 'a total is over a `max_*` budget in `expect:` or on the command line',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 4, kernel: 3, padding: 1}  # 4·(3·3·3) + 4 = 112\n'
        '  - flatten\n'
        '  - dense: 10       # 256·10 + 10 = 2570\n'
        'expect:\n'
        '  max_macs: 5000\n'
         )),
    Rule('duplicate-key', ERROR, 'a key appears twice in one mapping',
         (
        'input: [8, 8, 3]\n'
        'input: [16, 16, 3]\n'
        'layers:\n'
        '  - relu\n'
         )),
    Rule('duplicate-name', ERROR, 'two layers of one list have the same name',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 3, padding: 1, name: stem}\n'
        '  - relu: {name: act}\n'
        '  - relu: {name: act}\n'
         )),
    Rule('empty-file', ERROR, 'the file has no content',
         (
        '# only comments, or nothing at all\n'
         )),
    Rule('empty-output', ERROR, "a layer's output would have no rows or columns",
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - crop: 4\n'
         )),
    Rule('expect-mismatch', ERROR, 'a figure differs from the one asserted in `expect:`',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - batchnorm   # 2·3 trainable, 2·3 running statistics\n'
        'expect:\n'
        '  non_trainable: 0\n'
         )),
    Rule('forward-reference', ERROR, '`from` names a layer defined further down',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 3, padding: 1, name: stem}\n'
        '  - relu: {from: conv2}\n'
        '  - conv: {filters: 8, kernel: 1}\n'
         )),
    Rule('invalid-block', ERROR, 'a block definition is malformed',
         (
        'input: [8, 8, 3]\n'
        'blocks:\n'
        '  b:\n'
        '    args: {c: 8}\n'
        'layers:\n'
        '  - b\n'
         )),
    Rule('invalid-condition', ERROR, 'an `if:` is not true or false',
         (
        'input: [8, 8, 3]\n'
        'vars: {width: 2}\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 1, if: $width}\n'
         )),
    Rule('invalid-document', ERROR, 'the top level is not a mapping',
         (
        'just a sentence\n'
         )),
    Rule('invalid-expression', ERROR, 'a `${...}` expression cannot be evaluated',
         (
        'input: [8, 8, 3]\n'
        'blocks:\n'
        '  b:\n'
        '    args: {c: 8}\n'
        '    layers:\n'
        '      - conv:\n'
        '          filters: ${c * 2\n'
        '          kernel: 1\n'
        'layers:\n'
        '  - b\n'
         )),
    Rule('invalid-channels', ERROR, 'a channel range or split does not fit the input channels',
         (
        'input: [8, 8, 6]\n'
        'layers:\n'
        '  - split: {parts: 4}\n'
         )),
    Rule('invalid-groups', ERROR, '`groups` (or attention `heads`) does not divide the channels or the filters',
         (
        'input: [8, 8, 6]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 3, groups: 4}\n'
         )),
    Rule('invalid-input', ERROR, '`input` is not a valid shape',
         (
        'input: 0\n'
        'layers:\n'
        '  - relu\n'
         )),
    Rule('invalid-layer', ERROR, 'an entry of `layers` is neither a kind nor a one-key mapping',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - 42\n'
         )),
    Rule('invalid-layers', ERROR, '`layers` is not a non-empty list',
         (
        'input: [8, 8, 3]\n'
        'layers: []\n'
         )),
    Rule('invalid-name', ERROR, 'a layer name is not a plain word',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 3, padding: 1, name: stem}\n'
        '  - relu: {name: a.b}\n'
         )),
    Rule('invalid-reference', ERROR, '`from` is not a layer name, `input` or a negative number',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 3, padding: 1, name: stem}\n'
        '  - relu: {from: 1}\n'
         )),
    Rule('invalid-value', ERROR, 'an argument or option has a value of the wrong type or range',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - relu: 3\n'
         )),
    Rule('kernel-too-large', ERROR, 'a window is larger than its padded input',
         (
        'input: [5, 5, 3]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 7}\n'
         )),
    Rule('missing-argument', ERROR, 'a required argument is given neither at the layer nor in `defaults`',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - maxpool\n'
         )),
    Rule('missing-input', ERROR, 'the file has no `input`',
         (
        'layers:\n'
        '  - relu\n'
         )),
    Rule('missing-layers', ERROR, 'the file has no `layers`',
         (
        'name: tiny\n'
        'input: [8, 8, 3]\n'
         )),
    Rule('needs-flatten', ERROR, 'a dense layer gets a feature map instead of a vector',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - globalavgpool\n'
        '  - dense: 10\n'
         )),
    Rule('non-integer-output', WARNING, 'an output size is floored, so input rows or columns are never used',
         (
        'input: [7, 7, 3]\n'
        'layers:\n'
        '  - maxpool: 2\n'
         )),
    Rule('recursive-block', ERROR, 'a block uses itself, directly or through other blocks',
         (
        'input: [8, 8, 3]\n'
        'blocks:\n'
        '  loop:\n'
        '    layers:\n'
        '      - relu\n'
        '      - loop\n'
        'layers:\n'
        '  - loop\n'
         )),
    Rule('rf-misaligned', WARNING, 'merged paths have receptive fields that do not line up',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 4, kernel: 1, stride: 2, name: a}\n'
        '  - conv: {filters: 4, kernel: 5, from: input, name: b}\n'
        '  - add: [a, b]\n'
         )),
    Rule('shape-mismatch', ERROR, "a layer's input has the wrong shape for it",
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - flatten\n'
        '  - conv: {filters: 8, kernel: 1}\n'
         )),
    Rule('too-large', ERROR, 'a tensor is beyond the documented size limits',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - upsample: {scale: 1000000, repeat: 1000}\n'
         )),
    Rule('too-many-layers', ERROR, 'the expanded network exceeds the layer or nesting limits',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - relu: {repeat: 1000000000}\n'
         )),
    Rule('unknown-argument', ERROR, 'a kind or block has no argument of that name',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - relu: {inplace: true}\n'
         )),
    Rule('block-shadows-kind', WARNING, 'a block has the name of a built-in kind, which it replaces in its file',
         (
        'input: [8, 8, 3]\n'
        'blocks:\n'
        '  layernorm:\n'
        '    layers:\n'
        '      - batchnorm\n'
        'layers:\n'
        '  - layernorm\n'
         )),
    Rule('skipped-input', WARNING, 'a merge reads one tensor twice because an input it names is not built',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 3, kernel: 1, name: a}\n'
        '  - conv: {filters: 3, kernel: 1, name: b, if: false}\n'
        '  - add: [a, b, input]\n'
         )),
    Rule('unlikely-input', WARNING, '`input` reads in a way that is rarely meant: channels first, a batch axis, '
         'or an image written without its channels',
         (
        'input: [3, 224, 224]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 3}\n'
         )),
    Rule('unknown-key', ERROR, 'a mapping has a key the format does not define',
         (
        'input: [8, 8, 3]\n'
        'layer:\n'
        '  - relu\n'
         )),
    Rule('unknown-kind', ERROR, 'no built-in kind or block of that name',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - rleu\n'
         )),
    Rule('unknown-reference', ERROR, '`from` names no layer above',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: 8, kernel: 3, padding: 1, name: stem}\n'
        '  - conv: {filters: 8, kernel: 1, from: -5}\n'
         )),
    Rule('unknown-variable', ERROR, 'a `$name` is not an argument of the enclosing block nor a variable of the file',
         (
        'input: [8, 8, 3]\n'
        'layers:\n'
        '  - conv: {filters: $width, kernel: 1}\n'
         )),
    Rule('yaml-syntax', ERROR, 'the file is not valid YAML (or uses a YAML feature the format refuses)',
         (
        'input: *shape\n'
        'layers:\n'
        '  - relu\n'
         )),
    Rule('yaml-tag', ERROR, 'a YAML tag such as `!python/object`',
         (
        'input: !shape [8, 8, 3]\n'
        'layers:\n'
        '  - relu\n'
         )),
]

# Problems of the files `cnncalc import` reads (ONNX graphs, Darknet cfgs), and what `export` cannot write.
_IMPORT_RULES = [
    Rule("unsupported-export", ERROR, "`export`: a layer or block the target framework's code cannot express"),
    Rule("corrupt-file", ERROR, 'an ONNX file that does not parse, or has no graph'),
    Rule("empty-import", ERROR, '`import`: nothing in the file maps onto a cnncalc layer'),
    Rule("inconsistent-graph", ERROR, "an ONNX node whose weights, attributes and input contradict each other "
         "(a Conv's weight channels, an unknown `auto_pad`)"),
    Rule("input-mismatch", ERROR, "`import --input` disagrees with the graph's input"),
    Rule("malformed-option", ERROR, 'a Darknet cfg line that is not `key=value`, or a value of the wrong type'),
    Rule("malformed-section", ERROR, 'a Darknet cfg section header that is not `[name]`'),
    Rule("missing-dependency", ERROR, '`import` of ONNX without the `onnx` package (`pip install "cnncalc[onnx]"`)'),
    Rule("missing-net", ERROR, 'a Darknet cfg without its leading `[net]` section'),
    Rule("missing-option", ERROR, 'a Darknet cfg section without an option it needs'),
    Rule("multiple-outputs", WARNING, 'an ONNX graph with several outputs: the spec follows the first'),
    Rule("not-ultralytics", ERROR, 'a .yaml given to `import` that is not an Ultralytics model YAML (`backbone:`, '
         '`head:`)'),
    Rule("partial-import", WARNING, '`import --partial` stopped before an unmapped operator that changes the shape'),
    Rule("symbolic-input", ERROR, 'an ONNX input size left symbolic: give `--input`'),
    Rule("unknown-layer", ERROR, 'a Darknet route or shortcut names a layer that does not exist'),
    Rule("unknown-section", ERROR, 'a Darknet cfg section cnncalc does not know'),
    Rule("unmapped-operator", ERROR, '`import`: operators with no cnncalc kind, by name, count and position'),
    Rule("unsupported-graph", ERROR, 'an ONNX graph of a form cnncalc cannot express (several inputs, another rank)'),
]

_OTHER_RULES = [
    Rule("unmodelled-convention", ERROR, "`check --convention`: the network has a kind the tool's convention does "
         "not reproduce yet, so its `--max-macs` budget cannot be checked under it"),
    Rule("invalid-config", ERROR, "a configuration file (`.cnncalc.yaml`, `[tool.cnncalc]` in pyproject.toml) "
         "is invalid"),
    Rule("unknown-rule", WARNING, "a disable comment names a rule that does not exist",
         "input: [8, 8, 3]\nlayers:\n  - relu  # cnncalc: disable=non-integer-ouput\n"),
    Rule("uneven-size", INFO, "`sizes`: an input size a strided layer does not divide evenly"),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _FILE_RULES + _CONTENT_RULES + _IMPORT_RULES + _OTHER_RULES}

# `# cnncalc: disable=RULE[, RULE]`, then anything (`-- why`): rule ids are kebab-case words.
_DISABLE = re.compile(r"#\s*cnncalc:\s*disable=\s*([A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)")


def _disable_comments(text: str) -> dict[int, tuple[bool, list[tuple[str, int]]]]:
    """Per 1-based line: whether the comment is alone on it, and each rule id with its 1-based column."""
    found: dict[int, tuple[bool, list[tuple[str, int]]]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if "cnncalc:" not in line:
            continue
        match = _DISABLE.search(line)
        if match is None:
            continue
        ids = [(m.group(0), match.start(1) + m.start() + 1) for m in re.finditer(r"[A-Za-z0-9_-]+", match.group(1))]
        found[number] = (line.lstrip().startswith("#"), ids)
    return found


def suppress(warnings: list[Problem], text: str, path: str = "<string>") -> list[Problem]:
    """Drop warnings acknowledged in the file, and warn about disable comments naming unknown rules.

    `# cnncalc: disable=RULE[,RULE] [explanation]` at the end of the warned line, or alone on the
    line above it, silences those warnings there (as yamllint's disable-line); errors cannot be.
    """
    if "cnncalc:" not in text:
        return warnings
    comments = _disable_comments(text)

    def disabled(line: int) -> set[str]:
        rules: set[str] = set()
        for number, own_line_only in ((line, False), (line - 1, True)):
            alone, ids = comments.get(number, (False, []))
            if alone or not own_line_only:
                rules.update(rule for rule, _ in ids)
        return rules

    kept = [w for w in warnings if w.rule not in disabled(w.line)]
    for number, (_, ids) in sorted(comments.items()):
        kept.extend(Problem(path, number, column, WARNING, "unknown-rule",
                            f"`{rule}` in this disable comment is not a rule{did_you_mean(rule, RULES)}; "
                            "docs/rules.md lists the rules")
                    for rule, column in ids if rule not in RULES)
    return kept
