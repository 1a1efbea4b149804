"""`cnncalc diff`: alignment, hand-computed deltas, thresholds, --rev through git, renderers and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from cnncalc.diff import render as diff_render
from cnncalc.core.analysis import analyze
from cnncalc.diff.compare import ADDED, CHANGED, REMOVED, SAME, diff, exceeded, parse_threshold
from cnncalc.diff.command import run_diff

from conftest import bundled_spec, main, run


def vgg(name: str):
    return analyze(bundled_spec(name))


@pytest.fixture(scope="module")
def vgg16_19():
    return diff(vgg("vgg16"), vgg("vgg19"), "vgg16", "vgg19")


def test_vgg16_to_vgg19_adds_three_convolutions(vgg16_19) -> None:
    added = [c for c in vgg16_19.layers if c.status != SAME]
    # Each added layer: 3×3 conv, C→C; params F·(3·3·C + 1), MACs H·W·F·3·3·C.
    expected = [
        ("block3_conv4", (56, 56, 256), 256 * (9 * 256 + 1), 56 * 56 * 256 * 9 * 256),
        ("block4_conv4", (28, 28, 512), 512 * (9 * 512 + 1), 28 * 28 * 512 * 9 * 512),
        ("block5_conv4", (14, 14, 512), 512 * (9 * 512 + 1), 14 * 14 * 512 * 9 * 512),
    ]
    assert [(c.status, c.new.name, c.new.output, c.delta("params"), c.delta("macs")) for c in added] == \
        [(ADDED, *row) for row in expected]
    assert [e[2] for e in expected] == [590_080, 2_359_808, 2_359_808]
    assert [e[3] for e in expected] == [1_849_688_064, 1_849_688_064, 462_422_016]
    assert vgg16_19.count(SAME) == 24 and vgg16_19.common == 24 and not vgg16_19.disjoint


def test_vgg16_to_vgg19_totals(vgg16_19) -> None:
    t = vgg16_19.totals
    # The reference figures: VGG-19 143,667,240 params and 19,632,062,464 MACs; VGG-16 138,357,544 and
    # 15,470,264,320.
    assert (t["params"].old, t["params"].new, t["params"].delta) == (138_357_544, 143_667_240, 5_309_696)
    assert t["trainable"].delta == 5_309_696 and t["non_trainable"].delta == 0
    assert (t["macs"].old, t["macs"].new, t["macs"].delta) == (15_470_264_320, 19_632_062_464, 4_161_798_144)
    # float32 inference memory: 4 bytes per new parameter plus 4 per new output value.
    assert t["memory"].delta == 4 * 5_309_696 + 4 * (56 * 56 * 256 + 28 * 28 * 512 + 14 * 14 * 512) == 26_457_088
    assert t["params"].percent == pytest.approx(100 * 5_309_696 / 138_357_544)
    assert diff_render.percent(t["params"]) == "+3.84%"
    assert diff_render.percent(t["macs"]) == "+26.90%"
    assert diff_render.percent(t["non_trainable"]) == "0%"


BASE = "input: [32, 32, 3]\nlayers:\n"


def statuses(old: str, new: str) -> list[tuple[str, str | None, str | None]]:
    result = diff(run(BASE + old), run(BASE + new))
    return [(c.status, c.old.name if c.old else None, c.new.name if c.new else None) for c in result.layers]


ALIGNMENT_CASES = [
    # an unnamed layer inserted: generated names shift (conv2 becomes conv3) but the signatures line up
    ("insert-unnamed",
     "  - conv: {filters: 8, kernel: 3, padding: 1}\n  - conv: {filters: 16, kernel: 3, padding: 1}\n",
     "  - conv: {filters: 8, kernel: 3, padding: 1}\n  - conv: {filters: 4, kernel: 1}\n"
     "  - conv: {filters: 16, kernel: 3, padding: 1}\n",
     [(SAME, "conv1", "conv1"), (ADDED, None, "conv2"), (CHANGED, "conv2", "conv3")]),
    # a written name changed, nothing else: matched by (kind, output), shown as a rename
    ("rename",
     "  - conv: {filters: 8, kernel: 3, name: stem}\n  - relu\n",
     "  - conv: {filters: 8, kernel: 3, name: first}\n  - relu\n",
     [(CHANGED, "stem", "first"), (SAME, "relu1", "relu1")]),
    # the same name with more filters: a changed layer, and the next one changes its input
    ("widen",
     "  - conv: {filters: 8, kernel: 3, name: a}\n  - conv: {filters: 8, kernel: 3, name: b}\n",
     "  - conv: {filters: 16, kernel: 3, name: a}\n  - conv: {filters: 8, kernel: 3, name: b}\n",
     [(CHANGED, "a", "a"), (CHANGED, "b", "b")]),
    # a layer removed from the middle
    ("remove",
     "  - conv: {filters: 8, kernel: 3, name: a}\n  - relu: {name: r}\n  - maxpool: {kernel: 2, name: p}\n",
     "  - conv: {filters: 8, kernel: 3, name: a}\n  - maxpool: {kernel: 2, name: p}\n",
     [(SAME, "a", "a"), (REMOVED, "r", None), (SAME, "p", "p")]),
    # two written names of the same kind with different outputs are different layers
    ("replace-named",
     "  - conv: {filters: 8, kernel: 3, name: a}\n",
     "  - conv: {filters: 16, kernel: 5, name: b}\n",
     [(REMOVED, "a", None), (ADDED, None, "b")]),
    # a layer moved past another keeps the order: it is removed and added, the other stays
    ("move",
     "  - relu: {name: x}\n  - sigmoid: {name: y}\n",
     "  - sigmoid: {name: y}\n  - relu: {name: x}\n",
     [(REMOVED, "x", None), (SAME, "y", "y"), (ADDED, None, "x")]),
]


@pytest.mark.parametrize("old, new, expected", [c[1:] for c in ALIGNMENT_CASES], ids=[c[0] for c in ALIGNMENT_CASES])
def test_alignment(old: str, new: str, expected: list) -> None:
    assert statuses(old, new) == expected


def test_changed_layer_deltas_and_fields() -> None:
    result = diff(run(BASE + "  - conv: {filters: 8, kernel: 3, name: a}\n"),
                  run(BASE + "  - conv: {filters: 16, kernel: 3, name: a}\n"))
    (change,) = result.layers
    assert change.fields == ("output", "params", "trainable", "macs")
    # 16·(3·3·3 + 1) − 8·(3·3·3 + 1) = 448 − 224; MACs 30·30·(16 − 8)·27; memory 30·30·8 values × 4 bytes
    assert (change.delta("params"), change.delta("macs"), change.delta("memory")) == (224, 30 * 30 * 8 * 27,
                                                                                      30 * 30 * 8 * 4)


def test_nothing_in_common_is_disjoint_and_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(BASE + "  - conv: {filters: 8, kernel: 3, name: a}\n")
    b.write_text("input: [10]\nlayers:\n  - dense: {units: 4, name: d}\n")
    assert run_diff(str(a), str(b), None, "markdown", []) == 0
    out, err = capsys.readouterr()
    assert "no layer in common" in err and "no layer in common" in out
    result = diff(run(a.read_text()), run(b.read_text()))
    assert result.disjoint and [c.status for c in result.layers] == [REMOVED, ADDED]


THRESHOLDS = [
    ("params:+5%", "params", "+", Decimal(5), True),
    ("params:+3.5%", "params", "+", Decimal("3.5"), True),
    ("macs:1G", "macs", "", Decimal(10**9), False),
    ("memory:-10MB", "memory", "-", Decimal(10**7), False),
    ("memory:+1MiB", "memory", "+", Decimal(2**20), False),
    ("trainable:+1000", "trainable", "+", Decimal(1000), False),
    (" non-trainable : + 0 ", "non_trainable", "+", Decimal(0), False),
]


@pytest.mark.parametrize("text, metric, direction, amount, percent", THRESHOLDS)
def test_parse_threshold(text: str, metric: str, direction: str, amount: Decimal, percent: bool) -> None:
    t = parse_threshold(text)
    assert (t.metric, t.direction, t.amount, t.percent) == (metric, direction, amount, percent)


MALFORMED = [
    ("params", "cannot read 'params'"),
    ("params:", "cannot read"),
    ("parms:+5%", 'did you mean "params"'),
    ("params:+five%", "as a percentage"),
    ("params:+5x", "cannot read '5x' as a count"),
    ("memory:+5XB", "as a size"),
    ("params:+-5%", "cannot read"),
]


@pytest.mark.parametrize("text, message", MALFORMED)
def test_malformed_threshold(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_threshold(text)
    assert message in str(info.value)


# 5,309,696 / 138,357,544 = 3.8377 %; 4,161,798,144 / 15,470,264,320 = 26.90 %
EXCEEDED = [
    ("params:+3.83%", True), ("params:+3.84%", False), ("params:+5%", False), ("params:-1%", False),
    ("params:1%", True), ("params:+5309695", True), ("params:+5309696", False), ("params:+5.3M", True),
    ("macs:+26.9%", True), ("macs:+27%", False), ("non_trainable:+0", False),
    ("memory:+26457087", True), ("memory:+26457088", False), ("memory:+25MiB", True), ("memory:+26MiB", False),
]


@pytest.mark.parametrize("text, hit", EXCEEDED)
def test_threshold_exceeded(vgg16_19, text: str, hit: bool) -> None:
    assert bool(exceeded(vgg16_19, [parse_threshold(text)])) is hit


def test_growth_from_zero_exceeds_every_percentage() -> None:
    result = diff(run(BASE + "  - relu\n"), run(BASE + "  - batchnorm\n"))
    assert result.totals["non_trainable"].old == 0 and result.totals["non_trainable"].new == 6
    assert exceeded(result, [parse_threshold("non_trainable:+1000%")])
    assert diff_render.percent(result.totals["non_trainable"]) == "new"


# --- the command body ----------------------------------------------------------------------

def test_run_diff_fail_on_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diff("vgg16", "vgg19", None, "table", ["params:+5%"]) == 0
    assert run_diff("vgg16", "vgg19", None, "table", ["params:+5%", "macs:+10%"]) == 1
    err = capsys.readouterr().err
    assert "--fail-on macs:+10%: multiply-adds" not in err  # labels are the figure's name
    assert "--fail-on macs:+10%: macs changed by +4,161,798,144 (+26.90%), beyond the threshold" in err


@pytest.mark.parametrize("args, message", [
    (["vgg16", "vgg19", "--fail-on", "params+5%"], "Invalid value for --fail-on: cannot read 'params+5%'"),
    (["vgg16"], "Error: give two files to compare, or one file with --rev"),
    (["vgg16", "vgg19", "--rev", "HEAD"], "Error: give either two files or one file with --rev"),
    (["vgg16", "vgg19", "--format", "yaml"], "Invalid value for --format: 'yaml' is not one of table, markdown, json"),
    (["vgg16", "--rev", "--all"], "Invalid value for --rev: '--all' is not a revision"),
])
def test_diff_misuse_is_every_commands_exit_2(capsys: pytest.CaptureFixture[str], args: list[str],
                                              message: str) -> None:
    assert main("diff", *args) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("Usage: ") and "cnncalc diff [OPTIONS] A [B]" in err


def test_run_diff_bad_file_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 9}\n")
    assert main("diff", "vgg16", str(bad)) == 1
    assert f"{bad}:3:32: error:" in capsys.readouterr().err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diff("vgg16", "vgg19", None, "json", ["params:+1%"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"added": 3, "removed": 0, "changed": 0, "same": 24}
    assert data["totals"]["params"] == {"old": 138_357_544, "new": 143_667_240, "delta": 5_309_696,
                                        "percent": round(100 * 5_309_696 / 138_357_544, 4)}
    assert data["failed"] == [{"threshold": "params:+1%", "metric": "params"}]
    assert len(data["layers"]) == 27
    # invariant: the layer deltas add up to the totals' deltas
    for metric in ("params", "trainable", "macs"):
        assert sum(layer["delta"][metric] for layer in data["layers"]) == data["totals"][metric]["delta"]


def test_markdown_golden(golden, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diff("vgg16", "vgg19", None, "markdown", []) == 0
    golden("diff_vgg16_vgg19.md", capsys.readouterr().out)


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_diff("vgg16", "vgg19", None, "table", []) == 0
    out = capsys.readouterr().out
    assert "VGG-16 (vgg16) → vgg19 (vgg19)" in out and "Layers: 3 added, 0 removed, 0 changed, 24 unchanged" in out
    assert "| + | block3_conv4 | conv | 56×56×256 |   +590,080 | +1,849,688,064 |" in out
    assert "+5,309,696 |  +3.84%" in out
    assert "\x1b[" not in out  # not a terminal: no colour


def test_markup_in_names_is_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(BASE + "  - relu: {name: '[bold]x'}\n")
    b.write_text(BASE + "  - relu: {name: '[bold]x'}\n  - sigmoid: {name: 'a|b'}\n")
    assert run_diff(str(a), str(b), None, "table", []) == 0
    assert "a|b" in capsys.readouterr().out
    assert run_diff(str(a), str(b), None, "markdown", []) == 0
    assert "a\\|b" in capsys.readouterr().out


# --- --rev through git -------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, env=env)

    git("init", "-q")
    (tmp_path / "nets").mkdir()
    net = tmp_path / "nets" / "net.yaml"
    net.write_text(BASE + "  - conv: {filters: 8, kernel: 3, name: a}\n")
    git("add", "nets/net.yaml")
    git("commit", "-q", "-m", "first")
    net.write_text(BASE + "  - conv: {filters: 8, kernel: 3, name: a}\n  - conv: {filters: 8, kernel: 3, name: b}\n")
    git("commit", "-q", "-am", "second")
    net.write_text(BASE + "  - conv: {filters: 16, kernel: 3, name: a}\n  - conv: {filters: 8, kernel: 3, name: b}\n")
    return tmp_path


def test_rev_compares_the_file_at_a_revision(repo: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert run_diff("nets/net.yaml", None, "HEAD~1", "json", []) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["old"]["label"] == "nets/net.yaml@HEAD~1"
    assert [(layer["status"], (layer["old"] or layer["new"])["name"]) for layer in data["layers"]] == \
        [("changed", "a"), ("added", "b")]
    # a: 16·28 − 8·28 = 224 more; b: 8·(3·3·16 + 1) = 1,160 new
    assert data["totals"]["params"]["delta"] == 224 + 1_160
    # from another directory, the path is still read in the file's own repository
    monkeypatch.chdir(repo.parent)
    assert run_diff(str(repo / "nets" / "net.yaml"), None, "HEAD", "json", []) == 0
    data = json.loads(capsys.readouterr().out)
    # b takes a's 16 channels now: 8·(3·3·16 + 1) − 8·(3·3·8 + 1) = 1,160 − 584
    assert [layer["status"] for layer in data["layers"]] == ["changed", "changed"]
    assert data["totals"]["params"]["delta"] == 224 + 576


@pytest.mark.parametrize("rev, message", [
    ("HEAD~5", "Invalid value for --rev: HEAD~5: no such revision"),
    ("no-such-branch", "Invalid value for --rev: no-such-branch: no such revision"),
])
def test_missing_revision_exits_2(repo: Path, capsys: pytest.CaptureFixture[str], rev: str, message: str) -> None:
    assert main("diff", str(repo / "nets" / "net.yaml"), "--rev", rev) == 2
    assert message in capsys.readouterr().err


def test_file_missing_at_revision_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = repo / "nets" / "other.yaml"
    other.write_text(BASE + "  - relu\n")
    assert main("diff", str(other), "--rev", "HEAD") == 2
    assert "does not exist at revision HEAD" in capsys.readouterr().err


def test_not_a_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    net = tmp_path / "net.yaml"
    net.write_text(BASE + "  - relu\n")
    assert main("diff", str(net), "--rev", "HEAD") == 2
    assert "not in a git repository" in capsys.readouterr().err


def test_bad_file_at_revision_names_the_revision(repo: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    net = repo / "nets" / "net.yaml"
    good = net.read_text()
    net.write_text(BASE + "  - conv: {filters: 8, kernel: 99}\n")
    subprocess.run(["git", "commit", "-q", "-am", "broken"], cwd=repo, check=True, capture_output=True, env=env)
    net.write_text(good)
    assert main("diff", "nets/net.yaml", "--rev", "HEAD") == 1
    assert "HEAD:nets/net.yaml:3:32: error:" in capsys.readouterr().err


def test_variants_of_a_family_file_are_compared_as_selected(capsys) -> None:
    """vgg11 and vgg13 are variants of specs/vgg.yaml: each is read with its own vars (configuration B adds a
    second convolution to blocks 1 and 2), not as the file's defaults twice."""
    assert run_diff("vgg11", "vgg13", None, "json", []) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == {"added": 2, "removed": 0, "changed": 0, "same": 19}
    assert [layer["new"]["name"] for layer in out["layers"] if layer["status"] == "added"] == ["block1_conv2",
                                                                                          "block2_conv2"]
