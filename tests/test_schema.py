"""The JSON Schema of the architecture format: valid per draft-07, generated from KINDS, and agreeing with cnncalc."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cnncalc.check import files as checks
from cnncalc.core import kinds as K
from cnncalc.core.analysis import analyze
from cnncalc.core.quantities import parse_quantity
from cnncalc.core.problems import Located, SpecError
from cnncalc.core.schema import schema, unknown_converters
from cnncalc.core.spec import EXPECT_KEYS, LATER_OPTIONS, OPTIONS, TOP_KEYS, loads

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test-only dependency (pip install jsonschema)")

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILES = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "specs").glob("*.yml"))
VALID_FILES = sorted((ROOT / "tests" / "valid").glob("*.y*ml")) if (ROOT / "tests" / "valid").is_dir() else []
INVALID_FILES = sorted((ROOT / "tests" / "invalid").glob("*.yaml")) if (ROOT / "tests" / "invalid").is_dir() else []
# Rules of tests/invalid/ files whose mistake is in the structure of one value, which the schema must catch too.
# The rest (unknown kinds and references, shapes, expressions, duplicate keys, expectations, ...) need the
# whole document, the YAML positions or the arithmetic: `cnncalc check` reports them.
STRUCTURAL_RULES = {"invalid-block", "invalid-document", "invalid-input", "invalid-layer", "invalid-layers",
                    "invalid-name", "invalid-reference", "missing-input", "missing-layers", "unknown-key",
                    "empty-file"}
# Files of a structural rule whose mistake only expansion can see (every layer skipped by `repeat: 0`).
NOT_STRUCTURAL = {"invalid-layers-all-skipped.yaml"}

SCHEMA = schema()
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
DEFS = SCHEMA["definitions"]


def errors(doc: Any) -> list[str]:
    """Every error message for a document, nested anyOf branches included."""
    found: list[str] = []

    def walk(errs: Any) -> None:
        for e in errs:
            found.append(e.message)
            walk(e.context)

    walk(VALIDATOR.iter_errors(doc))
    return found


def cnncalc_problems(doc: Any) -> list[str]:
    """What `cnncalc check` reports as errors for a document: its fatal error, or unmet expectations."""
    try:
        analysis = analyze(loads(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)))
    except SpecError as exc:
        return [f"{exc.problem.rule}: {exc.problem.message}"]
    return [f"{p.rule}: {p.message}" for p in checks.expectations(analysis)]


def fatal_for_cnncalc(doc: Any) -> bool:
    """True if cnncalc refuses the document (a structural or shape error, not an unmet expectation)."""
    try:
        analyze(loads(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)))
    except SpecError:
        return True
    return False


def value_validator(definition: str) -> Any:
    return jsonschema.Draft7Validator({"definitions": DEFS, "$ref": f"#/definitions/{definition}"})


# --- the schema itself ----------------------------------------------------------------------

def test_schema_is_a_valid_draft7_schema():
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_schema_is_json_serialisable_and_rebuilt_identically():
    import json

    assert json.loads(json.dumps(SCHEMA, ensure_ascii=False)) == SCHEMA
    assert schema() == SCHEMA


def test_top_level_follows_the_parser():
    assert tuple(SCHEMA["properties"]) == TOP_KEYS
    assert SCHEMA["required"] == ["input", "layers"]
    assert SCHEMA["additionalProperties"] is False
    assert set(SCHEMA["properties"]["expect"]["properties"]) == set(EXPECT_KEYS)


def test_every_kind_and_alias_appears():
    layer_keys = DEFS["layer"]["anyOf"][1]["properties"]
    defaults_keys = SCHEMA["properties"]["defaults"]["properties"]
    bare = DEFS["layer"]["anyOf"][0]["anyOf"][0]["enum"]
    assert set(layer_keys) == set(K.ALIASES) == set(defaults_keys)
    assert set(bare) == {name for name, kind in K.ALIASES.items() if not K.KINDS[kind].merge}
    assert {"conv", "conv2d", "bn", "fc", "linear", "swish", "convtranspose"} <= set(layer_keys)
    for name, canonical in K.ALIASES.items():
        assert layer_keys[name]["$ref"] == f"#/definitions/kind.{canonical}"
        assert layer_keys[name]["title"] == name
        assert K.KINDS[canonical].summary in layer_keys[name]["description"]
    for kind in K.KINDS.values():
        body = DEFS[f"kind.{kind.name}"]
        assert body["title"] == kind.name and kind.summary in body["description"]
        arguments = next(form for form in body["anyOf"] if form.get("type") == "object")
        options = set(OPTIONS) - {"repeat", *LATER_OPTIONS} if kind.merge else set(OPTIONS)
        assert set(arguments["properties"]) == set(kind.args) | options
        assert arguments["additionalProperties"] is False
        for arg in kind.args:
            assert arguments["properties"][arg]["title"] == arg
            assert arguments["properties"][arg]["description"]
        assert set(DEFS[f"defaults.{kind.name}"]["properties"]) == set(kind.args)


def test_every_converter_has_a_value_schema():
    assert unknown_converters() == []


def test_argument_details():
    conv = next(f for f in DEFS["kind.conv"]["anyOf"] if f.get("type") == "object")["properties"]
    assert conv["stride"]["default"] == 1
    assert conv["padding"]["default"] == 0
    assert conv["bias"]["default"] is True
    assert conv["activation"]["default"] == "none"
    assert "default" not in conv["filters"] and "Required" in conv["filters"]["description"]
    assert {"$ref": "#/definitions/value.pair"} in conv["kernel"]["anyOf"]
    assert {"$ref": "#/definitions/variable"} in conv["kernel"]["anyOf"]
    deconv = next(f for f in DEFS["kind.deconv"]["anyOf"] if f.get("type") == "object")["properties"]
    assert {"$ref": "#/definitions/value.nonneg_pair"} in deconv["output_padding"]["anyOf"]
    assert DEFS["value.activation"]["anyOf"][0]["enum"] == list(K.ACTIVATIONS)
    assert "Default: true." in conv["bias"]["description"]


def test_a_new_kind_appears_without_touching_the_schema(monkeypatch):
    kind = K.Kind("pixelshuffle", lambda call: None, {"factor": K.Arg(K.positive_int, 2)}, "factor", ("ps",),
                  summary="sub-pixel rearrangement")
    monkeypatch.setitem(K.KINDS, "pixelshuffle", kind)
    monkeypatch.setitem(K.ALIASES, "pixelshuffle", "pixelshuffle")
    monkeypatch.setitem(K.ALIASES, "ps", "pixelshuffle")
    generated = schema()
    jsonschema.Draft7Validator.check_schema(generated)
    validator = jsonschema.Draft7Validator(generated)
    assert generated["definitions"]["kind.pixelshuffle"]["description"].startswith("`pixelshuffle`: sub-pixel")
    base = {"input": [8, 8, 4]}
    assert validator.is_valid({**base, "layers": [{"pixelshuffle": 2}, {"ps": {"factor": 2}}, "ps"]})
    assert not validator.is_valid({**base, "layers": [{"pixelshuffle": {"factr": 2}}]})
    assert not validator.is_valid({**base, "layers": [{"ps": 0}]})
    # a block may take a kind's name (it replaces the kind in its file, with a warning), not a merge's
    assert validator.is_valid({**base, "blocks": {"ps": {"layers": ["relu"]}}, "layers": ["relu"]})
    assert not validator.is_valid({**base, "blocks": {"add": {"layers": ["relu"]}}, "layers": ["relu"]})


# --- files ----------------------------------------------------------------------------------

def test_the_bundled_specs_are_found():
    assert ROOT / "specs" / "vgg16.yaml" in SPEC_FILES


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same documents as safe_load, ~8× faster


# A file with a block named like a kind added after it was written: the schema, made without the file's block
# names, reads the kind there (cnncalc reads the block, and warns `block-shadows-kind`).
SHADOWING = {"block-named-like-a-later-merge.yaml"}


@pytest.mark.parametrize("path", [p for p in SPEC_FILES + VALID_FILES if p.name not in SHADOWING],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_files_validate(path):
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a SafeLoader
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]
    assert problems == []


def _structural_invalid_files() -> list[Path]:
    chosen = []
    for path in INVALID_FILES:
        header = re.match(rb"# expect: ([a-z][a-z-]*) ", path.read_bytes())
        if header and header.group(1).decode() in STRUCTURAL_RULES and path.name not in NOT_STRUCTURAL:
            chosen.append(path)
    return chosen


class _TextKeyLoader(yaml.SafeLoader):
    """safe_load, except that a list or mapping used as a key becomes its JSON text: JSON, and so a schema
    validator, has only text keys, and PyYAML would refuse the document instead of handing it over."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                key = json.dumps(key)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


_TextKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _TextKeyLoader.construct_mapping)


@pytest.mark.parametrize("path", _structural_invalid_files(), ids=lambda p: p.name)
def test_structural_mistakes_in_tests_invalid_are_rejected(path):
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextKeyLoader)  # noqa: S506 - a SafeLoader
    assert not VALIDATOR.is_valid(doc)


def test_a_list_key_reaches_the_schema_as_text():
    assert yaml.load("input: {[8, 8]: 3}", Loader=_TextKeyLoader) == {"input": {"[8, 8]": 3}}


# --- documents: the schema and cnncalc agree ------------------------------------------------

BASE = {"input": [32, 32, 3]}

VALID_DOCS = {
    "minimal": {"input": "32x32x3", "layers": ["relu"]},
    "language": {**BASE, "vars": {"width": 1.5, "se": True, "act": "relu", "c": "${make_divisible(16 * width, 8)}"},
                 "blocks": {"unit": {"args": {"f": None, "h": "${f * 2}", "act": "$act"},
                                     "defaults": {"conv": {"bias": False}},
                                     "layers": [{"conv": {"filters": "$h", "kernel": 1}}, "$act",
                                                {"conv": {"filters": "$f", "kernel": 1, "name": "out"}},
                                                {"add": {"from": ["input", "out"], "if": "${in_channels == f}"}}]}},
                 "layers": [{"conv": {"filters": "$c", "kernel": 1}}, {"unit": {"f": "$c", "name": "u"}},
                            {"relu": {"repeat": 0}}, {"relu": {"if": "$se", "from": "u.out"}}],
                 "variants": {"small": {"vars": {"width": 1.0}, "expect": {"output": [32, 32, 16]}}}},
    "input-mapping": {"input": {"height": 32, "width": 32, "channels": 3},
                      "layers": [{"conv": {"filters": 8, "kernel": 3}}]},
    "vector-input": {"input": [10], "layers": [{"dense": 5}]},
    "every-form": {**BASE, "name": "demo", "description": "all layer forms",
                   "defaults": {"conv": {"kernel": 3, "padding": "same", "activation": "relu"},
                                "bn": {"affine": False}},
                   "layers": [
                       {"conv": 16},
                       {"conv2d": {"filters": 16, "stride": [1, 2], "padding": [1, 1, 0, 2], "bias": False,
                                   "activation": "ReLU", "name": "c2"}},
                       "batchnorm", {"bn": None}, {"relu": {"name": "r"}},
                       {"maxpool": {"kernel": 2, "ceil": True}}, {"avgpool": [2, 1]},
                       {"depthwise": {"kernel": 3, "padding": "same", "multiplier": 2}},
                       {"separable": {"filters": 8, "kernel": 3, "padding": "valid"}},
                       {"deconv": {"filters": 8, "kernel": 2, "stride": 2, "output_padding": 0}},
                       {"zeropad": [1, 2]}, {"crop": 1}, {"upsample": {"size": [20, 20], "mode": "bilinear"}},
                       {"leakyrelu": 0.2}, {"elu": {"alpha": 1.5}}, "prelu", {"prelu": {"shared": True}},
                       {"dropout": 0.25}, {"lrn": 5}, {"swish": None},
                       {"conv": {"filters": 8, "name": "a"}}, {"conv": {"filters": 8, "from": "a", "name": "b"}},
                       {"add": ["a", "b"]}, {"multiply": {"from": ["a", -1]}}, {"concat": ["a", "b", -1]},
                       {"adaptiveavgpool": 1}, {"flatten": {"name": "flat"}},
                       {"dense": {"units": 10, "activation": None, "repeat": 2}}, {"linear": 4}, {"fc": {"units": 2}},
                   ],
                   "expect": {"output": [2], "params": 5543, "non_trainable": 64, "max_params": "10M",
                              "max_macs": "2.2M", "max_memory": "1.5GiB"}},
    "blocks": {**BASE,
               "blocks": {
                   "basic": {"args": {"filters": None, "stride": 1},
                             "layers": [{"conv": {"filters": "$filters", "kernel": 3, "stride": "$stride",
                                                  "padding": 1}},
                                        {"conv": {"filters": "${filters * 2}", "kernel": 1, "name": "wide"}},
                                        {"conv": {"filters": "${filters * 2}", "kernel": 1, "stride": "$stride",
                                                  "from": "input", "name": "short"}},
                                        {"add": ["wide", "short"]}, "relu"]},
                   "plain": {"args": None, "layers": ["relu"]},
               },
               "defaults": {"basic": {"stride": 1}},
               "layers": [{"basic": 8}, {"basic": {"filters": 8, "stride": 2, "repeat": 2, "name": "stage"}}, "plain",
                          {"plain": None}],
               "expect": {"output": "8x8x16", "params": 3584, "trainable": "3.6K", "non_trainable": 0,
                          "macs": "892_928"}},
}

