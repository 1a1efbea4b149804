"""`cnncalc check`: analyse files and turn everything found into sorted problems."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator

from cnncalc.core import spec as spec_module
from cnncalc.core.analysis import Analysis, analyze
from cnncalc.core.quantities import fmt_shape, human_bytes
from cnncalc.core.limits import collector_paused
from cnncalc.core.quantities import Quantity
from cnncalc.core.problems import ERROR, Located, Problem, SpecError


@dataclass
class FileResult:
    """What checking one file found."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    analysis: Analysis | None = None


def inference_memory(analysis: Analysis) -> int:
    """Bytes of float32 parameters plus every layer's output for one sample (what `max_memory` budgets)."""
    from cnncalc.core.memory import estimate

    return estimate(analysis, batch=1, dtype="float32").inference


def _count_problem(where: Located, key: str, quantity: Quantity, actual: int, label: str = "") -> Problem | None:
    """A mismatch or exceeded budget; `label` names where a budget was set (`max_macs:` or `--max-macs`)."""
    if key.startswith("max_"):
        if quantity.allows(actual):
            return None
        what = {"max_params": "parameters", "max_macs": "multiply-adds",
                "max_memory": f"bytes ({human_bytes(actual)}) of float32 inference memory (parameters + "
                              "activations)",
                "max_peak_memory": f"bytes ({human_bytes(actual)}) of float32 parameters and peak live activations "
                                   "(`cnncalc memory`)",
                "max_train_memory": f"bytes ({human_bytes(actual)}) of one float32 training step with Adam at batch "
                                    "1 (`cnncalc memory --train`)"}[key]
        limit = (f"{quantity.value:,}" if not key.endswith("memory") else
                 f"{quantity.value:,} bytes = {human_bytes(quantity.value)}")
        return where.problem("budget-exceeded", f"{actual:,} {what} exceed the budget {label or key + ':'} "
                             f"{quantity.text} ({limit}); shrink the network or raise the budget")
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
    if "max_peak_memory" in analysis.spec.expect or "max_peak_memory" in (budgets or {}):
        from cnncalc.core.memory import liveness

        plan = liveness(analysis)
        actual["max_peak_memory"] = plan.param_bytes + plan.peak_bytes
    if "max_train_memory" in analysis.spec.expect or "max_train_memory" in (budgets or {}):
        from cnncalc.core.memory import liveness
        from cnncalc.memory.plan import POLICIES, training

        actual["max_train_memory"] = training(analysis, liveness(analysis), "adam", POLICIES["fp32"]).total
    budgets = dict(budgets or {})
    convention = budgets.pop("convention", None)
    problems = []
    if convention is not None and "max_macs" in budgets:  # the MACs budget as that tool counts
        from cnncalc.conventions import NotModelled, count

        try:
            actual["max_macs"] = count(analysis, str(convention)).total
        except NotModelled as exc:
            return [Located(analysis.spec.path, 1, 1).problem("unmodelled-convention", f"{exc}; check this file "
                                                              "under another convention")]
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
    for key, quantity in budgets.items():
        under = f" (counted as {convention} counts)" if convention is not None and key == "max_macs" else ""
        problem = _count_problem(Located(analysis.spec.path, 1, 1), key, quantity, actual[key],
                                 f"--{key.replace('_', '-')}{under}")
        if problem:
            problems.append(problem)
    return problems


def check_file(path: str, budgets: dict[str, Quantity] | None = None,
               overrides: dict[str, object] | None = None) -> FileResult:
    """Analyse one file: its fatal error, or its warnings and unmet expectations; a family file's every variant.

    `overrides` set the file's `vars` (`--set`); raises spec.UnknownVariable if the file lacks one.
    """
    # One file is a bounded phase that makes no reference cycles: collections started between its
    # parsing, expansion and checks would only re-scan its objects (superlinear on large files).
    with collector_paused():
        return _check_file(path, budgets, overrides)


def _check_file(path: str, budgets: dict[str, Quantity] | None, overrides: dict[str, object] | None) -> FileResult:
    result = FileResult(path)
    try:
        spec = spec_module.load(path)
    except SpecError as exc:
        result.problems.extend(exc.problems)
        return result
    problems: dict[Problem, None] = {}  # a problem once (variants repeat some), in the order found
    # A family file: every variant, and the file's own vars (what `shape FILE` analyses) unless a variant
    # sets exactly those.
    own = bool(spec.expect) or not any(_is_default(spec, v) for v in spec.variants.values())
    chosen: list[str | None] = ([None] if own else []) + list(spec.variants)
    failed = False
    for variant in chosen:
        try:
            analysis = analyze(spec_module.select(spec, variant, overrides) if variant or overrides else spec)
        except SpecError as exc:
            problems.update((_in_variant(p, variant), None) for p in exc.problems)
            failed = True
            continue
        result.analysis = analysis
        problems.update((_in_variant(p, variant), None) for p in analysis.warnings + expectations(analysis, budgets))
    if failed:  # an analysis stands for the whole file: none when part of it does not analyse
        result.analysis = None
    # By position; problems at one position (budgets at 1:1) keep their order: params, MACs, memory.
    result.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column))
    return result


def _is_default(spec: spec_module.Spec, variant: spec_module.Variant) -> bool:
    """Whether a variant's vars are the file's own (so analysing the file as it stands would repeat it)."""
    return all(_plain(value) == _plain(spec.vars[name]) for name, value in variant.vars.items() if name in spec.vars)


