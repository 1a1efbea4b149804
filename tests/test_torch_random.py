"""Random networks, written out and with the language's constructs, built in PyTorch and compared with cnncalc
layer by layer (the torch tier; split from test_torch.py, whose helpers and hand-built cases it shares)."""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; install torch==2.13.0 to compare against it")

from cnncalc.core.analysis import Analysis  # noqa: E402
from cnncalc.core.kinds import ALIASES, KINDS  # noqa: E402
from cnncalc.core.problems import Located, SpecError  # noqa: E402

from test_torch import CPU_BUDGET_MACS  # noqa: E402  (shared with the bundled comparisons)
from conftest import run  # noqa: E402
from torch_model import (  # noqa: E402
    TorchNet, Untranslatable, box, mismatches, run_op, whole_model_figures)

pytestmark = pytest.mark.torch


# --- random networks ----------------------------------------------------------------------------

N_RANDOM = 100  # 2-D networks, seeds 0–99
N_RANDOM_ND = 40  # then 1-D and 3-D networks, alternating, seeds 100–139
SPATIAL_ALIASES = {"conv": ("conv", "conv2d"), "maxpool": ("maxpool", "maxpool2d"), "avgpool": ("avgpool", "avgpool2d"), "depthwise": ("depthwise", "dwconv"),
                   "separable": ("separable", "sepconv"), "deconv": ("deconv", "convtranspose"),
                   "batchnorm": ("batchnorm", "bn"), "dense": ("dense", "fc", "linear"), "silu": ("silu", "swish")}
CHANNELWISE = ("layernorm", "groupnorm", "instancenorm", "layerscale", "shuffle", "channelshuffle", "split", "slice",
               "stochasticdepth", "rescaling", "normalization")
SHAPELESS = ("relu", "relu6", "leakyrelu", "elu", "gelu", "sigmoid", "tanh", "silu", "hardswish", "hardsigmoid",
             "softmax", "identity", "dropout", "prelu", "batchnorm")


@dataclass
class Rejection:
    """A layer cnncalc refused: its kind, raw arguments and the row names it read."""

    kind: str
    args: dict[str, Any]
    inputs: list[str]
    rule: str
    message: str


