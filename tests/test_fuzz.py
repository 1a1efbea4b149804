"""The fuzz tier (`-m fuzz`; CI runs it, the README's command leaves it out): hostile input through every
stage a user can reach, checked for the promise, not for particular answers.

- Specs: mutated real files and generated YAML, with the fragments that broke cnncalc before (control
  characters beside deep brackets, explicit tags with values they cannot hold, `.nan`, encoding cookies
  in names), through check, every table format, explain, the SVG diagram, the HTML report and export.
- Exported modules: whatever a name holds, the module's encoding is UTF-8, it compiles, nothing from the
  file is code, and (with torch) importing it runs nothing and its network equals cnncalc's figures.
- Configuration files: any text in or around `[tool.cnncalc]` / `.cnncalc.yaml` is a config or
  `invalid-config`, never a crash.
- ONNX and Darknet bytes: corrupted and generated files give an ImportResult (a spec or problems); an
  imported spec always analyses.

The promise everywhere: a value or a positioned Problem with a registered rule; no other exception.
CNNCALC_FUZZ_EXAMPLES sets the examples per property (default 150; CI's tier runs more).
"""

from __future__ import annotations

import functools
import io
import os
import re
import sys
import tokenize
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cnncalc.core.analysis import Analysis, analyze
from cnncalc.check.files import FileResult, check_file
from cnncalc.core.problems import SpecError
from cnncalc.core.rules import RULES
from cnncalc.core.spec import loads

import test_robustness as robustness

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# What broke cnncalc before, for insertion into real files.
HOSTILE_FRAGMENTS = [
    "\x01", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u202e", "\ufffe", "[" * 70, "{a: " * 70, "]" * 70,
    "!!float abc", "!!int 5 0.25", "!!bool maybe", "!!int 0x", "!!float .inf", ".nan", "-.inf", "!!null x",
    "coding: unicode_escape", "\\n__import__('os')", "-*- coding: utf-7 -*-", "vim: set ft=python:",
    '"n\\e[31m\\x07\\x85\\u2028"', "name: \"\\x1b\\x01\"\n", "${round(nan)}", "${1e308 * 10}", "${int(1e400)}", "${log(0)}", "$k", "- $k", "99999999999999999999",
]


@st.composite
def hostile_yaml(draw: st.DrawFn) -> str:
    """A real file mutated, then a hostile fragment put somewhere in it."""
    text = draw(robustness.mutated_yaml())
    if draw(st.booleans()) and text:
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from(HOSTILE_FRAGMENTS)) + text[i:]
    return text


def _registered(problems: list[Any]) -> None:
    for problem in problems:
        assert problem.rule in RULES, problem
        assert problem.line >= 1 and problem.column >= 1 and problem.message


# --- specs through every stage ----------------------------------------------------------------------

def _every_output(analysis: Analysis) -> None:
    """Every writer of an analysis: tables, explain, diagram (well-formed XML), report, export."""
    from cnncalc.explain import steps as explain
    from cnncalc.explain import render as explain_render
    from cnncalc.shape import render
    from cnncalc.draw.layout import Options, layout
    from cnncalc.core.memory import estimate
    from cnncalc.draw.report import html
    from cnncalc.draw.svg import render as svg

    memory = estimate(analysis)
    for fmt, writer in render.FORMATS.items():
        text = writer(render.TableView(analysis, memory, ("output", "params", "macs", "memory", "rf", "weights",
                                                          "args"), None if fmt != "table" else 0))
        if fmt != "json":  # JSON escapes C0 controls and may carry DEL and C1 as they are
            _no_controls(text)
    explained = explain.explain_analysis(analysis)
    _planned_and_counted(analysis)
    for fmt, writer in explain_render.FORMATS.items():
        text = writer(explained)
        if fmt != "json":
            _no_controls(text)
    if len(analysis.network.layers) <= 400:  # the layout is the slow part; large trees say nothing new
        drawing = svg(layout(analysis, Options()))
        ElementTree.fromstring(drawing)
        html(analysis, memory, Options())
    _exported(analysis)