INVALID_DOCS = {
    # name: (document, a message the schema reports)
    "unknown top-level key": ({**BASE, "layers": ["relu"], "layer": ["relu"]}, "'layer' was unexpected"),
    "unknown conv argument": ({**BASE, "layers": [{"conv": {"filters": 8, "kernal": 3}}]}, "'kernal' was unexpected"),
    "bad padding string": ({**BASE, "layers": [{"conv": {"filters": 8, "kernel": 3, "padding": "full"}}]},
                           "'full' is not one of ['same', 'valid']"),
    # jsonschema words minItems its own way: "is too short" before 4.21, "should be non-empty" since
    "empty layers": ({**BASE, "layers": []}, ("[] should be non-empty", "[] is too short")),
    "no layers": (dict(BASE), "'layers' is a required property"),
    "no input": ({"layers": ["relu"]}, "'input' is a required property"),
    "two keys in a layer": ({**BASE, "layers": [{"conv": 8, "kernel": 3}]}, "has too many properties"),
    "zero filters": ({**BASE, "layers": [{"conv": {"filters": 0, "kernel": 3}}]}, "0 is less than the minimum of 1"),
    "four-element kernel": ({**BASE, "layers": [{"conv": {"filters": 8, "kernel": [3, 3, 3, 3]}}]},
                            "[3, 3, 3, 3] is too long"),
    "prelu as activation": ({**BASE, "layers": [{"conv": {"filters": 8, "kernel": 3, "activation": "prelu"}}]},
                            "'prelu' is not one of"),
    "rate of 1": ({**BASE, "layers": [{"dropout": 1}]}, "1 is greater than or equal to the maximum of 1"),
    "argument for relu": ({**BASE, "layers": [{"relu": 3}]}, "3 is not of type 'null'"),
    "merge of one": ({**BASE, "layers": [{"add": ["input"]}]}, "['input'] is too short"),
    "merge without from": ({**BASE, "layers": [{"concat": {"name": "c"}}]}, "'from' is a required property"),
    "block named like a merge": ({**BASE, "blocks": {"concat": {"layers": ["relu"]}}, "layers": ["relu"]},
                                 "should not be valid under"),
    "block without layers": ({**BASE, "blocks": {"b": {"args": {"x": 1}}}, "layers": ["relu"]},
                             "'layers' is a required property"),
    "block option as argument": ({**BASE, "blocks": {"b": {"args": {"name": 1}, "layers": ["relu"]}},
                                  "layers": ["relu"]}, "should not be valid under"),
    "unknown defaults argument": ({**BASE, "defaults": {"conv": {"kernal": 3}}, "layers": ["relu"]},
                                  "'kernal' was unexpected"),
    "name in defaults": ({**BASE, "defaults": {"dense": {"name": "x"}}, "layers": ["relu"]}, "'name' was unexpected"),
    "five-number input": ({"input": [1, 8, 32, 32, 3], "layers": ["relu"]}, "[1, 8, 32, 32, 3] is too long"),
    "input string of rank 4": ({"input": "1x8x32x32x3", "layers": ["relu"]}, "'1x8x32x32x3' does not match"),
    "zero in input": ({"input": [0, 32, 3], "layers": ["relu"]}, "0 is less than the minimum of 1"),
    "layer named input": ({**BASE, "layers": [{"relu": {"name": "input"}}]}, "should not be valid under"),
    "dotted name": ({**BASE, "layers": [{"relu": {"name": "a.b"}}]}, "'a.b' does not match"),
    "positive from": ({**BASE, "layers": [{"relu": {"from": 1}}]}, "1 is greater than the maximum of -1"),
    "negative repeat": ({**BASE, "layers": [{"relu": {"repeat": -1}}]}, "-1 is less than the minimum of 0"),
    "condition that is a number": ({**BASE, "layers": [{"relu": {"if": 3}}]}, "3 is not valid under any"),
    "variable that is a list": ({**BASE, "vars": {"w": [1, 2]}, "layers": ["relu"]}, "[1, 2] is not of type"),
    "variant with an unknown key": ({**BASE, "vars": {"w": 1}, "variants": {"a": {"var": {"w": 2}}},
                                     "layers": ["relu"]}, "'var' was unexpected"),
    "unknown expect key": ({**BASE, "layers": ["relu"], "expect": {"flops": 1}}, "'flops' was unexpected"),
    "fraction without suffix": ({**BASE, "layers": ["relu"], "expect": {"params": "12.5"}}, "'12.5' does not match"),
    "memory without unit": ({**BASE, "layers": ["relu"], "expect": {"max_memory": "100"}}, "'100' does not match"),
    "count with a memory unit": ({**BASE, "layers": ["relu"], "expect": {"max_params": "5MB"}}, "'5MB' does not match"),
    "unclosed expression": ({**BASE, "blocks": {"b": {"args": {"f": 8}, "layers": [{"conv": {"filters": "${f",
                                                                                              "kernel": 1}}]}},
                             "layers": ["b"]}, "'${f' does not match"),
    "layer that is a number": ({**BASE, "layers": [5]}, "5 is not of type 'object'"),
    "bare merge": ({**BASE, "layers": ["relu", "add"]}, "'add' should not be valid under"),
    "repeated merge": ({**BASE, "layers": [{"relu": {"name": "a"}}, {"add": {"from": ["a", "input"], "repeat": 2}}]},
                       "'repeat' was unexpected"),
}


