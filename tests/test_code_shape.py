"""The package stays readable: short functions with few parameters (cli.py's Typer commands excepted)."""

from __future__ import annotations

import ast

from conftest import ROOT

MAX_LINES = 60
MAX_PARAMS = 5


def _functions():
    for path in sorted((ROOT / "cnncalc").rglob("*.py")):
        if path.name == "cli.py":  # Typer commands take one parameter per option
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.name, node


def test_no_function_is_longer_than_60_lines() -> None:
    long = [f"{name}:{fn.name} ({fn.end_lineno - fn.lineno + 1})" for name, fn in _functions()  # type: ignore[operator]
            if fn.end_lineno - fn.lineno + 1 > MAX_LINES]  # type: ignore[operator]
    assert long == []


def test_no_function_takes_more_than_5_parameters() -> None:
    many = []
    for name, fn in _functions():
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
        if len(params) > MAX_PARAMS:
            many.append(f"{name}:{fn.name} ({len(params)})")
    assert many == []
