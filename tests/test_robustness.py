"""Hostile and random input: cnncalc must refuse it with a problem, quickly, and never crash.

(a) Generated hostile files (alias bombs, deep nesting, huge and binary files, exploding repeats and
    blocks): check_file must answer with a clear error within a second. The nesting cases also run in a
    child interpreter, since libyaml's composer recurses in C and can take the interpreter down.
(b) Property tests: mutated real files and YAML dumped from random structures must always give a
    FileResult, and the CLI must exit 0 or 1 without a traceback.

Known cnncalc bugs are xfail(strict=True) with the reason; a fix makes the suite fail until the mark goes.
"""

from __future__ import annotations

import functools
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cnncalc.check.files import FileResult, check_file
from cnncalc.cli.app import app
from cnncalc.core.kinds import ALIASES, KINDS
from cnncalc.core.problems import ERROR

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = 1.0  # CPU seconds for check_file to refuse a hostile file (CPU time: other load on the machine does not count)

# -- builders of hostile files ----------------------------------------------------------------


def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text, encoding="utf-8")


def _laughs(levels: int = 9, width: int = 10) -> str:
    """`[&a [x, x, ...], &b [*a, *a, ...], ...]`: width**levels items from a few hundred bytes."""
    names = [f"l{i}" for i in range(levels)]
    parts = [f"&{names[0]} [{', '.join(['lol'] * width)}]"]
    parts += [f"&{names[i]} [{', '.join(['*' + names[i - 1]] * width)}]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


def _big_file(path: Path) -> None:
    line = b"  - conv: {filters: 64, kernel: 3, padding: same}\n"
    chunk = line * (1 << 20 // len(line) + 1)
    with open(path, "wb") as handle:
        handle.write(b"input: [224, 224, 3]\nlayers:\n")
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(chunk)


def _binary(path: Path) -> None:
    rng = random.Random(1234)
    data = bytearray(rng.getrandbits(8) for _ in range(64 * 1024))
    data[10] = 0
    path.write_bytes(b"input: [8, 8, 3]\n" + bytes(data))


def _bad_utf8(path: Path) -> None:
    path.write_bytes(b"name: Stra\xdfe\ninput: [8, 8, 3]\nlayers: [relu]\n")


def _indented_mappings(levels: int, tail: str = "1") -> str:
    lines = ["input: [8, 8, 3]", "layers: [relu]", "description:"]
    lines += [" " * i + "a:" for i in range(1, levels)]
    lines[-1] += " " + tail
    return "\n".join(lines) + "\n"


def _under_the_radar() -> str:
    """~800 levels while both depth pre-check triggers stay at or under 400 (399 indented mappings, then
    397 brackets: with `layers: [relu]` that makes 398 `[`)."""
    lines = ["input:"] + [" " * i + "a:" for i in range(1, 400)]
    lines[-1] += " " + "[" * 397 + "]" * 397
    return "\n".join(lines) + "\nlayers: [relu]\n"


def _doubling_blocks(levels: int) -> str:
    """b0 is two layers, b(i) is two b(i-1): 2**(levels+1) layers."""
    lines = ["input: [8, 8, 3]", "blocks:", "  b0:", "    layers: [relu, relu]"]
    for i in range(1, levels + 1):
        lines += [f"  b{i}:", f"    layers: [b{i - 1}, b{i - 1}]"]
    lines += ["layers:", f"  - b{levels}"]
    return "\n".join(lines) + "\n"


def _chained_blocks(n: int) -> str:
    lines = ["input: [8, 8, 3]", "blocks:"]
    for i in range(n):
        lines += [f"  b{i}:", f"    layers: [b{i + 1}]"]
    lines += [f"  b{n}:", "    layers: [relu]", "layers:", "  - b0"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Hostile:
    """A hostile file: how to write it, the rule expected (None: any error), where to run it."""

    id: str
    write: Callable[[Path], None]
    rule: str | None
    in_process: bool = True   # False where a bug makes check_file hang: only the child (with a timeout) runs it
    child: bool = False       # also run in a child interpreter, then the CLI
    bug: str | None = None


HOSTILE = [
    Hostile("billion-laughs-description",
            _text(f"input: [8, 8, 3]\ndescription: {_laughs()}\nlayers: [relu]\n"), "invalid-value"),
    # input takes flat numbers, so a bomb there is refused at its first nested element
    Hostile("billion-laughs-input", _text(f"input: {_laughs()}\nlayers: [relu]\n"), "invalid-input"),
    Hostile("billion-laughs-block-default",
            _text(f"input: [8, 8, 3]\nblocks:\n  b:\n    args: {{x: {_laughs()}}}\n    layers: [relu]\n"
                  "layers: [b]\n"), "too-large"),
    Hostile("billion-laughs-layer-argument",
            _text(f"input: [8, 8, 3]\nlayers:\n  - conv: {{filters: 8, kernel: {_laughs()}}}\n"), "invalid-value",
            in_process=False, child=True,),
    Hostile("nesting-flow-10000", _text("input: " + "[" * 10_000 + "]" * 10_000 + "\nlayers: [relu]\n"),
            "too-deep", child=True),
    Hostile("nesting-flow-mappings-10000",
            _text("input: [8, 8, 3]\nlayers: [relu]\ndescription: " + "{a: " * 10_000 + "b" + "}" * 10_000 + "\n"),
            "too-deep", child=True),
    Hostile("nesting-block-10000", _text("input: [8, 8, 3]\nlayers:\n  " + "- " * 10_000 + "relu\n"),
            "too-deep", child=True),
    Hostile("nesting-indented-mappings-1000", _text(_indented_mappings(1000)), "too-deep", child=True),
    Hostile("nesting-under-the-radar", _text(_under_the_radar()), "too-deep", child=True,),
    Hostile("file-50-megabytes", _big_file, "file-too-large"),
    Hostile("binary-random-bytes", _binary, "binary-file"),
    Hostile("invalid-utf8", _bad_utf8, "invalid-encoding"),
    Hostile("repeat-one-billion", _text("input: [8, 8, 3]\nlayers:\n  - relu: {repeat: 1000000000}\n"),
            "too-many-layers"),
    Hostile("repeat-block-of-repeats",
            _text("input: [8, 8, 3]\nblocks:\n  b:\n    layers:\n      - relu: {repeat: 20000}\n"
                  "layers:\n  - b: {repeat: 20000}\n"), "too-many-layers"),
    Hostile("blocks-doubling-2**21", _text(_doubling_blocks(20)), "too-many-layers"),
    Hostile("blocks-chained-1200", _text(_chained_blocks(1200)), "too-many-layers", child=True,),
    Hostile("integer-5000-digits", _text("input: [8, 8, 3]\nlayers:\n  - conv: {filters: " + "7" * 5000
                                         + ", kernel: 1}\n"), "invalid-value",),
    Hostile("astronomical-shapes",
            _text("input: [8, 8, 3]\nlayers:\n  - upsample: {scale: 1000000, repeat: 1000}\n"
                  "  - conv: {filters: 2, kernel: 1}\n"), None, in_process=False, child=True,),
    Hostile("layers-61000-over-the-size-limit",
            _text("input: [8, 8, 3]\nlayers:\n" + "  - conv: {filters: 8, kernel: 1}\n" * 61_000), "file-too-large",),
    Hostile("layers-21000-over-the-layer-limit",
            _text("input: [8, 8, 3]\nlayers:\n" + "  - relu\n" * 21_000), "too-many-layers",),
]


def _marks(case: Hostile) -> list:
    return [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []


def _assert_clear_refusal(problem: dict, case: Hostile) -> None:
    assert problem is not None, "the hostile file was accepted"
    assert problem["level"] == ERROR
    if case.rule is not None:
        assert problem["rule"] == case.rule, problem["message"]
    message = problem["message"]
    assert len(message) >= 20 and "Traceback" not in message and "Error(" not in message, message


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marks(c)) for c in HOSTILE if c.in_process])
def test_hostile_file_is_refused_quickly(case: Hostile, tmp_path: Path) -> None:
    path = tmp_path / f"{case.id}.yaml"
    case.write(path)
    start = time.process_time()
    result = check_file(str(path))
    elapsed = time.process_time() - start
    assert isinstance(result, FileResult)
    _assert_clear_refusal(result.problems[0].as_dict() if result.problems else None, case)
    assert elapsed < TIME_LIMIT, f"took {elapsed:.2f} s"


_CHILD = r"""
import io, json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from cnncalc.check.files import check_file
start = time.process_time()
result = check_file(sys.argv[1])
elapsed = time.process_time() - start
first = result.problems[0].as_dict() if result.problems else None
# Then the command line in this same interpreter (what `python -m cnncalc` runs), streams captured.
from cnncalc.cli.app import main
cli = {}
for command in (["check", "--format", "json"], ["shape"]):
    sys.argv = ["cnncalc", *command, sys.argv[1]]
    real, sys.stdout, sys.stderr = (sys.stdout, sys.stderr), io.StringIO(), io.StringIO()
    try:
        main()
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    finally:
        err = sys.stderr.getvalue()
        sys.stdout, sys.stderr = real
    cli[command[0]] = {"code": code, "stderr": err[-2000:]}
print(json.dumps({"elapsed": elapsed, "problem": first, "cli": cli}))
"""


@pytest.fixture(scope="module")
def child_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess | None]:
    """Run every child case at once (each waits on its own interpreter); None where one timed out."""
    directory = tmp_path_factory.mktemp("hostile")

    def run(case: Hostile) -> subprocess.CompletedProcess | None:
        path = directory / f"{case.id}.yaml"
        case.write(path)
        try:
            return subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                                  timeout=30)
        except subprocess.TimeoutExpired:
            return None

    children = [c for c in HOSTILE if c.child]
    # Two at a time: more would inflate the elapsed times the cases assert on a 2-core machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((c.id for c in children), pool.map(run, children)))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marks(c)) for c in HOSTILE if c.child])
