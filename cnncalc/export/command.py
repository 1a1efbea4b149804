"""The body of `cnncalc export`: analyse the spec, write it as code for another framework, report problems."""

from __future__ import annotations

from cnncalc.core.problems import EXIT_OK

TARGETS = ("pytorch",)


def run_export(spec: str, to: str, output: str | None, input_shape: str | None) -> int:
    """Export SPEC to the framework `to`, writing OUTPUT (stdout when None or '-'); return the exit code.

    Misuse raises CommandLineError and a problem in the file SpecError: the command line reports both,
    as it does for every command."""
    from cnncalc.cli.options import choice
    from cnncalc.cli.textout import write_output

    choice(to.lower(), TARGETS, "--to")
    write_output(output, _export(spec, input_shape))  # a failure is OutputError: the command line reports it (exit 74)
    return EXIT_OK


def _export(spec: str, input_shape: str | None) -> str:
    """The exported PyTorch source for a spec file or bundled name, at its own input size or `input_shape`."""
    from cnncalc.catalog import bundled
    from cnncalc.core.analysis import analyze
    from cnncalc.export.pytorch import export_pytorch

    parsed = bundled.read_spec(spec)
    return export_pytorch(analyze(parsed, _input(input_shape, parsed.input))).code


def _input(text: str | None, file_input: tuple[int, ...]) -> tuple[int, ...] | None:
    """--input as `shape` reads it: the spatial sizes keep the file's channels (HxW, L, DxHxW), or the whole
    shape with channels (HxWxC, LxC, DxHxWxC), or N for a vector input."""
    if text is None:
        return None
    from cnncalc.cli.options import misuse
    from cnncalc.core.quantities import parse_shape

    try:
        dims = parse_shape(text, 1, 4)
    except ValueError as exc:
        misuse(str(exc), "--input")
    rank = len(file_input)
    if rank > 1 and len(dims) == rank - 1:
        return (*dims, file_input[-1])
    if len(dims) != rank:
        forms = {1: "one number", 2: "L or LxC", 3: "HxW or HxWxC", 4: "DxHxW or DxHxWxC"}
        misuse(f"the file's input is {'x'.join(map(str, file_input))}; give {forms[rank]}", "--input")
    return dims
