"""The README and the docs stay true: commands, rules, limits and the pre-commit snippet."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "cnncalc").rglob("*.py"))


def test_every_rule_in_the_code_is_on_the_rules_page() -> None:
    # Rule ids are the kebab-case first argument of .error/.problem/_problem/fail calls.
    used = set(re.findall(r"""(?:error|problem|_problem|fail)\(\s*(?:[^()"]*?,\s*)?"([a-z]+(?:-[a-z]+)+)",""", CODE))
    assert {"unknown-kind", "non-integer-output", "shape-mismatch"} <= used  # the pattern finds rules
    documented = set(re.findall(r"`([a-z]+(?:-[a-z]+)+)`", (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")))
    assert sorted(used - documented) == []


def test_readme_commands_are_the_ci_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install ".[test]" && python -m pytest' in README
    assert 'pip install --quiet ".[test]" && python -m pytest' in ci
    assert "pip install . && cnncalc shape vgg16" in README


def _section(text: str, heading: str) -> str:
    """The body of a Markdown section, up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    body = text.split(heading + "\n", 1)[1]
    return re.split(rf"^#{{1,{len(level)}}} ", body, maxsplit=1, flags=re.M)[0]


def test_the_format_reference_is_in_the_repository_and_linked() -> None:
    assert "../shared" not in README
    assert "](docs/spec-format.md)" in README
    assert (ROOT / "docs" / "spec-format.md").is_file()


def test_the_docs_state_the_limits_the_code_enforces() -> None:
    from cnncalc.core.yamlsafe import MAX_DEPTH, MAX_FILE_BYTES

    mib = MAX_FILE_BYTES / 2**20
    size = f"{mib:g} MiB"
    safety = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert f"at most {size}, at most {MAX_DEPTH} levels" in safety
    assert f"| `file-too-large` | over {size} |" in rules
    assert f"| `too-deep` | YAML nested more than {MAX_DEPTH} levels |" in rules


def _precommit_snippet() -> dict:
    checking = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```yaml\n(.*?)^```$", checking, re.M | re.S) if "id: cnncalc-check" in b]
    assert len(blocks) == 1, "one ```yaml block in docs/commands.md names the hook (.ci/precommit-hook.sh runs it)"
    return yaml.safe_load(blocks[0])


def test_the_precommit_snippet_works_as_written_before_any_release() -> None:
    """A `repo: local` hook on the installed command: no placeholder URL, no tag that does not exist yet; it
    selects files as the shipped hook does (.ci/precommit-hook.sh runs it in a scratch repository)."""
    config = _precommit_snippet()
    (entry,) = config["repos"]
    assert entry["repo"] == "local" and "rev" not in entry
    (hook,) = entry["hooks"]
    (shipped,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == shipped["id"] and hook["entry"] == shipped["entry"] and hook["language"] == "system"
    assert (hook["files"], hook["exclude"]) == (shipped["files"], shipped["exclude"])


@pytest.mark.parametrize("path, checked", [
    ("models/vgg16.yaml", True),
    ("resnet.yml", True),
    ("a/b/c/net.yaml", True),
    (".pre-commit-config.yaml", False),
    (".github/workflows/ci.yml", False),
    (".gitlab-ci.yml", False),
    ("configs/.hidden/net.yaml", False),
    ("README.md", False),
    ("models/vgg16.yaml.bak", False),
])
def test_the_hook_skips_what_is_plainly_not_an_architecture_file(path: str, checked: bool) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    # pre-commit keeps a path when `files` matches (re.search) and `exclude` does not.
    assert (bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)) == checked