def test_hostile_file_in_a_child_interpreter(case: Hostile, child_runs: dict) -> None:
    """The interpreter survives (no segfault, no MemoryError), answers in time, and so does the CLI."""
    done = child_runs[case.id]
    if done is None:
        pytest.fail("check_file and the CLI gave no answer within 30 s")
    assert done.returncode == 0, f"child exited {done.returncode}: {done.stderr[-2000:]}"
    report = json.loads(done.stdout)
    _assert_clear_refusal(report["problem"], case)
    assert report["elapsed"] < TIME_LIMIT, f"took {report['elapsed']:.2f} s"
    for command, cli in report["cli"].items():
        assert cli["code"] == 1, f"{command}: exit {cli['code']}: {cli['stderr']}"
        assert "Traceback" not in cli["stderr"] and "internal error" not in cli["stderr"], cli["stderr"]


# -- (b) property tests -------------------------------------------------------------------------

SEEDS = [(ROOT / "specs" / "vgg16.yaml").read_text(encoding="utf-8")] + [
    p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "valid").glob("*.yaml"))]
KIND_NAMES = sorted(ALIASES) + ["basic", "b", "convv"]
ARG_NAMES = sorted({a for k in KINDS.values() for a in k.args} | {"name", "from", "repeat", "filtres"})
TOP_KEYS = ["name", "description", "input", "defaults", "blocks", "layers", "expect", "layer"]
EXPECT_KEYS = ["params", "trainable", "non_trainable", "macs", "max_params", "max_macs", "max_memory", "output"]
# Fragments that are meaningful to YAML or to cnncalc, for insertion and replacement.
FRAGMENTS = ["[", "]", "{", "}", ":", ": ", ",", "-", "- ", "#", "&a ", "*a", "!!str ", "!tag ", "|", ">", "'",
             '"', "%", "@", "`", "\t", "\n", "\n  ", "  ", "---\n", "...\n", "? ", "~", "0", "-1", "1.5", "1e9",
             "99999999999999999999", "true", "null", "same", "valid", "$x", "${x // 0}", "${filters * 4}",
             "from: -1", "repeat: 3", "name: input", "\x00", "\ufeff", "é", "×", "\u2028", "input", "layers",
             "conv", "dense", "add", "flatten", "kernel", "stride", "padding"]