def _planned_and_counted(analysis: Analysis) -> None:
    """`cnncalc memory`'s every figure and writer, and every counter's convention, on any analysis."""
    from cnncalc.conventions import NAMES, NotModelled, count
    from cnncalc.core.memory import liveness
    from cnncalc.memory import render as memory_render
    from cnncalc.memory.command import Report
    from cnncalc.memory.devices import DEVICES
    from cnncalc.memory.plan import POLICIES, block_uses, fit, quantize, roofline, training

    plan = liveness(analysis, 2)
    assert plan.peak_bytes == sum(size for _, size, _ in plan.peak_alive)  # a padded copy may exceed the naive sum
    step = training(analysis, plan, "adamw", POLICIES["mixed-bf16"], block_uses(analysis))
    assert step.total >= step.saved >= 0 and step.recompute_bytes >= 0
    fitted = fit(plan, (2**30, "1GiB"), step, (0.1, 2**20))
    quantized = quantize(analysis, plan, ("W4A16", 4, 16), ("per-group", 32), ())
    report = Report(analysis, plan, step, fitted, quantized, roofline(analysis, plan, DEVICES["l4"]), DEVICES["l4"])
    for writer in memory_render.FORMATS.values():
        _no_controls(writer(report).replace("\n", " ")) if writer is not memory_render.json_text else writer(report)
    for name in NAMES:
        try:
            counted = count(analysis, name)
        except NotModelled:
            continue
        assert counted.total >= 0 and counted.params >= 0


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _no_controls(text: str) -> None:
    """Human formats show a control character from a name as `\\x1b`; JSON escapes it its own way."""
    assert not _CONTROL.search(text), repr(_CONTROL.search(text))


def _exported(analysis: Analysis) -> None:
    from cnncalc.export.pytorch import export_pytorch

    try:
        result = export_pytorch(analysis)
    except SpecError as exc:
        assert exc.problem.rule == "unsupported-export", exc.problem
        return
    _inert(result.code)


PEP_263 = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _inert(code: str) -> None:
    """Python reads the module as UTF-8, it compiles, and no comment holds what Python or an editor interprets."""
    lines = code.encode("utf-8").splitlines(keepends=True)
    assert tokenize.detect_encoding(iter(lines).__next__)[0] == "utf-8"
    compile(code.encode("utf-8"), "<exported>", "exec")
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            assert not PEP_263.match(token.string) and "\\" not in token.string, token
        if token.type == tokenize.NAME and previous != ".":  # a bare name; `.eval()` is nn.Module's
            assert token.string not in ("__import__", "exec", "eval", "os", "system", "open", "globals"), token
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.string


def _through_every_stage(text: str, directory: Path) -> None:
    path = directory / "spec.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = check_file(str(path))
    assert isinstance(result, FileResult)
    _registered(result.problems)
    event("analysed" if result.analysis is not None else f"refused: {result.problems[0].rule}")
    if result.analysis is not None:
        _every_output(result.analysis)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(text=hostile_yaml())
def test_hostile_specs_through_every_stage(text: str, scratch: Path) -> None:
    _through_every_stage(text, scratch)


@FUZZ
@given(text=robustness.generated_yaml())
def test_generated_specs_through_every_stage(text: str, scratch: Path) -> None:
    _through_every_stage(text, scratch)


# --- exported modules: names never become code --------------------------------------------------------

_NAMES = st.one_of(
    st.text(min_size=1, max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40),
    st.builds(lambda codec, tail: f"coding: {codec}{tail}",
              st.sampled_from(["unicode_escape", "raw_unicode_escape", "utf-7", "utf-16", "cp037", "latin-1"]),
              st.sampled_from(["\\n__import__('os').system('touch PWNED')", "\n__import__('os')", "", " -*-"])),
    st.sampled_from(["__import__('os')", "x; import os", "self", "forward", "0", "__class__", '"""', "'''",
                     "\\u2028", "\\x00", "-*- coding: latin-1 -*-", "vim: set fileencoding=utf-7:"]),
)

_EXPORT_SPEC = """
name: {name}
description: {name}
input: [8, 8, 3]
blocks:
  {block}:
    layers:
      - conv: {{filters: 4, kernel: 1, name: {layer}}}
      - relu
layers:
  - conv: {{filters: 4, kernel: 3, padding: same, name: {layer}}}
  - {block}: {{name: {use}}}
  - add: {{from: [-1, -2]}}
"""


def _layer_name(text: str) -> str:
    cleaned = text.replace(".", "_").strip()
    return cleaned if cleaned and cleaned not in ("input",) and not cleaned.lstrip("-").isdigit() else "n"