def _plain(value: spec_module.Value) -> object:
    """A value as written, without its position (1 and 1.0 differ: expressions may tell them apart)."""
    if isinstance(value, spec_module.Seq):
        return tuple(_plain(item) for item in value.items)
    return (type(value).__name__, type(value[0]).__name__, value[0])


def _in_variant(problem: Problem, variant: str | None) -> Problem:
    """A problem found in one variant of a family file, saying which (expect: entries are positioned in it)."""
    if variant is None:
        return problem
    return problem._replace(message=f"{variant}: {problem.message}")


def report(path: str, budgets: dict[str, Quantity] | None = None,
           overrides: dict[str, object] | None = None) -> FileResult:
    """check_file without the analysis: what `cnncalc check` keeps, small enough to send between processes."""
    with collector_paused():  # the file's objects are freed before the collector resumes: none left to scan
        result = _check_file(path, budgets, overrides)
        result.analysis = None
    return result


def check_many(paths: list[str], budgets: dict[str, Quantity] | None = None, jobs: int = 1,
               overrides: dict[str, object] | None = None) -> Iterator[FileResult]:
    """Reports for many files, in order, in `jobs` forked worker processes when that is worth it.

    `-` is standard input, read here (never in a worker). Workers ignore Ctrl-C: the parent
    gets it, stops them and reports one line, instead of every worker printing a traceback.
    """
    import multiprocessing

    if "-" not in paths and jobs > 1 and len(paths) >= PARALLEL_FROM and \
            "fork" in multiprocessing.get_all_start_methods():
        import signal
        from functools import partial

        # A Ctrl-C while the pool starts (after the fork, before Pool() returns) would leave its workers and
        # threads running with nothing to stop them: the process then hung at exit. It is held back until
        # the pool exists, and arrives inside `with`, which stops the pool (SIGTERM likewise).
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            # fork: the workers inherit the imported modules, so they start in milliseconds.
            pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_interrupts)
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise
        with pool:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            yield from pool.imap(partial(report, budgets=budgets, overrides=overrides), paths,
                                 chunksize=max(1, len(paths) // (jobs * 8)))
        return
    for path in paths:
        yield _report_stdin(budgets, overrides) if path == "-" else report(path, budgets, overrides)


def _ignore_interrupts() -> None:
    """A worker: Ctrl-C is the parent's to handle; SIGTERM (the parent stopping the pool) ends it quietly,
    not through the parent's handler, which a forked worker inherits and which would print a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Forked while the parent held SIGTERM back (see check_many): without this, pool.terminate() waits forever.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _report_stdin(budgets: dict[str, Quantity] | None, overrides: dict[str, object] | None = None) -> FileResult:
    """check_file for standard input, named <stdin> in problems."""
    from cnncalc.catalog.bundled import STDIN_NAME, read_spec

    result = FileResult(STDIN_NAME)
    try:
        analysis = analyze(read_spec("-", overrides))
    except SpecError as exc:
        result.problems.extend(exc.problems)
        return result
    result.problems.extend(analysis.warnings)
    result.problems.extend(expectations(analysis, budgets))
    result.problems.sort()
    return result


PARALLEL_FROM = 64


def find_files(paths: list[str]) -> Iterator[tuple[str, Problem | None]]:
    """Files to check, each once: files as given, directories searched for *.yaml and *.yml (sorted).

    Symlinked directories are followed (each real directory once, so links cannot loop); a
    directory that cannot be read, or a path that does not exist, is an error, not a skip.
    """
    seen: set[object] = set()
    for path in paths:
        if path == "-":
            found: list[tuple[str, Problem | None]] = [("-", None)]
        elif os.path.isdir(path):
            found = _walk(path)
        elif os.path.exists(path):
            found = [(path, None)]
        else:
            found = [(path, Problem(path, 1, 1, ERROR, "file-not-found", "no such file or directory"))]
        for name, problem in found:
            key = name if name == "-" or problem else _identity(name)
            if key not in seen:
                seen.add(key)
                yield name, problem


def _identity(path: str) -> object:
    """The file itself (device, inode): one file named twice (a symlink, `a/../a.yaml`) is checked once."""
    try:
        status = os.stat(path)
    except OSError:  # gone since it was found: reading it will say so
        return path
    return (status.st_dev, status.st_ino)


def _walk(top: str) -> list[tuple[str, Problem | None]]:
    found: list[tuple[str, Problem | None]] = []
    visited: set[str] = set()

    def unreadable(error: OSError) -> None:
        where = error.filename or top
        found.append((where, Problem(where, 1, 1, ERROR, "unreadable-file",
                                     f"cannot read this directory ({error.strerror}); fix its permissions "
                                     "or leave it out")))

    for root, dirs, files in os.walk(top, onerror=unreadable, followlinks=True):
        real = os.path.realpath(root)
        if real in visited:  # a symlink back into a directory already searched
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        # Only regular files: opening a FIFO named *.yaml would wait for a writer forever (a socket or a
        # device is no architecture file either). A path named on the command line is read whatever it is
        # (`check <(generate)` passes a pipe on purpose).
        found.extend((path, None) for f in files if f.endswith((".yaml", ".yml"))
                     and os.path.isfile(path := os.path.join(root, f)))
    return sorted(found, key=lambda item: item[0])


def is_error(problem: Problem, strict: bool) -> bool:
    """Whether a problem fails the run: errors always, warnings under --strict."""
    return problem.level == ERROR or strict