VOCAB = st.sampled_from(KIND_NAMES + ARG_NAMES + TOP_KEYS + EXPECT_KEYS + ["input", "same", "valid", "$x"])
_TOKEN = re.compile(r"[A-Za-z_0-9.$-]+")
_TOKEN_VALUES = st.one_of(VOCAB, st.integers(-3, 600), st.sampled_from(
    [0, 1, 2, 3, 7, 224, 4096, 1.5, "1e9", "99999999999999999999", "true", "null", "~", "''", "[]", "{}",
     "[1, 2, 3]", "[0, 0, 0, 0]", "-1", "-99", "${x}", "${c // 0}", "1K", "1.5G", "7x7x512"]))


@st.composite
def mutated_yaml(draw: st.DrawFn) -> str:
    """A real file's text after a few random character- and line-level mutations."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["token"] * 8 + ["insert", "delete", "replace", "dup-line", "drop-line",
                                                   "swap-lines", "indent", "dedent", "char"]))
        lines = text.split("\n")
        # Tokens outside comments (a mutated comment changes nothing).
        tokens = [m for m in _TOKEN.finditer(text) if "#" not in text[text.rfind("\n", 0, m.start()) + 1:m.start()]]
        if op == "token" and tokens:
            # Swap a word or number for another: keeps the YAML intact, so the analysis sees the change.
            token = tokens[draw(st.integers(0, len(tokens) - 1))]
            text = text[:token.start()] + str(draw(_TOKEN_VALUES)) + text[token.end():]
        elif op in ("insert", "replace", "delete", "char") and text:
            i = draw(st.integers(0, len(text) - 1))
            if op == "insert":
                text = text[:i] + draw(st.sampled_from(FRAGMENTS)) + text[i:]
            elif op == "replace":
                j = min(len(text), i + draw(st.integers(1, 8)))
                text = text[:i] + draw(st.sampled_from(FRAGMENTS) | VOCAB) + text[j:]
            elif op == "delete":
                text = text[:i] + text[i + draw(st.integers(1, 20)):]
            else:
                text = text[:i] + draw(st.characters(codec="utf-8", exclude_categories=["Cs"])) + text[i + 1:]
        elif op in ("dup-line", "drop-line", "indent", "dedent") and lines:
            i = draw(st.integers(0, len(lines) - 1))
            if op == "dup-line":
                lines.insert(i, lines[i])
            elif op == "drop-line":
                del lines[i]
            elif op == "indent":
                lines[i] = " " * draw(st.integers(1, 4)) + lines[i]
            else:
                lines[i] = lines[i][min(len(lines[i]) - len(lines[i].lstrip(" ")), draw(st.integers(1, 4))):]
            text = "\n".join(lines)
        elif op == "swap-lines" and len(lines) > 1:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.integers(), st.floats(),
                     st.text(max_size=12), VOCAB)
_tree = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5)
                     | st.dictionaries(st.one_of(VOCAB, st.text(max_size=8)), inner, max_size=5), max_leaves=25)
_small = st.one_of(_scalars, st.lists(st.integers(-2, 16), min_size=1, max_size=4), st.sampled_from(
    ["same", "valid", "$c", "${c * 2}", "${c // 0}", "input", -1, -2, [-1, "input"]]))
_plausible = st.one_of(st.integers(1, 8), st.lists(st.integers(0, 4), min_size=2, max_size=4),
                       st.sampled_from(["same", "valid", True, False, "relu", 0.5, -1, -2, "input", "$c"]))
_small_pair = st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2))
# Well-typed values per argument name, so that generated layers often get through to the shape arithmetic.
_TYPED = {
    "filters": st.integers(1, 16), "units": st.integers(1, 16), "kernel": _small_pair, "stride": _small_pair,
    "dilation": _small_pair, "output": _small_pair, "scale": _small_pair, "size": _small_pair,
    "padding": st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"]),
                         st.lists(st.integers(0, 2), min_size=4, max_size=4)),
    "cropping": st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=2, max_size=2)),
    "groups": st.sampled_from([1, 2, 3]), "multiplier": st.integers(1, 2), "output_padding": st.integers(0, 1),
    "rate": st.sampled_from([0.0, 0.5]), "size_": st.integers(1, 5), "slope": st.floats(0, 1),
    "alpha": st.floats(0, 2), "mode": st.sampled_from(["nearest", "bilinear"]),
    "activation": st.sampled_from(["relu", "sigmoid", None]),
    "from": st.sampled_from([-1, -2, "input", ["input", -1], [-1, -2], "conv1"]),
    "repeat": st.integers(1, 3), "name": st.sampled_from(["a", "b", "c1", "input", "x.y"]),
}


# Strategies drawn inside flatmap are made once per kind or argument name (functools.cache): a new strategy
# object per draw was validated and checked for emptiness again each time, ~a quarter of generating a file.
@functools.cache
def _typed_arg(name: str) -> st.SearchStrategy:
    return st.tuples(st.just(name), _TYPED.get(name, _plausible))


@functools.cache
def _args_of(kind: str) -> st.SearchStrategy:
    known = KINDS[ALIASES[kind]] if kind in ALIASES else None
    names = (list(known.args) if known else ["c", "k"]) + ["name", "from", "repeat"]
    typed = st.sampled_from(names).flatmap(_typed_arg)
    main = _TYPED.get(known.main, _plausible) if known and known.main else st.none()
    return st.one_of(
        main, main, st.lists(typed, max_size=4).map(dict), st.lists(typed, max_size=4).map(dict),
        _plausible, st.dictionaries(st.sampled_from(names), st.one_of(_plausible, _small), max_size=4))


@functools.cache
def _layer_of(kind: str) -> st.SearchStrategy:
    return st.fixed_dictionaries({kind: _args_of(kind)})


_layer = st.one_of(
    st.sampled_from(KIND_NAMES).flatmap(_layer_of),
    st.sampled_from(KIND_NAMES).flatmap(_layer_of),
    st.sampled_from(KIND_NAMES).flatmap(_layer_of),
    st.sampled_from(KIND_NAMES),
    _tree,
)
_shape = st.one_of(
    st.lists(st.integers(4, 40), min_size=3, max_size=3), st.lists(st.integers(4, 40), min_size=3, max_size=3),
    st.lists(st.integers(4, 40), min_size=3, max_size=3), st.just([16, 16, 3]),
    st.lists(st.integers(-1, 64), min_size=0, max_size=4),
    st.sampled_from(["32x32x3", "8x8", "0x1x1", "100", {"height": 8, "width": 8, "channels": 3}]), _tree)
_spec = st.fixed_dictionaries(
    {"input": _shape, "layers": st.lists(_layer, min_size=1, max_size=10)},
    optional={
        "name": _scalars,
        "defaults": st.dictionaries(st.sampled_from(KIND_NAMES), st.dictionaries(st.sampled_from(ARG_NAMES), _small,
                                                                                   max_size=3), max_size=3),
        "blocks": st.dictionaries(st.sampled_from(["b", "basic", "conv", "unit"]), st.fixed_dictionaries(
            {"layers": st.lists(_layer, max_size=4)},
            optional={"args": st.dictionaries(st.sampled_from(["c", "k", "name"]), _small, max_size=3)}),
            max_size=3),
        "expect": st.dictionaries(st.sampled_from(EXPECT_KEYS), _small, max_size=3),
    },
)


@st.composite
def generated_yaml(draw: st.DrawFn) -> str:
    """YAML dumped from a random Python structure: usually spec-shaped, sometimes anything."""
    value = draw(_spec if draw(st.integers(0, 9)) else _tree)
    return yaml.safe_dump(value, default_flow_style=draw(st.sampled_from([False, True, None])),
                          sort_keys=False, allow_unicode=draw(st.booleans()))


_COMMANDS = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
CLI_ARGS = [["check", "--format", "json"]] if "check" in _COMMANDS else []
CLI_ARGS.append(["shape", "--format", "json"])
_RUNNER = CliRunner()
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def scratch() -> Path:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def _never_crashes(text: str, directory: Path) -> None:
    path = directory / "spec.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = check_file(str(path))  # any exception fails the property
    assert isinstance(result, FileResult)
    for problem in result.problems:
        assert problem.line >= 1 and problem.column >= 1 and problem.rule and problem.message
    assert (result.analysis is None) == any(p.level == ERROR and p.rule not in ("expect-mismatch", "budget-exceeded")
                                           for p in result.problems)
    for args in CLI_ARGS:
        run = _RUNNER.invoke(app, [*args, str(path)])
        assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
        assert run.exit_code in (0, 1), (args, run.exit_code, run.output[-1000:])
        assert "Traceback" not in run.output


@pytest.mark.fuzz  # the property tests are the fuzz tier's; the fast tier keeps the hostile files above
@PROPERTY
@given(text=mutated_yaml())
def test_mutated_files_never_crash(text: str, scratch: Path) -> None:
    _never_crashes(text, scratch)


@pytest.mark.fuzz
@PROPERTY
@given(text=generated_yaml())
def test_generated_yaml_never_crashes(text: str, scratch: Path) -> None:
    _never_crashes(text, scratch)


def test_seeds_are_clean(scratch: Path) -> None:
    """The property tests start from files that are themselves valid."""
    for text in SEEDS:
        path = scratch / "seed.yaml"
        path.write_text(text, encoding="utf-8")
        assert check_file(str(path)).problems == []
