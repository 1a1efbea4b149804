"""The package stays readable: short functions with few parameters; the CLI's commands only wire.

cli.py's Typer commands take one parameter per option, so they are exempt from the parameter limit,
but their bodies (after the docstring) must stay short: parse options, call one function, render.
Every other function of cli.py is held to the same limits as the rest of the package.
"""

from __future__ import annotations

import ast

import pytest

from conftest import ROOT, package_trees

MAX_LINES = 60
MAX_PARAMS = 5
MAX_COMMAND_BODY = 20
CLI = ROOT / "cnncalc" / "cli.py"


def _is_command(node: ast.AST) -> bool:
    """A function decorated with @app.command(...) or @app.callback()."""
    decorators = getattr(node, "decorator_list", [])
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("command", "callback")
               for d in decorators)


def _functions(path_filter=lambda path: True):
    for path, tree in package_trees():
        if not path_filter(path):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_command(node):
                yield path.name, node


def _commands():
    tree = ast.parse(CLI.read_text(encoding="utf-8"))
    return [node for node in tree.body if isinstance(node, ast.FunctionDef) and _is_command(node)]


def _length(fn: ast.AST) -> int:
    return fn.end_lineno - fn.lineno + 1  # type: ignore[attr-defined,operator]


def test_no_function_is_longer_than_60_lines() -> None:
    long = [f"{name}:{fn.name} ({_length(fn)})" for name, fn in _functions() if _length(fn) > MAX_LINES]
    assert long == []


def test_no_function_takes_more_than_5_parameters() -> None:
    many = []
    for name, fn in _functions():
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
        if len(params) > MAX_PARAMS:
            many.append(f"{name}:{fn.name} ({len(params)})")
    assert many == []


def test_cli_helpers_are_checked_too() -> None:
    """The limits above reach cli.py's own functions (only the decorated commands are set apart)."""
    helpers = {fn.name for _, fn in _functions(lambda path: path == CLI)}
    assert "_warn" in helpers and "main" in helpers
    assert not helpers & {fn.name for fn in _commands()}


@pytest.mark.parametrize("command", _commands(), ids=lambda fn: fn.name)
def test_every_command_body_is_short(command: ast.FunctionDef) -> None:
    body = command.body[1:] if isinstance(command.body[0], ast.Expr) else command.body  # after the docstring
    lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0  # type: ignore[operator]
    assert lines <= MAX_COMMAND_BODY, f"{command.name}: {lines} lines; move the work out of the CLI"


def test_cli_is_thin() -> None:
    assert len(CLI.read_text(encoding="utf-8").splitlines()) <= 480
