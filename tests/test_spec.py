"""spec: a file parsed completely into typed, positioned items; input forms and their limits."""

from __future__ import annotations

import ast

import pytest

from cnncalc.core.problems import SpecError
from cnncalc.core.spec import Lit, Seq, Var, load, loads
from conftest import package_trees


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


def test_only_yamlsafe_imports_yaml() -> None:
    importers = []
    for path, tree in package_trees():
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "yaml" or n.startswith("yaml.") for n in names):
                importers.append(path.stem)
    # spec takes the node types from yamlsafe, which imports PyYAML with its regexes deferred
    assert sorted(set(importers)) == ["yamlsafe"]


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


# -- vars, variants and --set ----------------------------------------------------------------------

FAMILY = ("input: [8, 8, 3]\nvars:\n  width: 1.0\n  act: relu\nlayers:\n"
          "  - conv: {filters: '${make_divisible(16 * width, 8)}', kernel: 1}\n  - $act\n"
          "expect: {params: 64}\n"
          "variants:\n  half: {vars: {width: 0.5}, expect: {params: 33}}\n  wide:\n    vars: {width: 2.0}\n")


def test_vars_and_variants_are_parsed_with_positions() -> None:
    spec = loads(FAMILY, "family.yaml")
    assert list(spec.vars) == ["width", "act"] and isinstance(spec.vars["width"], Lit)
    assert list(spec.variants) == ["half", "wide"]
    half = spec.variants["half"]
    assert isinstance(half.vars["width"], Lit) and half.vars["width"].value == 0.5
    assert (half.where.line, half.where.column) == (10, 3) and half.expect["params"][1].line == 10
    assert spec.variants["wide"].expect == {}


@pytest.mark.parametrize("text, rule, line, message", [
    ("input: [8, 8, 3]\nvars: {on: 1}\nlayers: [relu]\n", "invalid-value", 2, "keys of vars must be plain names"),
    ("input: [8, 8, 3]\nvars: {w: [1, 2]}\nlayers: [relu]\n", "invalid-value", 2, "takes one value"),
    ("input: [8, 8, 3]\nvars: {input: 1}\nlayers: [relu]\n", "invalid-name", 2, "cannot be a variable name"),
    ("input: [8, 8, 3]\nvars: {w: 1}\nlayers: [relu]\nvariants:\n  a: {vars: {x: 2}}\n", "unknown-variable", 5,
     "which `vars:` does not declare"),
    ("input: [8, 8, 3]\nvars: {w: 1}\nlayers: [relu]\nvariants:\n  a: {expects: {}}\n", "unknown-key", 5,
     'did you mean "expect"'),
])
def test_bad_vars_and_variants(text: str, rule: str, line: int, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        loads(text)
    problem = caught.value.problem
    assert (problem.rule, problem.line) == (rule, line) and message in problem.message, problem.message


def test_a_family_has_at_most_64_variants() -> None:
    from cnncalc.core.spec import MAX_VARIANTS

    variants = "".join(f"  v{i}: {{vars: {{w: {i}}}}}\n" for i in range(MAX_VARIANTS + 1))
    with pytest.raises(SpecError) as caught:
        loads("input: [8, 8, 3]\nvars: {w: 1}\nlayers: [relu]\nvariants:\n" + variants)
    assert caught.value.problem.rule == "too-many-layers" and caught.value.problem.line == 5 + MAX_VARIANTS
    assert len(loads("input: [8, 8, 3]\nvars: {w: 1}\nlayers: [relu]\nvariants:\n" + variants[
        :variants.index(f"  v{MAX_VARIANTS}:")]).variants) == MAX_VARIANTS


def _cli(*args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from cnncalc.cli.app import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_set_variants_and_family_checks_from_the_command_line(tmp_path) -> None:
    path = tmp_path / "family.yaml"
    path.write_text(FAMILY)
    code, out, _ = _cli("shape", str(path), "--format", "json")
    assert code == 0 and '"params": 64' in out
    code, out, _ = _cli("shape", f"{path}@half", "--format", "json", "--set", "act=hardswish")
    assert code == 0 and '"params": 32' in out and '"kind": "hardswish"' in out
    code, out, _ = _cli("shape", str(path), "--format", "json", "--set", "width=2", "--set", "act=silu")
    assert code == 0 and '"params": 64,' not in out and '"kind": "silu"' in out
    code, _, err = _cli("shape", str(path), "--set", "widht=2")
    assert code == 2 and 'did you mean "width"' in err
    for bad in ("width", "=2", "width=", "width=2x"):
        code, _, err = _cli("shape", str(path), "--set", bad)
        assert code == 2 and "--set" in err, (bad, err)
    code, out, _ = _cli("check", "--format", "parsable", str(path))
    assert code == 1 and out.splitlines() == [
        f"{path}:10:47: [error] half: expected params 33 but the network has 32; fix the layers or update "
        "`expect` (expect-mismatch)"]
    assert _cli("check", "--set", "width=0.5", str(path))[0] == 0  # exact counts are not checked under --set
    assert _cli("check", "--set", "nope=1", str(path))[0] == 2
    assert _cli("sizes", str(path), "--set", "width=0.5", "--size", "8")[0] == 0
    code, _, err = _cli("shape", f"{path}@halve")
    assert code == 1 and 'no variant \'halve\' (did you mean "half"?)' in err


def test_bundled_variants_resolve_and_list_by_family() -> None:
    from cnncalc.catalog import bundled

    assert bundled.locate("efficientnet_b3")[1] == "efficientnet_b3"
    assert bundled.locate("mnasnet0_5")[0].endswith("mnasnet.yaml")
    names = bundled.names()
    assert {"efficientnet_b7", "mobilenet_v3_small", "mnasnet1_3"} <= set(names) and "efficientnet" not in names
    # every listed name resolves (a variant's name must start with its family file's stem)
    assert [n for n in names if not bundled.locate(n)[0].endswith(".yaml")] == []
    families = {e.name: e.family for e in bundled.entries()}
    assert families["efficientnet_b5"] == "efficientnet" and families["resnet50"] == ""
    code, _, err = _cli("shape", "efficientnet_b9")
    assert code == 1 and 'did you mean "efficientnet_b' in err
