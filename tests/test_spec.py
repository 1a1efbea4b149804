"""spec: a file parsed completely into typed, positioned items; input forms and their limits."""

from __future__ import annotations

import ast

import pytest

from cnncalc.problems import SpecError
from cnncalc.spec import Lit, Seq, Var, load, loads
from conftest import ROOT


def _error(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        loads(text, "t.yaml")
    return caught.value


def test_layer_bodies_are_typed_positioned_values() -> None:
    spec = loads("input: [8, 8, 3]\nblocks:\n  b:\n    args: {c: 4}\n    layers:\n      - conv: {filters: $c, "
                 "kernel: '${c - 1}'}\nlayers:\n  - conv: {filters: 16, kernel: [3, 1], name: stem}\n"
                 "  - add: [stem, input]\n  - b: 8\n", "t.yaml")
    conv, add, use = spec.items
    assert conv.args["filters"] == Lit(16, conv.args["filters"].where)
    assert (conv.args["filters"].where.line, conv.args["filters"].where.column) == (8, 21)
    kernel = conv.args["kernel"]
    assert isinstance(kernel, Seq) and [v.value for v in kernel.items] == [3, 1]  # type: ignore[union-attr]
    assert conv.options["name"].value == "stem" and conv.explicit_name == "stem"  # type: ignore[union-attr]
    assert (conv.key_where["kernel"].line, conv.key_where["kernel"].column) == (8, 25)
    refs = add.options["from"]
    assert isinstance(refs, Seq) and [r.value for r in refs.items] == ["stem", "input"]  # type: ignore[union-attr]
    assert use.main_given and use.args[""].value == 8  # type: ignore[union-attr]
    inner = spec.blocks["b"].items[0]
    assert inner.args["filters"] == Var("$c", inner.args["filters"].where)
    assert inner.args["kernel"] == Var("${c - 1}", inner.args["kernel"].where)


def test_only_yamlsafe_and_spec_import_yaml() -> None:
    importers = []
    for path in sorted((ROOT / "cnncalc").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "yaml" or n.startswith("yaml.") for n in names):
                importers.append(path.stem)
    assert sorted(set(importers)) == ["spec", "yamlsafe"]


def test_merge_key_is_refused_where_it_is_used() -> None:
    problem = _error("input: [8, 8, 3]\nblocks:\n  b:\n    layers:\n      - conv: &c3 {kernel: 3, filters: 8}\n"
                     "layers:\n  - conv: {<<: *c3, filters: 32}\n").problem
    assert (problem.line, problem.column, problem.rule) == (7, 12, "yaml-syntax")
    assert "merge keys" in problem.message and "not supported" in problem.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_says_save_as_utf8(tmp_path, encoding: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_bytes("input: [8, 8, 3]\nlayers:\n  - relu\n".encode(encoding))
    with pytest.raises(SpecError) as caught:
        load(str(path))
    assert caught.value.problem.rule == "invalid-encoding"
    assert "save it as UTF-8" in caught.value.problem.message


@pytest.mark.parametrize("written", ["[4096, 4096, 3]", '"4096x4096x3"', "{height: 4096, width: 4096, channels: 3}"])
def test_a_4096_input_is_accepted_in_every_form(written: str) -> None:
    assert loads(f"input: {written}\nlayers: [relu]\n").input == (4096, 4096, 3)


@pytest.mark.parametrize("written", ["[2000000, 2000000, 3]", '"2000000x2000000x3"',
                                     "{height: 2000000, width: 2000000, channels: 3}", '"100000x100000x1000"'])
def test_an_absurd_input_is_refused_in_every_form(written: str) -> None:
    problem = _error(f"input: {written}\nlayers: [relu]\n").problem
    assert problem.rule == "invalid-input"
    assert "1,000,000" in problem.message or "1,000,000,000" in problem.message
