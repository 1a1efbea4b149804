"""The command line: parses options, calls one computing function, hands the result to a renderer.

Every option reaches a command as the text the user typed (see `_AsGiven`) and is parsed here, so that
start-up pays for no conversion machinery and every message about an option is written for cnncalc.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, NamedTuple, NoReturn, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from cnncalc import __version__, textout
from cnncalc.problems import EXIT_PROBLEMS, EXIT_USAGE, SpecError
from cnncalc.render import FORMATS
from cnncalc.reporters import REPORTER_BY_NAME

UsageError = typer.BadParameter.__mro__[1]  # click's UsageError, which typer does not re-export

EXIT_HELP = f"""
Exit codes: 0 success; {EXIT_PROBLEMS} a problem in an architecture file (or, for `check`, any error,
any warning under --strict, or no file to check); {EXIT_USAGE} command-line misuse; 3 an internal error
(please report it); {textout.EXIT_INTERRUPTED} interrupted (Ctrl-C); {textout.EXIT_BROKEN_PIPE} the reader of
the output went away (`| head`).
"""

# Value choices in help come from the registries they select from (memory's are checked by a test:
# importing memory here would load the analysis chain for `--help`).
DTYPES = "float32|float16|bfloat16|int8"
OPTIMIZERS = "sgd|momentum|adam"
SHAPE_FORMATS = "|".join(FORMATS)
CHECK_FORMATS = "|".join(REPORTER_BY_NAME)


class _AsGiven:
    """Runtime conversion that hands click's text to the command unchanged.

    typer 0.29 converts each value through a pydantic adapter: ~70 ms of start-up, and messages such as
    "Input should be a valid integer". cnncalc parses its own options instead.
    """

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """The value as typed; an absent multi-value argument as an empty tuple."""
        if value is None and (param.multiple or param.nargs == -1):
            return ()
        return value


_AS_GIVEN = _AsGiven()


def _as_written(param: Any) -> None:
    """Make one parameter skip typer's conversion and show its metavar as written (no `{SPEC}`, `<str>`)."""
    if hasattr(param, "get_runtime_param"):
        param.get_runtime_param = lambda: _AS_GIVEN
    if param.param_type_name == "argument" and param.metavar:
        metavar = param.metavar
        param._usage_display_name = lambda: metavar
        param.display_type_rich = lambda ctx: None
        param.display_type = lambda ctx: None