@pytest.mark.parametrize("name", VALID_DOCS)
def test_valid_documents_pass_both(name):
    doc = VALID_DOCS[name]
    assert errors(doc) == []
    assert cnncalc_problems(doc) == []


@pytest.mark.parametrize("name", INVALID_DOCS)
def test_invalid_documents_fail_both(name):
    doc, message = INVALID_DOCS[name]
    found = errors(doc)
    wordings = message if isinstance(message, tuple) else (message,)
    assert any(w in m for m in found for w in wordings), found
    assert fatal_for_cnncalc(doc)


def test_case_insensitive_activation_matches_cnncalc():
    doc = {**BASE, "layers": [{"conv": {"filters": 8, "kernel": 3, "activation": "LeakyReLU"}}]}
    assert errors(doc) == [] and cnncalc_problems(doc) == []
    doc = copy.deepcopy(doc)
    doc["layers"][0]["conv"]["activation"] = "relu7"
    assert errors(doc) and fatal_for_cnncalc(doc)


@pytest.mark.parametrize("name", sorted(K.ALIASES))
def test_every_kind_accepts_an_argument_mapping_and_rejects_unknown_arguments(name):
    kind = K.KINDS[K.ALIASES[name]]
    body: dict[str, Any] = {"from": ["input", -1]} if kind.merge else {}
    assert errors({**BASE, "layers": [{name: {**body, "name": "x"}}]}) == []
    assert any("'nonsense' was unexpected" in m for m in errors({**BASE, "layers": [{name: {**body, "nonsense": 1}}]}))
    assert errors({**BASE, "defaults": {name: {}}, "layers": ["relu"]}) == []


