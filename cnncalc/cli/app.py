"""The command line: parses options, calls one computing function, hands the result to a renderer.

Every option reaches a command as the text the user typed (`clikit`) and is parsed by `options`, so
that start-up pays for no conversion machinery and every message about an option is written for
cnncalc. Computing lives in the modules each command calls (`calc`, `sizes`, `check_run`, `analysis`,
...), output in `render`, `reporters` and the other renderers; a command only wires them. Misuse
(`CommandLineError`, exit 2) and a problem in a file (`SpecError`, exit 1) are reported once, for every
command, by `clikit.Command`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Optional

import typer

from cnncalc import __version__

if TYPE_CHECKING:
    from cnncalc.memory.devices import Device

from cnncalc.cli import kit as clikit

from cnncalc.cli import options

from cnncalc.cli import textout
from cnncalc.cli.kit import Command, Group
from cnncalc.explain.render import FORMATS as EXPLAIN_RENDERERS
from cnncalc.core.memory import DTYPE_BYTES, OPTIMIZER_STATES
from cnncalc.core.problems import EXIT_PROBLEMS, EXIT_USAGE
from cnncalc.shape.render import FORMATS
from cnncalc.check.reporters import REPORTER_BY_NAME

EXIT_HELP = f"""
Exit codes: 0 success; {EXIT_PROBLEMS} a problem in an architecture file (or, for `check`, any error,
any warning under --strict, or no file to check); {EXIT_USAGE} command-line misuse; 3 an internal error
(please report it); {textout.EXIT_INTERRUPTED} interrupted (Ctrl-C); {textout.EXIT_BROKEN_PIPE} the reader of
the output went away (`| head`).
"""

# Value choices in help are the keys of the registries they select from.
DTYPES = "|".join(DTYPE_BYTES)
OPTIMIZERS = "|".join(OPTIMIZER_STATES)
SHAPE_FORMATS = "|".join(FORMATS)
CHECK_FORMATS = "|".join(REPORTER_BY_NAME)
EXPLAIN_FORMATS = "|".join(EXPLAIN_RENDERERS)
CONVENTIONS = "cnncalc|torchinfo|fvcore|ptflops|thop|calflops|calflops-macs|flopcounter"  # conventions.NAMES (a test holds them equal)
MEMORY_FORMATS = "text|json|markdown"  # memory.render.FORMATS (a test holds them equal)
PRECISIONS = "fp32|mixed-fp16|mixed-bf16|bf16"  # memory.plan.POLICIES


app = typer.Typer(
    name="cnncalc",
    cls=Group,
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


# --- helpers ---------------------------------------------------------------------------------

def _warn(problems: list[Any]) -> None:
    """Warnings of an analysis, on stderr (formats other than JSON leave them there)."""
    if problems:
        from cnncalc.check.diagnostics import text

        sys.stderr.write("".join(text(p) + "\n" for p in problems))


def _note(readings: list[str]) -> None:
    """How an option was read, where it is often meant otherwise, on stderr."""
    sys.stderr.write("".join(f"cnncalc: note: {reading}\n" for reading in readings))


def _write(text: str, code: int = 0) -> None:
    """Write a rendered result to stdout and end the command with `code`."""
    textout.write_output(None, text)
    if code:
        raise typer.Exit(code)


# Declarations several commands share (typer copies them for each command).
_SPEC = typer.Argument(..., metavar="SPEC", help="An architecture file, the name of a bundled one (`cnncalc list`), "
                                                 "or - for standard input.")
_SET = typer.Option(None, "--set", metavar="NAME=VALUE", help="Set a variable of the file's `vars:` (repeatable), "
                    "e.g. --set width=1.4; exact `expect:` is not checked.")
_CONVENTION = typer.Option(None, "--convention", metavar=CONVENTIONS,
                           help="Count as that tool does (its MACs or FLOPs, its parameters, its quirks): "
                                "docs/conventions.md has each rule.")


# --- commands --------------------------------------------------------------------------------

@app.command(cls=Command)
def shape(
    spec: str = _SPEC,
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE",
                                        help="Override the input: HxW (keeps the file's channels) or HxWxC, "
                                             "e.g. 320x320 or 320x320x3; N for a vector input."),
    fmt: str = typer.Option("table", "--format", "-f", metavar=SHAPE_FORMATS, help="Output format."),
    columns: Optional[str] = typer.Option(
        None, "--columns", "-c", metavar="LIST",
        help="Comma-separated columns: output, params, macs, memory, rf, weights, args (expanded arguments), or all. "
             "Default: output,params,macs. JSON and CSV always carry every figure."),
    depth: str = typer.Option("1", "--depth", "-d", metavar="N|all",
                              help="Levels of blocks and repeats to expand (0 folds each to one row), or all."),
    dtype: str = typer.Option("float32", "--dtype", metavar=DTYPES, help="Value type for memory figures."),
    batch: str = typer.Option("1", "--batch", "-b", metavar="N",
                              help="Batch size for activation and training memory."),
    optimizer: str = typer.Option("adam", "--optimizer", metavar=OPTIMIZERS,
                                  help="Optimizer for training memory: sgd (no state), momentum (1 value "
                                       "per parameter) or adam (2)."),
    convention: Optional[str] = _CONVENTION,
    set_: Optional[list[str]] = _SET,
) -> None:
    """Layer-by-layer output shapes, parameters and multiply-adds of an architecture.

    MACs are multiply-accumulates of conv, depthwise, separable, deconv and dense layers, bias excluded
    (torchvision's "GFLOPS"); FLOPs are 2 × MACs. Memory is bytes in binary units (1 MiB = 2^20 bytes):
    a layer's column is its output for one sample; the training estimate counts weights (running
    statistics included), a gradient per trainable parameter, the optimizer's state (sgd 0, momentum 1,
    adam 2 values per trainable parameter) and every layer's output for the batch, kept for the backward
    pass; every tensor in --dtype (mixed-precision master copies and framework workspace not counted).
    """
    options.choice(fmt, FORMATS, "--format")
    chosen, folded, count = options.columns(columns), options.depth(depth), options.whole(batch, "--batch")
    from cnncalc.shape import render
    from cnncalc.core.limits import collector_paused
    from cnncalc.core.memory import estimate

    with collector_paused():  # the analysis and its rows are acyclic: collections would only re-scan them
        analysis = options.analysed(spec, input, set_)
        memory = estimate(analysis, count or 1, options.choice(dtype, DTYPE_BYTES, "--dtype"),
                          options.choice(optimizer, OPTIMIZER_STATES, "--optimizer"))
        view = render.TableView(analysis, memory, chosen, folded, options.counted(analysis, convention))
        text = None if fmt == "table" and textout.is_terminal() else render.FORMATS[fmt](view)
    if text is None:
        render.show_table(view)
    else:
        textout.write_output(None, text)
    if fmt != "json":  # JSON carries its warnings; every other format leaves them to stderr
        _warn(analysis.warnings)


@app.command(cls=Command)
def params(
    filters: Optional[str] = typer.Option(None, "--filters", "-F", metavar="N", help="Number of filters F."),
    kernel: Optional[str] = typer.Option(None, "--kernel", "-k", metavar="K",
                                         help="Kernel size: 3 (3×3), 3x5, or 3x7x7 for a 3-D convolution."),
    channels: Optional[str] = typer.Option(None, "--channels", "-C", metavar="N", help="Input channels C."),
    groups: str = typer.Option("1", "--groups", "-g", metavar="N", help="Groups (channels/groups per filter)."),
    units: Optional[str] = typer.Option(None, "--units", "-u", metavar="N[,N...]",
                                        help="Dense: output units U (a list for stacked layers: 128,128,128)."),
    inputs: Optional[str] = typer.Option(None, "--inputs", "-n", metavar="N|HxWxC",
                                         help="Dense: input features N, or a shape to flatten (224x224x3)."),
    bias: bool = typer.Option(True, "--bias/--no-bias", help="Count a bias per filter or unit."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead."),
) -> None:
    """Parameters of one convolution, F × (kh·kw·C/groups + 1), or dense layer, U × (N + 1).

    Examples: `cnncalc params --filters 64 --kernel 3 --channels 256` → 64 × (3·3·256 + 1) = 147,520;
    `cnncalc params --filters 64 --kernel 3x7x7 --channels 3 --no-bias` → 64 × 3·7·7·3 = 28,224;
    `cnncalc params --units 4096 --inputs 25088` → 4096 × (25088 + 1) = 102,764,544.
    """
    from cnncalc.calc import requests as calc
    from cnncalc.shape import render

    text = options.ParamsText(filters, kernel, channels, groups, units, inputs, bias)
    result = calc.layer_params(options.layer_params(text))
    _note(options.params_readings(text, result))
    _write(render.params_json(result) if as_json else render.params_text(result))


@app.command(cls=Command)
def size(
    input: str = typer.Option(..., "--input", "-i", metavar="H[xW]",
                              help="Input size: 224 (every axis, so also a 1-D length), 224x160 (height x "
                                   "width) or 16x112x112 (depth x height x width)."),
    kernel: str = typer.Option(..., "--kernel", "-k", metavar="K", help="Kernel: 3, 3x5 or 3x7x7."),
    stride: str = typer.Option("1", "--stride", "-s", metavar="S", help="Stride: 2, 2x1 or 1x2x2."),
    padding: str = typer.Option("0", "--padding", "-p", metavar="P",
                                help="Padding: N, one per axis (HxW, DxHxW), begin,end per axis "
                                     "(top,bottom,left,right), same (TensorFlow) or valid."),
    dilation: str = typer.Option("1", "--dilation", metavar="D", help="Dilation: 1, 2x2 or 1x2x2."),
    transposed: bool = typer.Option(False, "--transposed", help="A transposed convolution (deconv)."),
    output_padding: str = typer.Option("0", "--output-padding", metavar="N",
                                       help="Transposed only: extra output size."),
    ceil: bool = typer.Option(False, "--ceil", help="Pooling's ceil mode (PyTorch ceil_mode)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object instead."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="H[xW]",
                                         help="Solve for the padding that gives this output size."),
    keep: bool = typer.Option(False, "--keep", help="Solve for the padding that keeps the size (⌈H/S⌉)."),
    rank: Optional[str] = typer.Option(None, "--rank", metavar="1|2|3",
                                       help="Spatial axes: 1 for a 1-D window (a length), 3 for a volume; by "
                                            "default the most axes any value has, or 2."),
) -> None:
    """Output size of a convolution or pooling window: ⌊(H − K + 2P)/S⌋ + 1, worked out.

    With dilation: ⌊(H + pt + pb − d(K − 1) − 1)/S⌋ + 1. Transposed: (H − 1)S − pt − pb + d(K − 1) + op + 1.
    When the division is not even it says what is floored away. The rank is 2 unless a value has three
    axes (`--input 16x112x112`, `--kernel 3x7x7`) or --rank says (`--rank 1 --input 16000 --kernel 80`);
    one number applies to every axis. With --output or
    --keep it solves for the padding instead (2-D), and says when no symmetric padding works and which
    asymmetric one does.
    """
    text = options.WindowText(input, kernel, stride, dilation, padding, output_padding, rank, transposed, ceil)
    from cnncalc.calc import requests as calc

    if output is not None or keep:
        from cnncalc.explain import render as explain_render

        solutions = calc.solve_window(options.solve_request(text, output, keep))
        unsolved = any(s.padding is None for s in solutions)
        render_padding = explain_render.padding_json if as_json else explain_render.padding_text
        _write(render_padding(solutions), EXIT_PROBLEMS if unsolved else 0)
        return
    from cnncalc.shape import render

    axes = calc.window_sizes(options.window(text))
    _note(options.window_readings(text))
    _write(render.size_json(axes) if as_json else render.size_text(axes))


@app.command(cls=Command)
def sizes(
    spec: str = _SPEC,
    range_: Optional[str] = typer.Option(None, "--range", "-r", metavar="LOW:HIGH",
                                         help="Square (cube) input sizes LOW:HIGH to scan; default 32:1024 for a "
                                              "network whose input lies there, else half to twice its input."),
    at: Optional[str] = typer.Option(None, "--size", "-s", metavar="H[xW]",
                                     help="Explain one input size (224, 224x160, 16x112x112) instead of scanning."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead."),
    set_: Optional[list[str]] = _SET,
) -> None:
    """Input sizes for which every layer divides evenly and nothing is floored away.

    Scans square sizes (the file's channel count; every axis of a 1-D or 3-D input) and lists the clean
    ones compactly; with --size, says whether one size is clean and, if not, which layer breaks it and why.
    """
    from cnncalc.shape import render
    from cnncalc.sizes import scan

    parsed = options.architecture(spec, set_)
    if len(parsed.input) < 2:
        options.misuse("this network's input is a vector; only feature-map inputs have sizes to scan")
    if at is not None:
        verdict = scan.try_size(parsed, options.size_at(at, parsed.input))
        near = (None, None) if verdict.clean else scan.nearest_clean(parsed, verdict.input)
        _write(render.verdict_json(verdict, near) if as_json else render.verdict_text(verdict, near),
               0 if verdict.clean else EXIT_PROBLEMS)
        return
    low, high = options.scan_range(range_, parsed.input)
    progress = textout.Progress("scanning input sizes", high - low + 1)  # shown on a terminal after 1 s
    try:
        clean = scan.clean_sizes(parsed, low, high, progress.update)
    finally:
        progress.done()
    _write(render.sizes_json(clean, low, high) if as_json else render.sizes_text(clean, low, high),
           0 if clean or as_json else EXIT_PROBLEMS)


@app.command(cls=Command)
def schema(
    config: bool = typer.Option(False, "--config",
                                help="The schema of check's settings (.cnncalc.yaml, [tool.cnncalc]) instead."),
) -> None:
    """Print a JSON Schema of the architecture format, for editors (yaml-language-server)."""
    from cnncalc.shape import render
    from cnncalc.core import schema as schemas

    _write(render.json_document(schemas.config_schema() if config else schemas.schema()))


@app.command("list", cls=Command)
def list_(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead."),
) -> None:
    """The bundled architectures, with their parameters and multiply-adds."""
    from cnncalc.catalog import bundled
    from cnncalc.shape import render

    entries = bundled.entries()  # a broken bundled file is a bug: its SpecError says which
    if as_json:
        _write(render.listing_json(entries))
    elif textout.is_terminal():
        render.show_listing(entries)
    else:
        _write(render.listing_text(entries))


@app.command(cls=Command)
def kinds() -> None:
    """The layer kinds, their main argument and their other arguments."""
    from cnncalc.core.kinds import KINDS
    from cnncalc.shape.render import kind_line

    _write("".join(kind_line(kind) + "\n" for kind in KINDS.values()))


@app.command(cls=Command)
def check(
    paths: list[str] = typer.Argument(..., metavar="PATH...",
                                      help="Files and directories (searched for *.yaml and *.yml), or - for "
                                           "standard input."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f", metavar=CHECK_FORMATS,
        help="text (default), parsable (path:line:col: [level] message (rule)), github (annotations; the default "
             "when GITHUB_ACTIONS=true), json or sarif (SARIF 2.1.0, for code scanning)."),
    select: list[str] = typer.Option([], "--select", metavar="RULES",
                                     help="Report only these rules (comma-separated ids; repeatable)."),
    ignore: list[str] = typer.Option([], "--ignore", metavar="RULES",
                                     help="Do not report these rules (warnings and expect/budget errors)."),
    exclude: list[str] = typer.Option([], "--exclude", metavar="GLOB", help="Skip files matching GLOB (repeatable)."),
    config: Optional[str] = typer.Option(None, "--config", metavar="FILE",
                                         help="Settings file (.cnncalc.yaml or pyproject.toml); default: the "
                                              "nearest one above the checked paths."),
    report_dir: Optional[str] = typer.Option(None, "--report-dir", metavar="DIR",
                                             help="Also write an HTML report of each file that analyses into DIR."),
    max_params: Optional[str] = typer.Option(None, "--max-params", metavar="N",
                                             help="Budget for every file, e.g. 5M."),
    max_macs: Optional[str] = typer.Option(None, "--max-macs", metavar="N", help="Budget for every file, e.g. 1.5G."),
    max_memory: Optional[str] = typer.Option(
        None, "--max-memory", metavar="BYTES",
        help="Budget of float32 inference memory (parameters + activations), e.g. 500MB."),
    max_peak_memory: Optional[str] = typer.Option(
        None, "--max-peak-memory", metavar="BYTES",
        help="Budget of float32 parameters plus peak live activations (`cnncalc memory`), e.g. 100MB."),
    max_train_memory: Optional[str] = typer.Option(
        None, "--max-train-memory", metavar="BYTES",
        help="Budget of one float32 training step with Adam at batch 1 (`cnncalc memory --train`), e.g. 1GB."),
    convention: Optional[str] = typer.Option(None, "--convention", metavar=CONVENTIONS,
                                             help="Check --max-macs against this tool's count (its unit)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the problems, no summary line."),
    jobs: str = typer.Option("0", "--jobs", "-j", metavar="N",
                             help="Worker processes; 0 (the default) uses every core when there are many files."),
    set_: Optional[list[str]] = _SET,
) -> None:
    """Check architecture files: structure, shapes, floored divisions, `expect:` figures and budgets.

    Every problem has a rule id, a level and a file:line:column. Exit codes: 0 clean, 1 any error
    (or any warning under --strict, or no file to check), 2 command-line misuse.
    """
    import gc

    from cnncalc.check import run as check_run

    from cnncalc.check import config as cfg

    from cnncalc.check import reporters

    # Everything imported so far lives until exit; freezing it keeps the collector from re-scanning
    # it after every few files (composing YAML allocates many objects). Files are independent.
    gc.freeze()
    settings = cfg.for_check(config, list(paths), list(select), list(ignore), list(exclude))
    budgets = {**settings.budgets, **options.convention(convention),
               **options.budgets(max_params, max_macs, max_memory, max_peak_memory, max_train_memory)}
    name = options.check_format(fmt, REPORTER_BY_NAME)
    run = check_run.CheckRun(settings, budgets, options.workers(jobs), options.set_vars(set_), report_dir)
    files = check_run.files(settings, list(paths))
    reporter = reporters.make(name, total=len(files), fancy=name == "text" and textout.is_terminal(), quiet=quiet)
    failed = reporters.run(reporter, check_run.results(run, files), strict or settings.strict)
    raise typer.Exit(EXIT_PROBLEMS if failed else 0)


@app.command(cls=Command)
def diff(
    a: str = typer.Argument(..., metavar="A", help="The old architecture: a file or a bundled name."),
    b: Optional[str] = typer.Argument(None, metavar="[B]", help="The new one (or leave it out and give --rev)."),
    rev: Optional[str] = typer.Option(None, "--rev", metavar="REV",
                                      help="Compare A as it was at this git revision with A now."),
    fmt: str = typer.Option("table", "--format", "-f", metavar="table|markdown|json", help="Output format."),
    fail_on: list[str] = typer.Option([], "--fail-on", metavar="METRIC:[+|-]AMOUNT[%]",
                                      help="Exit 1 when a total changes by more, e.g. params:+5% or macs:+1G "
                                           "(params, trainable, non_trainable, macs, memory; repeatable)."),
    convention: Optional[str] = _CONVENTION,
) -> None:
    """Compare two architectures layer by layer: added, removed and changed layers, and the totals."""
    from cnncalc.diff.command import run_diff

    raise typer.Exit(run_diff(a, b, rev, fmt, list(fail_on), convention))


@app.command("import", cls=Command)
def import_(
    source: str = typer.Argument(..., metavar="FILE", help="An ONNX graph (.onnx), a Darknet cfg (.cfg) or an "
                                                           "Ultralytics model YAML (.yaml)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write the architecture file here (default: standard output)."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE",
                                        help="Input size where the file leaves it open: 416, 416x320 or 416x320x3."),
    partial: bool = typer.Option(False, "--partial",
                                 help="Write what maps; unmapped operators become warnings instead of an error."),
    scale: Optional[str] = typer.Option(None, "--scale", metavar="n|s|m|l|x",
                                        help="An Ultralytics YAML's scale (default: from the file name, as "
                                             "yolov8n.yaml, else the file's first)."),
) -> None:
    """Turn an ONNX graph, a Darknet .cfg or an Ultralytics model YAML into a cnncalc architecture file
    (`... | cnncalc shape -`)."""
    from cnncalc.importers.command import run_import

    raise typer.Exit(run_import(source, output, input, partial, scale))


@app.command(cls=Command)
def diagram(
    spec: str = _SPEC,
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="net.svg, or net.png (needs cairosvg or chromium); default: SVG "
                                              "on standard output."),
    style: str = typer.Option("graph", "--style", metavar="graph|blocks",
                              help="graph: one box per layer or block, with every edge; blocks: 3-D slabs."),
    direction: str = typer.Option("TB", "--direction", metavar="TB|LR", help="Top to bottom or left to right."),
    depth: str = typer.Option("1", "--depth", "-d", metavar="N|all", help="Levels of blocks to expand, as `shape`."),
    label: str = typer.Option("none", "--label", metavar="params,macs|all|none",
                              help="Extra figures in each box."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE", help="Override the input."),
) -> None:
    """Draw the network as a standalone SVG (or PNG): no Graphviz, no JavaScript, deterministic."""
    from cnncalc.draw import command as draw_command

    chosen = draw_command.options(style, direction, options.depth(depth), label)
    output = options.drawing_output(output, (".svg", ".png"), "a diagram")
    raise typer.Exit(draw_command.write_diagram(options.analysed(spec, input), chosen, output))


@app.command(cls=Command)
def report(
    spec: str = _SPEC,
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="The HTML file (default: standard output)."),
    style: str = typer.Option("graph", "--style", metavar="graph|blocks", help="The diagram's style."),
    direction: str = typer.Option("TB", "--direction", metavar="TB|LR", help="The diagram's direction."),
    depth: str = typer.Option("1", "--depth", "-d", metavar="N|all", help="Levels of blocks to expand."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE", help="Override the input."),
) -> None:
    """One self-contained HTML report: totals, the diagram, the full table, and where the cost sits."""
    from cnncalc.draw import command as draw_command

    chosen = draw_command.options(style, direction, options.depth(depth), "none")
    output = options.drawing_output(output, (".html", ".htm"), "the report")
    raise typer.Exit(draw_command.write_html_report(options.analysed(spec, input), chosen, output))


@app.command("explain", cls=Command)
def explain_command(
    spec: str = _SPEC,
    layers: Optional[list[str]] = typer.Option(
        None, "--layer", "-l", metavar="NAME|INDEX",
        help="Explain only this layer (its name, its number in `shape`, or a block's name for its layers); "
             "repeat for several. Default: every layer, with the trail of size changes."),
    fmt: str = typer.Option("text", "--format", "-f", metavar=EXPLAIN_FORMATS, help="Output format."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE",
                                        help="Override the input: HxW (keeps the file's channels) or HxWxC."),
    dtype: str = typer.Option("float32", "--dtype", metavar=DTYPES, help="Value type for memory figures."),
    convention: Optional[str] = _CONVENTION,
    against: Optional[str] = typer.Option(None, "--against", metavar=CONVENTIONS,
                                          help="Compare --convention (default cnncalc) with this one, layer by "
                                               "layer: where they differ and what each tool's rule says."),
) -> None:
    """Every figure worked out, layer by layer, the way a textbook shows it.

    Output size per axis with the formula filled in (and what a floored division drops), parameters,
    multiply-adds, memory, the receptive-field recurrence, how merges combine shapes, and for each
    convolution what a dense layer between the same shapes would need.
    """
    from cnncalc.explain import steps as explain
    from cnncalc.explain import render as explain_render

    options.choice(fmt, explain_render.FORMATS, "--format")
    options.choice(dtype, explain.DTYPE_BYTES, "--dtype")
    analysis = options.analysed(spec, input)
    if against is not None or convention is not None:
        return _conventions(analysis, convention or "cnncalc", against or "cnncalc", fmt)
    try:
        result = explain.explain_analysis(analysis, list(layers or ()), dtype)
    except explain.UnknownLayer as exc:
        options.misuse(str(exc), "--layer")
    if fmt == "text" and textout.is_terminal():  # lines broken between words, never inside a number
        import shutil

        textout.write_output(None, explain_render.text(result, shutil.get_terminal_size().columns))
    else:
        textout.write_output(None, explain_render.FORMATS[fmt](result))
    if fmt != "json":
        _warn(analysis.warnings)


def _conventions(analysis: Any, first: str, second: str, fmt: str) -> None:
    """`explain --convention A --against B`: the two counts compared, layer type by layer type."""
    from cnncalc.conventions import NAMES, NotModelled
    from cnncalc.conventions import compare, render as conventions_render

    for name, option in ((first, "--convention"), (second, "--against")):
        options.choice(name, NAMES, option)
    try:
        result = compare.compare(analysis, first, second)
    except NotModelled as exc:
        options.misuse(str(exc), "--convention")
    textout.write_output(None, conventions_render.FORMATS[fmt](result))


@app.command(cls=Command)
def memory(
    spec: str = _SPEC,
    batch: str = typer.Option("1", "--batch", "-n", metavar="N", help="Samples per inference (or training step)."),
    dtype: str = typer.Option("float32", "--dtype", metavar=DTYPES, help="Value type of weights and activations."),
    fit: Optional[str] = typer.Option(None, "--fit", metavar="SIZE|DEVICE",
                                      help="Device memory (24GiB, 512MB, or a --device name): the largest batch "
                                           "that fits."),
    fit_input: bool = typer.Option(False, "--fit-input", help="With --fit or --device: also the largest input "
                                                               "side that fits at --batch."),
    margin: str = typer.Option("0%", "--margin", metavar="PCT", help="Part of the device held back (10%)."),
    overhead: Optional[str] = typer.Option(None, "--overhead", metavar="BYTES",
                                           help="Fixed bytes the device spends elsewhere (a CUDA context, 500MiB)."),
    device: Optional[str] = typer.Option(None, "--device", metavar="NAME",
                                         help="A device (`--device list` names them): its memory for the fit, "
                                              "and a roofline time bound."),
    train: bool = typer.Option(False, "--train", help="Also one training step: what the forward pass saves for the "
                                                     "backward pass, gradients and optimizer state."),
    optimizer: str = typer.Option("adam", "--optimizer", metavar=OPTIMIZERS + "|K",
                                  help="With --train: the optimizer (K: K state values per parameter)."),
    precision: Optional[str] = typer.Option(None, "--precision", metavar=PRECISIONS,
                                            help="Training precision policy (implies --train); default: every "
                                                 "tensor in --dtype."),
    checkpoint: list[str] = typer.Option([], "--checkpoint", metavar="NAME",
                                         help="Recompute this block use in the backward pass (repeatable; `blocks`: "
                                              "every innermost block use). Implies --train."),
    quantize: Optional[str] = typer.Option(None, "--quantize", metavar="W8A8|W4A16|fp8",
                                           help="Weight and activation bits of a quantized deployment."),
    scales: str = typer.Option("per-channel", "--scales", metavar="per-tensor|per-channel|per-group[:G]",
                               help="With --quantize: how weights share their float32 scales."),
    keep: list[str] = typer.Option([], "--keep", metavar="NAME",
                                   help="With --quantize: a layer or block use kept in float32 (repeatable)."),
    fmt: str = typer.Option("text", "--format", "-f", metavar=MEMORY_FORMATS, help="Output format."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE", help="Override the input."),
    set_: Optional[list[str]] = _SET,
) -> None:
    """Will it fit? Peak live memory of an inference (the most bytes alive at once as PyTorch frees each tensor
    after its last reader, the layer where it peaks and what is alive then, beside the naive sum); one training
    step under a precision policy, with activation checkpointing; quantized flash and RAM; with --fit or --device,
    the largest batch (and input side) that fits, exactly; with --device, a roofline time bound.
    """
    from cnncalc.memory import command, render as memory_render

    options.choice(fmt, memory_render.FORMATS, "--format")
    devices = _devices(device, fit)
    if device == "list" or fit == "list":
        textout.write_output(None, "".join(f"{d.name:<12}{d.note}\n" for d in devices.values()))
        return
    request = options.memory_request(options.MemoryText(
        batch, dtype, train, optimizer, precision, list(checkpoint), fit, fit_input, margin, overhead, device,
        quantize, scales, list(keep)), devices)
    parsed = options.architecture(spec, set_)
    from cnncalc.core.analysis import analyze

    analysis = analyze(parsed, options.input_override(input, parsed.input))
    try:
        result = command.report(parsed, analysis, request)
    except command.Misuse as exc:
        options.misuse(exc.message, exc.option)
    textout.write_output(None, memory_render.FORMATS[fmt](result))


def _devices(device: str | None, fit: str | None) -> dict[str, Device]:
    """The devices `--device` and `--fit` may name: the table, and the configuration file's nearest the working
    directory (`devices:`), read only when a name is not in the table (a size such as 24GiB is not a name)."""
    if device is None and fit is None:
        return {}
    import os

    from cnncalc.memory.devices import DEVICES

    names = {name for name in (device, fit) if name is not None and not name[:1].isdigit()}
    if names <= set(DEVICES):
        return dict(DEVICES)
    from cnncalc.check import config as cfg

    return {**DEVICES, **cfg.discover([os.getcwd()]).devices}


@app.command("export", cls=Command)
def export_(
    spec: str = _SPEC,
    to: str = typer.Option("pytorch", "--to", "-t", metavar="pytorch", help="The framework to write code for."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write the module here (default: standard output)."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE",
                                        help="Export at another input: HxW (keeps the file's channels) or HxWxC."),
) -> None:
    """Write the network as a readable, runnable PyTorch module (one nn.Module class per block).

    The module's header states cnncalc's totals; its figures equal them layer by layer.
    """
    from cnncalc.export.command import run_export

    raise typer.Exit(run_export(spec, to, output, input))


def main() -> None:
    """Run the CLI; never lets a Python traceback reach the user, whatever the output stream can encode."""
    clikit.run(app)
