"""Command-line option text → values, with messages that say what to write.

Every option reaches a command as the text the user typed; these parsers turn it into values (SPEC
into a parsed, or analysed, architecture) or raise `CommandLineError` naming the option, which the CLI
reports as misuse (exit 2). Nothing here computes a figure or prints, and nothing heavy is imported at
module level (`size` and `params` start fast).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from cnncalc.core.problems import CommandLineError

if TYPE_CHECKING:  # imported where used: `size` and `params` load no analysis code
    from cnncalc.calc.requests import ConvRequest, DenseRequest, SolveRequest, WindowRequest
    from cnncalc.core.analysis import Analysis
    from cnncalc.core.quantities import Quantity
    from cnncalc.core.spec import Spec


def misuse(message: str, option: str | None = None) -> NoReturn:
    """Refuse the command line: `option` names the culprit, None blames the command line as a whole."""
    raise CommandLineError(message, option)


def whole(text: str | None, name: str, minimum: int = 1) -> int | None:
    """A whole number ≥ minimum, or None when the option was not given."""
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        misuse(f"expected a whole number ≥ {minimum}, got {text!r}", name)
    if value < minimum:
        misuse(f"expected a whole number ≥ {minimum}, got {value}", name)
    return value


def choice(text: str, choices: Any, name: str) -> str:
    """`text` if it is one of `choices` (a registry's keys)."""
    if text not in choices:
        misuse(f"{text!r} is not one of {', '.join(choices)}", name)
    return text


def shape(text: str | None, name: str, dims: tuple[int, int] = (1, 3)) -> tuple[int, ...] | None:
    """224, 224x160 or 16x112x112 as positive whole numbers, between dims[0] and dims[1] of them."""
    if text is None:
        return None
    from cnncalc.core.quantities import parse_shape

    try:
        return parse_shape(text, *dims)
    except ValueError as exc:
        misuse(str(exc), name)


def given_shape(text: str, name: str, dims: tuple[int, int] = (1, 3)) -> tuple[int, ...]:
    """`shape` of an option that has a value."""
    parsed = shape(text, name, dims)
    assert parsed is not None
    return parsed


def pair(text: str, name: str) -> tuple[int, int]:
    """One number (both axes) or HxW."""
    dims = given_shape(text, name, (1, 2))
    return (dims[0], dims[0]) if len(dims) == 1 else (dims[0], dims[1])


def columns(text: str | None) -> tuple[str, ...]:
    """--columns: a comma-separated list of render.COLUMNS, `all`, or the default columns."""
    from cnncalc.shape.render import COLUMNS, DEFAULT_COLUMNS

    if text is None:
        return DEFAULT_COLUMNS
    if text == "all":
        return COLUMNS
    chosen = tuple(c.strip() for c in text.split(",") if c.strip())
    for c in chosen:
        if c not in COLUMNS:
            misuse(f"unknown column {c!r}; choose from {', '.join(COLUMNS)} or all", "--columns")
    return chosen


def depth(text: str) -> int | None:
    """--depth: a number ≥ 0, or None for `all`."""
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        misuse("give a number ≥ 0 or `all`", "--depth")
    return value


def input_override(text: str | None, file_input: tuple[int, ...]) -> tuple[int, ...] | None:
    """The --input shape, in the file's rank: its spatial axes alone (HxW; L; DxHxW) keep the file's channels, or
    every axis with the channels. Another rank is refused: --input never changes what kind of network a file is."""
    dims = shape(text, "--input", (1, 5))
    if dims is None:
        return None
    if len(dims) == len(file_input):
        return dims
    if len(file_input) > 1 and len(dims) == len(file_input) - 1:
        return (*dims, file_input[-1])
    written = "x".join(map(str, file_input))
    if len(file_input) == 1:
        misuse(f"the file's input is a vector of {file_input[0]}; give one number", "--input")
    rank = len(file_input) - 1
    spatial = ("L", "HxW", "DxHxW")[rank - 1]
    hint = ""
    if len(dims) == rank + 2 and dims[0] <= 64 and dims[1] <= 4 < min(dims[2:]):  # N×C×H×W, PyTorch's order
        hint = (f"; {text} reads as PyTorch's batch x channels x spatial: write "
                f"{'x'.join(map(str, (*dims[2:], dims[1])))} (channels last, no batch)")
    channels = f"{file_input[-1]} channel{'s' if file_input[-1] != 1 else ''}"
    misuse(f"the file describes a {rank}-D network (input {written}); give {spatial} (keeping its {channels}) or "
           f"{spatial}xC{hint}", "--input")


def _set_value(pair_text: str, text: str) -> Any:
    """The value of one --set: a whole or decimal number, true/false, or a word."""
    value: Any = {"true": True, "false": False}.get(text.lower(), text)
    for number in (int, float):
        try:
            parsed = number(text)
        except ValueError:
            continue
        if not math.isfinite(parsed):
            misuse(f"{pair_text!r}: {text} is not a finite number; give a whole or decimal number", "--set")
        return parsed
    if isinstance(value, str) and not text.isidentifier():
        misuse(f"{pair_text!r}: the value is a number, true/false or a word such as relu", "--set")
    return value


def set_vars(pairs: list[str] | None) -> dict[str, Any] | None:
    """--set NAME=VALUE (repeatable) as {name: value}: a whole or decimal number, true/false, or a word."""
    if not pairs:
        return None
    values: dict[str, Any] = {}
    for pair_text in pairs:
        name, equals, text = (part.strip() for part in pair_text.partition("="))
        if not equals or not name.isidentifier() or not text:
            misuse(f"{pair_text!r} is not NAME=VALUE; write e.g. --set width=1.4", "--set")
        values[name] = _set_value(pair_text, text)
    return values


def budget(text: str | None, name: str, memory: bool = False) -> Quantity | None:
    """A budget such as 5M, 1.5G or 500MB (memory), or None when not given."""
    if text is None:
        return None
    from cnncalc.core.quantities import parse_quantity

    try:
        return parse_quantity(int(text) if text.isdigit() else text, memory=memory)
    except ValueError as exc:
        misuse(str(exc), name)


def budgets(max_params: str | None, max_macs: str | None, max_memory: str | None,
            max_peak_memory: str | None = None, max_train_memory: str | None = None) -> dict[str, Any]:
    """The budgets given on the command line, by config key (only those given); a `*memory` one is bytes."""
    given = {"max_params": max_params, "max_macs": max_macs, "max_memory": max_memory,
             "max_peak_memory": max_peak_memory, "max_train_memory": max_train_memory}
    parsed = {key: budget(text, "--" + key.replace("_", "-"), memory=key.endswith("memory"))
              for key, text in given.items()}
    return {key: value for key, value in parsed.items() if value}


def check_format(text: str | None, names: Any) -> str:
    """`check --format`: one of the reporters' names; by default github under GitHub Actions, else text."""
    if text is not None:
        return choice(text, names, "--format")
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def workers(text: str) -> int:
    """--jobs: worker processes; 0 means every core."""
    return whole(text, "--jobs", 0) or os.cpu_count() or 1


def scan_range(text: str | None, file_input: tuple[int, ...]) -> tuple[int, int]:
    """`sizes --range LOW:HIGH`: at most 20,000 sizes from 1 up. Unset, 32:1024 for a network whose input lies
    there (images), else from half the file's size up to twice it (a 16,000-sample signal: 8000:28000)."""
    if text is None:
        size = max(file_input[:-1])
        if 32 <= size <= 1024:
            return 32, 1024
        low = max(1, size // 2)
        return low, min(2 * size, low + 20_000)
    try:
        low, high = (int(x) for x in text.split(":"))
    except ValueError:
        misuse("--range takes LOW:HIGH, like 32:1024", "--range")
    if not 1 <= low <= high or high - low > 20_000:
        misuse("--range needs 1 ≤ LOW ≤ HIGH and at most 20,000 sizes", "--range")
    return low, high


def size_at(text: str, file_input: tuple[int, ...]) -> tuple[int, ...]:
    """`sizes --size`: one size for every spatial axis of the file's input, or one per axis; its channels kept."""
    rank = len(file_input) - 1
    dims = given_shape(text, "--size", (1, 3))
    if len(dims) not in (1, rank):
        misuse(f"this network's input has {rank} spatial axes; give one size or {rank}", "--size")
    return (*(dims * rank if len(dims) == 1 else dims), file_input[-1])


# --- SPEC, with --set and --input -------------------------------------------------------------

def architecture(spec: str, set_: list[str] | None) -> Spec:
    """SPEC read and parsed, with --set applied; a variable the file does not declare is misuse."""
    from cnncalc.catalog import bundled
    from cnncalc.core.spec import UnknownVariable

    overrides = set_vars(set_)
    try:
        return bundled.read_spec(spec, overrides)
    except UnknownVariable as exc:
        misuse(str(exc), "--set")


def analysed(spec: str, input_text: str | None, set_: list[str] | None = None) -> Analysis:
    """The analysis of SPEC at the file's input or at --input."""
    from cnncalc.core.analysis import analyze

    parsed = architecture(spec, set_)
    return analyze(parsed, input_override(input_text, parsed.input))


# --- `size`: the window, as typed ---------------------------------------------------------------

class WindowText(NamedTuple):
    """`size`'s options as typed: input, kernel, stride, dilation, padding, output padding, rank and flags."""

    input: str
    kernel: str
    stride: str
    dilation: str
    padding: str
    output_padding: str
    rank: str | None
    transposed: bool
    ceil: bool


_WINDOW_OPTIONS = ("--input", "--kernel", "--stride", "--dilation")


def _window_values(text: WindowText) -> list[tuple[str, str]]:
    """(text, option) of --input, --kernel, --stride and --dilation."""
    return list(zip((text.input, text.kernel, text.stride, text.dilation), _WINDOW_OPTIONS))


def _rank(text: WindowText) -> int:
    """--rank, or the most axes any value has (at least 2)."""
    given = max(len(given_shape(t, n)) for t, n in _window_values(text))
    chosen = whole(text.rank, "--rank") if text.rank is not None else max(given, 2)
    if chosen not in (1, 2, 3):
        misuse(f"a window has 1, 2 or 3 spatial axes, not {chosen}", "--rank")
    return chosen  # type: ignore[return-value]


def axes(text: str, name: str, rank: int) -> tuple[int, ...]:
    """One number for every axis, or one per axis (as many as the rank)."""
    dims = given_shape(text, name)
    if len(dims) == 1:
        return dims * rank
    if len(dims) != rank:
        misuse(f"{text!r} has {len(dims)} axes but the window has {rank}; give one number"
               + (f" or {rank}" if rank > 1 else ""), name)
    return dims


def padding(text: str) -> Any:
    """--padding as the value a file's `padding:` would hold: same, valid, N, or a list of numbers."""
    if text in ("same", "valid"):
        return text
    try:
        parts = [int(p) for p in text.replace("x", ",").split(",")]
    except ValueError:
        parts = [-1]  # refused by kinds.padding, as a file's would be
    return parts[0] if len(parts) == 1 else parts


def window(text: WindowText) -> WindowRequest:
    """`size`'s request: per-axis values at the chosen rank, the padding as written, and the flags."""
    from cnncalc.calc.requests import WindowRequest

    rank = _rank(text)
    sizes, kernel, stride, dilation = (axes(t, n, rank) for t, n in _window_values(text))
    out_pad = whole(text.output_padding, "--output-padding", 0) or 0
    if not text.transposed and out_pad:
        misuse("--output-padding applies only with --transposed")
    if text.transposed and text.ceil:
        misuse("--ceil applies to pooling, not to --transposed")
    return WindowRequest(sizes, kernel, stride, dilation, padding(text.padding), text.transposed, out_pad, text.ceil)


def solve_request(text: WindowText, output: str | None, keep: bool) -> SolveRequest:
    """`size --output`/`--keep`: the 2-D window and the output asked for (None: keep the size)."""
    from cnncalc.calc.requests import SolveRequest

    if text.padding != "0" or text.transposed or text.ceil:
        misuse("--output and --keep solve for the padding of a convolution: leave out --padding, "
               "--transposed and --ceil")
    if output is not None and keep:
        misuse("give either --output or --keep, not both")
    sizes, kernel, stride, dilation = (pair(t, n) for t, n in _window_values(text))
    return SolveRequest(sizes, kernel, stride, dilation, pair(output, "--output") if output is not None else None)


# --- `params`: one layer, as typed ----------------------------------------------------------------

class ParamsText(NamedTuple):
    """`params`' options as typed: a convolution (filters, kernel, channels, groups) or dense layers."""

    filters: str | None
    kernel: str | None
    channels: str | None
    groups: str
    units: str | None
    inputs: str | None
    bias: bool


def drawing_output(output: str | None, suffixes: tuple[str, ...], what: str) -> str | None:
    """--output of a command that draws: a file whose extension it writes (or none: `suffixes[0]`), or standard
    output when that is not a terminal; refused otherwise, before any work (a .pdf holding SVG is a broken file,
    and markup on a terminal is noise)."""
    import os

    from cnncalc.cli.textout import is_terminal

    if output is None or output == "-":
        if is_terminal():
            misuse(f"{what} is markup, not text for a terminal: write it to a file (-o net{suffixes[0]}) or "
                   "pipe it to a program", "--output")
        return output
    extension = os.path.splitext(output)[1].lower()
    if extension and extension not in suffixes:
        misuse(f"{output!r}: cnncalc writes {what} as {' or '.join(suffixes)}, not {extension}; name the file "
               f"{os.path.splitext(output)[0]}{suffixes[0]}" + (" and convert it (rsvg-convert -f pdf, "
                                                                  "or a browser's print)" if ".svg" in suffixes else ""),
               "--output")
    return output


def params_readings(text: ParamsText, result: object) -> list[str]:
    """How `params` read a value that a learner often means otherwise: `--kernel 3x3x3 --channels 3` is a 3-D
    kernel (3·3·3 per channel), though H×W×C elsewhere makes it look like a 3×3 filter on 3 channels. `result`
    is the worked count (its kernel and channels as parsed)."""
    kernel: tuple[int, ...] = getattr(result, "kernel", ())
    channels = getattr(result, "in_channels", None)
    if len(kernel) != 3 or kernel[-1] != channels:
        return []
    square = "x".join(map(str, kernel[:2])) if kernel[0] != kernel[1] else str(kernel[0])
    return [f"--kernel {text.kernel} reads as a 3-D kernel (depth x height x width) on {channels} channels; for "
            f"a {'x'.join(map(str, kernel[:2]))} filter on {channels} channels write --kernel {square} (the "
            "channels are --channels)"]


def window_readings(text: WindowText) -> list[str]:
    """How `size` read an --input whose last number looks like channels: 224x224x3 is a 224x224x3 volume."""
    dims = shape(text.input, "--input", (1, 3))
    if text.rank is not None or dims is None or len(dims) != 3 or dims[-1] > 4 or min(dims[:2]) <= 4:
        return []
    return [f"--input {text.input} reads as a 3-D input (depth x height x width); for a "
            f"{dims[0]}x{dims[1]} image with {dims[2]} channels write --input {dims[0]}x{dims[1]} (the channels "
            "do not change a window's output size)"]


_BOTH = "give either a convolution (--filters, --kernel, --channels) or a dense layer (--units, --inputs), not both"


def _dense(text: ParamsText) -> DenseRequest:
    """Dense layers: one (--units U --inputs N) or a stack on a shape to flatten (--units 128,10 --inputs 7x7x512)."""
    from cnncalc.calc.requests import DenseRequest

    stacked = "," in (text.units or "") or "x" in (text.inputs or "")
    if stacked:  # the flattening stands in for the channels, which a stack never names
        if text.units is None or text.inputs is None:
            misuse("a dense layer needs both --units and --inputs")
        if text.filters is not None or text.kernel is not None:
            misuse(_BOTH)
        units = [whole(u.strip(), "--units") for u in text.units.split(",")]
        return DenseRequest(given_shape(text.inputs, "--inputs", (1, 4)), tuple(units), text.bias, True)  # type: ignore[arg-type]
    unit, inputs = whole(text.units, "--units"), whole(text.inputs, "--inputs")
    if unit is None or inputs is None:
        misuse("a dense layer needs both --units and --inputs")
    if text.filters is not None or text.kernel is not None or text.channels is not None:
        misuse(_BOTH)
    return DenseRequest((inputs,), (unit,), text.bias, False)


def layer_params(text: ParamsText) -> ConvRequest | DenseRequest:
    """`params`' request: a calc.ConvRequest, or a calc.DenseRequest when --units or --inputs is given."""
    from cnncalc.calc.requests import ConvRequest

    if text.units is not None or text.inputs is not None:
        return _dense(text)
    named = (("--filters", text.filters), ("--kernel", text.kernel), ("--channels", text.channels))
    missing = [name for name, value in named if value is None]
    if missing:
        misuse(f"a convolution needs {', '.join(missing)} (or give --units and --inputs for a dense layer)")
    filters, channels, groups = whole(text.filters, "--filters"), whole(text.channels, "--channels"), \
        whole(text.groups, "--groups")
    dims = given_shape(text.kernel, "--kernel")  # type: ignore[arg-type]
    kernel = dims * 2 if len(dims) == 1 else dims  # one number is a square 2-D kernel, as before 3-D
    return ConvRequest(filters, kernel, channels, groups, text.bias)  # type: ignore[arg-type]


# --- `memory`: the deployment options, as typed ---------------------------------------------------

class MemoryText(NamedTuple):
    """`memory`'s options as typed."""

    batch: str
    dtype: str
    train: bool
    optimizer: str
    precision: str | None
    checkpoint: list[str]
    fit: str | None
    fit_input: bool
    margin: str
    overhead: str | None
    device: str | None
    quantize: str | None
    scales: str
    keep: list[str]


def _margin(text: str) -> float:
    """--margin: a fraction of the device held back, as 10% or 0.1."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        misuse(f"{text!r} is not a fraction; write it as 10% or 0.1", "--margin")
    if not 0 <= value < 1:
        misuse(f"{text!r} must hold back less than the whole device (0% to 99%)", "--margin")
    return value


def _scales(text: str) -> tuple[str, int]:
    """--scales: per-tensor, per-channel, or per-group[:G] (G values of a channel's inputs share a scale; 128)."""
    kind, _, size = text.partition(":")
    if kind not in ("per-tensor", "per-channel", "per-group") or (size and kind != "per-group"):
        misuse(f"{text!r} is not per-tensor, per-channel or per-group[:G]", "--scales")
    return kind, (whole(size, "--scales") or 128) if size else 128


def memory_request(text: MemoryText, devices: dict[str, Any]) -> Any:
    """The `memory` request from its options; `devices` are the built-in ones and the configuration's."""
    from cnncalc.memory.command import Request

    from cnncalc.core.memory import DTYPE_BYTES

    dtype = choice(text.dtype, DTYPE_BYTES, "--dtype")
    policy = None
    if text.train or text.precision or text.checkpoint or text.optimizer != "adam":
        from cnncalc.memory.plan import OPTIMIZERS, POLICIES

        if not text.optimizer.isdigit():
            choice(text.optimizer, OPTIMIZERS, "--optimizer")
        policy = POLICIES[choice(text.precision, POLICIES, "--precision")] if text.precision else None
    device = devices[choice(text.device, devices, "--device")] if text.device else None
    fit = None
    if text.fit is not None:
        fit = (devices[text.fit].memory, text.fit) if text.fit in devices else \
            (budget(text.fit, "--fit", memory=True).value, text.fit)  # type: ignore[union-attr]
    if text.fit_input and fit is None and device is None:
        misuse("--fit-input needs a device: give --fit SIZE or --device NAME", "--fit-input")
    scheme = None
    if text.quantize is not None:
        from cnncalc.memory.plan import parse_scheme

        scheme = parse_scheme(text.quantize)
        if scheme is None:
            misuse(f"{text.quantize!r} is not a scheme such as W8A8, W4A16, W8A16 or fp8 (weight and activation "
                   "bits)", "--quantize")
    overhead = budget(text.overhead, "--overhead", memory=True)
    return Request(whole(text.batch, "--batch") or 1, dtype,
                   text.train or bool(text.precision) or bool(text.checkpoint), text.optimizer, policy,
                   tuple(text.checkpoint), fit, text.fit_input, _margin(text.margin),
                   overhead.value if overhead else 0, device, scheme, _scales(text.scales), tuple(text.keep))


def counted(analysis: Analysis, name: str | None) -> Any:
    """The network counted under --convention (None when not given); a kind the convention does not model is
    refused as misuse, naming the layer, rather than given a guessed total."""
    if name is None:
        return None
    from cnncalc.conventions import NAMES, NotModelled, count

    choice(name, NAMES, "--convention")
    try:
        return count(analysis, name)
    except NotModelled as exc:
        misuse(str(exc), "--convention")


def convention(name: str | None) -> dict[str, str]:
    """`check --convention`: {"convention": name} for the budgets (empty when not given)."""
    if name is None:
        return {}
    from cnncalc.conventions import NAMES

    return {"convention": choice(name, NAMES, "--convention")}
