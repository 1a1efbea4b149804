"""Shared fixtures and helpers for the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.analysis import Analysis, analyze
from cnncalc.spec import loads

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def run(text: str, path: str = "test.yaml") -> Analysis:
    """Analyse a spec given as YAML text."""
    return analyze(loads(text, path))


@pytest.fixture
def analyze_text():
    """The `run` helper as a fixture."""
    return run