@FUZZ
@given(name=_NAMES, block=_NAMES, layer=_NAMES, use=_NAMES)
def test_any_name_exports_to_an_inert_module_that_imports(name: str, block: str, layer: str, use: str,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    from cnncalc.export.pytorch import export_pytorch

    text = _EXPORT_SPEC.format(name=_quoted(name), block=_quoted(block or "b"), layer=_quoted(_layer_name(layer)),
                               use=_quoted(_layer_name(use) + "_use"))
    try:
        analysis = analyze(loads(text, "names.yaml"))
    except SpecError as exc:  # a name the format refuses (a kind's name as a block, a duplicate): refused, fine
        _registered([exc.problem])
        event(f"refused: {exc.problem.rule}")
        return
    event("exported")
    _every_output(analysis)  # every writer shows the names as data
    result = export_pytorch(analysis)
    if "torch" not in sys.modules and not _has_torch():
        return
    directory = tmp_path_factory.mktemp("module")
    module = directory / "exported_fuzz.py"
    module.write_text(result.code, encoding="utf-8")
    sentinel = Path("PWNED")
    import importlib.util

    spec = importlib.util.spec_from_file_location("exported_fuzz", module)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)  # what `import m` does: decode as the file declares, then run the top level
    assert not sentinel.exists() and not (directory / "PWNED").exists()
    from exported_torch import mismatches

    assert mismatches(analysis, result) == []


def _quoted(text: str) -> str:
    return yaml.safe_dump(text, default_style='"', width=10_000).rstrip("\n").removesuffix("\n...")


def _has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


# --- configuration files --------------------------------------------------------------------------------

_TOML_PIECES = st.sampled_from([
    "[tool.cnncalc]\n", "[tool]\n", '[tool."cnncalc"]\n', "[tool.cnncalc\n", "tool.cnncalc.strict = true\n",
    "cnncalc = {strict = true}\n", "strict = true\n", "strict = 3\n", "ignore = ['non-integer-output']\n",
    "ignore = ['no-such-rule']\n", "select = 3\n", "exclude = ['build/*']\n", "max_params = '5M'\n",
    "max_macs = 'lots'\n", "extend-error = ['non-integer-output']\n", "x = " + "[" * 40 + "]" * 40 + "\n",
    "x = " + "[" * 3000 + "]" * 3000 + "\n", "\ufeff", "# cnncalc\n", "tool = 3\n", "[project]\nname = 'x'\n",
    "= =\n", "'''\n", '"\\u0000"\n', "\x00", "\x1b", "[[tool.cnncalc]]\n", "[tool.cnncalc.sub]\na = 1\n",
])
_YAML_PIECES = st.sampled_from([
    "strict: true\n", "strict: 3\n", "ignore: [non-integer-output]\n", "ignore: non-integer-output\n",
    "select: [nope]\n", "exclude: ['*.yaml']\n", "max_params: 5M\n", "max_memory: -1\n", "[\n", "- a\n",
    "!!python/object:os.system x\n", "a: &x [*x]\n", "\x01", "strict: !!bool maybe\n", "max_macs: .nan\n",
    "extend-error: [yaml-syntax]\n", "{" * 70 + "}" * 70 + "\n",
])


@FUZZ
@given(pieces=st.lists(st.one_of(_TOML_PIECES, st.text(max_size=20)), max_size=8), as_yaml=st.booleans(),
       yaml_pieces=st.lists(st.one_of(_YAML_PIECES, st.text(max_size=20)), max_size=8))
def test_any_configuration_is_settings_or_invalid_config(pieces: list[str], as_yaml: bool, yaml_pieces: list[str],
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    from cnncalc.check import config

    directory = tmp_path_factory.mktemp("config")
    name = ".cnncalc.yaml" if as_yaml else "pyproject.toml"
    (directory / name).write_text("".join(yaml_pieces if as_yaml else pieces), encoding="utf-8",
                                  errors="surrogatepass")
    try:
        found = config.find_config(str(directory))
        if found is not None:
            config.load_config(found)
    except SpecError as exc:
        _registered([exc.problem])
        assert exc.problem.rule in ("invalid-config", "yaml-syntax", "yaml-tag", "too-deep", "invalid-encoding",
                                    "binary-file", "invalid-value", "duplicate-key", "too-large"), exc.problem


# --- ONNX and Darknet files ---------------------------------------------------------------------------------

@functools.cache
def _onnx_seeds() -> list[bytes]:
    pytest.importorskip("onnx", reason="the ONNX fuzz needs the onnx package (pip install 'cnncalc[onnx]')")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    def model(nodes: list, inits: list, shape: list[int], opset: int = 17) -> bytes:
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()

    def w(name: str, *shape: int) -> Any:
        return numpy_helper.from_array(np.zeros(shape, np.float32), name)

    shape_of = numpy_helper.from_array(np.array([8, 192], np.int64), "s")
    return [
        model([helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
               helper.make_node("Relu", ["c"], ["r"]), helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2],
                                                                        strides=[2, 2]),
               helper.make_node("Flatten", ["p"], ["f"]), helper.make_node("Gemm", ["f", "g"], ["y"], transB=1)],
              [w("w", 4, 3, 3, 3), w("b", 4), w("g", 10, 64)], [1, 3, 8, 8]),
        model([helper.make_node("ConstantOfShape", ["s"], ["k"]), helper.make_node("Flatten", ["x"], ["f"]),
               helper.make_node("Gemm", ["f", "k"], ["y"], transB=1)], [shape_of], [1, 3, 8, 8], opset=9),
        model([helper.make_node("Conv", ["x", "w"], ["c"], group=2, auto_pad="SAME_UPPER"),
               helper.make_node("BatchNormalization", ["c", "s1", "b1", "m1", "v1"], ["n"]),
               helper.make_node("Add", ["n", "c"], ["a"]), helper.make_node("GlobalAveragePool", ["a"], ["y"])],
              [w("w", 4, 2, 3, 3), w("s1", 4), w("b1", 4), w("m1", 4), w("v1", 4)], [1, 4, 9, 9]),
    ]


