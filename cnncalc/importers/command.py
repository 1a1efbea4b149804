"""The body of `cnncalc import`: pick the importer by suffix, write the YAML, report problems on stderr."""

from __future__ import annotations

import os
import sys

from cnncalc.importers import IMPORTERS, ImportResult, Options
from cnncalc.problems import ERROR, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, Problem


def parse_input(text: str) -> tuple[int, int, int] | None:
    """'416x416x3' (or 416,416,3) → (416, 416, 3); None if it is not three positive integers."""
    parts = text.lower().replace(",", "x").replace("×", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


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
        shape = parse_input(input_shape)
        if shape is None:
            print(f"cnncalc import: --input takes HxWxC, e.g. 416x416x3; got {input_shape!r}", file=sys.stderr)
            return EXIT_USAGE
    result = import_file(source, Options(shape, partial))
    for problem in result.problems:
        print(text(problem), file=sys.stderr)
    if not result.ok:
        return EXIT_PROBLEMS
    if output in (None, "-"):
        sys.stdout.write(result.yaml)
        return EXIT_OK
    try:
        with open(output, "w", encoding="utf-8") as handle:  # type: ignore[arg-type]
            handle.write(result.yaml)
    except OSError as exc:
        print(text(Problem(str(output), 1, 1, ERROR, "unwritable-file", f"cannot write the spec: {exc.strerror}")),
              file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK
