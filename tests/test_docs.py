"""The documentation is true: every ```console example in the README and docs/ is run and its output compared,
the rules page is what the registry generates, and the MkDocs site lists every page.

In an expected output, `…` stands for any text on its line (an install path, say).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ENV = {**{k: v for k, v in os.environ.items() if k not in ("CI", "COLUMNS", "GITHUB_ACTIONS")},
       "PYTHONIOENCODING": "utf-8", "TERM": "dumb"}


def _examples() -> list[tuple[str, int, str, str]]:
    """(page, line, command, expected output) for each `$ cnncalc …` line of every ```console block."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.finditer(r"^```console\n(.*?)^```$", text, re.M | re.S):
            first_line = text[:block.start()].count("\n") + 2
            command, expected, line = None, [], 0
            for offset, row in enumerate(block.group(1).splitlines()):
                if row.startswith("$ "):
                    if command is not None:
                        found.append((page.name, line, command, "\n".join(expected)))
                    command, expected, line = row[2:], [], first_line + offset
                else:
                    expected.append(row)
            if command is not None:
                found.append((page.name, line, command, "\n".join(expected)))
    return found


EXAMPLES = _examples()


def test_the_pages_have_console_examples() -> None:
    assert len(EXAMPLES) >= 10 and {page for page, *_ in EXAMPLES} >= {"README.md", "commands.md"}


def _pattern(expected: str) -> re.Pattern[str]:
    return re.compile("\n".join(".*?".join(map(re.escape, line.split("…"))) for line in expected.split("\n")))


@pytest.mark.parametrize("page, line, command, expected", EXAMPLES,
                         ids=[f"{page}:{line}" for page, line, *_ in EXAMPLES])
def test_console_example_gives_the_output_shown(page: str, line: int, command: str, expected: str) -> None:
    words = shlex.split(command, comments=True)
    assert words[0] == "cnncalc", f"{page}:{line}: a console example runs cnncalc"
    done = subprocess.run([sys.executable, "-m", "cnncalc", *words[1:]], capture_output=True, text=True, cwd=ROOT,
                          env=ENV, check=False, timeout=120)
    assert "Traceback" not in done.stderr and done.returncode in (0, 1), done.stderr
    if expected.strip():
        shown = done.stdout.rstrip("\n")
        assert _pattern(expected.rstrip("\n")).fullmatch(shown), f"{page}:{line}: `{command}` prints\n{shown}"


@pytest.mark.parametrize("page, generator", [("rules.md", "gen_rules.py"), ("counters.md", "gen_counters.py")])
def test_a_generated_page_is_what_its_generator_writes(page: str, generator: str) -> None:
    """docs/rules.md from the rule registry, docs/counters.md from the conventions' rules."""
    spec = importlib.util.spec_from_file_location(generator[:-3], ROOT / "docs" / generator)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / page).read_text(encoding="utf-8") == module.render(), \
        f"docs/{page} is stale: run python docs/{generator}"


def test_the_site_lists_every_page() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = {page for entry in config["nav"] for page in entry.values()}
    assert listed == {p.name for p in (ROOT / "docs").glob("*.md")}


def test_readme_is_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250
