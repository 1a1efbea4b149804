"""The rule registry: code, README and examples agree; disable comments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnncalc.checks import check_file
from cnncalc.rules import RULES
from conftest import ROOT, run

README = (ROOT / "README.md").read_text(encoding="utf-8")
RULES_SECTION = README.split("\n## Rules", 1)[1].split("\n## ", 1)[0]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "cnncalc").rglob("*.py"))
CONTENT = {rule.id: rule for rule in RULES.values() if rule.example}


def test_every_rule_id_in_the_code_is_registered() -> None:
    # Rule ids are the kebab-case argument of .error/.problem/_problem/fail/Problem calls.
    used = set(re.findall(r"""(?:error|problem|_problem|fail)\(\s*(?:[^()"]*?,\s*)?"([a-z]+(?:-[a-z]+)+)",""", CODE))
    assert {"unknown-kind", "non-integer-output", "shape-mismatch", "yaml-syntax"} <= used  # the pattern finds rules
    assert sorted(used - set(RULES)) == []


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_the_readme_lists_each_rule_with_its_level_and_summary(rule) -> None:
    as_row = f"| `{rule.id}` | {rule.summary} |"
    as_heading = f"**`{rule.id}`** ({rule.level}): {rule.summary}\n"
    as_text = f"`{rule.id}` ({rule.level})"
    assert as_row in RULES_SECTION or as_heading in RULES_SECTION or as_text in RULES_SECTION


def test_the_readme_lists_no_rule_the_registry_lacks() -> None:
    listed = set(re.findall(r"^\*\*`([a-z-]+)`\*\*|^\| `([a-z-]+)` \|", RULES_SECTION, re.M))
    assert {a or b for a, b in listed} - set(RULES) == set()


@pytest.mark.parametrize("rule", list(CONTENT.values()), ids=list(CONTENT))
def test_each_example_gives_its_rule_and_the_readme_shows_its_message(rule, tmp_path: Path) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(rule.example, encoding="utf-8")
    problem = next(p for p in check_file(str(path)).problems if p.rule == rule.id)
    assert problem.level == rule.level
    block = f"**`{rule.id}`** ({rule.level}): {rule.summary}\n\n```yaml\n{rule.example}```\n\n" \
            f"> {problem.line}:{problem.column}: {problem.message}\n"
    assert block in RULES_SECTION


FLOORED = "input: [7, 7, 3]\nlayers:\n  - maxpool: 2{comment}\n"


@pytest.mark.parametrize("comment, kept", [
    ("", 1),
    ("  # cnncalc: disable=non-integer-output", 0),
    ("  # cnncalc: disable=non-integer-output -- on purpose", 0),
    ("  # cnncalc: disable=rf-misaligned, non-integer-output  (torchvision does this)", 0),
    ("  # cnncalc: disable=rf-misaligned", 1),
])
def test_disable_comments_accept_an_explanation(comment: str, kept: int) -> None:
    warnings = run(FLOORED.format(comment=comment)).warnings
    assert [w.rule for w in warnings].count("non-integer-output") == kept
    assert not [w for w in warnings if w.rule == "unknown-rule"]


def test_a_misspelt_rule_in_a_disable_comment_is_warned_about() -> None:
    warnings = run(FLOORED.format(comment="  # cnncalc: disable=non-integer-ouput -- on purpose")).warnings
    unknown = [w for w in warnings if w.rule == "unknown-rule"]
    assert [(w.line, w.column, w.level) for w in unknown] == [(3, 36, "warning")]
    assert 'did you mean "non-integer-output"' in unknown[0].message
    assert [w.rule for w in warnings].count("non-integer-output") == 1


def test_a_problem_can_only_be_built_with_a_registered_rule() -> None:
    """An unregistered id could not be documented, listed by `cnncalc check --list-rules` or disabled."""
    from cnncalc.problems import ERROR, Problem

    assert Problem("f.yaml", 1, 2, ERROR, "unknown-kind", "m").rule == "unknown-kind"
    with pytest.raises(ValueError, match="not in cnncalc.rules.RULES"):
        Problem("f.yaml", 1, 2, ERROR, "import-invalid", "m")
    with pytest.raises(ValueError, match="not in cnncalc.rules.RULES"):
        Problem(path="f.yaml", line=1, column=2, level=ERROR, rule="no-such-rule", message="m")
