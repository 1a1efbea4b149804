"""`cnncalc check`: analyse files and turn everything found into sorted problems."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator

from cnncalc import spec as spec_module
from cnncalc.analysis import Analysis, analyze
from cnncalc.kinds import fmt_shape
from cnncalc.quantities import Quantity
from cnncalc.problems import ERROR, Located, Problem, SpecError


@dataclass
class FileResult:
    """What checking one file found."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    analysis: Analysis | None = None


def inference_memory(analysis: Analysis) -> int:
    """Bytes of float32 parameters plus every layer's output for one sample (what `max_memory` budgets)."""
    from cnncalc.memory import estimate

    return estimate(analysis, batch=1, dtype="float32").inference


def _count_problem(where: Located, key: str, quantity: Quantity, actual: int, label: str = "") -> Problem | None:
    """A mismatch or exceeded budget; `label` names where a budget was set (`max_macs:` or `--max-macs`)."""
    if key.startswith("max_"):
        if quantity.allows(actual):
            return None
        what = {"max_params": "parameters", "max_macs": "multiply-adds",
                "max_memory": "bytes of float32 inference memory (parameters + activations)"}[key]
        return where.problem("budget-exceeded", f"{actual:,} {what} exceed the budget {label or key + ':'} "
                             f"{quantity.text} ({quantity.value:,}); shrink the network or raise the budget")
    if quantity.matches(actual):
        return None
    return where.problem("expect-mismatch", f"expected {key} {quantity.text} but the network has {actual:,}; "
                         "fix the layers or update `expect`")


def expectations(analysis: Analysis, budgets: dict[str, Quantity] | None = None) -> list[Problem]:
    """Problems for every `expect` entry (and command-line budget) the analysis does not meet."""
    actual = {
        "params": analysis.totals.params, "trainable": analysis.totals.trainable,
        "non_trainable": analysis.totals.non_trainable, "macs": analysis.totals.macs,
        "max_params": analysis.totals.params, "max_macs": analysis.totals.macs,
        "max_memory": inference_memory(analysis),
    }
    problems = []
    for key, (value, where) in analysis.spec.expect.items():
        if key == "output":
            if tuple(value) != analysis.output:
                problems.append(where.problem("expect-mismatch", f"expected output {fmt_shape(value)} but the "
                                              f"network gives {fmt_shape(analysis.output)}; fix the layers or "
                                              "update `expect`"))
            continue
        problem = _count_problem(where, key, value, actual[key])
        if problem:
            problems.append(problem)
    for key, quantity in (budgets or {}).items():
        problem = _count_problem(Located(analysis.spec.path, 1, 1), key, quantity, actual[key],
                                 f"--{key.replace('_', '-')}")
        if problem:
            problems.append(problem)
    return problems


def check_file(path: str, budgets: dict[str, Quantity] | None = None) -> FileResult:
    """Analyse one file: its fatal error, or its warnings and unmet expectations."""
    result = FileResult(path)
    try:
        analysis = analyze(spec_module.load(path))
    except SpecError as exc:
        result.problems.append(exc.problem)
        return result
    result.analysis = analysis
    result.problems.extend(analysis.warnings)
    result.problems.extend(expectations(analysis, budgets))
    result.problems.sort()
    return result


def report(path: str, budgets: dict[str, Quantity] | None = None) -> FileResult:
    """check_file without the analysis: what `cnncalc check` keeps, small enough to send between processes."""
    result = check_file(path, budgets)
    result.analysis = None
    return result


def check_many(paths: list[str], budgets: dict[str, Quantity] | None = None, jobs: int = 1
               ) -> Iterator[FileResult]:
    """Reports for many files, in order, in `jobs` forked worker processes when that is worth it."""
    import multiprocessing

    if jobs > 1 and len(paths) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
        from functools import partial

        # fork: the workers inherit the imported modules, so they start in milliseconds.
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(partial(report, budgets=budgets), paths, chunksize=max(1, len(paths) // (jobs * 8)))
        return
    for path in paths:
        yield report(path, budgets)


PARALLEL_FROM = 64


def find_files(paths: list[str]) -> Iterator[tuple[str, Problem | None]]:
    """Files to check: given files as they are, directories searched for *.yaml and *.yml (sorted)."""
    for path in paths:
        if os.path.isdir(path):
            found: list[str] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in files if f.endswith((".yaml", ".yml")))
            for f in sorted(found):
                yield f, None
        elif os.path.exists(path):
            yield path, None
        else:
            yield path, Problem(path, 1, 1, ERROR, "file-not-found", "no such file or directory")


def is_error(problem: Problem, strict: bool) -> bool:
    """Whether a problem fails the run: errors always, warnings under --strict."""
    return problem.level == ERROR or strict
