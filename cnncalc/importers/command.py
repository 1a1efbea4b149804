"""The body of `cnncalc import`: pick the importer by suffix, write the YAML, report problems on stderr."""

from __future__ import annotations

import os
import sys

from cnncalc.importers import IMPORTERS, ImportResult, Options
from cnncalc.problems import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def import_file(source: str, options: Options) -> ImportResult:
    """Run the importer registered for the file's suffix (the caller has checked that one exists)."""
    import importlib

    module, function = IMPORTERS[os.path.splitext(source)[1].lower()].split(":")
    return getattr(importlib.import_module(module), function)(source, options)  # type: ignore[no-any-return]


def run_import(source: str, output: str | None, input_shape: str | None, partial: bool) -> int:
    """Import SOURCE, write the spec to OUTPUT (stdout when None or '-'), and return the exit code."""
    from cnncalc.diagnostics import text

    suffix = os.path.splitext(source)[1].lower()
    if suffix not in IMPORTERS:
        known = ", ".join(sorted(IMPORTERS))
        print(f"cnncalc import: cannot tell the format of {source!r} from its suffix; "
              f"give a file ending in one of {known}", file=sys.stderr)
        return EXIT_USAGE
    shape = None
    if input_shape is not None:
        from cnncalc.quantities import parse_shape

        try:  # as `shape --input`: 416 (square, the file's channels), 416x320, or 416x320x3
            shape = parse_shape(input_shape, 1, 3)
        except ValueError as exc:
            print(f"cnncalc import: --input: {exc}", file=sys.stderr)
            return EXIT_USAGE
    result = import_file(source, Options(shape, partial))
    for problem in result.problems:
        print(text(problem), file=sys.stderr)
    if not result.ok:
        return EXIT_PROBLEMS
    from cnncalc.textout import write_output

    write_output(output, result.yaml)  # a failure is OutputError: the command line reports it (exit 74)
    return EXIT_OK