def _guarded(invoke: Callable[[Any], Any], ctx: Any) -> Any:
    """Run a command: Ctrl-C is one line and 130, a closed pipe is quiet, whatever the command."""
    try:
        return invoke(ctx)
    except KeyboardInterrupt:
        sys.stderr.write("cnncalc: interrupted\n")
        raise typer.Exit(textout.EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        textout.silence_stdout()
        raise typer.Exit(textout.EXIT_BROKEN_PIPE) from None


class _AsWritten:
    """Mixin: every parameter, --help included (typer adds it late), arrives as given."""

    def get_params(self, ctx: Any) -> Any:
        """The parameters, made to arrive as given."""
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            _as_written(param)
        return params


class Command(_AsWritten, TyperCommand):
    """A typer command whose options arrive as text and whose interrupts and closed pipes are handled."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command under `_guarded`."""
        return _guarded(super().invoke, ctx)


class Group(_AsWritten, TyperGroup):
    """The top-level group, whose --version option also arrives as given."""


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

def _usage(message: str, name: str | None = None) -> NoReturn:
    if name is None:  # about the command line as a whole, not one option
        raise UsageError(message)
    raise typer.BadParameter(message, param_hint=name)


def _fail(error: SpecError) -> NoReturn:
    from cnncalc.diagnostics import text

    sys.stderr.write(text(error.problem) + "\n")
    raise typer.Exit(EXIT_PROBLEMS)


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


# --- option parsers: text as typed -> values, with messages that say what to write -------------

def _whole(text: str | None, name: str, minimum: int = 1) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        _usage(f"expected a whole number ≥ {minimum}, got {text!r}", name)
    if value < minimum:
        _usage(f"expected a whole number ≥ {minimum}, got {value}", name)
    return value


def _choice(text: str, choices: Any, name: str) -> str:
    if text not in choices:
        _usage(f"{text!r} is not one of {', '.join(choices)}", name)
    return text


def _parse_shape(text: str | None, name: str, dims: tuple[int, int] = (1, 3)) -> tuple[int, ...] | None:
    if text is None:
        return None
    from cnncalc.quantities import parse_shape

    try:
        return parse_shape(text, *dims)
    except ValueError as exc:
        _usage(str(exc), name)


def _pair(text: str, name: str) -> tuple[int, int]:
    dims = _parse_shape(text, name, (1, 2))
    assert dims is not None
    return (dims[0], dims[0]) if len(dims) == 1 else (dims[0], dims[1])


def _columns(text: str | None) -> tuple[str, ...]:
    from cnncalc.render import COLUMNS, DEFAULT_COLUMNS

    if text is None:
        return DEFAULT_COLUMNS
    if text == "all":
        return COLUMNS
    chosen = tuple(c.strip() for c in text.split(",") if c.strip())
    for c in chosen:
        if c not in COLUMNS:
            _usage(f"unknown column {c!r}; choose from {', '.join(COLUMNS)} or all", "--columns")
    return chosen


def _depth(text: str) -> int | None:
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        _usage("give a number ≥ 0 or `all`", "--depth")
    return value


# --- loading ---------------------------------------------------------------------------------

def input_override(text: str | None, file_input: tuple[int, ...]) -> tuple[int, ...] | None:
    """The --input shape: HxW (L, DxHxW: the file's spatial axes) keeps the file's channels; a form that could
    mean two things is refused."""
    dims = _parse_shape(text, "--input", (1, 4))
    if dims is None:
        return None
    if len(file_input) > 1 and len(dims) == len(file_input) - 1:
        return (*dims, file_input[-1])
    if len(file_input) == 4 and len(dims) == 1:
        _usage(f"the file's input is {'x'.join(map(str, file_input))}; give DxHxW (keeping its "
               f"{file_input[-1]} channels) or DxHxWxC, not one number", "--input")
    if len(file_input) == 3 and len(dims) == 1:
        _usage(f"the file's input is {'x'.join(map(str, file_input))}; give HxW (keeping its "
               f"{file_input[2]} channels) or HxWxC, not one number", "--input")
    if len(file_input) == 1 and len(dims) == 2:
        _usage(f"the file's input is a vector of {file_input[0]}; give one number, or HxWxC for a feature map",
               "--input")
    return dims


SET_HELP = "Set a variable of the file's `vars:` (repeatable), e.g. --set width=1.4; exact `expect:` is not checked."


def set_vars(pairs: list[str] | None) -> dict[str, Any] | None:
    """--set NAME=VALUE (repeatable) as {name: value}: a whole or decimal number, true/false, or a word."""
    if not pairs:
        return None
    values: dict[str, Any] = {}
    for pair in pairs:
        name, equals, text = (part.strip() for part in pair.partition("="))
        if not equals or not name.isidentifier() or not text:
            _usage(f"{pair!r} is not NAME=VALUE; write e.g. --set width=1.4", "--set")
        value: Any = {"true": True, "false": False}.get(text.lower(), text)
        for number in (int, float):
            try:
                value = number(text)
                break
            except ValueError:
                continue
        if isinstance(value, str) and not text.isidentifier():
            _usage(f"{pair!r}: the value is a number, true/false or a word such as relu", "--set")
        values[name] = value
    return values


def _read(spec: str, overrides: dict[str, Any] | None) -> Any:
    """read_spec, with an unknown --set variable as command-line misuse (exit 2)."""
    from cnncalc import bundled
    from cnncalc.spec import UnknownVariable

    try:
        return bundled.read_spec(spec, overrides)
    except UnknownVariable as exc:
        _usage(str(exc), "--set")


def _analyse(spec: str, input_text: str | None, overrides: dict[str, Any] | None = None) -> Any:
    from cnncalc.analysis import analyze

    try:
        parsed = _read(spec, overrides)
        return analyze(parsed, input_override(input_text, parsed.input))
    except SpecError as exc:
        _fail(exc)


def _warn(problems: list[Any]) -> None:
    if problems:
        from cnncalc.diagnostics import text

        sys.stderr.write("".join(text(p) + "\n" for p in problems))


# --- commands --------------------------------------------------------------------------------

@app.command(cls=Command)
def shape(
    spec: str = typer.Argument(..., metavar="SPEC",
                               help="An architecture file, the name of a bundled one (`cnncalc list`), or - "
                                    "for standard input."),
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
    set_: Optional[list[str]] = typer.Option(None, "--set", metavar="NAME=VALUE", help=SET_HELP),
) -> None:
    """Layer-by-layer output shapes, parameters and multiply-adds of an architecture.

    MACs are multiply-accumulates of conv, depthwise, separable, deconv and dense layers, bias excluded
    (torchvision's "GFLOPS"); FLOPs are 2 × MACs. Memory is bytes in binary units (1 MiB = 2^20 bytes):
    a layer's column is its output for one sample; the training estimate counts weights (running
    statistics included), a gradient per trainable parameter, the optimizer's state (sgd 0, momentum 1,
    adam 2 values per trainable parameter) and every layer's output for the batch, kept for the backward
    pass; every tensor in --dtype (mixed-precision master copies and framework workspace not counted).
    """
    _choice(fmt, FORMATS, "--format")
    chosen, folded, count = _columns(columns), _depth(depth), _whole(batch, "--batch")
    analysis = _analyse(spec, input, set_vars(set_))
    from cnncalc import render
    from cnncalc.memory import DTYPE_BYTES, OPTIMIZER_STATES, estimate

    memory = estimate(analysis, count or 1, _choice(dtype, DTYPE_BYTES, "--dtype"),
                      _choice(optimizer, OPTIMIZER_STATES, "--optimizer"))
    view = render.TableView(analysis, memory, chosen, folded)
    if fmt == "table" and textout.is_terminal():
        render.show_table(view)
    else:
        sys.stdout.write(render.FORMATS[fmt](view))
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
    if (units and "," in units) or (inputs and "x" in inputs):
        print(_flattened_dense(units, inputs, bias, as_json, filters is not None or kernel is not None))
        return
    if units is not None or inputs is not None:
        print(_dense_params(_whole(units, "--units"), _whole(inputs, "--inputs"), bias, as_json,
                            filters is not None or kernel is not None or channels is not None))
        return
    missing = [n for n, v in (("--filters", filters), ("--kernel", kernel), ("--channels", channels)) if v is None]
    if missing:
        _usage(f"a convolution needs {', '.join(missing)} (or give --units and --inputs for a dense layer)")
    from cnncalc import formulas, render

    f, c, g = _whole(filters, "--filters"), _whole(channels, "--channels"), _whole(groups, "--groups")
    assert f is not None and c is not None and g is not None and kernel is not None
    dims = _parse_shape(kernel, "--kernel")
    assert dims is not None
    kernel_axes = dims * 2 if len(dims) == 1 else dims  # one number is a square 2-D kernel, as before 3-D
    if c % g or f % g:
        _usage(f"--groups {g} must divide both --channels {c} and --filters {f}")
    result = formulas.worked_conv_params_nd(f, kernel_axes, c, g, bias)
    if as_json:
        import json

        print(json.dumps({"kind": "conv", "filters": f, "kernel": list(kernel_axes), "channels": c, "groups": g,
                          "bias": bias, "weights": result.weights, "params": result.total}))
    else:
        print(render.explain_params(result))


def _dense_params(units: int | None, inputs: int | None, bias: bool, as_json: bool, conv_too: bool) -> str:
    if units is None or inputs is None:
        _usage("a dense layer needs both --units and --inputs")
    if conv_too:
        _usage("give either a convolution (--filters, --kernel, --channels) or a dense layer "
               "(--units, --inputs), not both")
    from cnncalc import formulas, render

    total = formulas.dense_params(inputs, units, bias)
    if as_json:
        import json

        return json.dumps({"kind": "dense", "units": units, "inputs": inputs, "bias": bias, "params": total})
    return render.explain_dense(inputs, units, bias, total)


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
    if output is not None or keep:
        if padding != "0" or transposed or ceil:
            _usage("--output and --keep solve for the padding of a convolution: leave out --padding, "
                   "--transposed and --ceil")
        _solve_padding((input, kernel, stride, dilation), output, keep, as_json)
        return
    from cnncalc import render

    options = ((input, "--input"), (kernel, "--kernel"), (stride, "--stride"), (dilation, "--dilation"))
    axes_given = max(len(_parse_shape(t, n) or ()) for t, n in options)
    chosen = _whole(rank, "--rank") if rank is not None else max(axes_given, 2)
    if chosen not in (1, 2, 3):
        _usage(f"a window has 1, 2 or 3 spatial axes, not {chosen}", "--rank")
    rank_ = chosen
    in_hw, k, st, d = (_axes(t, n, rank_) for t, n in options)
    out_pad = _whole(output_padding, "--output-padding", 0) or 0
    if not transposed and out_pad:
        _usage("--output-padding applies only with --transposed")
    if transposed and ceil:
        _usage("--ceil applies to pooling, not to --transposed")
    window = _Window(in_hw, k, st, d, _padding(padding, rank_), transposed, out_pad, ceil)
    axes = [_axis(window, i) for i in range(rank_)]
    if any(a.out_size < 1 for a in axes):
        _usage("the output would be empty; use a larger input, more padding or a smaller stride")
    sys.stdout.write(render.size_json(axes) if as_json else render.size_text(axes))


def _solve_padding(window: tuple[str, str, str, str], output: str | None, keep: bool, as_json: bool) -> None:
    """`size --output`/`--keep`: the padding per axis that gives the output size asked for.

    `window` is the text of --input, --kernel, --stride and --dilation.
    """
    if output is not None and keep:
        _usage("give either --output or --keep, not both")
    from cnncalc import explain_render, solve

    in_hw, k, st, d = (_pair(t, n) for t, n in zip(window, ("--input", "--kernel", "--stride", "--dilation")))
    target = _pair(output, "--output") if output is not None else \
        (solve.keep_size(in_hw[0], st[0]), solve.keep_size(in_hw[1], st[1]))
    solutions = [solve.solve_padding(in_hw[i], k[i], target[i], st[i], d[i]) for i in (0, 1)]
    sys.stdout.write(explain_render.padding_json(solutions) if as_json else explain_render.padding_text(solutions))
    if any(s.padding is None for s in solutions):
        raise typer.Exit(EXIT_PROBLEMS)


def _flattened_dense(units: str | None, inputs: str | None, bias: bool, as_json: bool, conv_too: bool) -> str:
    """`params --inputs 224x224x3 --units 128[,128...]`: flatten the shape, then stack dense layers."""
    if units is None or inputs is None:
        _usage("a dense layer needs both --units and --inputs")
    if conv_too:
        _usage("give either a convolution (--filters, --kernel, --channels) or a dense layer "
               "(--units, --inputs), not both")
    shape = _parse_shape(inputs, "--inputs", (1, 4))
    counts = [_whole(u.strip(), "--units") for u in units.split(",")]
    assert shape is not None
    from cnncalc import explain_render, formulas

    if as_json:
        import json
        from math import prod

        layers, n = [], prod(shape)
        for u in counts:
            assert u is not None
            layers.append({"inputs": n, "units": u, "params": formulas.dense_params(n, u, bias)})
            n = u
        return json.dumps({"kind": "dense", "inputs": list(shape), "features": prod(shape), "bias": bias,
                           "layers": layers, "params": sum(x["params"] for x in layers)})
    return explain_render.flattened_dense(shape, [u for u in counts if u is not None], bias)


def _axes(text: str, name: str, rank: int) -> tuple[int, ...]:
    """One number for every axis, or one per axis (2 or 3 of them, as the rank)."""
    dims = _parse_shape(text, name)
    assert dims is not None
    if len(dims) == 1:
        return dims * rank
    if len(dims) != rank:
        _usage(f"{text!r} has {len(dims)} axes but the window has {rank}; give one number"
               + (f" or {rank}" if rank > 1 else ""), name)
    return dims


def _padding(text: str, rank: int = 2) -> list[Any]:
    """--padding through the same reader as a file's `padding:` (kinds.padding), per axis."""
    from cnncalc.kinds import padding as read_padding
    from cnncalc.problems import Located

    if rank == 3 and text not in ("same", "valid"):
        try:
            numbers = [int(p) for p in text.replace("x", ",").split(",")]
        except ValueError:
            numbers = []
        if len(numbers) in (1, 3, 6) and min(numbers) >= 0:
            sides = numbers * 6 if len(numbers) == 1 else [p for p in numbers for _ in (0, 1)] \
                if len(numbers) == 3 else numbers
            return [(sides[i], sides[i + 1]) for i in (0, 2, 4)]
        _usage("write N, DxHxW, front,back,top,bottom,left,right, same or valid", "--padding")
    if rank == 3:
        return [text] * 3 if text == "same" else [(0, 0)] * 3

    value: Any = text
    if text not in ("same", "valid"):
        try:
            parts = [int(p) for p in text.replace("x", ",").split(",")]
        except ValueError:
            parts = [-1]
        value = parts[0] if len(parts) == 1 else parts
    try:
        pads = read_padding(value, Located("--padding", 1, 1))
    except SpecError:
        _usage("write N, HxW, top,bottom,left,right, same or valid", "--padding")
    if isinstance(pads, str):
        return [pads, pads]
    return [(pads[0], pads[1]), (pads[2], pads[3])]


class _Window(NamedTuple):
    """What `size` was asked: one value per axis ((height, width) in 2-D), padding per axis, and the flags."""

    input: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: list[Any]
    transposed: bool
    output_padding: int
    ceil: bool


def _axis(window: _Window, i: int) -> Any:
    """One axis of `size`, worked out by formulas.worked_size, refusing what a layer would refuse."""
    from cnncalc import formulas

    in_hw, k, s, d = window.input[i], window.kernel[i], window.stride[i], window.dilation[i]
    pad, transposed, out_pad, ceil = window.padding[i], window.transposed, window.output_padding, window.ceil
    name = (("height", "width") if len(window.input) == 2 else ("depth", "height", "width"))[i]
    span = formulas.effective_kernel(k, d)
    total_pad = 0 if isinstance(pad, str) else sum(pad)
    if not transposed and pad != "same" and span > in_hw + total_pad and not ceil:
        _usage(f"the {name} of the window ({span}) is larger than the padded input ({in_hw + total_pad})")
    if transposed and out_pad and out_pad >= s and out_pad >= d:
        _usage("--output-padding must be smaller than the stride or the dilation")
    axis_window = formulas.window_for(k, s, pad, d)
    if transposed:
        return formulas.worked_deconv_size(in_hw, axis_window, pad == "same", out_pad)
    return formulas.worked_size(in_hw, axis_window, pad == "same", ceil)


@app.command(cls=Command)
def sizes(
    spec: str = typer.Argument(..., metavar="SPEC", help="An architecture file or the name of a bundled one."),
    range_: str = typer.Option("32:1024", "--range", "-r", metavar="LOW:HIGH",
                               help="Square (cube) input sizes LOW:HIGH to scan."),
    at: Optional[str] = typer.Option(None, "--size", "-s", metavar="H[xW]",
                                     help="Explain one input size (224, 224x160, 16x112x112) instead of scanning."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead."),
    set_: Optional[list[str]] = typer.Option(None, "--set", metavar="NAME=VALUE", help=SET_HELP),
) -> None:
    """Input sizes for which every layer divides evenly and nothing is floored away.

    Scans square sizes (the file's channel count; every axis of a 1-D or 3-D input) and lists the clean
    ones compactly; with --size, says whether one size is clean and, if not, which layer breaks it and why.
    """
    from cnncalc import render

    try:
        parsed = _read(spec, set_vars(set_))
    except SpecError as exc:
        _fail(exc)
    if len(parsed.input) < 2:
        _usage("this network's input is a vector; only feature-map inputs have sizes to scan")
    if at is not None:
        rank = len(parsed.input) - 1
        dims = _parse_shape(at, "--size", (1, 3))
        assert dims is not None
        if len(dims) not in (1, rank):
            _usage(f"this network's input has {rank} spatial axes; give one size or {rank}", "--size")
        from cnncalc.sizes import try_size

        verdict = try_size(parsed, (*(dims * rank if len(dims) == 1 else dims), parsed.input[-1]))
        sys.stdout.write(render.verdict_json(verdict) if as_json else render.verdict_text(verdict))
        raise typer.Exit(0 if verdict.clean else EXIT_PROBLEMS)
    try:
        low, high = (int(x) for x in range_.split(":"))
    except ValueError:
        _usage("--range takes LOW:HIGH, like 32:1024", "--range")
    if not 1 <= low <= high or high - low > 20_000:
        _usage("--range needs 1 ≤ LOW ≤ HIGH and at most 20,000 sizes", "--range")
    try:
        clean = _clean_sizes(parsed, low, high)
    except SpecError as exc:  # the file does not analyse at its own input: say why, as `shape` does
        _fail(exc)
    if as_json:
        import json

        print(json.dumps({"range": [low, high], "clean": clean}))
        return
    print(render.sizes_summary(clean, low, high))
    if not clean:
        raise typer.Exit(EXIT_PROBLEMS)


def _clean_sizes(parsed: Any, low: int, high: int) -> list[int]:
    """The clean sizes low..high, with a progress line on a terminal's stderr when the scan takes over 1 s."""
    from cnncalc import sizes as sizes_module

    progress = textout.Progress("scanning input sizes", high - low + 1)
    try:
        verdicts = sizes_module.scan(parsed, low, high, progress=progress.update)
    finally:
        progress.done()
    return [v.input[0] for v in verdicts if v.clean]


@app.command(cls=Command)
def schema() -> None:
    """Print a JSON Schema of the architecture format, for editors (yaml-language-server)."""
    import json

    from cnncalc.schema import schema as build

    sys.stdout.write(json.dumps(build(), indent=2, ensure_ascii=False) + "\n")


@app.command("list", cls=Command)
def list_(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead."),
) -> None:
    """The bundled architectures, with their parameters and multiply-adds."""
    from cnncalc import bundled, render

    try:
        entries = bundled.entries()
    except SpecError as exc:  # a broken bundled file is a bug; say which
        _fail(exc)
    if as_json:
        sys.stdout.write(render.listing_json(entries))
    elif textout.is_terminal():
        render.show(*render.listing(entries))
    else:
        sys.stdout.write("\n".join(textout.ascii_table(*render.listing(entries))) + "\n")


@app.command(cls=Command)
def kinds() -> None:
    """The layer kinds, their main argument and their other arguments."""
    from cnncalc.kinds import KINDS
    from cnncalc.render import kind_line

    sys.stdout.write("".join(kind_line(kind) + "\n" for kind in KINDS.values()))


def _budget(text: str | None, name: str, memory: bool = False) -> Any:
    if text is None:
        return None
    from cnncalc.quantities import parse_quantity

    try:
        return parse_quantity(int(text) if text.isdigit() else text, memory=memory)
    except ValueError as exc:
        _usage(str(exc), name)


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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the problems, no summary line."),
    jobs: str = typer.Option("0", "--jobs", "-j", metavar="N",
                             help="Worker processes; 0 (the default) uses every core when there are many files."),
    set_: Optional[list[str]] = typer.Option(None, "--set", metavar="NAME=VALUE", help=SET_HELP),
) -> None:
    """Check architecture files: structure, shapes, floored divisions, `expect:` figures and budgets.

    Every problem has a rule id, a level and a file:line:column. Exit codes: 0 clean, 1 any error
    (or any warning under --strict, or no file to check), 2 command-line misuse.
    """
    import gc

    from cnncalc import checks, reporters

    # Everything imported so far lives until exit; freezing it keeps the collector from re-scanning
    # it after every few files (composing YAML allocates many objects). Files are independent.
    gc.freeze()
    settings = _settings(config, list(paths), (list(select), list(ignore), list(exclude)))
    strict = strict or settings.strict
    budgets = {**settings.budgets, **{k: v for k, v in (
        ("max_params", _budget(max_params, "--max-params")), ("max_macs", _budget(max_macs, "--max-macs")),
        ("max_memory", _budget(max_memory, "--max-memory", memory=True))) if v}}
    name = _choice(fmt, REPORTER_BY_NAME, "--format") if fmt is not None else \
        "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    workers = _whole(jobs, "--jobs", 0) or os.cpu_count() or 1
    from cnncalc import config as cfg

    files = [(p, m) for p, m in checks.find_files(paths) if m is not None or not cfg.excluded(settings, p)]
    reporter = reporters.make(name, total=len(files), fancy=name == "text" and textout.is_terminal(), quiet=quiet)
    summary = reporters.Summary()
    failed = False
    overrides = set_vars(set_)
    from cnncalc.spec import UnknownVariable

    try:
        for result in _results(files, budgets, workers, overrides):
            result.problems = cfg.apply(settings, result.problems)
            if report_dir is not None:
                _write_report(result, report_dir)
            summary.add(result)
            failed = failed or any(checks.is_error(p, strict) for p in result.problems)
            reporter.file(result)
    except UnknownVariable as exc:
        _usage(str(exc), "--set")
    finally:
        reporter.stop()
    reporter.finish(summary)
    if not summary.files:
        sys.stderr.write("no architecture files found (*.yaml, *.yml): nothing was checked\n")
        failed = True
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
) -> None:
    """Compare two architectures layer by layer: added, removed and changed layers, and the totals."""
    from cnncalc.diff_command import run_diff

    raise typer.Exit(run_diff(a, b, rev, fmt, list(fail_on)))


