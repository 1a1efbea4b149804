"""The body of `cnncalc import`: pick the importer by suffix, write the YAML, report problems on stderr."""

from __future__ import annotations

import os
import sys

from cnncalc.importers import IMPORTERS, ImportResult, Options
from cnncalc.core.problems import EXIT_OK, EXIT_PROBLEMS


def import_file(source: str, options: Options) -> ImportResult:
    """Run the importer registered for the file's suffix (the caller has checked that one exists)."""
    import importlib

    module, function = IMPORTERS[os.path.splitext(source)[1].lower()].split(":")
    return getattr(importlib.import_module(module), function)(source, options)  # type: ignore[no-any-return]


def run_import(source: str, output: str | None, input_shape: str | None, partial: bool,
               scale: str | None = None) -> int:
    """Import SOURCE, write the spec to OUTPUT (stdout when None or '-'), and return the exit code.

    Misuse raises CommandLineError (the command line reports it, as for every command); the importer's
    problems are diagnostics on stderr, exit 1."""
    from cnncalc.check.diagnostics import text
    from cnncalc.cli.options import misuse
    from cnncalc.cli.textout import write_output

    suffix = os.path.splitext(source)[1].lower()
    if suffix not in IMPORTERS:
        misuse(f"cannot tell the format of {source!r} from its suffix; give a file ending in one of "
               f"{', '.join(sorted(IMPORTERS))}")
    shape = None
    if input_shape is not None:
        from cnncalc.core.quantities import parse_shape

        try:  # as `shape --input`: 416 (square, the file's channels), 416x320, or 416x320x3
            shape = parse_shape(input_shape, 1, 3)
        except ValueError as exc:
            misuse(str(exc), "--input")
    result = import_file(source, Options(shape, partial, scale))
    if result.problems:
        sys.stderr.write("".join(text(problem) + "\n" for problem in result.problems))
    if not result.ok:
        return EXIT_PROBLEMS
    write_output(output, result.yaml)  # a failure is OutputError: the command line reports it (exit 74)
    return EXIT_OK
