"""The README stays true: every rule the code can report is documented with an example."""

from __future__ import annotations

import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "cnncalc").glob("*.py"))


def test_every_rule_in_the_code_is_in_the_readme() -> None:
    # Rule ids are the kebab-case first argument of .error/.problem/_problem/fail calls.
    used = set(re.findall(r"""(?:error|problem|_problem|fail)\(\s*(?:[^()"]*?,\s*)?"([a-z]+(?:-[a-z]+)+)",""", CODE))
    assert {"unknown-kind", "non-integer-output", "shape-mismatch"} <= used  # the pattern finds rules
    documented = set(re.findall(r"`([a-z]+(?:-[a-z]+)+)`", README.split("## Rules", 1)[1]))
    assert sorted(used - documented) == []


def test_readme_commands_are_the_ci_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install ".[test]" && python -m pytest' in README
    assert 'pip install --quiet ".[test]" && python -m pytest' in ci
    assert "pip install . && cnncalc shape vgg16" in README
