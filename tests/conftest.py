"""Shared fixtures and helpers for the tests."""

from __future__ import annotations

import ast
import atexit
import functools
import gc
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from cnncalc import bundled
from cnncalc.analysis import Analysis, analyze
from cnncalc.spec import Spec, loads

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
    from cnncalc.cli import main as entry

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


def _build_each_cli_once() -> None:
    """Make typer build an app's click command once per app, not on every call (in-process CLI tests)."""
    import typer.main
    import typer.testing

    build = typer.main.get_command
    built: dict[int, tuple[tuple[Any, ...], Any]] = {}

    def get_command(app: typer.Typer) -> Any:
        # typer rebuilds the whole command tree from the functions' signatures on every call (~7 ms, most of
        # an in-process CLI test). The key holds what the tree is built from, so an app changed later is rebuilt.
        key = (app, *app.registered_commands, *app.registered_groups, app.registered_callback)
        cached = built.get(id(app))
        if cached is None or len(cached[0]) != len(key) or any(a is not b for a, b in zip(cached[0], key)):
            cached = built[id(app)] = (key, build(app))
        return cached[1]

    typer.main.get_command = get_command  # what `app()` calls, so the CLI's own entry point too
    typer.testing._get_command = get_command  # what CliRunner.invoke calls


_build_each_cli_once()

# Assertion rewriting costs ~2 s per process for this suite's modules, paid by every xdist worker on every run
# unless pytest can cache the rewritten modules. Under PYTHONDONTWRITEBYTECODE it cannot, so the caches
# (gitignored __pycache__ directories) are written while the tests are collected, and the setting is restored after.
_DONT_WRITE_BYTECODE = sys.dont_write_bytecode
sys.dont_write_bytecode = False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each test marked xdist_group("NAME") the node id suffix `@NAME` that --dist loadgroup schedules by.

    pytest-xdist 3.8 writes the suffix to `item._nodeid`, which pytest 9 no longer reads (the id is `item._id`),
    so without this every group is silently split across workers and its shared fixture runs in each.
    """
    if not getattr(config.option, "loadgroup", False):  # set in xdist's workers under --dist loadgroup
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid:
            grouped = f"{item.nodeid}@{'_'.join(names)}"
            if hasattr(item, "_id"):
                from _pytest.nodeid import NodeId

                item._id = NodeId.parse(grouped)
            else:
                item._nodeid = grouped


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadgroup, sending ungrouped tests in runs rather than one by one (None: xdist's own scheduler)."""
    from xdist.scheduler import LoadGroupScheduling

    if config.getvalue("dist") != "loadgroup" or not hasattr(LoadGroupScheduling, "_pending_of"):
        return None

    class Scheduler(LoadGroupScheduling):  # type: ignore[misc]
        """xdist 3.8's loadgroup makes each ungrouped test a work unit: one message to a worker per test, a
        search of the whole collection for its index, and a recount of every unit the worker ever had after
        every test (quadratic). Here a unit taken from the queue takes the ungrouped tests of the same module
        that follow it along, up to UNIT and fewer as the queue empties (the last units are single tests,
        which keeps the workers' finishing times together); indexes come from a dict; a finished unit is
        forgotten. xdist_group groups are sent whole, largest first, as xdist does."""

        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            self._indexes: dict[str, int] = {}  # a test's index in the (every worker's) collection
            self._unit_of: dict[str, str] = {}  # a test sent along with another: the unit it went in

        def schedule(self) -> None:
            if self.collection is None and self.registered_collections:
                collection = next(iter(self.registered_collections.values()))
                self._indexes = {nodeid: i for i, nodeid in enumerate(collection)}
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return self._unit_of.get(nodeid) or super()._split_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            scope, unit = self.workqueue.popitem(last=False)
            module = scope.split("::", 1)[0] if "::" in scope else None  # None: an xdist_group
            size = min(UNIT, len(self.workqueue) // (4 * len(self.nodes)))
            while module and len(unit) < size and self.workqueue:
                following = next(iter(self.workqueue))
                if "::" not in following or following.split("::", 1)[0] != module:
                    break
                unit.update(self.workqueue.pop(following))
                self._unit_of[following] = scope
            self.assigned_work.setdefault(node, {})[scope] = unit
            node.send_runtest_some([self._indexes[nodeid] for nodeid, done in unit.items() if not done])

        def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
            nodeid = self.registered_collections[node][item_index]
            scope = self._split_scope(nodeid)
            workload = self.assigned_work[node]
            workload[scope][nodeid] = True
            if all(workload[scope].values()):
                del workload[scope]
            self._reschedule(node)

    return Scheduler(config, log)


UNIT = 16  # the most ungrouped tests sent to a worker at once


def pytest_collection_finish(session: pytest.Session) -> None:
    """Collection is over: writing bytecode goes back to what the environment asked for."""
    sys.dont_write_bytecode = _DONT_WRITE_BYTECODE


def pytest_configure(config: pytest.Config) -> None:
    """The collector runs less often; an xdist worker ends without tearing the interpreter down."""
    # Importing torch while collecting, and building PyTorch modules and analyses, allocate millions of objects
    # while torch's own stay alive: with the default thresholds (700, 10, 10) a worker ran ~700 collections,
    # ~25 of them full ones of ~90 ms (~5 s of the suite's CPU). Fewer, larger young-generation collections
    # find the same garbage; the tests' memory stays far below the machine's.
    gc.set_threshold(20_000, 20, 20)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Registered before torch and the tests import anything, so it runs after every other exit handler.
        # A worker has sent all its reports by then; freeing the torch runtime and the session's objects one
        # by one took 0.5-2 s, for which the whole run waited.
        atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


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