def test_undefined_block_is_left_to_cnncalc_check():
    """A typo in a kind reads as a block's name: the schema cannot see that no such block exists."""
    doc = {**BASE, "layers": [{"cnov": 8}]}
    assert errors(doc) == []
    assert fatal_for_cnncalc(doc)


# --- value schemas agree with the converters ------------------------------------------------

# Floats with a zero fraction (2.0) are left out: JSON has one number type, so jsonschema treats 2.0
# as an integer where cnncalc's converters, like PyTorch, want a whole number written as one.
PROBES: list[Any] = [
    0, 1, 2, 7, -1, 0.5, 0.99, 1.5, -0.5, True, False, None, "same", "valid", "relu", "ReLU", "Swish", "prelu",
    "linear", "none", "nearest", "bilinear", "Nearest", "x", "", "2", [], [1], [1, 2], [0, 0], [0, 3], [1, 2, 3],
    [1, 2, 3, 4], [0, 0, 0, 0], [1, -1], [1.5, 2], [True, 1], [[1, 2]], {"a": 1},
]
CONVERTERS = {
    "positive_int": K.positive_int, "pair": K.pair, "nonneg_pair": K.nonneg_pair,
    "padding": K.padding, "boolean": K.boolean, "rate": K.rate, "number": K.number, "activation": K.activation,
    "upsample_mode": K.upsample_mode,
}