@st.composite
def corrupted(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[i] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif op == "truncate":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 16))]
    return bytes(data)


_ODD_INTS = st.sampled_from([-2, -1, 0, 1, 2, 3, 5, 7, 64, 2**31 - 1, 2**40, 10**9])


@st.composite
def mutated_graph(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A valid graph with its numbers changed: attributes, initializer shapes, shape constants, input sizes."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model = onnx.ModelProto()
    model.ParseFromString(draw(st.sampled_from(seeds)))
    graph = model.graph
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["attribute", "initializer", "input", "auto_pad"]))
        if op == "attribute":
            node = graph.node[draw(st.integers(0, len(graph.node) - 1))]
            ints = [a for a in node.attribute if a.ints or a.type == onnx.AttributeProto.INT]
            if ints:
                attribute = ints[draw(st.integers(0, len(ints) - 1))]
                if attribute.ints:
                    attribute.ints[draw(st.integers(0, len(attribute.ints) - 1))] = draw(_ODD_INTS)
                else:
                    attribute.i = draw(_ODD_INTS)
        elif op == "initializer" and graph.initializer:
            i = draw(st.integers(0, len(graph.initializer) - 1))
            tensor = graph.initializer[i]
            if tensor.data_type == onnx.TensorProto.INT64:  # a shape constant: claim another shape
                values = np.array(draw(st.lists(_ODD_INTS, min_size=1, max_size=4)), np.int64)
                tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
            else:  # a weight: another shape, its data kept (so it may no longer match)
                tensor.dims[draw(st.integers(0, len(tensor.dims) - 1))] = draw(st.integers(0, 9))
        elif op == "input":
            dims = graph.input[0].type.tensor_type.shape.dim
            dims[draw(st.integers(0, len(dims) - 1))].dim_value = draw(st.sampled_from([0, 1, 2, 5, 9, 10**7]))
        else:
            node = graph.node[draw(st.integers(0, len(graph.node) - 1))]
            node.attribute.append(onnx.helper.make_attribute(
                "auto_pad", draw(st.sampled_from(["SAME_LOWER", "VALID", "NOTSET", "NONSENSE", ""]))))
    return model.SerializeToString()


