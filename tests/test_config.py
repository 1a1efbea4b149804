"""Configuration files for `check`: discovery, validation with the file's own positions, applying them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.check import config as cfg
from cnncalc.core.problems import Problem, SpecError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problem_of(path: Path) -> Problem:
    with pytest.raises(SpecError) as info:
        cfg.load_config(str(path))
    return info.value.problem


YAML_FULL = """\
select: [non-integer-output, rf-misaligned, budget-exceeded]
ignore: [rf-misaligned]
extend-error: [non-integer-output]
exclude: [build, "*.draft.yaml"]
max-params: 5M
max-macs: 1.5G
max-memory: 500MB
strict: true
"""

TOML_FULL = """\
[project]
name = "x"

[tool.cnncalc]
select = ["non-integer-output", "rf-misaligned", "budget-exceeded"]
ignore = ["rf-misaligned"]
extend-error = ["non-integer-output"]
exclude = ["build", "*.draft.yaml"]
max-params = "5M"
max-macs = "1.5G"
max-memory = "500MB"
strict = true
"""


@pytest.mark.parametrize("name, text", [(".cnncalc.yaml", YAML_FULL), ("pyproject.toml", TOML_FULL)])
def test_every_key(tmp_path: Path, name: str, text: str) -> None:
    c = cfg.load_config(str(write(tmp_path / name, text)))
    assert c.select == {"non-integer-output", "rf-misaligned", "budget-exceeded"}
    assert c.ignore == {"rf-misaligned"} and c.extend_error == {"non-integer-output"}
    assert c.exclude == (("build", str(tmp_path)), ("*.draft.yaml", str(tmp_path)))
    assert {k: q.value for k, q in c.budgets.items()} == {"max_params": 5_000_000, "max_macs": 1_500_000_000,
                                                          "max_memory": 500_000_000}
    assert c.strict is True


def test_discovery_walks_up_and_prefers_the_nearest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.cnncalc]\nstrict = true\n")
    write(tmp_path / "a" / "b" / "net.yaml", "")
    assert cfg.discover(["a/b/net.yaml"]).path == "pyproject.toml"
    write(tmp_path / "a" / ".cnncalc.yaml", "strict: false\n")
    found = cfg.discover(["a/b/net.yaml", "a/b"])
    assert found.path == "a/.cnncalc.yaml" and found.strict is False
    # a pyproject.toml without [tool.cnncalc] is passed over
    write(tmp_path / "a" / "b" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert cfg.discover(["a/b"]).path == "a/.cnncalc.yaml"


def test_no_configuration_gives_the_defaults(tmp_path: Path) -> None:
    assert cfg.find_config(str(tmp_path)) is None or not str(cfg.find_config(str(tmp_path))).startswith(
        str(tmp_path))
    assert cfg.Config() == cfg.Config(None, None, frozenset(), frozenset(), (), {}, False)


INVALID_YAML = [
    # (file text, line, column, words in the message)
    ("max_params: 5M\n", 1, 1, 'unknown setting `max_params` (did you mean "max-params"?)'),
    ("strict: true\nignore: [rf-misalinged]\n", 2, 10, 'unknown rule `rf-misalinged` in `ignore` (did you mean'),
    ("select:\n  - non-integer-output\n  - no-such-rule\n", 3, 5, "unknown rule `no-such-rule` in `select`"),
    ("ignore: [yaml-syntax]\n", 1, 10, "`yaml-syntax` stops the analysis of its file, so it cannot be ignored"),
    ("extend-error: [budget-exceeded]\n", 1, 16, "`budget-exceeded` is already an error"),
    ("strict: yes please\n", 1, 9, "`strict` is true or false"),
    ("max-memory: lots\n", 1, 13, "`max-memory`: cannot read 'lots' as a size"),
    ("exclude: {a: 1}\n", 1, 10, "`exclude` is a list of globs"),
    ("select: 3\n", 1, 9, "`select` is a list of rule ids"),
    ("- strict\n", 1, 1, "a configuration file is a mapping of settings"),
    ("strict: true\nstrict: false\n", 2, 1, "`strict` appears twice"),
]


@pytest.mark.parametrize("text, line, column, message", INVALID_YAML)
def test_invalid_yaml_config_positions(tmp_path: Path, text: str, line: int, column: int, message: str) -> None:
    path = write(tmp_path / ".cnncalc.yaml", text)
    p = problem_of(path)
    assert (p.path, p.line, p.column, p.rule) == (str(path), line, column, "invalid-config")
    assert message in p.message


def test_yaml_syntax_error_in_config(tmp_path: Path) -> None:
    p = problem_of(write(tmp_path / ".cnncalc.yaml", "select: [a,\n"))
    assert p.rule == "yaml-syntax" and p.line == 2


INVALID_TOML = [
    ("[tool.cnncalc]\nstrict = true\nselct = []\n", 3, 1, 'unknown setting `selct` (did you mean "select"?)'),
    ("[tool.cnncalc]\nignore = [\n    \"rf-misaligned\",\n    \"nope\",\n]\n", 4, 6, "unknown rule `nope`"),
    ("[tool.cnncalc]\n  strict = 1\n", 2, 3, "`strict` is true or false"),
    ("[tool.cnncalc]\nstrict = \n", 2, 10, "TOML syntax error"),
]


@pytest.mark.parametrize("text, line, column, message", INVALID_TOML)
def test_invalid_pyproject_positions(tmp_path: Path, text: str, line: int, column: int, message: str) -> None:
    path = write(tmp_path / "pyproject.toml", text)
    p = problem_of(path)
    assert (p.line, p.column, p.rule) == (line, column, "invalid-config")
    assert message in p.message


def P(rule: str, level: str = "warning") -> Problem:  # noqa: N802 - a short constructor for tables
    return Problem("net.yaml", 1, 1, level, rule, "m")


APPLY = [
    # (config, problems, expected (rule, level) pairs)
    (cfg.Config(ignore=frozenset({"rf-misaligned"})), [P("rf-misaligned"), P("non-integer-output")],
     [("non-integer-output", "warning")]),
    (cfg.Config(select=frozenset({"rf-misaligned"})), [P("rf-misaligned"), P("non-integer-output"),
                                                        P("expect-mismatch", "error")],
     [("rf-misaligned", "warning")]),
    # fatal errors are kept whatever select says: the file could not be analysed
    (cfg.Config(select=frozenset({"rf-misaligned"})), [P("yaml-syntax", "error")], [("yaml-syntax", "error")]),
    (cfg.Config(extend_error=frozenset({"non-integer-output"})), [P("non-integer-output"), P("rf-misaligned")],
     [("non-integer-output", "error"), ("rf-misaligned", "warning")]),
    (cfg.Config(), [P("rf-misaligned")], [("rf-misaligned", "warning")]),
]


@pytest.mark.parametrize("config, problems, expected", APPLY)
def test_apply(config: cfg.Config, problems: list[Problem], expected: list[tuple[str, str]]) -> None:
    assert [(p.rule, p.level) for p in cfg.apply(config, problems)] == expected


@pytest.mark.parametrize("path, hit", [
    ("build/net.yaml", True), ("sub/build/x/net.yaml", True), ("sub/builder/net.yaml", False), ("nets/a.draft.yaml", True),
    ("nets/a.yaml", False), ("deep/er/b.draft.yaml", True), ("../elsewhere/build/net.yaml", False),
    ("nets/.cnncalc.yaml", True), (".cnncalc.yml", True),
])
def test_exclude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, hit: bool) -> None:
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    config = cfg.Config(exclude=(("build", str(root)), ("*.draft.yaml", str(root))))
    assert cfg.excluded(config, path) is hit
    assert cfg.filter_paths(config, [path, "kept.yaml"]) == ([] if hit else [path]) + ["kept.yaml"]


def test_command_line_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    base = cfg.Config(select=frozenset({"rf-misaligned"}), ignore=frozenset({"non-integer-output"}))
    merged = cfg.with_options(base, select=["non-integer-output,rf-misaligned"], ignore=["uneven-size"],
                              exclude=["old/*"])
    assert merged.select == {"non-integer-output", "rf-misaligned"}
    assert merged.ignore == {"non-integer-output", "uneven-size"}
    assert merged.exclude == (("old/*", str(tmp_path)),)
    with pytest.raises(ValueError, match='--select: unknown rule \'rf-misalgned\' \\(did you mean "rf-misaligned"'):
        cfg.with_options(base, select=["rf-misalgned"])
    with pytest.raises(ValueError, match="cannot be ignored"):
        cfg.with_options(base, ignore=["unknown-kind"])


def test_config_option(tmp_path: Path) -> None:
    path = write(tmp_path / "ci.yaml", "strict: true\n")
    assert cfg.load_or_discover(str(path), []).strict is True
    with pytest.raises(ValueError, match="--config: .* is not a file"):
        cfg.load_or_discover(str(tmp_path / "missing.yaml"), [])



# --- every TOML spelling of [tool.cnncalc] is read; what cannot be read is an error, never passed over -------

@pytest.mark.parametrize("text", [
    "[tool.cnncalc]\nstrict = true\n",
    "tool.cnncalc.strict = true\n",  # dotted keys
    "[tool]\ncnncalc = {strict = true}\n",  # an inline table
    '[tool."cnncalc"]\nstrict = true\n',  # a quoted name
    "[ tool . cnncalc ]  # settings\nstrict = true\n",
    "\ufeff[tool.cnncalc]\nstrict = true\n",  # a byte-order mark
    "[project]\nname = 'x'\n\n[tool.cnncalc]\nstrict = true\n",
])
def test_every_toml_spelling_of_the_section_is_found(tmp_path: Path, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    (tmp_path / "nets").mkdir()
    assert cfg.find_config(str(tmp_path / "nets")) == str(tmp_path / "pyproject.toml")
    assert cfg.load_config(str(tmp_path / "pyproject.toml")).strict is True


@pytest.mark.parametrize("text, line, column, words", [
    ("[tool.cnncalc\nstrict = true\n", 1, 14, "TOML syntax error"),  # an unclosed header
    ("[tool.cnncalc]\nx = " + "[" * 3000 + "]" * 3000 + "\n", 1, 1, "nests too deeply"),
    ("tool.cnncalc.strict = 3\n", 1, 1, "`strict` is true or false"),
    ("[tool]\ncnncalc = {strict = 3}\n", 2, 12, "`strict` is true or false"),
])
def test_a_pyproject_that_cannot_be_read_is_invalid_config(tmp_path: Path, text: str, line: int, column: int,
                                                            words: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    assert cfg.find_config(str(tmp_path)) == str(path)
    with pytest.raises(SpecError) as info:
        cfg.load_config(str(path))
    problem = info.value.problem
    assert (problem.rule, problem.line, problem.column) == ("invalid-config", line, column)
    assert words in problem.message


@pytest.mark.parametrize("text", ["[project]\nname = 'x'\ndependencies = ['cnncalc']\n", "tool = 3  # cnncalc\n",
                                  "[tool.black]\nline-length = 100\n"])
def test_a_pyproject_without_the_section_is_not_a_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    assert cfg.find_config(str(tmp_path)) is None