@dataclass
class Generated:
    """A random network: its YAML text, analysis, and the candidate layers cnncalc refused along the way."""

    seed: int
    header: str
    lines: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    analysis: Analysis | None = None
    # Per accepted layer: (index of its first row, number of rows, kind, raw arguments, row names it reads).
    layers: list[tuple[int, int, str, dict[str, Any], list[str]]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.header + "".join(self.lines)


class Generator:
    """Proposes random layers one at a time; keeps those cnncalc accepts, records those it refuses."""

    def __init__(self, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        # Seeds past N_RANDOM are 1-D and 3-D networks; the 2-D ones draw exactly as before N-d inputs.
        self.rank = 2 if seed < N_RANDOM else (1, 3)[seed % 2]
        if self.rank == 2:
            spatial: tuple[int, ...] = (rng.randint(5, 40), rng.randint(5, 40))
        elif self.rank == 1:
            spatial = (rng.randint(5, 300),)
        else:
            spatial = (rng.randint(3, 10), rng.randint(5, 14), rng.randint(5, 14))
        c = rng.choice([1, 2, 3, 4, 6, 8, 12, 16])
        shape = (*spatial, c)
        self.out = Generated(seed, f"name: random-{seed}\ninput: {json.dumps(list(shape))}\nlayers:\n")
        # One entry per accepted layer (index 0: the input): its reference name, last row name and shape.
        self.refs: list[str | None] = ["input"]
        self.rows: list[str] = ["input"]
        self.shapes: list[tuple[int, ...]] = [shape]
        self.current = 0  # the layer the next one reads by default
        self.count = 0

    # -- random arguments ---------------------------------------------------------------------

    def pair(self, lo: int, hi: int, p_pair: float = 0.25) -> int | list[int]:
        r = self.rng
        if r.random() < p_pair:
            return [r.randint(lo, hi) for _ in range(self.rank)]
        return r.randint(lo, hi)

    def per_axis(self, lists: list[list[int]]) -> list[int]:
        """A 2-D per-axis list from `lists`, or (other ranks) one of their values per axis."""
        r = self.rng
        pick = r.choice(lists)
        return pick if self.rank == 2 else [r.choice(pick) for _ in range(self.rank)]

    def stride(self) -> int | list[int]:
        r = self.rng
        choice = r.choice([1, 1, 1, 2, 2, 3, [1, 2], [2, 1], [3, 2]])
        return choice if isinstance(choice, int) or self.rank == 2 else self.per_axis([choice])

    def dilation(self) -> int | list[int]:
        choice = self.rng.choice([1, 1, 1, 1, 2, 3, [1, 2], [2, 3]])
        return choice if isinstance(choice, int) or self.rank == 2 else self.per_axis([choice])

    def padding(self, hi: int = 3, same: bool = True) -> Any:
        r = self.rng
        n = self.rank
        forms = [lambda: r.randint(0, hi), lambda: [r.randint(0, hi) for _ in range(n)],
                 lambda: [r.randint(0, hi) for _ in range(2 * n)], lambda: [r.randint(0, hi) for _ in range(2 * n)],
                 lambda: "valid"]
        if same:
            forms += [lambda: "same", lambda: "same"]
        return r.choice(forms)()

    def spatial(self, args: dict[str, Any], kernel_hi: int = 7) -> dict[str, Any]:
        r = self.rng
        args["kernel"] = self.pair(1, kernel_hi)
        for key, make in (("stride", self.stride), ("dilation", self.dilation), ("padding", self.padding)):
            if r.random() < 0.75:
                args[key] = make()
        if r.random() < 0.3:
            args["bias"] = r.random() < 0.5
        if r.random() < 0.15:
            args["activation"] = r.choice(["relu", "relu6", "sigmoid", "swish", "none", "linear", "gelu"])
        return args

    # -- writing and trying one layer ------------------------------------------------------------

    def ref(self, index: int, position: int) -> Any:
        """How the layer at `position` refers to accepted layer `index`: its name or a negative offset."""
        name = self.refs[index]
        return name if name is not None else index - position

    def attempt(self, kind: str, args: dict[str, Any] | None = None, sources: list[int] | None = None,
                repeat: int = 1) -> bool:
        """Write the layer, analyse the network with it; keep it if cnncalc accepts it."""
        r = self.rng
        args = dict(args or {})
        canonical = ALIASES[kind]
        position = len(self.refs)  # its index once accepted
        self.count += 1
        name = f"L{self.count}" if r.random() < 0.7 or sources and len(sources) > 1 else None
        srcs = sources if sources is not None else [self.current]
        options: dict[str, Any] = {}
        if name:
            options["name"] = name
        if KINDS[canonical].merge or srcs != [position - 1]:
            refs = [self.ref(i, position) for i in srcs]
            options["from"] = refs if KINDS[canonical].merge else refs[0]
        if repeat > 1:
            options["repeat"] = repeat
        main = KINDS[canonical].main
        if not args and not options:
            line = f"  - {kind}\n"
        elif not options and list(args) == [main] and r.random() < 0.6:
            line = f"  - {kind}: {json.dumps(args[main])}\n"
        elif KINDS[canonical].merge and list(options) == ["from"] and r.random() < 0.6:
            line = f"  - {kind}: {json.dumps(options['from'])}\n"
        else:
            body = ", ".join(f"{k}: {json.dumps(v)}" for k, v in {**args, **options}.items())
            line = f"  - {kind}: {{{body}}}\n"
        try:
            analysis = run(self.out.text + line, f"random-{self.out.seed}.yaml")
        except SpecError as exc:
            self.out.rejections.append(Rejection(canonical, args, [self.rows[i] for i in srcs],
                                                 exc.problem.rule, exc.problem.message))
            return False
        first = len(self.out.analysis.rows) if self.out.analysis else 0
        self.out.layers.append((first, len(analysis.rows) - first, canonical, args, [self.rows[i] for i in srcs]))
        self.out.lines.append(line)
        self.out.analysis = analysis
        self.refs.append(name)
        self.rows.append(analysis.rows[-1].name)
        self.shapes.append(tuple(analysis.rows[-1].output))
        self.current = position
        return True

    # -- proposals -------------------------------------------------------------------------------

    def alias(self, kind: str) -> str:
        name = self.rng.choice(SPATIAL_ALIASES.get(kind, (kind,)))
        # The rank-checking names follow the input's rank (a wrong one is refused: tests/invalid covers it).
        return name.replace("2d", f"{self.rank}d") if name.endswith("2d") else name

    def maps(self) -> list[int]:
        return [i for i, s in enumerate(self.shapes) if len(s) > 1]

    def feature_layer(self) -> None:
        r = self.rng
        *sizes, c = self.shapes[self.current]
        positions = 1
        for n in sizes:
            positions *= n
        small = positions <= 400
        choice = r.choices(
            ["conv", "depthwise", "separable", "deconv", "pool", "shapeless", "zeropad", "crop", "upsample",
             "adaptive", "residual", "concat", "se", "random_merge", "branch", "repeat", "channelwise"],
            [14, 5, 5, 5 if small else 1, 8, 8, 3, 3, 3 if small else 0, 1, 5, 4, 2, 2, 3, 2, 8])[0]
        if choice == "conv":
            groups = 1
            if r.random() < 0.3:
                groups = r.choice([d for d in range(1, c + 1) if c % d == 0])
            filters = groups * r.randint(1, max(1, 16 // groups))
            args = {"filters": filters}
            if r.random() < 0.06:  # possibly invalid grouping
                groups, args["filters"] = r.randint(2, 4), r.randint(1, 12)
            self.spatial(args)
            if groups > 1:
                args["groups"] = groups
            self.attempt(self.alias("conv"), args)
        elif choice == "depthwise":
            args = {}
            if c * 3 <= 32 and r.random() < 0.4:
                args["multiplier"] = r.randint(1, 3)
            self.attempt(self.alias("depthwise"), self.spatial(args))
        elif choice == "separable":
            args = {"filters": r.randint(1, 16)}
            if c * 2 <= 32 and r.random() < 0.4:
                args["multiplier"] = r.randint(1, 2)
            self.attempt(self.alias("separable"), self.spatial(args))
        elif choice == "deconv":
            args = {"filters": r.randint(1, 12), "kernel": self.pair(1, 5)}
            if r.random() < 0.8:
                stride = r.choice([1, 2, 2, 3, [2, 1], [1, 3], [2, 2]])
                args["stride"] = stride if isinstance(stride, int) or self.rank == 2 else self.per_axis([stride])
            if r.random() < 0.3:
                dilation = r.choice([1, 2, [1, 2]])
                args["dilation"] = dilation if isinstance(dilation, int) or self.rank == 2 else self.per_axis([dilation])
            pad = self.padding(hi=2) if r.random() < 0.8 else None
            if pad is not None:
                args["padding"] = pad
            if pad != "same" and r.random() < 0.6:
                stride = args.get("stride", 1)
                strides = stride if isinstance(stride, list) else [stride] * self.rank
                args["output_padding"] = (self.pair(0, 2) if r.random() < 0.25  # often invalid
                                          else [r.randint(0, s - 1) for s in strides])
            if r.random() < 0.2:
                g = r.choice([d for d in range(1, c + 1) if c % d == 0])
                args["groups"], args["filters"] = g, g * r.randint(1, max(1, 8 // g))
            if r.random() < 0.3:
                args["bias"] = False
            self.attempt(self.alias("deconv"), args)
        elif choice == "pool":
            kind = r.choice(["maxpool", "maxpool", "avgpool", "sumpool"])
            if self.rank != 2 and kind != "sumpool":  # the 2-D draws stay as they were
                kind = self.alias(kind)
            args: dict[str, Any] = {"kernel": self.pair(1, 4)}
            if r.random() < 0.6:
                args["stride"] = self.stride()
            if r.random() < 0.5:
                args["padding"] = self.padding(hi=2)
            if r.random() < 0.4:
                pad = args.get("padding", 0)
                # ceil with more trailing than leading padding has no PyTorch form; see torch_model._pool
                if not (isinstance(pad, list) and len(pad) == 2 * self.rank
                        and any(pad[i] < pad[i + 1] for i in range(0, len(pad), 2))):
                    args["ceil"] = True
            self.attempt(kind, args)
        elif choice == "shapeless":
            kind = r.choice(SHAPELESS + ("lrn",))
            args = {}
            if kind == "leakyrelu" and r.random() < 0.5:
                args["slope"] = r.choice([0.1, 0.2])
            elif kind == "elu" and r.random() < 0.5:
                args["alpha"] = 0.5
            elif kind == "dropout" and r.random() < 0.7:
                args["rate"] = r.choice([0, 0.2, 0.5])
            elif kind == "prelu" and r.random() < 0.5:
                args["shared"] = r.random() < 0.5
            elif kind == "batchnorm" and r.random() < 0.3:
                args["affine"] = False
            elif kind == "lrn" and r.random() < 0.7:
                args["size"] = r.randint(1, 5)
            self.attempt(self.alias(kind), args)
        elif choice == "zeropad":
            self.attempt("zeropad", {"padding": self.padding(hi=3, same=False)})
        elif choice == "crop":
            self.attempt("crop", {"cropping": self.padding(hi=3, same=False)})
        elif choice == "upsample":
            if r.random() < 0.7:
                args = {"scale": self.pair(1, 3)}
            else:
                args = {"size": [r.randint(1, 24) for _ in range(self.rank)]}
            if r.random() < 0.4:
                modes = {1: ["nearest", "linear", "bilinear"], 2: ["nearest", "bilinear", "bicubic"],
                         3: ["nearest", "trilinear", "bicubic"]}[self.rank]  # the last is refused outside 2-D
                args["mode"] = r.choice(modes)
            self.attempt("upsample", args)
        elif choice == "adaptive":
            self.attempt(r.choice(["adaptiveavgpool", "adaptivemaxpool"]), {"output": self.pair(1, 6)})
        elif choice == "residual":
            x = self.current
            ok = self.attempt(self.alias("conv"), {"filters": c, "kernel": r.choice([1, 3, 5]), "padding": "same",
                                                   "dilation": r.choice([1, 1, 2])})
            if ok and r.random() < 0.5:
                ok = self.attempt(self.alias("batchnorm"))
            if ok:
                self.attempt("add", sources=[x, self.current] if r.random() < 0.5 else [self.current, x])
        elif choice == "concat":
            x = self.current
            branches = [x] if r.random() < 0.3 else []
            for _ in range(r.randint(1, 3)):
                self.current = x
                kernel = r.choice([1, 3, [1, 3], 5])
                if isinstance(kernel, list) and self.rank != 2:
                    kernel = self.per_axis([kernel])
                args = {"filters": r.randint(1, 8), "kernel": kernel, "padding": "same"}
                if self.attempt(self.alias("conv"), args):
                    branches.append(self.current)
            if len(branches) >= 2:
                self.attempt("concat", sources=branches)
        elif choice == "se":
            x = self.current
            self.attempt("globalavgpool")
            self.attempt(self.alias("conv"), {"filters": max(1, c // 4), "kernel": 1, "activation": "relu"})
            ok = self.attempt(self.alias("conv"), {"filters": c, "kernel": 1, "activation": "sigmoid"})
            if ok:
                self.attempt("multiply", sources=[x, self.current] if r.random() < 0.5 else [self.current, x])
        elif choice == "random_merge":
            # Any two earlier layers: often of different shapes, which cnncalc must refuse (and PyTorch too).
            picks = r.sample(range(len(self.shapes)), 2) if len(self.shapes) >= 2 else [0, 0]
            self.attempt(r.choice(["add", "multiply", "concat"]), sources=picks)
        elif choice == "channelwise":
            self.channelwise(c, small)
        elif choice == "branch":
            self.current = r.choice(self.maps())
        elif choice == "repeat":
            kind = r.choice(["conv", "bn", "relu", "depthwise"])
            if kind == "conv":
                self.attempt(self.alias("conv"), {"filters": c, "kernel": r.choice([1, 3]), "padding": "same"},
                             repeat=r.randint(2, 3))
            elif kind == "depthwise":
                self.attempt("dwconv", {"kernel": 3, "padding": 1}, repeat=r.randint(2, 3))
            else:
                self.attempt(kind, {}, repeat=r.randint(2, 3))

    def channelwise(self, c: int, small: bool) -> None:
        """A normalisation, scale, channel selection or attention layer, sometimes with arguments that do not fit."""
        r = self.rng
        kind = r.choice(CHANNELWISE + (("attention",) if small else ()))
        divisor = r.choice([d for d in range(1, c + 1) if c % d == 0]) if r.random() < 0.85 else r.randint(2, 5)
        args: dict[str, Any] = {}
        if kind in ("groupnorm", "shuffle", "channelshuffle"):
            args["groups"] = divisor
        elif kind == "split":
            args["parts"] = divisor
            if r.random() < 0.7:
                args["index"] = r.randint(0, divisor)  # sometimes one past the last part
        elif kind == "slice":
            start = r.randint(0, c - 1)
            args["channels"] = [start, r.randint(start + 1, c + (1 if r.random() < 0.2 else 0))]
        elif kind == "attention":
            args["heads"] = divisor
            if r.random() < 0.4:
                args["dim"] = divisor * r.randint(1, 4)
            if r.random() < 0.3:
                args["bias"] = False
        elif kind in ("layernorm", "groupnorm", "instancenorm") and r.random() < 0.4:
            args["affine"] = kind != "instancenorm"  # the other default
            if kind == "instancenorm" and r.random() < 0.5:
                args["track_running_stats"] = True
        elif kind == "rescaling":
            args = {"scale": r.choice([1 / 255, 2.0]), "offset": r.choice([0, -1])}
        elif kind == "normalization" and r.random() < 0.3:
            args["adapt"] = False
        elif kind == "stochasticdepth" and r.random() < 0.5:
            args["rate"] = r.choice([0.1, 0.2])
        self.attempt(kind, args)

    def vector_layer(self) -> None:
        r = self.rng
        (n,) = self.shapes[self.current]
        choice = r.choice(["dense", "dense", "shapeless", "concat", "add", "channelwise"])
        if choice == "dense":
            args = {"units": r.randint(1, 32)}
            if r.random() < 0.3:
                args["bias"] = False
            if r.random() < 0.3:
                args["activation"] = r.choice(["relu", "softmax", "tanh"])
            self.attempt(self.alias("dense"), args)
        elif choice == "shapeless":
            kind = r.choice(SHAPELESS)
            self.attempt(self.alias(kind), {"shared": True} if kind == "prelu" and r.random() < 0.3 else {})
        elif choice == "channelwise":
            self.channelwise(n, False)
        else:
            x = self.current
            units = n if choice == "add" else r.randint(1, 16)
            if self.attempt(self.alias("dense"), {"units": units}):
                self.attempt(choice, sources=[x, self.current])

    def generate(self) -> Generated:
        r = self.rng
        for _ in range(r.randint(4, 20)):
            self.feature_layer()
        if len(self.shapes[self.current]) > 1:
            tail = r.choice(["flatten", "gap", "gmp", "adaptive"])
            if tail == "gap":
                self.attempt("globalavgpool")
            elif tail == "gmp":
                self.attempt("globalmaxpool")
            elif tail == "adaptive":
                self.attempt("adaptiveavgpool", {"output": self.pair(1, 3)})
            self.attempt("flatten")
        for _ in range(r.randint(0, 3)):
            self.vector_layer()
        self.attempt(self.alias("dense"), {"units": r.randint(1, 20)})
        assert self.out.analysis is not None and self.out.analysis.output == self.shapes[-1]
        return self.out


@functools.lru_cache(maxsize=None)
def generated(seed: int) -> Generated:
    return Generator(seed).generate()


# Seeds whose network exposes a cnncalc bug: {seed: reason}. Each is xfail(strict) below.
RANDOM_XFAIL: dict[int, str] = {}


def _seeds() -> list[Any]:
    return [pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=RANDOM_XFAIL[s])) if s in RANDOM_XFAIL
            else s for s in range(N_RANDOM + N_RANDOM_ND)]


@functools.lru_cache(maxsize=None)
def built(seed: int) -> TorchNet:
    return TorchNet(generated(seed).analysis)


# The random networks are generated and built once per process (lru_cache): under pytest-xdist's
# --dist loadgroup every test that uses them runs in one worker, so none is built twice.
RANDOM_NETS = pytest.mark.xdist_group("random-networks")


@RANDOM_NETS
@pytest.mark.parametrize("seed", _seeds())
def test_random_network_matches_torch(seed: int) -> None:
    gen = generated(seed)
    assert gen.analysis is not None, gen.text
    try:
        net = built(seed)
        assert len(net.measured) == len(gen.analysis.rows)
        assert mismatches(gen.analysis, net) == []
        shape, trainable, running, flops = whole_model_figures(net)
        assert (shape, trainable, running, flops) == (gen.analysis.output, gen.analysis.totals.trainable,
                                                      gen.analysis.totals.non_trainable, 2 * gen.analysis.totals.macs)
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__}: {exc}\n--- network ---\n{gen.text}") from None


def _as_written(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The spec's argument forms read independently of cnncalc: integers and [h, w] pairs, padding as
    (top, bottom, left, right), documented defaults filled for what was not written."""
    def pair(v: Any) -> tuple[int, ...]:
        return (v, v) if isinstance(v, int) else tuple(v)

    def read_box(v: Any) -> Any:
        if v in ("same", "valid"):
            return "same" if v == "same" else (0, 0, 0, 0)
        if isinstance(v, int):
            return (v,) * 4
        return (v[0], v[0], v[1], v[1]) if len(v) == 2 else tuple(v)

    readers = {"kernel": pair, "stride": pair, "dilation": pair, "output_padding": pair, "output": pair,
               "scale": pair, "size": pair, "padding": read_box, "cropping": read_box}
    defaults = {"stride": None if kind in POOLS else (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0),
                "groups": 1, "bias": True, "multiplier": 1, "output_padding": (0, 0), "ceil": False,
                "activation": "none", "affine": True, "shared": False, "rate": 0.5, "slope": 0.01, "alpha": 1.0,
                "mode": "nearest"}
    if kind == "lrn":
        defaults["size"] = 5
    if kind == "upsample":
        defaults.update(scale=None, size=None)
    if kind == "instancenorm":
        defaults.update(affine=False, track_running_stats=False)
    defaults.update({"stochasticdepth": {"rate": 0.0}, "split": {"index": 0}, "attention": {"dim": None},
                     "rescaling": {"offset": 0.0}, "normalization": {"adapt": True},
                     "layerscale": {"bias": False}}.get(kind, {}))
    if kind == "rescaling":
        readers = {}
    readers["channels"] = tuple
    out = {k: v for k, v in defaults.items() if k in KINDS[kind].args}
    for k, v in raw.items():
        out[k] = readers[k](v) if k in readers and not (kind == "lrn" and k == "size") else v
    return out


@RANDOM_NETS
def test_generated_layers_are_read_as_written() -> None:
    """Guards the translator's blind spots: it takes arguments and wiring from cnncalc's rows, so check those
    against what the generator wrote (rows of one layer share its arguments; a repeat chains its rows)."""
    layers = 0
    for seed in range(N_RANDOM + N_RANDOM_ND):
        gen = generated(seed)
        rows = gen.analysis.rows
        for first, count, kind, raw, sources in gen.layers:
            expected = _as_written(kind, raw)
            for i, row in enumerate(rows[first:first + count]):
                assert row.kind == kind
                assert {k: row.args[k] for k in expected} == expected, (seed, row.name, raw)
                assert list(row.inputs) == (sources if i == 0 else [rows[first + i - 1].name]), (seed, row.name)
            layers += 1
    assert layers >= 1000


def _convert(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Arguments converted as cnncalc converts them, defaults filled (the layer was refused, so no row has them)."""
    where = Located("<generated>", 0, 0)
    args = {}
    for name, arg in KINDS[kind].args.items():
        args[name] = arg.convert(raw[name], where) if name in raw else arg.default
    return args


POOLS = ("maxpool", "avgpool", "sumpool")


def _symmetric(pad: Any, rank: int) -> bool:
    pads = box(pad, rank)
    return all(pads[i] == pads[i + 1] for i in range(0, len(pads), 2))


def _broadcastable(shapes: list[torch.Size]) -> bool:
    try:
        torch.broadcast_shapes(*shapes)
        return True
    except RuntimeError:
        return False


@RANDOM_NETS
def test_torch_also_rejects_what_cnncalc_rejects() -> None:
    """Every layer cnncalc refused while generating is applied in PyTorch to the tensors it would have read."""
    wrong, checked, kinds = [], 0, set()
    for seed in range(N_RANDOM + N_RANDOM_ND):
        gen = generated(seed)
        if not gen.rejections:
            continue
        values = built(seed).values
        for rej in gen.rejections:
            inputs = [values[n] for n in rej.inputs]
            if rej.kind in ("add", "multiply") and _broadcastable([t.shape for t in inputs]):
                continue  # cnncalc is stricter than broadcasting by design (only a 1×1×C gate broadcasts)
            args = _convert(rej.kind, rej.args)
            rank = max(1, inputs[0].dim() - 2)
            if rej.kind in POOLS and args["padding"] != "same" and not _symmetric(args["padding"], rank):
                continue  # PyTorch pools pad symmetrically only; cnncalc's limit on one-sided padding is its own
            if rej.rule == "invalid-channels":
                continue  # PyTorch slicing clips a range to the channels rather than refusing it
            if rej.kind in POOLS and args["ceil"] and rej.rule == "kernel-too-large":
                continue  # a known cnncalc bug, pinned by test_ceil_pool_window_may_overhang_the_input
            try:
                out = run_op(rej.kind, args, inputs)
            except Untranslatable:
                continue
            except (RuntimeError, ValueError, AssertionError):  # MultiheadAttention asserts its heads divide
                checked += 1
                kinds.add((rej.kind, rej.rule))
                continue
            if out.numel() == 0:  # PyTorch slicing crops to an empty tensor rather than raising
                checked += 1
                kinds.add((rej.kind, rej.rule))
                continue
            wrong.append(f"seed {seed}: cnncalc refused {rej.kind} {rej.args} on "
                         f"{[tuple(t.shape) for t in inputs]} ({rej.rule}: {rej.message}) but PyTorch gives "
                         f"{tuple(out.shape)}")
    assert wrong == []
    assert checked >= 60, checked
    assert {("conv", "kernel-too-large"), ("conv", "invalid-groups"), ("crop", "empty-output"),
            ("deconv", "invalid-value")} <= kinds, kinds


@RANDOM_NETS
def test_random_networks_cover_the_kinds_and_refusals() -> None:
    """The generator really exercises what it claims: every spatial kind, merges, ceil, same, refusals."""
    kinds: set[str] = set()
    rules: set[str] = set()
    layers = refusals = 0
    for seed in range(N_RANDOM):
        gen = generated(seed)
        kinds |= {r.kind for r in gen.analysis.rows}
        layers += len(gen.analysis.rows)
        rules |= {rej.rule for rej in gen.rejections}
        refusals += len(gen.rejections)
    wanted = {"conv", "depthwise", "separable", "deconv", "maxpool", "avgpool", "sumpool", "batchnorm", "zeropad",
              "crop", "upsample", "add", "concat", "multiply", "flatten", "dense", "globalavgpool", "prelu",
              "layernorm", "groupnorm", "instancenorm", "layerscale", "shuffle", "split", "slice", "stochasticdepth",
              "attention", "rescaling", "normalization"}
    assert wanted <= kinds, sorted(wanted - kinds)
    assert {"kernel-too-large", "shape-mismatch", "invalid-groups", "invalid-value", "invalid-channels"} <= rules, rules
    assert layers >= 1000 and refusals >= 50, (layers, refusals)


@RANDOM_NETS
def test_random_networks_cover_1d_and_3d() -> None:
    """The 1-D and 3-D networks exercise every kind whose meaning extends, with per-axis lists and refusals."""
    wanted = {"conv", "depthwise", "separable", "deconv", "maxpool", "avgpool", "sumpool", "batchnorm", "zeropad",
              "crop", "upsample", "add", "concat", "multiply", "flatten", "globalavgpool", "adaptiveavgpool"}
    for rank in (1, 3):
        kinds: set[str] = set()
        rules: set[str] = set()
        per_axis = ceil = 0
        for seed in range(N_RANDOM, N_RANDOM + N_RANDOM_ND):
            gen = generated(seed)
            if len(gen.analysis.input) != rank + 1:
                continue
            kinds |= {r.kind for r in gen.analysis.rows}
            rules |= {rej.rule for rej in gen.rejections}
            per_axis += sum(1 for _, _, _, raw, _ in gen.layers
                            for v in raw.values() if isinstance(v, list) and len(v) in (rank, 2 * rank))
            ceil += sum(1 for _, _, _, raw, _ in gen.layers if raw.get("ceil"))
        assert wanted <= kinds, (rank, sorted(wanted - kinds))
        assert {"kernel-too-large", "invalid-value"} <= rules, (rank, rules)
        assert per_axis >= 20 and ceil >= 3, (rank, per_axis, ceil)
# --- random networks written with the language: variables, functions, `if:`, `repeat: 0`, kinds as block
# --- arguments, expression defaults, block defaults and references into block uses -------------------

LANGUAGE_SEEDS = range(1000, 1040)
LANGUAGE_BLOCKS = """blocks:
  unit:
    args: {f: ~, act: relu, se: false, stride: 1, hidden: '${make_divisible(in_channels * m, 4)}'}
    defaults: {conv: {bias: false}}
    layers:
      - conv: {filters: $hidden, kernel: 1, name: expand}
      - $act: {name: act}
      - conv: {filters: $f, kernel: 3, padding: 1, stride: $stride, name: conv}
      - globalavgpool: {name: pool, if: $se}
      - conv: {filters: '${max(1, f // 4)}', kernel: 1, activation: relu, bias: true, name: squeeze, if: $se}
      - conv: {filters: $f, kernel: 1, activation: sigmoid, bias: true, name: gate, if: $se}
      - multiply: {from: [conv, gate], name: scale, if: $se}
      - add: {from: [input, -1], name: add, if: '${stride == 1 and in_channels == f}'}
"""


class LanguageGenerator(Generator):
    """The random generator, with a fifth of its proposals written through the language's constructs."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        r = self.rng
        self.m = r.choice([0.5, 0.75, 1.0, 1.1, 1.3, 2.0])
        self.on = r.random() < 0.5
        self.units: list[str] = []
        self.out.header = self.out.header.replace(
            "layers:\n", f"vars:\n  m: {self.m}\n  flag: {str(self.on).lower()}\n{LANGUAGE_BLOCKS}layers:\n")
        self.constructs: set[str] = set()

    def accept(self, line: str, construct: str, passes: int | None = None) -> bool:
        """Analyse with `line` added; keep it if accepted (`passes`: the entry it passes through, if skipped)."""
        try:
            analysis = run(self.out.text + line, f"random-{self.out.seed}.yaml")
        except SpecError as exc:
            self.out.rejections.append(Rejection(construct, {}, [], exc.problem.rule, exc.problem.message))
            return False
        self.out.lines.append(line)
        self.out.analysis = analysis
        self.refs.append(line.split("name: ")[1].split("}")[0].split(",")[0] if "name: " in line else None)
        self.rows.append(self.rows[passes] if passes is not None else analysis.rows[-1].name)
        self.shapes.append(self.shapes[passes] if passes is not None else tuple(analysis.rows[-1].output))
        self.current = len(self.refs) - 1
        self.constructs.add(construct)
        return True

    def feature_layer(self) -> None:
        r = self.rng
        if r.random() >= 0.2:
            return super().feature_layer()
        self.count += 1
        name, c = f"L{self.count}", self.shapes[self.current][-1]
        src = self.ref(self.current, len(self.refs))
        choice = r.choice(["width", "skip", "repeat0", "unit", "unit", "into"])
        if choice == "width":
            self.accept(f"  - conv: {{filters: '${{make_divisible({c} * m, 8)}}', kernel: 1, from: {json.dumps(src)}, "
                        f"name: {name}}}\n", "width")
        elif choice in ("skip", "repeat0"):
            option = "if: ${not flag}" if self.on else "if: $flag"
            option = "repeat: 0" if choice == "repeat0" else f"'{option[4:]}'".join(["if: ", ""])
            self.accept(f"  - conv: {{filters: 5, kernel: 3, from: {json.dumps(src)}, name: {name}, {option}}}\n",
                        choice, passes=self.current)
        elif choice == "unit":
            f = r.choice([c, c, r.randint(1, 12)])
            act = r.choice(["relu", "hardswish", "silu", "relu6"])
            ok = self.accept(f"  - unit: {{f: {f}, act: {act}, se: {str(r.random() < 0.5).lower()}, "
                             f"stride: {r.choice([1, 1, 2])}, from: {json.dumps(src)}, name: {name}}}\n", "unit")
            if ok:
                self.units.append(name)
        elif self.units:
            unit = r.choice(self.units)
            self.accept(f"  - relu: {{from: {unit}.{r.choice(['expand', 'act'])}, name: {name}}}\n", "into")


@functools.lru_cache(maxsize=None)
def language_generated(seed: int) -> LanguageGenerator:
    generator = LanguageGenerator(seed)
    generator.generate()
    return generator


@RANDOM_NETS
@pytest.mark.parametrize("seed", LANGUAGE_SEEDS)
def test_random_network_written_with_the_language_matches_torch(seed: int) -> None:
    gen = language_generated(seed).out
    assert gen.analysis is not None, gen.text
    # A random net can be large (a dense layer on a big map): those are compared on the meta device.
    large = gen.analysis.totals.macs > CPU_BUDGET_MACS or gen.analysis.totals.params > 50_000_000
    try:
        net = TorchNet(gen.analysis, "meta" if large else "cpu")
        assert mismatches(gen.analysis, net) == []
        if large:
            return
        shape, trainable, running, flops = whole_model_figures(net)
        assert (shape, trainable, running, flops) == (gen.analysis.output, gen.analysis.totals.trainable,
                                                      gen.analysis.totals.non_trainable, 2 * gen.analysis.totals.macs)
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__}: {exc}\n--- network ---\n{gen.text}") from None


@RANDOM_NETS
def test_language_networks_use_every_construct() -> None:
    """Every construct is accepted somewhere, and built as written: a skipped use adds no row, a unit's
    expansion follows make_divisible(in × m, 4), its residual and SE appear exactly when their conditions hold."""
    used: set[str] = set()
    for seed in LANGUAGE_SEEDS:
        generator = language_generated(seed)
        used |= generator.constructs
        rows = generator.out.analysis.rows
        for row in rows:
            if row.name.endswith(".expand"):
                c = next(r for r in rows if r.name == row.inputs[0]).output[-1] if row.inputs[0] != "input" else \
                    generator.out.analysis.input[-1]
                v = c * generator.m
                hidden = max(4, int(v + 2) // 4 * 4)
                assert row.args["filters"] == (hidden + 4 if hidden < 0.9 * v else hidden) and not row.args["bias"]
        assert not any(".skipped" in r.name for r in rows)
    assert used == {"width", "skip", "repeat0", "unit", "into"}, used