def _accepts(convert: Any, value: Any) -> bool:
    try:
        convert(value, Located("probe", 1, 1))
    except SpecError:
        return False
    return True


@pytest.mark.parametrize("name", CONVERTERS)
def test_value_schema_agrees_with_converter(name):
    validator = value_validator(f"value.{name}")
    disagreements = [v for v in PROBES if validator.is_valid(v) != _accepts(CONVERTERS[name], v)]
    assert disagreements == []
    assert any(validator.is_valid(v) for v in PROBES) and not all(validator.is_valid(v) for v in PROBES)


@pytest.mark.parametrize("memory", [False, True], ids=["count", "memory"])
def test_count_schema_agrees_with_parse_quantity(memory):
    validator = value_validator("memory" if memory else "count")
    probes = [0, 5, -1, 1.5, True, None, "138.4M", "15.5G", "2K", "2k", "138_357_544", "12", "12.5", "1.5", " 3M ",
              "3 M", "M", "", "1e6", "1.5KB", "100MB", "100mb", "1.5GiB", "1.5B", "10B", "100", "5MB", "2T", "1.5x",
              "1..5M", ".5M", "_1M"]

    def parses(v: Any) -> bool:
        try:
            parse_quantity(v, memory=memory)
        except ValueError:
            return False
        return True

    assert [v for v in probes if validator.is_valid(v) != parses(v)] == []


def test_input_schema_agrees_with_the_parser():
    validator = value_validator("input")
    probes = [[224, 224, 3], [10], [224, 224], [0, 1, 1], [1, 1, 1, 1], [True, 1, 1], [1.5, 1, 1], "224x224x3",
              "224×224×3", "224 x 224 x 3", "224X224X3", "224,224,3", "224x224", "10", "0x1x1", "axbxc", "", 5, True,
              None, {"height": 1, "width": 2, "channels": 3}, {"height": 1, "width": 2},
              {"height": 1, "width": 2, "channels": 3, "depth": 1}, {"height": 0, "width": 2, "channels": 3},
              [1, 2, 3, 4, 5], "1x2x3x4x5", "16x112x112x3", {"length": 10, "channels": 1}, {"length": 10},
              {"length": 1, "height": 2, "channels": 3}, {"depth": 1, "width": 2, "channels": 3}]

    def parses(v: Any) -> bool:
        try:
            loads(yaml.safe_dump({"input": v, "layers": ["relu"]}, allow_unicode=True))
        except SpecError:
            return False
        return True

    assert [v for v in probes if validator.is_valid(v) != parses(v)] == []


