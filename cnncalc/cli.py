"""The command line: parses options, calls the computing modules, prints what they return."""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Any, NoReturn, Optional

import typer

from cnncalc import __version__
from cnncalc.problems import EXIT_PROBLEMS, EXIT_USAGE, SpecError

EXIT_HELP = f"""
Exit codes: 0 success; {EXIT_PROBLEMS} a problem in an architecture file (or, for `check`, any error,
or any warning under --strict); {EXIT_USAGE} command-line misuse; 3 an internal error (please report it).
"""

app = typer.Typer(
    name="cnncalc",
    help="Shapes, parameters, multiply-adds and memory of CNNs, from YAML architecture files, without a "
         "deep-learning framework.\n\n"
         "Examples:\n\n"
         "  cnncalc shape vgg16                      # a bundled architecture, layer by layer\n\n"
         "  cnncalc shape my_net.yaml --format json  # every figure, for scripts\n\n"
         "  cnncalc params --filters 64 --kernel 3 --channels 256\n\n"
         "  cnncalc size --input 224 --kernel 3 --stride 2 --padding same\n\n"
         "  cnncalc check --strict specs/            # a CI gate\n\n" + EXIT_HELP,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    """Output formats of `shape`."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Dtype(str, Enum):
    """Value types for memory figures."""

    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


class Optimizer(str, Enum):
    """Optimizers for the training-memory estimate."""

    sgd = "sgd"
    momentum = "momentum"
    adam = "adam"


def _usage(message: str) -> NoReturn:
    raise typer.BadParameter(message)


def _fail(error: SpecError) -> NoReturn:
    from cnncalc.diagnostics import text

    sys.stderr.write(text(error.problem) + "\n")
    raise typer.Exit(EXIT_PROBLEMS)


def _is_terminal() -> bool:
    # Some CI runners allocate a pseudo-terminal; their logs still want no progress bars or colour.
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


def _console() -> Any:
    from rich.console import Console

    if _is_terminal():
        return Console(file=sys.stdout, highlight=False)
    # Pipes and CI logs get plain text: no colour, and a width that never wraps or truncates a row.
    return Console(file=sys.stdout, width=400, no_color=True, highlight=False, emoji=False, color_system=None)


def _version(value: bool) -> None:
    if value:
        print(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """cnncalc: CNN shapes, parameters and multiply-adds from architecture files."""


def _parse_shape(text: str | None, name: str, dims: tuple[int, int] = (1, 3)) -> tuple[int, ...] | None:
    if text is None:
        return None
    from cnncalc.quantities import parse_shape

    try:
        return parse_shape(text, *dims)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


def _columns(text: str | None) -> tuple[str, ...]:
    from cnncalc.render import COLUMNS, DEFAULT_COLUMNS

    if text is None:
        return DEFAULT_COLUMNS
    if text == "all":
        return COLUMNS
    chosen = tuple(c.strip() for c in text.split(",") if c.strip())
    for c in chosen:
        if c not in COLUMNS:
            raise typer.BadParameter(f"unknown column {c!r}; choose from {', '.join(COLUMNS)} or all",
                                     param_hint="--columns")
    return chosen


def _depth(text: str) -> int | None:
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise typer.BadParameter("give a number ≥ 0 or `all`", param_hint="--depth")
    return value


def _load(spec: str, input_shape: tuple[int, ...] | None) -> Any:
    from cnncalc import bundled
    from cnncalc.analysis import analyze
    from cnncalc.spec import load

    path = bundled.resolve(spec)
    try:
        if not os.path.exists(path) and os.sep not in spec and not spec.endswith((".yaml", ".yml")):
            from cnncalc.problems import Located, did_you_mean

            raise Located(spec, 1, 1).error(
                "file-not-found", f"no file and no bundled architecture named {spec!r}"
                f"{did_you_mean(spec, bundled.names())}; `cnncalc list` shows the bundled ones")
        return analyze(load(path), input_shape)
    except SpecError as exc:
        _fail(exc)


@app.command()
def shape(
    spec: str = typer.Argument(..., metavar="SPEC", help="An architecture file, or the name of a bundled one (`cnncalc list`)."),
    input: Optional[str] = typer.Option(None, "--input", "-i", help="Override the input, e.g. 320x320x3."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json, csv or markdown."),
    columns: Optional[str] = typer.Option(
        None, "--columns", "-c",
        help="Comma-separated columns: output, params, macs, memory, rf, weights, or all. "
             "Default: output,params,macs. JSON and CSV always carry every figure."),
    depth: str = typer.Option("1", "--depth", "-d",
                              help="Levels of blocks and repeats to expand (0 folds each to one row), or all."),
    dtype: Dtype = typer.Option(Dtype.float32, "--dtype", help="Value type for memory figures."),
    batch: int = typer.Option(1, "--batch", "-b", min=1, help="Batch size for activation and training memory."),
    optimizer: Optimizer = typer.Option(Optimizer.adam, "--optimizer",
                                        help="Optimizer for training memory: sgd (no state), momentum (1 value "
                                             "per parameter) or adam (2)."),
) -> None:
    """Layer-by-layer output shapes, parameters and multiply-adds of an architecture.

    MACs are multiply-accumulates of conv, depthwise, separable, deconv and dense layers, bias excluded
    (torchvision's "GFLOPS"); FLOPs are 2 × MACs. Memory is bytes in binary units (1 MiB = 2^20 bytes):
    a layer's column is its output for one sample; the training estimate counts weights (running
    statistics included), a gradient per trainable parameter, the optimizer's state (sgd 0, momentum 1,
    adam 2 values per trainable parameter) and every layer's output for the batch, kept for the backward
    pass; every tensor in --dtype (mixed-precision master copies and framework workspace not counted).
    """
    analysis = _load(spec, _parse_shape(input, "--input"))
    chosen, folded = _columns(columns), _depth(depth)
    from cnncalc import render
    from cnncalc.memory import estimate

    memory = estimate(analysis, batch, dtype.value, optimizer.value)
    if fmt is Format.table:
        console = _console()
        console.print(render.title(analysis), markup=False, style="bold")
        console.print(render.table(analysis, chosen, folded, dtype.value, ascii_only=not _is_terminal()))
        for line in render.footer(analysis, memory):
            console.print(line, markup=False)
        if analysis.warnings:
            from cnncalc.diagnostics import text

            for problem in analysis.warnings:
                sys.stderr.write(text(problem) + "\n")
        return
    if fmt is Format.markdown:
        sys.stdout.write(render.to_markdown(analysis, chosen, folded, memory))
    else:
        sys.stdout.write(render.FORMATS[fmt.value](analysis, memory))


def _pair_option(text: str | None, name: str) -> tuple[int, int] | None:
    if text is None:
        return None
    dims = _parse_shape(text, name, (1, 2))
    assert dims is not None
    return (dims[0], dims[0]) if len(dims) == 1 else (dims[0], dims[1])


@app.command()
def params(
    filters: Optional[int] = typer.Option(None, "--filters", "-F", min=1, help="Number of filters F."),
    kernel: Optional[str] = typer.Option(None, "--kernel", "-k", help="Kernel size: 3 or 3x5."),
    channels: Optional[int] = typer.Option(None, "--channels", "-C", min=1, help="Input channels C."),
    groups: int = typer.Option(1, "--groups", "-g", min=1, help="Groups (channels/groups per filter)."),
    units: Optional[int] = typer.Option(None, "--units", "-u", min=1, help="Dense: output units U."),
    inputs: Optional[int] = typer.Option(None, "--inputs", "-n", min=1, help="Dense: input features N."),
    bias: bool = typer.Option(True, "--bias/--no-bias", help="Count a bias per filter or unit."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead."),
) -> None:
    """Parameters of one convolution, F × (kh·kw·C/groups + 1), or dense layer, U × (N + 1).

    Examples: `cnncalc params --filters 64 --kernel 3 --channels 256` → 64 × (3·3·256 + 1) = 147,520;
    `cnncalc params --units 4096 --inputs 25088` → 4096 × (25088 + 1) = 102,764,544.
    """
    import json

    from cnncalc import formulas, render

    if units is not None or inputs is not None:
        if units is None or inputs is None:
            _usage("a dense layer needs both --units and --inputs")
        if filters is not None or kernel is not None or channels is not None:
            _usage("give either a convolution (--filters, --kernel, --channels) or a dense layer "
                   "(--units, --inputs), not both")
        total = formulas.dense_params(inputs, units, bias)
        if as_json:
            print(json.dumps({"kind": "dense", "units": units, "inputs": inputs, "bias": bias, "params": total}))
        else:
            print(render.explain_dense(inputs, units, bias, total))
        return
    missing = [n for n, v in (("--filters", filters), ("--kernel", kernel), ("--channels", channels)) if v is None]
    if missing:
        _usage(f"a convolution needs {', '.join(missing)} (or give --units and --inputs for a dense layer)")
    kh, kw = _pair_option(kernel, "--kernel")  # type: ignore[misc]
    assert filters is not None and channels is not None
    if channels % groups or filters % groups:
        _usage(f"--groups {groups} must divide both --channels {channels} and --filters {filters}")
    result = formulas.worked_conv_params(filters, kh, kw, channels, groups, bias)
    if as_json:
        print(json.dumps({"kind": "conv", "filters": filters, "kernel": [kh, kw], "channels": channels,
                          "groups": groups, "bias": bias, "weights": result.weights, "params": result.total}))
    else:
        print(render.explain_params(result))


@app.command()
def size(
    input: str = typer.Option(..., "--input", "-i", help="Input size: 224 or 224x160 (height x width)."),
    kernel: str = typer.Option(..., "--kernel", "-k", help="Kernel: 3 or 3x5."),
    stride: str = typer.Option("1", "--stride", "-s", help="Stride: 2 or 2x1."),
    padding: str = typer.Option("0", "--padding", "-p",
                                help="Padding: N, HxW, top,bottom,left,right, same (TensorFlow) or valid."),
    dilation: str = typer.Option("1", "--dilation", help="Dilation: 1 or 2x2."),
    transposed: bool = typer.Option(False, "--transposed", help="A transposed convolution (deconv)."),
    output_padding: int = typer.Option(0, "--output-padding", min=0, help="Transposed only: extra output size."),
    ceil: bool = typer.Option(False, "--ceil", help="Pooling's ceil mode (PyTorch ceil_mode)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead."),
) -> None:
    """Output size of a convolution or pooling window: ⌊(H − K + 2P)/S⌋ + 1, worked out.

    With dilation: ⌊(H + pt + pb − d(K − 1) − 1)/S⌋ + 1. Transposed: (H − 1)S − pt − pb + d(K − 1) + op + 1.
    When the division is not even it says what is floored away.
    """
    import json

    from cnncalc import formulas, render

    in_hw = _pair_option(input, "--input")
    k = _pair_option(kernel, "--kernel")
    s = _pair_option(stride, "--stride")
    d = _pair_option(dilation, "--dilation")
    assert in_hw and k and s and d
    pads: list[Any]
    if padding in ("same", "valid"):
        pads = [padding, padding]
    else:
        parts = padding.replace("x", ",").split(",")
        try:
            values = [int(p) for p in parts]
        except ValueError:
            values = []
        if len(values) == 1:
            values *= 4
        elif len(values) == 2:
            values = [values[0], values[0], values[1], values[1]]
        if len(values) != 4 or any(v < 0 for v in values):
            _usage("--padding takes N, HxW, top,bottom,left,right, same or valid")
        pads = [(values[0], values[1]), (values[2], values[3])]
    if not transposed and output_padding:
        _usage("--output-padding applies only with --transposed")
    if transposed and ceil:
        _usage("--ceil applies to pooling, not to --transposed")
    axes = []
    for i, name in enumerate(("height", "width")):
        pad = pads[i]
        span = formulas.effective_kernel(k[i], d[i])
        total_pad = 0 if isinstance(pad, str) else sum(pad)
        if not transposed and pad != "same" and span > in_hw[i] + total_pad:
            _usage(f"the {name} of the window ({span}) is larger than the padded input ({in_hw[i] + total_pad})")
        if transposed and output_padding and output_padding >= s[i] and output_padding >= d[i]:
            _usage("--output-padding must be smaller than the stride or the dilation")
        axes.append(formulas.worked_size(in_hw[i], k[i], s[i], pad, d[i], transposed, output_padding, ceil))
    square = in_hw[0] == in_hw[1] and k[0] == k[1] and s[0] == s[1] and d[0] == d[1] and pads[0] == pads[1]
    if any(a.out_size < 1 for a in axes):
        _usage("the output would be empty; use a larger input, more padding or a smaller stride")
    if as_json:
        print(json.dumps({"output": [a.out_size for a in axes] if not square else axes[0].out_size,
                          "even": all(a.remainder == 0 for a in axes),
                          "padding": [[a.pad_begin, a.pad_end] for a in axes]}))
        return
    if square:
        print(axes[0].out_size)
        for line in render.explain_size(axes[0]):
            print(line)
        return
    print(f"{axes[0].out_size}×{axes[1].out_size}")
    for name, axis in zip(("height", "width"), axes):
        for line in render.explain_size(axis):
            print(f"{name}: {line}")


@app.command()
def sizes(
    spec: str = typer.Argument(..., metavar="SPEC", help="An architecture file or the name of a bundled one."),
    range_: str = typer.Option("32:1024", "--range", "-r", help="Square input sizes LOW:HIGH to scan."),
    at: Optional[str] = typer.Option(None, "--size", "-s",
                                     help="Explain one input size (224 or 224x160) instead of scanning."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead."),
) -> None:
    """Input sizes for which every layer divides evenly and nothing is floored away.

    Scans square sizes (the file's channel count) and lists the clean ones compactly; with --size,
    says whether one size is clean and, if not, which layer breaks it and why.
    """
    import json

    from cnncalc import bundled, sizes as sizes_module
    from cnncalc.spec import load

    try:
        parsed = load(bundled.resolve(spec))
    except SpecError as exc:
        _fail(exc)
    if len(parsed.input) != 3:
        _usage("this network's input is a vector; only feature-map inputs have sizes to scan")
    if at is not None:
        dims = _parse_shape(at, "--size", (1, 2))
        assert dims is not None
        shape = (dims[0], dims[-1], parsed.input[2])
        verdict = sizes_module.try_size(parsed, shape)
        if as_json:
            print(json.dumps({"input": list(shape), "clean": verdict.clean,
                              "problem": verdict.problem.as_dict() if verdict.problem else None}))
        elif verdict.problem is None:
            print(f"{shape[0]}×{shape[1]}: clean: every layer divides evenly")
        else:
            from cnncalc.diagnostics import text

            print(f"{shape[0]}×{shape[1]}: not clean; the first layer that breaks it:")
            print(text(verdict.problem))
        raise typer.Exit(0 if verdict.clean else EXIT_PROBLEMS)
    try:
        low, high = (int(x) for x in range_.split(":"))
    except ValueError:
        _usage("--range takes LOW:HIGH, like 32:1024")
    if not 1 <= low <= high or high - low > 20_000:
        _usage("--range needs 1 ≤ LOW ≤ HIGH and at most 20,000 sizes")
    try:
        verdicts = sizes_module.scan(parsed, low, high)
    except SpecError as exc:  # the file does not analyse at its own input: say why, as `shape` does
        _fail(exc)
    clean = [v.input[0] for v in verdicts if v.clean]
    if as_json:
        print(json.dumps({"range": [low, high], "clean": clean}))
        return
    if not clean:
        print(f"no size from {low} to {high} divides evenly everywhere")
        raise typer.Exit(EXIT_PROBLEMS)
    parts = []
    for first, last, step in sizes_module.runs(clean):
        if step == 0:
            parts.append(str(first))
        elif first + step == last:
            parts.append(f"{first}, {last}")
        else:
            parts.append(f"{first}, {first + step}, …, {last} (every {step})")
    print(f"{len(clean)} clean input size{'s' if len(clean) != 1 else ''} from {low} to {high}: " + "; ".join(parts))


@app.command()
def schema() -> None:
    """Print a JSON Schema of the architecture format, for editors (yaml-language-server)."""
    import json

    from cnncalc.schema import schema as build

    print(json.dumps(build(), indent=2, ensure_ascii=False))


@app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead."),
) -> None:
    """The bundled architectures, with their parameters and multiply-adds."""
    import json

    from cnncalc import bundled
    from cnncalc.analysis import analyze
    from cnncalc.quantities import human
    from cnncalc.spec import load

    entries = []
    for name in bundled.names():
        path = str(bundled.specs_dir() / f"{name}.yaml")
        try:
            analysis = analyze(load(path))
        except SpecError as exc:  # a broken bundled file is a bug, but list the rest
            _fail(exc)
        entries.append((name, analysis))
    if as_json:
        print(json.dumps([{"name": n, "title": a.name, "description": a.spec.description,
                           "input": list(a.input), "params": a.totals.params, "macs": a.totals.macs}
                          for n, a in entries], indent=2, ensure_ascii=False))
        return
    from rich.markup import escape
    from rich.table import Table
    from rich import box

    table = Table(box=box.SIMPLE_HEAVY if _is_terminal() else box.ASCII)
    for header in ("Name", "Architecture", "Input", "Params", "MACs"):
        table.add_column(header, justify="right" if header in ("Params", "MACs") else "left")
    for name, a in entries:
        table.add_row(name, escape(a.name), "×".join(map(str, a.input)), f"{a.totals.params:,}", human(a.totals.macs))
    _console().print(table)


@app.command()
def kinds() -> None:
    """The layer kinds, their main argument and their other arguments."""
    from cnncalc.kinds import KINDS, REQUIRED, show_default

    for kind in KINDS.values():
        args = ", ".join(a if spec.default is REQUIRED else f"{a}={show_default(spec)}"
                         for a, spec in kind.args.items() if a != kind.main)
        aliases = f" (aliases: {', '.join(kind.aliases)})" if kind.aliases else ""
        main = f" <{kind.main}>" if kind.main else ""
        print(f"{kind.name}{main}{aliases}: {kind.summary}" + (f"; {args}" if args else ""))


class CheckFormat(str, Enum):
    """Output formats of `check`."""

    text = "text"
    parsable = "parsable"
    github = "github"
    json = "json"


def _budget(text: str | None, name: str, memory: bool = False) -> Any:
    if text is None:
        return None
    from cnncalc.quantities import parse_quantity

    try:
        return parse_quantity(int(text) if text.isdigit() else text, memory=memory)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from None


@app.command()
def check(
    paths: list[str] = typer.Argument(..., metavar="PATH", help="Files and directories (searched for *.yaml and *.yml)."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    fmt: Optional[CheckFormat] = typer.Option(
        None, "--format", "-f",
        help="text (default), parsable (path:line:col: [level] message (rule)), github (annotations; the default "
             "when GITHUB_ACTIONS=true) or json."),
    max_params: Optional[str] = typer.Option(None, "--max-params", help="Budget for every file, e.g. 5M."),
    max_macs: Optional[str] = typer.Option(None, "--max-macs", help="Budget for every file, e.g. 1.5G."),
    max_memory: Optional[str] = typer.Option(
        None, "--max-memory", help="Budget of float32 inference memory (parameters + activations), e.g. 500MB."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the problems, no summary line."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0,
                             help="Worker processes; 0 (the default) uses every core when there are many files."),
) -> None:
    """Check architecture files: structure, shapes, floored divisions, `expect:` figures and budgets.

    Every problem has a rule id, a level and a file:line:column. Exit codes: 0 clean, 1 any error
    (or any warning under --strict), 2 command-line misuse.
    """
    import gc

    from cnncalc import checks, diagnostics

    # Everything imported so far lives until exit; freezing it keeps the collector from re-scanning
    # it after every few files (composing YAML allocates many objects). Files are independent.
    gc.freeze()
    budgets = {k: v for k, v in (("max_params", _budget(max_params, "--max-params")),
                                 ("max_macs", _budget(max_macs, "--max-macs")),
                                 ("max_memory", _budget(max_memory, "--max-memory", memory=True))) if v}
    if fmt is None:
        fmt = CheckFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else CheckFormat.text
    files = list(checks.find_files(paths))
    found = [path for path, missing in files if missing is None]
    reports = checks.check_many(found, budgets, jobs or os.cpu_count() or 1)
    results: list[checks.FileResult] = []
    out = sys.stdout
    fancy = fmt is CheckFormat.text and _is_terminal()
    console = _console() if fancy else None
    progress = None
    if fancy and len(files) > 20:
        from rich.progress import Progress

        progress = Progress(console=console, transient=True)
        progress.start()
        task = progress.add_task("checking", total=len(files))
    try:
        for path, missing in files:
            # Reports carry only problems: holding every file's nodes and rows would make the
            # garbage collector re-scan a growing heap (it doubled the time for 1,000 files).
            result = checks.FileResult(path, [missing]) if missing else next(reports)
            results.append(result)
            if progress is not None:
                progress.advance(task)
            if fmt is CheckFormat.json or not result.problems:
                continue
            if fmt is CheckFormat.text:
                if console is not None:
                    from rich.markup import escape

                    console.print(f"[bold underline]{escape(path)}[/]")
                    for problem in result.problems:
                        console.print(diagnostics.rich_text(problem))
                    console.print()
                else:
                    out.write(path + "\n")
                    for p in result.problems:
                        out.write(f"  {p.line}:{p.column}  {p.level:<7}  {p.message}  ({p.rule})\n")
                    out.write("\n")
            else:
                line = diagnostics.LINE_FORMATS[fmt.value]
                out.write("".join(line(p) + "\n" for p in result.problems))
    finally:
        if progress is not None:
            progress.stop()
    problems = [p for r in results for p in r.problems]
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    if fmt is CheckFormat.json:
        import json

        out.write(json.dumps({"files": len(results), "errors": errors, "warnings": warnings,
                              "problems": [p.as_dict() for p in problems]}, indent=2, ensure_ascii=False) + "\n")
    elif not quiet:
        summary = (f"{len(results)} file{'s' if len(results) != 1 else ''} checked: {errors} error"
                   f"{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
        if fmt is CheckFormat.text:
            out.write(summary + "\n")
        else:
            sys.stderr.write(summary + "\n")
    if not results:
        sys.stderr.write("no architecture files found (*.yaml, *.yml)\n")
    failed = any(checks.is_error(p, strict) for p in problems)
    raise typer.Exit(EXIT_PROBLEMS if failed else 0)


def main() -> None:
    """Run the CLI; never lets a Python traceback reach the user."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the promise is no traceback, ever
        sys.stderr.write(f"cnncalc: internal error: {type(exc).__name__}: {exc}; please report this with the "
                         "file that caused it\n")
        sys.exit(3)
