"""The CLI's commands only wire: parse options, call one function, hand the result to one writer.

Function size and parameter counts are ruff's to check (C901, PLR0912, PLR0913, PLR0915 in pyproject.toml);
what ruff cannot see is that a command's body stays a few lines of wiring.
"""

from __future__ import annotations

import ast

import pytest

from conftest import ROOT

MAX_COMMAND_BODY = 20
CLI = ROOT / "cnncalc" / "cli" / "app.py"


def _is_command(node: ast.AST) -> bool:
    """A function decorated with @app.command(...) or @app.callback()."""
    decorators = getattr(node, "decorator_list", [])
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("command", "callback")
               for d in decorators)


def _commands():
    tree = ast.parse(CLI.read_text(encoding="utf-8"))
    return [node for node in tree.body if isinstance(node, ast.FunctionDef) and _is_command(node)]


@pytest.mark.parametrize("command", _commands(), ids=lambda fn: fn.name)
def test_every_command_body_is_short(command: ast.FunctionDef) -> None:
    body = command.body[1:] if isinstance(command.body[0], ast.Expr) else command.body  # after the docstring
    lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0  # type: ignore[operator]
    assert lines <= MAX_COMMAND_BODY, f"{command.name}: {lines} lines; move the work out of the CLI"
