"""The body of `cnncalc export`: analyse the spec, write it as code for another framework, report problems."""

from __future__ import annotations

import sys

from cnncalc.problems import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, SpecError

TARGETS = ("pytorch",)


def run_export(spec: str, to: str, output: str | None, input_shape: str | None) -> int:
    """Export SPEC to the framework `to`, writing OUTPUT (stdout when None or '-'); return the exit code."""
    from cnncalc.diagnostics import text

    if to.lower() not in TARGETS:
        print(f"cnncalc export: --to {to!r} is not a target; choose one of {', '.join(TARGETS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        code = _export(spec, input_shape)
    except _Usage as exc:
        print(f"cnncalc export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SpecError as exc:
        print(text(exc.problem), file=sys.stderr)
        return EXIT_PROBLEMS
    from cnncalc.textout import write_output

    write_output(output, code)  # a failure is OutputError: the command line reports it (exit 74)
    return EXIT_OK


class _Usage(Exception):
    """Command-line misuse (exit 2)."""


def _export(spec: str, input_shape: str | None) -> str:
    """The exported PyTorch source for a spec file or bundled name, at its own input size or `input_shape`."""
    from cnncalc import bundled
    from cnncalc.analysis import analyze
    from cnncalc.export.pytorch import export_pytorch

    parsed = bundled.read_spec(spec)
    return export_pytorch(analyze(parsed, _input(input_shape, parsed.input))).code


def _input(text: str | None, file_input: tuple[int, ...]) -> tuple[int, ...] | None:
    """--input as `shape` reads it: the spatial sizes keep the file's channels (HxW, L, DxHxW), or the whole
    shape with channels (HxWxC, LxC, DxHxWxC), or N for a vector input."""
    if text is None:
        return None
    from cnncalc.quantities import parse_shape

    try:
        dims = parse_shape(text, 1, 4)
    except ValueError as exc:
        raise _Usage(f"--input: {exc}") from None
    rank = len(file_input)
    if rank > 1 and len(dims) == rank - 1:
        return (*dims, file_input[-1])
    if len(dims) != rank:
        forms = {1: "one number", 2: "L or LxC", 3: "HxW or HxWxC", 4: "DxHxW or DxHxWxC"}
        raise _Usage(f"--input: the file's input is {'x'.join(map(str, file_input))}; give {forms[rank]}")
    return dims
