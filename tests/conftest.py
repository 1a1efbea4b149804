"""Shared fixtures and helpers for the tests."""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path
import pytest

from cnncalc.catalog import bundled
from cnncalc.core.analysis import Analysis, analyze
from cnncalc.core.spec import Spec, loads

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
# Every bundled architecture by name: single files by stem, family files by variant (efficientnet_b3).
BUNDLED_NAMES = bundled.names()


def bundled_spec(name: str) -> Spec:
    """A bundled architecture by name, its variant applied (what `cnncalc shape NAME` reads)."""
    return bundled.read_spec(name)


@functools.lru_cache(maxsize=None)
def bundled_analysis(name: str) -> Analysis:
    """A bundled architecture's analysis, made once per test process and shared by every test module that
    reads it (an analysis is not changed by reading it: its layers and rows are tuples)."""
    return analyze(bundled_spec(name))


@functools.cache
def package_trees() -> tuple[tuple[Path, ast.Module], ...]:
    """Every module of the cnncalc package with its syntax tree, parsed once per test process (tests only
    read the trees)."""
    return tuple((path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted((ROOT / "cnncalc").rglob("*.py")))


def run(text: str, path: str = "test.yaml") -> Analysis:
    """Analyse a spec given as YAML text."""
    return analyze(loads(text, path))


@pytest.fixture
def analyze_text():
    """The `run` helper as a fixture."""
    return run


def main(*args: str) -> int:
    """Run the installed command's entry point in-process (output lands in capsys); its exit code."""
    from cnncalc.cli.app import main as entry

    saved = sys.argv
    sys.argv = ["cnncalc", *args]
    try:
        entry()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = saved
    return 0


def command_args(name: str, spec: str, output: str | None, options: dict[str, str | None]) -> list[str]:
    """The argument list of a drawing command: SPEC, -o OUTPUT, then each option given."""
    args = [name, spec] + (["-o", output] if output else [])
    for option, value in options.items():
        if value is not None:
            args += [f"--{option}", value]
    return args


def pytest_addoption(parser: pytest.Parser) -> None:
    """`pytest --regen-golden` rewrites the golden files from the current output."""
    parser.addoption("--regen-golden", action="store_true", help="rewrite tests/golden/* from current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with tests/golden/NAME, or rewrite it under --regen-golden."""
    regen = request.config.getoption("--regen-golden")

    def compare(name: str, text: str) -> None:
        path = ROOT / "tests" / "golden" / name
        if regen:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path}; run pytest --regen-golden"
        assert text == path.read_text(encoding="utf-8")

    return compare