# --- the pre-commit hook --------------------------------------------------------------------

def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert hook["id"] == "cnncalc-check"
    assert hook["name"]
    assert hook["entry"] == "cnncalc check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert files.search("specs/vgg16.yaml") and files.search("nets/resnet.yml")
    assert not files.search("README.md") and not files.search("specs/vgg16.yaml.bak")


# --- `cnncalc schema --config`: check's settings -----------------------------------------------------

from cnncalc.check import config as cfg  # noqa: E402
from cnncalc.core.rules import RULES  # noqa: E402
from cnncalc.core.schema import config_schema  # noqa: E402

CONFIG_SCHEMA = config_schema()
CONFIG_VALIDATOR = jsonschema.Draft7Validator(CONFIG_SCHEMA)


def test_config_schema_is_a_valid_draft7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(CONFIG_SCHEMA)
    assert json.loads(json.dumps(CONFIG_SCHEMA)) == CONFIG_SCHEMA


def test_config_schema_has_every_setting_and_no_other() -> None:
    assert list(CONFIG_SCHEMA["properties"]) == list(cfg.KEYS)
    assert CONFIG_SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("key, chosen", [
    ("select", lambda rule: True),
    ("ignore", lambda rule: not rule.fatal),
    ("extend-error", lambda rule: rule.level != "error"),
])
def test_rule_lists_are_enums_of_the_rule_registry_with_its_summaries(key: str, chosen) -> None:
    one = CONFIG_SCHEMA["properties"][key]["anyOf"][0]
    expected = [rule for rule in RULES.values() if chosen(rule)]
    assert one["enum"] == [rule.id for rule in expected]
    assert one["enumDescriptions"] == [f"{rule.summary} ({rule.level})" for rule in expected]
    assert CONFIG_SCHEMA["properties"][key]["anyOf"][1] == {"type": "array", "items": one}


# (settings, valid): the schema and config.load_config must agree on each.
CONFIG_CASES = [
    ({}, True),
    ({"select": ["non-integer-output", "budget-exceeded"], "ignore": "rf-misaligned", "strict": True}, True),
    ({"extend-error": ["non-integer-output"], "exclude": ["build", "*.draft.yaml"]}, True),
    ({"exclude": "build/*", "max-params": "5M", "max-macs": "1.5G", "max-memory": "500MB"}, True),
    ({"max-params": 138_357_544, "max-memory": 1024}, True),
    ({"select": ["no-such-rule"]}, False),
    ({"select": "non_integer_output"}, False),
    ({"ignore": ["kernel-too-large"]}, False),  # fatal: the file stops there, nothing to ignore
    ({"extend-error": ["expect-mismatch"]}, False),  # already an error
    ({"select": [3]}, False),
    ({"exclude": [""]}, False),
    ({"exclude": 3}, False),
    ({"strict": "yes"}, False),
    ({"max-params": "5 apples"}, False),
    ({"max-memory": "1.5"}, False),  # a memory string needs a unit
    ({"max-macs": -1}, False),
    ({"colour": "blue"}, False),
]


@pytest.mark.parametrize("settings, valid", CONFIG_CASES)
def test_config_schema_agrees_with_the_loader(settings: dict, valid: bool, tmp_path: Path) -> None:
    path = tmp_path / ".cnncalc.yaml"
    path.write_text(yaml.safe_dump(settings) if settings else "strict: false\n", encoding="utf-8")
    try:
        cfg.load_config(str(path))
        loads_ok = True
    except SpecError:
        loads_ok = False
    assert loads_ok is valid
    assert CONFIG_VALIDATOR.is_valid(settings) is valid


def test_schema_config_command_prints_it() -> None:
    from typer.testing import CliRunner

    from cnncalc.cli.app import app

    result = CliRunner().invoke(app, ["schema", "--config"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == CONFIG_SCHEMA