@FUZZ
@given(data=st.data())
def test_any_onnx_graph_with_odd_numbers_gives_a_result(data: st.DataObject,
                                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    from cnncalc.importers import Options
    from cnncalc.importers.onnx import import_onnx

    blob = data.draw(mutated_graph(_onnx_seeds()))
    path = tmp_path_factory.mktemp("graph") / "m.onnx"
    path.write_bytes(blob)
    _imported(import_onnx(str(path), Options(partial=data.draw(st.booleans()))))


def _imported(result: Any) -> None:
    _registered(result.problems)
    event("imported" if result.ok else f"refused: {result.problems[0].rule if result.problems else '?'}")
    if result.ok:
        analyze(loads(result.yaml, "<imported>"))  # an imported spec always analyses


@FUZZ
@given(data=st.data())
def test_any_onnx_bytes_give_a_result(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    from cnncalc.importers import Options
    from cnncalc.importers.onnx import import_onnx

    blob = data.draw(corrupted(_onnx_seeds()))
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    path.write_bytes(blob)
    _imported(import_onnx(str(path), Options(partial=data.draw(st.booleans()))))


_CFG_SECTIONS = ["net", "convolutional", "maxpool", "avgpool", "route", "shortcut", "upsample", "dropout",
                 "connected", "softmax", "yolo", "region", "reorg", "local", "batchnorm", "nonsense", "net"]
_CFG_KEYS = ["width", "height", "channels", "filters", "size", "stride", "pad", "padding", "groups", "layers",
             "from", "activation", "batch_normalize", "output", "probability", "mask", "classes", "dilation"]
_CFG_VALUES = st.one_of(st.integers(-3, 700), st.sampled_from(
    ["", "0", "-1", "1,2", "-1, -4", "leaky", "mish", "linear", "relu", "nan", "1e9", "100000000000000000000",
     "0.5", "5", "40\t#32", "3 # comment", "x", "\x01", "-2,-3,-4", "1000000"]), st.text(max_size=6))


@st.composite
def darknet_cfg(draw: st.DrawFn) -> str:
    lines = ["[net]", f"width={draw(st.sampled_from([8, 16, 32, 416, 0, -1]))}",
             f"height={draw(st.sampled_from([8, 16, 32, 416]))}", f"channels={draw(st.sampled_from([1, 3, 0]))}"]
    for _ in range(draw(st.integers(0, 8))):
        lines.append(f"[{draw(st.sampled_from(_CFG_SECTIONS))}]")
        for _ in range(draw(st.integers(0, 4))):
            lines.append(f"{draw(st.sampled_from(_CFG_KEYS))}={draw(_CFG_VALUES)}")
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()) and text:
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from(["[", "]", "=", "\n", "#", ";", "\t", "\x00", "é"])) + text[i:]
    return text


@FUZZ
@given(text=darknet_cfg())
def test_any_darknet_cfg_gives_a_result(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    from cnncalc.importers import Options
    from cnncalc.importers.darknet import import_darknet

    path = tmp_path_factory.mktemp("cfg") / "net.cfg"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _imported(import_darknet(str(path), Options()))


_ULTRA_MODULES = ["Conv", "C2f", "C3", "C2", "Bottleneck", "SPPF", "C3k2", "C2PSA", "RepNCSPELAN4", "ELAN1", "AConv",
                  "ADown", "SPPELAN", "GhostConv", "C3Ghost", "A2C2f", "ResNetLayer", "Concat", "nn.Upsample",
                  "nn.MaxPool2d", "nn.ZeroPad2d", "nn.ConvTranspose2d", "Detect", "Segment", "Pose", "OBB", "Classify",
                  "Foo", "nn.Identity"]
_ULTRA_VALUES = st.one_of(st.integers(-2, 300), st.sampled_from([None, True, False, "nc", "nearest", "x", 0.25, -1.5,
                                                                 [0, 1, 0, 1], [1, "a"], "8}\n- relu"]))


@st.composite
def ultralytics_yaml(draw: st.DrawFn) -> Any:
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        source = draw(st.one_of(st.integers(-4, 6), st.lists(st.integers(-4, 6), max_size=3), st.just("a")))
        rows.append([source, draw(st.one_of(st.integers(-1, 9), st.just("n"))), draw(st.sampled_from(_ULTRA_MODULES)),
                     draw(st.lists(_ULTRA_VALUES, max_size=5))])
    doc: dict[str, Any] = {"nc": draw(st.sampled_from([80, 1, 0, "x", True])), "backbone": rows[:4], "head": rows[4:]}
    if draw(st.booleans()):
        doc["scales"] = {"n": draw(st.sampled_from([[0.33, 0.25, 1024], [1, "x", 3], [0.5, 0.5], "big"]))}
    return doc


@FUZZ
@given(doc=ultralytics_yaml())
def test_any_ultralytics_yaml_gives_a_result(doc: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    from cnncalc.importers import Options
    from cnncalc.importers.ultralytics import import_ultralytics

    path = tmp_path_factory.mktemp("ultra") / "model.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    _imported(import_ultralytics(str(path), Options()))


def test_the_seeds_are_clean(tmp_path: Path) -> None:
    """The corrupted files start from valid ones; the spec seeds are checked by test_robustness."""
    from cnncalc.importers import Options
    from cnncalc.importers.onnx import import_onnx

    for i, blob in enumerate(_onnx_seeds()):
        path = tmp_path / f"seed{i}.onnx"
        path.write_bytes(blob)
        result = import_onnx(str(path), Options())
        assert result.ok, result.problems
