"""Write docs/rules.md from the rule registry (cnncalc/core/rules.py): every rule, its level and summary, and for
each rule with an example the example and what `cnncalc check` says of it. The test suite fails when the
page is stale (tests/test_docs.py); `python docs/gen_rules.py` rewrites it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PAGE = Path(__file__).resolve().parent / "rules.md"

INTRO = """# Rules

Every problem `check` reports has one of these rule ids. Errors stop the
analysis of their file; warnings do not, and fail the run only under
`--strict`; a warning can be acknowledged in the file with
`# cnncalc: disable=RULE`. `sizes` reports a third kind, `uneven-size` (info),
for an input size that a strided layer does not divide evenly.

This page is generated from the registry, `cnncalc/core/rules.py`
(`python docs/gen_rules.py`); the tests fail when it is stale.
"""


def _table(rules: list) -> list[str]:
    return ["| rule | when |", "| --- | --- |"] + [f"| `{r.id}` | {r.summary} |" for r in rules]


def _said(rule, directory: str) -> str:
    """`line:col: message` of the problem `cnncalc check` reports for the rule's example."""
    from cnncalc.check.files import check_file

    path = Path(directory) / "example.yaml"
    path.write_text(rule.example, encoding="utf-8")
    problem = next(p for p in check_file(str(path)).problems if p.rule == rule.id)
    return f"{problem.line}:{problem.column}: {problem.message}"


def render() -> str:
    """The page's text."""
    from cnncalc.core import rules

    listed = [r for r in rules._FILE_RULES + rules._OTHER_RULES if not r.example and r.level != rules.INFO]
    examples = sorted((r for r in rules.RULES.values() if r.example), key=lambda r: r.id)
    lines = [INTRO, "Rules about the file itself, before its content is read:", "", *_table(listed), "",
             "Rules about the files `cnncalc import` reads (an ONNX graph, a Darknet cfg),",
             "and what `cnncalc export` cannot write:", "", *_table(rules._IMPORT_RULES), "",
             "Rules about the content, each with a failing example (from `tests/invalid/`,",
             "where every rule has several) and what cnncalc says, at line:column of the", "excerpt:", ""]
    with tempfile.TemporaryDirectory() as directory:
        for rule in examples:
            lines += [f"**`{rule.id}`** ({rule.level}): {rule.summary}", "", "```yaml", rule.example.rstrip("\n"),
                      "```", "", f"> {_said(rule, directory)}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(PAGE.parent.parent))
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}")