@app.command("import", cls=Command)
def import_(
    source: str = typer.Argument(..., metavar="FILE", help="An ONNX graph (.onnx) or a Darknet cfg (.cfg)."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write the architecture file here (default: standard output)."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE",
                                        help="Input size where the file leaves it open: 416, 416x320 or 416x320x3."),
    partial: bool = typer.Option(False, "--partial",
                                 help="Write what maps; unmapped operators become warnings instead of an error."),
) -> None:
    """Turn an ONNX graph or a Darknet .cfg into a cnncalc architecture file (`... | cnncalc shape -`)."""
    from cnncalc.importers.command import run_import

    raise typer.Exit(run_import(source, output, input, partial))


def _drawing(style: str, direction: str, depth: str, label: str) -> Any:
    from cnncalc import draw_command

    try:
        return draw_command.options(style, direction, _depth(depth), label)
    except draw_command.Usage as exc:
        _usage(str(exc))


_SPEC_HELP = "An architecture file, the name of a bundled one (`cnncalc list`), or - for standard input."


@app.command(cls=Command)
def diagram(
    spec: str = typer.Argument(..., metavar="SPEC", help=_SPEC_HELP),
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
    from cnncalc.draw_command import write_diagram

    chosen = _drawing(style, direction, depth, label)
    raise typer.Exit(write_diagram(_analyse(spec, input), chosen, output))


@app.command(cls=Command)
def report(
    spec: str = typer.Argument(..., metavar="SPEC", help=_SPEC_HELP),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="The HTML file (default: standard output)."),
    style: str = typer.Option("graph", "--style", metavar="graph|blocks", help="The diagram's style."),
    direction: str = typer.Option("TB", "--direction", metavar="TB|LR", help="The diagram's direction."),
    depth: str = typer.Option("1", "--depth", "-d", metavar="N|all", help="Levels of blocks to expand."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE", help="Override the input."),
) -> None:
    """One self-contained HTML report: totals, the diagram, the full table, and where the cost sits."""
    from cnncalc.draw_command import write_html_report

    chosen = _drawing(style, direction, depth, "none")
    raise typer.Exit(write_html_report(_analyse(spec, input), chosen, output))


def _settings(path: str | None, paths: list[str], rules: tuple[list[str], list[str], list[str]]) -> Any:
    """`check`'s configuration: the file (--config, or the nearest above the paths) with the options applied."""
    from cnncalc import config as cfg

    try:
        return cfg.with_options(cfg.load_or_discover(path, paths), *rules)
    except ValueError as exc:
        _usage(str(exc))
    except SpecError as exc:
        _fail(exc)


def _write_report(result: Any, directory: str) -> None:
    """`check --report-dir`: the HTML report of a file whose analysis succeeded (an error stops none)."""
    from cnncalc import bundled
    from cnncalc.analysis import analyze
    from cnncalc.report import write_report
    from cnncalc.rules import RULES

    if any(p.rule in RULES and RULES[p.rule].fatal for p in result.problems) or result.path == "-":
        return
    try:
        write_report(analyze(bundled.read_spec(result.path)), directory)
    except (SpecError, OSError) as exc:
        sys.stderr.write(f"cnncalc: no report for {result.path}: {exc}\n")


def _results(files: list[tuple[str, Any]], budgets: dict[str, Any], workers: int,
             overrides: dict[str, Any] | None = None) -> Any:
    """Each file's result in order: found files checked (in workers when many), the others' problem."""
    from cnncalc import checks

    reports = checks.check_many([path for path, missing in files if missing is None], budgets, workers, overrides)
    for path, missing in files:
        # Reports carry only problems: holding every file's nodes and rows would make the
        # garbage collector re-scan a growing heap (it doubled the time for 1,000 files).
        yield checks.FileResult(path, [missing]) if missing else next(reports)


EXPLAIN_FORMATS = "text|markdown|json"  # explain_render.FORMATS' keys (a test ties them)


@app.command("explain", cls=Command)
def explain_command(
    spec: str = typer.Argument(..., metavar="SPEC",
                               help="An architecture file, the name of a bundled one, or - for standard input."),
    layers: Optional[list[str]] = typer.Option(
        None, "--layer", "-l", metavar="NAME|INDEX",
        help="Explain only this layer (its name, its number in `shape`, or a block's name for its layers); "
             "repeat for several. Default: every layer, with the trail of size changes."),
    fmt: str = typer.Option("text", "--format", "-f", metavar=EXPLAIN_FORMATS, help="Output format."),
    input: Optional[str] = typer.Option(None, "--input", "-i", metavar="SHAPE",
                                        help="Override the input: HxW (keeps the file's channels) or HxWxC."),
    dtype: str = typer.Option("float32", "--dtype", metavar=DTYPES, help="Value type for memory figures."),
) -> None:
    """Every figure worked out, layer by layer, the way a textbook shows it.

    Output size per axis with the formula filled in (and what a floored division drops), parameters,
    multiply-adds, memory, the receptive-field recurrence, how merges combine shapes, and for each
    convolution what a dense layer between the same shapes would need.
    """
    from cnncalc import explain, explain_render

    _choice(fmt, explain_render.FORMATS, "--format")
    _choice(dtype, explain.DTYPE_BYTES, "--dtype")
    analysis = _analyse(spec, input)
    try:
        result = explain.explain(analysis.network, analysis.name, list(layers or ()), dtype)
    except explain.UnknownLayer as exc:
        _usage(str(exc), "--layer")
    sys.stdout.write(explain_render.FORMATS[fmt](result))
    if fmt != "json":
        _warn(analysis.warnings)


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def main() -> None:
    """Run the CLI; never lets a Python traceback reach the user, whatever the output stream can encode."""
    textout.degrade_unencodable(sys.stdout)
    textout.degrade_unencodable(sys.stderr)
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:  # outside a command: while importing or parsing the command line
        sys.stderr.write("cnncalc: interrupted\n")
        code = textout.EXIT_INTERRUPTED
    except BrokenPipeError:
        textout.silence_stdout()
        code = textout.EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - the promise is no traceback, ever
        sys.stderr.write(f"cnncalc: internal error: {type(exc).__name__}: {exc}; please report this with the "
                         "file that caused it\n")
        code = 3
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left before the last buffered output was written
        textout.silence_stdout()
        code = textout.EXIT_BROKEN_PIPE
    sys.exit(code)


@app.command("export", cls=Command)
def export_(
    spec: str = typer.Argument(..., metavar="SPEC",
                               help="An architecture file, the name of a bundled one, or - for standard input."),
    to: str = typer.Option(..., "--to", "-t", metavar="pytorch", help="The framework to write code for."),
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
