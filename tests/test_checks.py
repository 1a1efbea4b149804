"""checks.check_file on family files: which configurations it analyses, and what it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncalc.check.files import check_file, find_files

FAMILY = """\
input: [9, 9, 3]
vars:
  width: {default}
layers:
  - conv: {{filters: '${{int(width)}}', kernel: 2, stride: 2}}
variants:
  a:
    vars: {{width: 8}}
  b:
    vars: {{width: 16}}
"""


@pytest.mark.parametrize("default, prefixes", [
    ("8", ["a: ", "b: "]),            # the file's own vars are variant a's: analysed once, as a
    ("4", ["", "a: ", "b: "]),        # its own vars are no variant's: `shape FILE` shows them, so they are checked
    ("8.0", ["", "a: ", "b: "]),      # 8.0 is not 8 to an expression (a float width), so it is its own case
])
def test_a_family_files_own_vars_are_checked_unless_a_variant_has_them(tmp_path: Path, default: str,
                                                                       prefixes: list[str]) -> None:
    path = tmp_path / "family.yaml"
    path.write_text(FAMILY.format(default=default))
    result = check_file(str(path))
    assert sorted(p.message.split("conv1: ")[0] for p in result.problems) == prefixes
    assert result.analysis is not None


def test_a_file_with_a_variant_that_fails_has_no_analysis(tmp_path: Path) -> None:
    path = tmp_path / "family.yaml"
    path.write_text(FAMILY.format(default="8").replace("{width: 16}", "{width: 0}"))
    result = check_file(str(path))
    errors = [p for p in result.problems if p.level == "error"]
    assert [(p.rule, p.message[:3]) for p in errors] == [("invalid-value", "b: ")]
    assert result.analysis is None


def test_one_file_named_several_ways_is_found_once(tmp_path: Path) -> None:
    (tmp_path / "nets").mkdir()
    real = tmp_path / "nets" / "a.yaml"
    real.write_text("input: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n")
    (tmp_path / "nets" / "b.yaml").symlink_to(real)
    other = tmp_path / "nets" / "c.yaml"
    other.write_text(real.read_text())  # the same text in another file is another file
    named = [str(real), str(tmp_path / "nets" / ".." / "nets" / "a.yaml"), str(tmp_path / "nets")]
    assert [path for path, _ in find_files(named)] == [str(real), str(other)]


def test_a_directory_search_skips_what_is_not_a_regular_file(tmp_path: Path) -> None:
    """A FIFO named *.yaml made `check DIR` (and a pre-commit hook) wait for a writer forever."""
    import os
    import socket

    good = tmp_path / "good.yaml"
    good.write_text("input: [8, 8, 3]\nlayers:\n  - relu\n")
    os.mkfifo(tmp_path / "fifo.yaml")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "socket.yaml"))
        (tmp_path / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
        assert [path for path, _ in find_files([str(tmp_path)])] == [str(good)]
