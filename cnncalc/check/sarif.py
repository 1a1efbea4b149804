"""SARIF 2.1.0 output of problems, for GitHub code scanning (`cnncalc check --format sarif`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from cnncalc.core.problems import Problem

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def artifact_uri(path: str, cwd: str | None = None) -> dict[str, str]:
    """A file's artifactLocation: a URI relative to the working directory (%SRCROOT%), or file:// outside it."""
    base = os.path.abspath(cwd or os.getcwd())
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, base)
    except ValueError:  # another drive on Windows
        relative = ".."
    if relative == ".." or relative.startswith(".." + os.sep):
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(relative.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}


def _rule(rule_id: str) -> dict[str, Any]:
    from cnncalc.core.rules import RULES

    known = RULES.get(rule_id)
    rule: dict[str, Any] = {"id": rule_id, "name": rule_id}
    if known:
        rule["shortDescription"] = {"text": known.summary}
        rule["defaultConfiguration"] = {"level": LEVELS.get(known.level, "error")}
    return rule


def _result(problem: Problem, rule_index: int, cwd: str | None) -> dict[str, Any]:
    return {
        "ruleId": problem.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(problem.level, "error"),
        "message": {"text": problem.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact_uri(problem.path, cwd),
            "region": {"startLine": max(1, problem.line), "startColumn": max(1, problem.column)},
        }}],
    }


def to_dict(problems: Iterable[Problem], tool_version: str, cwd: str | None = None) -> dict[str, Any]:
    """The SARIF log as plain data: one run, the rules the problems use, one result per problem."""
    listed = list(problems)
    rule_ids = sorted({p.rule for p in listed})
    index = {rule: n for n, rule in enumerate(rule_ids)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "cnncalc", "version": tool_version,
                                "rules": [_rule(r) for r in rule_ids]}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _directory_uri(cwd)}},
            "results": [_result(p, index[p.rule], cwd) for p in listed],
        }],
    }


def _directory_uri(cwd: str | None) -> str:
    return Path(os.path.abspath(cwd or os.getcwd())).as_uri().rstrip("/") + "/"


def to_sarif(problems: Iterable[Problem], tool_version: str, cwd: str | None = None) -> str:
    """SARIF 2.1.0 JSON text of the problems; file URIs relative to `cwd` (the working directory)."""
    return json.dumps(to_dict(problems, tool_version, cwd), indent=2, ensure_ascii=False) + "\n"
